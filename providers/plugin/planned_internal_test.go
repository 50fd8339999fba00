package plugin

import (
	"strings"
	"testing"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/plugin/proto"
	"github.com/zclconf/go-cty/cty"
)

// TestFromDefaultRefuses: a by_default answer benito cannot build the
// provider's value from (for a delete, setting an attribute the schema
// lacks or one twice, a value not of the attribute's type, or none) is an
// error, never a guess.
func TestFromDefaultRefuses(t *testing.T) {
	rs := newTypes(map[string]*providers.ResourceSchema{"thing": {Attributes: map[string]*providers.Attribute{
		"name": {Type: cty.String, Required: true},
		"id":   {Type: cty.String, Computed: true},
	}}})["thing"]
	create := providers.PlanChange{Address: "thing.a", Type: "thing", Prior: cty.NullVal(rs.ImpliedType()), Proposed: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("a")})}
	del := create
	del.Proposed = cty.NullVal(rs.ConfigType())
	str := func(s string) *proto.DynamicValue {
		dv, err := rs.attrs["id"].encodeValue(cty.StringVal(s))
		if err != nil {
			t.Fatal(err)
		}
		return dv
	}
	num, err := codecOf(cty.Number).encodeValue(cty.NumberIntVal(7))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c    providers.PlanChange
		set  []*proto.PlanResources_Attribute
		want string
	}{
		{del, nil, "for a delete"},
		{create, []*proto.PlanResources_Attribute{{Name: "nope", Value: str("x")}}, `"nope", which is not in the schema`},
		{create, []*proto.PlanResources_Attribute{{Name: "id", Value: str("x")}, {Name: "id", Value: str("y")}}, `"id" twice`},
		{create, []*proto.PlanResources_Attribute{{Name: "id", Value: num}}, `attribute "id"`},
		{create, []*proto.PlanResources_Attribute{{Name: "id"}}, `"id" has no value`},
	} {
		_, err := rs.fromDefault(tc.c, &proto.PlanResources_Planned{ByDefault: true, Set: tc.set})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error with %q", tc.set, err, tc.want)
		}
	}
	v, err := rs.fromDefault(create, &proto.PlanResources_Planned{ByDefault: true, Set: []*proto.PlanResources_Attribute{{Name: "id", Value: str("x")}}})
	want := cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("a"), "id": cty.StringVal("x")})
	if err != nil || !v.RawEquals(want) {
		t.Errorf("got %#v, %v; want %#v", v, err, want)
	}
}
