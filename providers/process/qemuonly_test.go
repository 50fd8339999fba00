package process

import (
	"context"
	"strings"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// TestQEMUSettingsRefused: a process node that sets any attribute that
// configures a QEMU machine fails at plan (ValidateResources), the error
// on that attribute, naming it and the node's type; its mounts are fine,
// and a change of them alone updates the node in place, never replaces
// it. Nothing here touches the host.
func TestQEMUSettingsRefused(t *testing.T) {
	p, e, rs, validate := refusing(t)
	mounts := cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
		"source": cty.StringVal("/srv"), "target": cty.StringVal("/mnt"), "read_only": cty.True,
	})})
	base := setAttrs(e.nodeConfig("a", true), map[string]cty.Value{"mounts": mounts})
	if d := validate(base); d.HasErrors() {
		t.Fatalf("a process node with mounts: %v", d.Err())
	}
	// Lowering never sets an empty list (null instead), but one configures
	// nothing.
	if d := validate(setAttrs(base, map[string]cty.Value{"forwards": cty.ListValEmpty(contract.Forward)})); d.HasErrors() {
		t.Errorf("an empty forwards list: %v", d.Err())
	}

	forward := cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
		"protocol": cty.StringVal("tcp"), "host_address": cty.StringVal("127.0.0.1"),
		"host_port": cty.NumberIntVal(2222), "guest_port": cty.NumberIntVal(22),
	})})
	for attr, v := range map[string]cty.Value{
		"accel": cty.StringVal("tcg"), "machine": cty.StringVal("q35"), "kernel": cty.StringVal("/boot/vmlinuz"),
		"initrd": cty.StringVal("/boot/initrd.img"), "kernel_args": cty.StringVal("quiet"),
		"guest_config": cty.StringVal("share"), "forwards": forward,
	} {
		d := validate(setAttrs(base, map[string]cty.Value{attr: v}))
		if len(d) != 1 || !d.HasErrors() {
			t.Errorf("%s: want one error, got %v", attr, d)
			continue
		}
		if !d[0].Attribute.Equals(cty.GetAttrPath(attr)) {
			t.Errorf("%s: the error is on %#v", attr, d[0].Attribute)
		}
		for _, want := range []string{attr + " configures a QEMU machine", `node "a" is of type "process"`} {
			if !strings.Contains(d[0].Detail, want) {
				t.Errorf("%s: %q does not say %q", attr, d[0].Detail, want)
			}
		}
	}

	// A node planned without mounts, then with them: in place.
	plan := func(prior, cfg cty.Value) providers.PlannedChange {
		t.Helper()
		resp := p.PlanResources(context.Background(), providers.PlanResourcesRequest{Changes: []providers.PlanChange{{Address: "vnode.a", Type: contract.VNode, Prior: prior, Proposed: conform(rs, cfg)}}})
		if resp.Diagnostics.HasErrors() {
			t.Fatal(resp.Diagnostics.Err())
		}
		return resp.Changes[0]
	}
	created := plan(cty.NullVal(rs.ImpliedType()), e.nodeConfig("a", true))
	if created.Planned.GetAttr("mounts").IsKnown() && !created.Planned.GetAttr("mounts").IsNull() {
		t.Fatalf("planned mounts: %#v", created.Planned.GetAttr("mounts"))
	}
	changed := plan(created.Planned, base)
	if len(changed.RequiresReplace) > 0 {
		t.Errorf("a change of mounts replaces the process node: %#v", changed.RequiresReplace)
	}
	if !changed.Planned.GetAttr("mounts").RawEquals(mounts) {
		t.Errorf("planned mounts: %#v", changed.Planned.GetAttr("mounts"))
	}
}

// refusing is a provider configured for experiment "t", an env for its
// node configurations, the vnode's schema, and a function validating one
// configuration of vnode.a, for the tests of settings a process node
// refuses.
func refusing(t *testing.T) (*Provider, *env, *providers.ResourceSchema, func(cty.Value) providers.Diagnostics) {
	p := New()
	root := t.TempDir()
	if d := p.Configure(context.Background(), providers.ConfigureRequest{Experiment: "t", Site: map[string]string{contract.SiteRunRoot: root}}).Diagnostics; d.HasErrors() {
		t.Fatal(d.Err())
	}
	rs := p.schema.ResourceTypes[contract.VNode]
	validate := func(cfg cty.Value) providers.Diagnostics {
		t.Helper()
		return p.ValidateResources(context.Background(), providers.ValidateResourcesRequest{Resources: []providers.ValidateResource{{Address: "vnode.a", Type: contract.VNode, Config: conform(rs, cfg)}}}).Diagnostics
	}
	return p, &env{t: t, p: p, runDir: root + "/t"}, rs, validate
}
