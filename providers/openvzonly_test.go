package providers

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/benito-net/benito/contract"
)

// TestRefuseOpenVZ: a vnode setting an OpenVZ-only attribute is refused
// on that attribute, in the language's words; null, unknown and empty
// lists pass.
func TestRefuseOpenVZ(t *testing.T) {
	ty := contract.ObjectType(contract.VNode)
	base := map[string]cty.Value{}
	for name, at := range ty.AttributeTypes() {
		base[name] = cty.NullVal(at)
	}
	base["name"] = cty.StringVal("a")
	base["type"] = cty.StringVal("qemu")
	cfg := func(set map[string]cty.Value) cty.Value {
		m := map[string]cty.Value{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range set {
			m[k] = v
		}
		return cty.ObjectVal(m)
	}
	if d := RefuseOpenVZ("vnode.a", cfg(nil), "qemu"); len(d) != 0 {
		t.Fatalf("a node without OpenVZ settings: %v", d)
	}
	if d := RefuseOpenVZ("vnode.a", cfg(map[string]cty.Value{
		"nameservers": cty.ListValEmpty(cty.String), "init": cty.UnknownVal(cty.List(cty.String)),
	}), "qemu"); len(d) != 0 {
		t.Errorf("empty and unknown lists: %v", d)
	}
	for attr, tc := range map[string]struct {
		v    cty.Value
		word string
	}{
		"ctid":        {cty.NumberIntVal(101), "ctid"},
		"hostname":    {cty.StringVal("web1"), "hostname"},
		"diskspace":   {cty.NumberIntVal(2 << 30), "diskspace"},
		"nameservers": {cty.ListVal([]cty.Value{cty.StringVal("192.0.2.53")}), "nameserver"},
		"init":        {cty.ListVal([]cty.Value{cty.StringVal("/sbin/init")}), "init"},
	} {
		d := RefuseOpenVZ("vnode.a", cfg(map[string]cty.Value{attr: tc.v}), "qemu")
		if len(d) != 1 || !d.HasErrors() {
			t.Errorf("%s: want one error, got %v", attr, d)
			continue
		}
		if !d[0].Attribute.Equals(cty.GetAttrPath(attr)) || d[0].Address != "vnode.a" {
			t.Errorf("%s: the error is on %s %#v", attr, d[0].Address, d[0].Attribute)
		}
		want := tc.word + ` configures an OpenVZ container, and node "a" is of type "qemu". Remove ` + tc.word + `, or set type = "openvz".`
		if d[0].Detail != want {
			t.Errorf("%s: %q, want %q", attr, d[0].Detail, want)
		}
		if !strings.Contains(d[0].Summary, "qemu") {
			t.Errorf("%s: summary %q", attr, d[0].Summary)
		}
	}
}
