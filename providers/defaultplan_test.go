package providers

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// TestValuesEqual checks ValuesEqual against cty's RawEquals (with wholly
// known) on pairs of values of every kind benito uses.
func TestValuesEqual(t *testing.T) {
	ifc := func(name, addr string, mtu int64) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{
			"name": cty.StringVal(name), "ip4_address": cty.StringVal(addr), "mtu": cty.NumberIntVal(mtu),
			"up": cty.True, "tags": cty.MapVal(map[string]cty.Value{"k": cty.StringVal(name)}),
		})
	}
	node := func(ifs ...cty.Value) cty.Value {
		list := cty.ListValEmpty(ifc("", "", 0).Type())
		if len(ifs) > 0 {
			list = cty.ListVal(ifs)
		}
		return cty.ObjectVal(map[string]cty.Value{"interfaces": list, "set": cty.SetVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}), "pid": cty.NumberIntVal(7)})
	}
	vals := []cty.Value{
		cty.StringVal("a"), cty.StringVal("b"), cty.StringVal(""), cty.NullVal(cty.String), cty.UnknownVal(cty.String),
		cty.NumberIntVal(1), cty.NumberFloatVal(1.5), cty.NumberIntVal(2), cty.True, cty.False,
		node(), node(ifc("eth0", "10.0.0.1", 1500)), node(ifc("eth0", "10.0.0.1", 1500), ifc("eth1", "10.0.1.1", 1500)),
		node(ifc("eth0", "10.0.0.2", 1500)), node(ifc("eth0", "10.0.0.1", 9000)),
		cty.ObjectVal(map[string]cty.Value{"interfaces": cty.UnknownVal(cty.List(ifc("", "", 0).Type())), "set": cty.SetValEmpty(cty.String), "pid": cty.NumberIntVal(7)}),
		cty.TupleVal([]cty.Value{cty.StringVal("x"), cty.NumberIntVal(1)}), cty.TupleVal([]cty.Value{cty.StringVal("x"), cty.NumberIntVal(2)}),
		cty.MapVal(map[string]cty.Value{"a": cty.StringVal("1")}), cty.MapVal(map[string]cty.Value{"b": cty.StringVal("1")}),
		cty.MapVal(map[string]cty.Value{"a": cty.StringVal("1"), "b": cty.StringVal("2")}),
	}
	for _, a := range vals {
		for _, b := range vals {
			want := a.Type().Equals(b.Type()) && a.RawEquals(b) && a.IsWhollyKnown()
			if a.IsNull() || b.IsNull() {
				want = a.IsNull() && b.IsNull()
			}
			if got := ValuesEqual(a, b); got != want {
				t.Errorf("ValuesEqual(%#v, %#v) = %v, want %v", a, b, got, want)
			}
		}
	}
	// Equal values built separately.
	if !ValuesEqual(node(ifc("eth0", "10.0.0.1", 1500)), node(ifc("eth0", "10.0.0.1", 1500))) {
		t.Error("equal nodes built apart differ")
	}
	// A fraction read back from the state (parsed, 512 bits) equals the
	// float64 the configuration gave, as cty has it.
	if parsed := cty.MustParseNumberVal("0.1"); !ValuesEqual(parsed, cty.NumberFloatVal(0.1)) || !parsed.RawEquals(cty.NumberFloatVal(0.1)) {
		t.Error("0.1 parsed differs from 0.1 as a float64")
	}
}

// TestDefaultPlanSet checks that a value the provider knows at plan time
// is taken as it is, a null too, where a computed attribute left null by
// the configuration becomes unknown on create.
func TestDefaultPlanSet(t *testing.T) {
	rs := &ResourceSchema{Attributes: map[string]*Attribute{
		"name": {Type: cty.String, Required: true},
		"pid":  {Type: cty.Number, Computed: true},
		"log":  {Type: cty.String, Computed: true},
	}}
	proposed := cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("a")})
	planned, _ := DefaultPlan(rs, cty.NullVal(rs.ImpliedType()), proposed, map[string]cty.Value{"pid": cty.NullVal(cty.Number)})
	if pid := planned.GetAttr("pid"); !pid.IsKnown() || !pid.IsNull() {
		t.Errorf("pid set to a known null plans as %#v", pid)
	}
	if log := planned.GetAttr("log"); log.IsKnown() {
		t.Errorf("log, computed and not set, plans as %#v on create", log)
	}
}

// TestPlanEach checks the shared plan loop: a type the schema lacks is an
// error naming the provider, a delete plans null with its private data.
func TestPlanEach(t *testing.T) {
	rs := &ResourceSchema{Attributes: map[string]*Attribute{"name": {Type: cty.String, Required: true}, "id": {Type: cty.String, Computed: true}}}
	s := &Schema{ResourceTypes: map[string]*ResourceSchema{"thing": rs}}
	prior := cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("a"), "id": cty.StringVal("1")})
	resp := PlanEach("p", s, PlanResourcesRequest{Changes: []PlanChange{
		{Address: "other.x", Type: "other", Prior: cty.NullVal(cty.DynamicPseudoType), Proposed: cty.NullVal(cty.DynamicPseudoType)},
		{Address: "thing.a", Type: "thing", Prior: prior, PriorPrivate: []byte("pp"), Proposed: cty.NullVal(rs.ConfigType())},
		{Address: "thing.b", Type: "thing", Prior: cty.NullVal(rs.ImpliedType()), Proposed: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("b")})},
	}}, func(c PlanChange) map[string]cty.Value {
		return map[string]cty.Value{"id": cty.StringVal("id-" + c.Address)}
	})
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Address != "other.x" || resp.Diagnostics[0].Summary != `The p provider does not serve resources of type "other"` {
		t.Errorf("diagnostics: %+v", resp.Diagnostics)
	}
	if d := resp.Changes[1]; !d.Planned.IsNull() || string(d.PlannedPrivate) != "pp" {
		t.Errorf("delete planned %#v, private %q", d.Planned, d.PlannedPrivate)
	}
	if id := resp.Changes[2].Planned.GetAttr("id"); id.AsString() != "id-thing.b" {
		t.Errorf("known id planned as %#v", id)
	}
}
