package providers

import (
	"context"

	"github.com/zclconf/go-cty/cty"
)

// DefaultPlan plans a change the way most resources want it planned:
// configured values are taken as given; a computed attribute the
// configuration leaves null keeps its prior value, or becomes unknown
// ("known after apply") on create; a change to an attribute marked ForceNew
// requires replacement, and then computed attributes become unknown again.
//
// proposed must be a non-null object holding (at least) the schema's
// configurable attributes (ConfigType); prior is null for a create.
// Attributes listed in set override both and are taken as they are, for
// computed values the provider already knows at plan time (a null there is
// a known null, not "known after apply").
func DefaultPlan(schema *ResourceSchema, prior, proposed cty.Value, set map[string]cty.Value) (planned cty.Value, requiresReplace []cty.Path) {
	requiresReplace = ForceNewChanges(schema, prior, proposed, set)
	return DefaultPlanned(schema, prior, proposed, set, len(requiresReplace) > 0), requiresReplace
}

// ForceNewChanges is DefaultPlan's requiresReplace: the ForceNew
// attributes whose planned value (set's, or the proposed value's) differs
// from the prior value's, but computed ones planned null. None on create.
func ForceNewChanges(schema *ResourceSchema, prior, proposed cty.Value, set map[string]cty.Value) []cty.Path {
	if prior.IsNull() {
		return nil
	}
	var paths []cty.Path
	for _, name := range schema.ForceNewNames() {
		a := schema.Attributes[name]
		nv, ok := set[name]
		if !ok {
			nv = proposedAttr(a, name, proposed)
		}
		if a.Computed && nv.IsNull() {
			continue
		}
		if !ValuesEqual(prior.GetAttr(name), nv) {
			paths = append(paths, cty.GetAttrPath(name))
		}
	}
	return paths
}

// DefaultPlanned is DefaultPlan's planned value with replacement decided
// by the caller: every attribute the proposed value's (null when it lacks
// it), a computed one left null unknown on create (prior is null) or when
// replacing and the prior value's otherwise; but those of set, taken as
// they are. The plugin client builds the planned values a provider did
// not send with it (providers/plugin).
func DefaultPlanned(schema *ResourceSchema, prior, proposed cty.Value, set map[string]cty.Value, replacing bool) cty.Value {
	attrs := make(map[string]cty.Value, len(schema.Attributes))
	for name, a := range schema.Attributes {
		if v, ok := set[name]; ok {
			attrs[name] = v
			continue
		}
		attrs[name] = defaultAttr(a, name, prior, proposed, replacing)
	}
	return cty.ObjectVal(attrs)
}

// defaultAttr is the planned value of attribute name (a) that
// DefaultPlanned chooses when set does not name it.
func defaultAttr(a *Attribute, name string, prior, proposed cty.Value, replacing bool) cty.Value {
	v := proposedAttr(a, name, proposed)
	if a.Computed && v.IsNull() {
		if prior.IsNull() || replacing {
			return cty.UnknownVal(a.Type)
		}
		return prior.GetAttr(name)
	}
	return v
}

func proposedAttr(a *Attribute, name string, proposed cty.Value) cty.Value {
	if proposed.Type().HasAttribute(name) {
		return proposed.GetAttr(name)
	}
	return cty.NullVal(a.Type)
}

// PlanEach plans every change of req with DefaultPlan, for the providers
// whose resources need nothing else: a delete plans null, a type the schema
// lacks is an error naming provider, and known returns, for a change to
// plan, the computed attributes the provider already knows (DefaultPlan's
// set; nil for none). Private data is carried over from the prior value.
// It is PlanEachDefault's answer, built.
func PlanEach(provider string, schema *Schema, req PlanResourcesRequest, known func(c PlanChange) map[string]cty.Value) PlanResourcesResponse {
	return PlanEachDefault(provider, schema, req, known).Built(schema, req)
}

// PlanEachDefault is PlanEach for a DefaultPlanner: the planned values it
// plans with DefaultPlan are told, not built.
func PlanEachDefault(provider string, schema *Schema, req PlanResourcesRequest, known func(c PlanChange) map[string]cty.Value) PlanDefaultsResponse {
	resp := PlanDefaultsResponse{Changes: make([]PlannedDefault, len(req.Changes))}
	for i, c := range req.Changes {
		rs := schema.ResourceTypes[c.Type]
		if rs == nil {
			resp.Diagnostics = append(resp.Diagnostics, Errorf(c.Address, "The %s provider does not serve resources of type %q", provider, c.Type)...)
			resp.Changes[i] = PlannedDefault{PlannedChange: PlannedChange{Planned: c.Proposed}}
			continue
		}
		if c.Proposed.IsNull() {
			resp.Changes[i] = PlannedDefault{PlannedChange: PlannedChange{Planned: c.Proposed, PlannedPrivate: c.PriorPrivate}}
			continue
		}
		var set map[string]cty.Value
		if known != nil {
			set = known(c)
		}
		replace := ForceNewChanges(rs, c.Prior, c.Proposed, set)
		resp.Changes[i] = PlannedDefault{
			PlannedChange: PlannedChange{PlannedPrivate: c.PriorPrivate, RequiresReplace: replace},
			Default:       true, Set: set, Replacing: len(replace) > 0,
		}
	}
	return resp
}

// DefaultPlanner is a Provider that can tell the planned values it plans
// as DefaultPlanned does without building them: the plugin's provider side
// then sends only their set attributes, and benito builds them from the
// change it sent (providers/plugin), so that a planned value that is
// mostly its configuration does not cross back. PlanResources must answer
// PlanDefaults' answer, built (PlanDefaultsResponse.Built), so that
// planning in process and through the plugin agree.
type DefaultPlanner interface {
	PlanDefaults(ctx context.Context, req PlanResourcesRequest) PlanDefaultsResponse
}

// PlanDefaultsResponse answers PlanDefaults, one entry per request entry,
// as PlanResourcesResponse answers PlanResources.
type PlanDefaultsResponse struct {
	Changes     []PlannedDefault
	Diagnostics Diagnostics
}

// PlannedDefault is a planned change whose planned value, when Default is
// set, is not built (Planned is cty.NilVal): it is DefaultPlanned of the
// change's prior and proposed values (the latter not null), with Set and
// Replacing.
type PlannedDefault struct {
	PlannedChange
	Default   bool
	Set       map[string]cty.Value
	Replacing bool
}

// Built returns resp as PlanResources answers it: every planned value told
// by default built, for the change of req at its index.
func (resp PlanDefaultsResponse) Built(schema *Schema, req PlanResourcesRequest) PlanResourcesResponse {
	out := PlanResourcesResponse{Changes: make([]PlannedChange, len(resp.Changes)), Diagnostics: resp.Diagnostics}
	for i, pd := range resp.Changes {
		out.Changes[i] = pd.PlannedChange
		if pd.Default && i < len(req.Changes) {
			c := req.Changes[i]
			out.Changes[i].Planned = DefaultPlanned(schema.ResourceTypes[c.Type], c.Prior, c.Proposed, pd.Set, pd.Replacing)
		}
	}
	return out
}

// Build builds pd's planned value, when told by default, for the change c
// of the type rs.
func (pd *PlannedDefault) Build(rs *ResourceSchema, c PlanChange) {
	if pd.Default {
		pd.Planned = DefaultPlanned(rs, c.Prior, c.Proposed, pd.Set, pd.Replacing)
		pd.Default, pd.Set, pd.Replacing = false, nil, false
	}
}

// ValuesEqual reports whether two values are equal and wholly known: two
// nulls are equal, a value holding unknowns equals nothing (what is
// unknown may change).
func ValuesEqual(a, b cty.Value) bool {
	if a.IsNull() || b.IsNull() {
		return a.IsNull() && b.IsNull()
	}
	// benito marks no values, so structural equality is equality, and
	// RawEquals finds it (stopping at the first difference) without
	// building result values as Equals does. Equal values that hold
	// unknowns still differ: what is unknown may change.
	if !a.IsMarked() && !b.IsMarked() {
		if !a.Type().Equals(b.Type()) {
			return false
		}
		return knownEqual(a, b)
	}
	if !a.IsWhollyKnown() || !b.IsWhollyKnown() {
		return false
	}
	return a.Equals(b).True()
}

// knownEqual reports whether unmarked a and b, of the same type, are equal
// and wholly known. It is RawEquals for benito's values, without its cost:
// cty compares strings through Equals, which normalizes both again, and
// checks the types at every level; a refresh compares every attribute of
// every resource. Sets and dynamic values are left to RawEquals.
func knownEqual(a, b cty.Value) bool {
	if !a.IsKnown() || !b.IsKnown() {
		return false
	}
	if a.IsNull() || b.IsNull() {
		return a.IsNull() && b.IsNull()
	}
	ty := a.Type()
	switch {
	case ty == cty.String:
		return a.AsString() == b.AsString()
	case ty == cty.Bool:
		return a.True() == b.True()
	case ty == cty.Number:
		// Equal as numbers is equal. Otherwise cty's equality decides
		// between fractions: 0.1 parsed from the state (512 bits) equals
		// 0.1 from a float64, as they print alike.
		x, y := a.AsBigFloat(), b.AsBigFloat()
		if x.Cmp(y) == 0 {
			return true
		}
		if x.IsInt() && y.IsInt() {
			return false
		}
		return a.RawEquals(b)
	case ty.IsObjectType():
		for name := range ty.AttributeTypes() {
			if !knownEqual(a.GetAttr(name), b.GetAttr(name)) {
				return false
			}
		}
		return true
	case ty.IsListType() || ty.IsTupleType():
		n := a.LengthInt()
		if n != b.LengthInt() {
			return false
		}
		for ai, bi := a.ElementIterator(), b.ElementIterator(); ai.Next() && bi.Next(); {
			_, av := ai.Element()
			_, bv := bi.Element()
			if !knownEqual(av, bv) {
				return false
			}
		}
		return true
	case ty.IsMapType():
		if a.LengthInt() != b.LengthInt() {
			return false
		}
		for it := a.ElementIterator(); it.Next(); {
			k, av := it.Element()
			if !b.HasIndex(k).True() || !knownEqual(av, b.Index(k)) {
				return false
			}
		}
		return true
	}
	return a.RawEquals(b) && a.IsWhollyKnown()
}
