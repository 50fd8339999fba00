package process

import (
	"context"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
)

// TestOpenVZSettingsRefused: a process node that sets any attribute that
// configures an OpenVZ container fails at plan (ValidateResources), the
// error on that attribute, naming it as the language does and the node's
// type; with them null (as lowering leaves them) it passes, and its plan
// against a prior with them null replaces nothing. Nothing here touches
// the host.
func TestOpenVZSettingsRefused(t *testing.T) {
	p, e, rs, validate := refusing(t)
	base := e.nodeConfig("a", false)
	if d := validate(base); d.HasErrors() {
		t.Fatalf("a process node without OpenVZ settings: %v", d.Err())
	}
	for attr, tc := range map[string]struct {
		v    cty.Value
		want string
	}{
		"ctid":        {cty.NumberIntVal(101), `ctid configures an OpenVZ container, and node "a" is of type "process". Remove ctid, or set type = "openvz".`},
		"hostname":    {cty.StringVal("web1"), `hostname configures an OpenVZ container, and node "a" is of type "process". Remove hostname, or set type = "openvz".`},
		"diskspace":   {cty.NumberIntVal(2 << 30), `diskspace configures an OpenVZ container, and node "a" is of type "process". Remove diskspace, or set type = "openvz".`},
		"nameservers": {cty.ListVal([]cty.Value{cty.StringVal("192.0.2.53")}), `nameserver configures an OpenVZ container, and node "a" is of type "process". Remove nameserver, or set type = "openvz".`},
		"init":        {cty.ListVal([]cty.Value{cty.StringVal("/sbin/init")}), `init configures an OpenVZ container, and node "a" is of type "process". Remove init, or set type = "openvz".`},
	} {
		d := validate(setAttrs(base, map[string]cty.Value{attr: tc.v}))
		if len(d) != 1 || !d.HasErrors() {
			t.Errorf("%s: want one error, got %v", attr, d)
			continue
		}
		if !d[0].Attribute.Equals(cty.GetAttrPath(attr)) {
			t.Errorf("%s: the error is on %#v", attr, d[0].Attribute)
		}
		if d[0].Detail != tc.want {
			t.Errorf("%s: %q, want %q", attr, d[0].Detail, tc.want)
		}
	}

	plan := func(prior, cfg cty.Value) providers.PlannedChange {
		t.Helper()
		resp := p.PlanResources(context.Background(), providers.PlanResourcesRequest{Changes: []providers.PlanChange{{Address: "vnode.a", Type: contract.VNode, Prior: prior, Proposed: conform(rs, cfg)}}})
		if resp.Diagnostics.HasErrors() {
			t.Fatal(resp.Diagnostics.Err())
		}
		return resp.Changes[0]
	}
	created := plan(cty.NullVal(rs.ImpliedType()), base)
	if again := plan(created.Planned, base); len(again.RequiresReplace) > 0 {
		t.Errorf("unset OpenVZ settings replace the node: %#v", again.RequiresReplace)
	}
}
