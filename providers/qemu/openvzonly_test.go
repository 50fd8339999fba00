package qemu

import (
	"context"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
)

// TestOpenVZSettingsRefused: a QEMU node that sets any attribute that
// configures an OpenVZ container fails at plan (ValidateResources), the
// error on that attribute, naming it as the language does and the node's
// type; one that sets none (null, as lowering leaves them) passes, and its
// plan against a prior recorded with them null replaces nothing. Nothing
// here touches the host beyond a kernel file of the test's.
func TestOpenVZSettingsRefused(t *testing.T) {
	p, _ := configured(t)
	validate := func(cfg cty.Value) providers.Diagnostics {
		t.Helper()
		return p.ValidateResources(context.Background(), providers.ValidateResourcesRequest{Resources: []providers.ValidateResource{
			{Address: "vnode.vm", Type: contract.VNode, Config: cfg},
		}}).Diagnostics
	}
	if d := validate(vnode(1, nil)); d.HasErrors() {
		t.Fatalf("a QEMU node without OpenVZ settings: %v", d.Err())
	}
	for attr, tc := range map[string]struct {
		v    cty.Value
		want string
	}{
		"ctid":        {cty.NumberIntVal(101), `ctid configures an OpenVZ container, and node "vm" is of type "qemu". Remove ctid, or set type = "openvz".`},
		"hostname":    {cty.StringVal("web1"), `hostname configures an OpenVZ container, and node "vm" is of type "qemu". Remove hostname, or set type = "openvz".`},
		"diskspace":   {cty.NumberIntVal(2 << 30), `diskspace configures an OpenVZ container, and node "vm" is of type "qemu". Remove diskspace, or set type = "openvz".`},
		"nameservers": {cty.ListVal([]cty.Value{cty.StringVal("192.0.2.53")}), `nameserver configures an OpenVZ container, and node "vm" is of type "qemu". Remove nameserver, or set type = "openvz".`},
		"init":        {cty.ListVal([]cty.Value{cty.StringVal("/sbin/init")}), `init configures an OpenVZ container, and node "vm" is of type "qemu". Remove init, or set type = "openvz".`},
	} {
		d := validate(vnode(1, map[string]cty.Value{attr: tc.v}))
		if len(d) != 1 || !d.HasErrors() {
			t.Errorf("%s: want one error, got %v", attr, d)
			continue
		}
		if !d[0].Attribute.Equals(cty.GetAttrPath(attr)) || d[0].Address != "vnode.vm" {
			t.Errorf("%s: the error is on %s %#v", attr, d[0].Address, d[0].Attribute)
		}
		if d[0].Detail != tc.want {
			t.Errorf("%s: %q, want %q", attr, d[0].Detail, tc.want)
		}
	}

	prior := plannedOf(t, p, cty.NullVal(contract.ObjectType(contract.VNode)), vnode(1, nil))
	prior = providers.WithAttrs(prior, map[string]cty.Value{"pid": cty.NumberIntVal(1), "start_time": cty.NumberIntVal(1), "accelerator": cty.StringVal("tcg")})
	resp := p.PlanResources(context.Background(), providers.PlanResourcesRequest{Changes: []providers.PlanChange{
		{Address: "vnode.vm", Type: contract.VNode, Prior: prior, Proposed: proposedOf(p, prior, vnode(1, nil))},
	}})
	if err := resp.Diagnostics.Err(); err != nil {
		t.Fatal(err)
	}
	if rr := resp.Changes[0].RequiresReplace; len(rr) > 0 {
		t.Errorf("unset OpenVZ settings replace the machine: %#v", rr)
	}
}
