package plugin

import (
	"fmt"
	"slices"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/plugin/proto"
	"github.com/zclconf/go-cty/cty"
)

// This file carries the planned values a provider plans as
// providers.DefaultPlan does (most resources of benito's own providers)
// without sending them back: a providers.DefaultPlanner tells them by what
// providers.DefaultPlanned needs besides the change (the attributes it
// sets, whether it replaces), the provider's side sends that alone
// (Planned.by_default), and benito builds the value from the change it
// sent, with the same function the provider builds it with in process.

// byDefault is the wire form of pd, a planned value told by default: its
// set attributes encoded each with its type's codec. !ok when one does
// not match the schema: the value then crosses whole, built, and its
// encoding says what is wrong.
func (rs *resourceType) byDefault(pd providers.PlannedDefault) (*proto.PlanResources_Planned, bool) {
	out := &proto.PlanResources_Planned{ByDefault: true, Replacing: pd.Replacing, PlannedPrivate: pd.PlannedPrivate, RequiresReplace: pathsToProto(pd.RequiresReplace)}
	if len(pd.Set) > 0 {
		out.Set = make([]*proto.PlanResources_Attribute, 0, len(pd.Set))
	}
	for _, name := range sortedKeys(pd.Set) {
		codec := rs.attrs[name]
		if codec == nil {
			return nil, false
		}
		v := pd.Set[name]
		if v == cty.NilVal {
			return nil, false
		}
		dv, err := codec.encodeValue(v)
		if err != nil {
			return nil, false
		}
		out.Set = append(out.Set, &proto.PlanResources_Attribute{Name: name, Value: dv})
	}
	return out, true
}

// fromDefault builds the planned value of a by_default answer for the
// change c, as benito sent it.
func (rs *resourceType) fromDefault(c providers.PlanChange, pc *proto.PlanResources_Planned) (cty.Value, error) {
	if c.Proposed.IsNull() {
		return cty.NilVal, fmt.Errorf("a planned value told by default for a delete")
	}
	var set map[string]cty.Value
	if len(pc.Set) > 0 {
		set = make(map[string]cty.Value, len(pc.Set))
	}
	for _, a := range pc.Set {
		codec := rs.attrs[a.GetName()]
		if codec == nil {
			return cty.NilVal, fmt.Errorf("it sets attribute %q, which is not in the schema", a.GetName())
		}
		if _, dup := set[a.GetName()]; dup {
			return cty.NilVal, fmt.Errorf("it sets attribute %q twice", a.GetName())
		}
		v, err := codec.decodeValue(a.GetValue())
		if err != nil {
			return cty.NilVal, fmt.Errorf("attribute %q: %w", a.GetName(), err)
		}
		if v == cty.NilVal {
			return cty.NilVal, fmt.Errorf("attribute %q has no value", a.GetName())
		}
		set[a.GetName()] = v
	}
	return providers.DefaultPlanned(rs.ResourceSchema, c.Prior, c.Proposed, set, pc.Replacing), nil
}

func sortedKeys(m map[string]cty.Value) []string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
