package hostnet

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
	"github.com/vishvananda/netlink"
	"github.com/zclconf/go-cty/cty"
)

// hostDevices makes the host's "own" devices for a test: a veth pair (its
// ends stand for physical NICs) and a bridge, with unique names, down, all
// removed with the test. Nothing touches the host's real interfaces.
func hostDevices(t *testing.T, id string) (nic1, nic2, br string) {
	t.Helper()
	nic1, nic2, br = "bju"+id, "bjv"+id, "bjx"+id
	t.Cleanup(func() {
		for _, d := range []string{nic1, br} {
			exec.Command("ip", "link", "del", d).Run()
		}
	})
	mustRun(t, "ip", "link", "add", nic1, "type", "veth", "peer", "name", nic2)
	mustRun(t, "ip", "link", "add", br, "type", "bridge")
	return nic1, nic2, br
}

func master(t *testing.T, dev string) string {
	t.Helper()
	l, err := netlink.LinkByName(dev)
	if err != nil {
		t.Fatalf("%s: %v", dev, err)
	}
	if l.Attrs().MasterIndex == 0 {
		return ""
	}
	m, err := netlink.LinkByIndex(l.Attrs().MasterIndex)
	if err != nil {
		t.Fatal(err)
	}
	return m.Attrs().Name
}

// TestJoinHostDevices: a bridge joins an existing host bridge and takes an
// uplink, which is enslaved on apply, read back, re-enslaved after drift,
// and released on destroy; the host's devices are neither created,
// deleted nor reconfigured. A switch of kind bridge takes an uplink into
// its own bridge.
func TestJoinHostDevices(t *testing.T) {
	h := newHarness(t)
	id := tag(t)
	nic1, nic2, hostBr := hostDevices(t, id)
	ownDev := "bjs" + id
	t.Cleanup(func() { exec.Command("ip", "link", "del", ownDev).Run() })

	br := &res{addr: "bridge.lab", typ: contract.Bridge}
	brCfg := h.config(contract.Bridge, map[string]any{"name": "lab", "device": hostBr, "uplink": nic1})
	brCfg = setAttrs(brCfg, map[string]cty.Value{"existing": cty.True})
	h.apply(br, brCfg)
	if m := master(t, nic1); m != hostBr {
		t.Fatalf("uplink %s is in %q, want %s", nic1, m, hostBr)
	}
	l, _ := netlink.LinkByName(hostBr)
	if l.Attrs().Alias != "" || l.Attrs().Flags&1 != 0 {
		t.Errorf("the existing bridge was reconfigured: alias %q, flags %v", l.Attrs().Alias, l.Attrs().Flags)
	}
	if v := h.read(br)[0]; v.IsNull() || str(v, "uplink") != nic1 {
		t.Fatalf("reads back as %#v", v)
	}

	// Drift: the uplink taken out by hand reads back so, and apply puts it
	// back in place.
	mustRun(t, "ip", "link", "set", nic1, "nomaster")
	v := h.read(br)[0]
	if v.IsNull() || !v.GetAttr("uplink").IsNull() {
		t.Fatalf("uplink out of the bridge reads back as %#v", v)
	}
	br.val = v
	if rr := h.apply(br, brCfg); len(rr) != 0 {
		t.Fatalf("re-enslaving the uplink replaced the bridge: %v", rr)
	}
	if m := master(t, nic1); m != hostBr {
		t.Fatalf("uplink not back in %s: %q", hostBr, m)
	}

	// A switch of kind bridge with its own bridge and an uplink.
	sw := &res{addr: "switch.lan", typ: contract.Switch}
	h.apply(sw, h.config(contract.Switch, map[string]any{"name": "lan", "kind": "bridge", "device": ownDev, "uplink": nic2}))
	if m := master(t, nic2); m != ownDev {
		t.Fatalf("uplink %s is in %q, want %s", nic2, m, ownDev)
	}
	// Dropping the uplink releases it in place.
	if rr := h.apply(sw, h.config(contract.Switch, map[string]any{"name": "lan", "kind": "bridge", "device": ownDev})); len(rr) != 0 {
		t.Fatalf("dropping the uplink replaced the switch: %v", rr)
	}
	if m := master(t, nic2); m != "" {
		t.Fatalf("dropped uplink %s still in %q", nic2, m)
	}
	h.apply(sw, h.config(contract.Switch, map[string]any{"name": "lan", "kind": "bridge", "device": ownDev, "uplink": nic2}))

	h.destroy(sw, br)
	if linkExists(ownDev) {
		t.Errorf("the switch's own bridge %s left after destroy", ownDev)
	}
	for _, d := range []string{nic1, nic2, hostBr} {
		if !linkExists(d) {
			t.Fatalf("destroy deleted the host's %s", d)
		}
	}
	for _, d := range []string{nic1, nic2} {
		if m := master(t, d); m != "" {
			t.Errorf("uplink %s still in %s after destroy", d, m)
		}
	}
}

// TestJoinRefusedAtPlan: a missing existing bridge or uplink, a device
// that is not a bridge, or an uplink in another bridge is refused when
// planning, saying what to do, and nothing is made.
func TestJoinRefusedAtPlan(t *testing.T) {
	h := newHarness(t)
	id := tag(t)
	nic1, nic2, hostBr := hostDevices(t, id)
	mustRun(t, "ip", "link", "set", nic2, "master", hostBr)
	missing := "bjn" + id
	existing := func(dev, uplink string) cty.Value {
		m := map[string]any{"name": "lab", "device": dev}
		if uplink != "" {
			m["uplink"] = uplink
		}
		return setAttrs(h.config(contract.Bridge, m), map[string]cty.Value{"existing": cty.True})
	}
	own := func(dev, uplink string) cty.Value {
		return h.config(contract.Switch, map[string]any{"name": "lan", "kind": "bridge", "device": dev, "uplink": uplink})
	}
	for _, tc := range []struct {
		name string
		typ  string
		cfg  cty.Value
		want string
	}{
		{"missing bridge", contract.Bridge, existing(missing, ""), "the existing bridge " + missing + " is not on this host. Create it"},
		{"not a bridge", contract.Bridge, existing(nic1, ""), `existing = "` + nic1 + `" names a veth, not a bridge`},
		{"missing uplink", contract.Bridge, existing(hostBr, missing), "the uplink " + missing + " is not on this host"},
		{"uplink in another bridge", contract.Switch, own("bjs"+id, nic2), "the uplink " + nic2 + " is already in bridge " + hostBr},
		{"uplink a bridge", contract.Switch, own("bjs"+id, hostBr), "is a bridge"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := h.p.schema.ResourceTypes[tc.typ]
			pr := h.p.PlanResources(context.Background(), providers.PlanResourcesRequest{Changes: []providers.PlanChange{{
				Address: tc.typ + ".x", Type: tc.typ, Prior: cty.NullVal(rs.ImpliedType()), Proposed: tc.cfg}}})
			if !pr.Diagnostics.HasErrors() || !strings.Contains(pr.Diagnostics.Err().Error(), tc.want) {
				t.Fatalf("plan: %v, want an error saying %q", pr.Diagnostics.Err(), tc.want)
			}
		})
	}
	if linkExists(missing) || linkExists("bjs"+id) {
		t.Error("a refused plan made a device")
	}
}
