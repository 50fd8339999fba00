package hostnet

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/testenv"
	"github.com/benito-net/benito/providers"
	"github.com/vishvananda/netlink"
	"github.com/zclconf/go-cty/cty"
)

// harnessFor is a harness for experiment exp, whose run_root is a
// temporary directory.
func harnessFor(t *testing.T, exp string) *harness {
	t.Helper()
	testenv.Root(t)
	root := t.TempDir()
	p := New()
	if d := p.Configure(context.Background(), providers.ConfigureRequest{Experiment: exp, Site: map[string]string{contract.SiteRunRoot: root}}).Diagnostics; d.HasErrors() {
		t.Fatal(d.Err())
	}
	runDir := filepath.Join(root, exp)
	t.Cleanup(func() {
		p.Close()
		// What a test started outside the resources it destroys (a plug
		// started by hand) is in the experiment's groups: they go too.
		if g, err := providers.ExperimentGroup(runDir, Name); err == nil {
			if err := g.Kill(5 * time.Second); err != nil {
				t.Error(err)
			}
			g.Prune()
		}
	})
	return &harness{t: t, p: p, runDir: runDir}
}

// tryApply is harness.apply for a change that may fail: it returns the
// error instead of failing the test.
func (h *harness) tryApply(r *res, cfg cty.Value) error {
	h.t.Helper()
	ctx := context.Background()
	rs := h.p.schema.ResourceTypes[r.typ]
	prior := r.val
	if prior == cty.NilVal {
		prior = cty.NullVal(rs.ImpliedType())
	}
	pr := h.p.PlanResources(ctx, providers.PlanResourcesRequest{Changes: []providers.PlanChange{{Address: r.addr, Type: r.typ, Prior: prior, PriorPrivate: r.priv, Proposed: cfg}}})
	if pr.Diagnostics.HasErrors() {
		return pr.Diagnostics.Err()
	}
	ar := h.p.ApplyResource(ctx, providers.ApplyResourceRequest{Address: r.addr, Type: r.typ, Prior: prior, Planned: pr.Changes[0].Planned, PlannedPrivate: pr.Changes[0].PlannedPrivate})
	if ar.Diagnostics.HasErrors() {
		return ar.Diagnostics.Err()
	}
	r.val, r.priv = ar.New, ar.Private
	return nil
}

func alias(t *testing.T, dev string) string {
	t.Helper()
	l, err := netlink.LinkByName(dev)
	if err != nil {
		t.Fatal(err)
	}
	return l.Attrs().Alias
}

// TestDeviceOwners checks that every device the provider makes carries
// its experiment's alias, and that a device of another experiment under
// the same name is neither adopted nor deleted: the error names both.
func TestDeviceOwners(t *testing.T) {
	id := tag(t)
	expA, expB := "bho-a"+id, "bho-b"+id
	a, b := harnessFor(t, expA), harnessFor(t, expB)
	runA := a.runDir
	brDev, tapDev := "bhob"+id, "bhot"+id
	t.Cleanup(func() {
		for _, d := range []string{tapDev, brDev} {
			exec.Command("ip", "link", "del", d).Run()
		}
	})
	br := &res{addr: "bridge.lan", typ: contract.Bridge}
	tap := &res{addr: "tap.t", typ: contract.Tap}
	brCfg := a.config(contract.Bridge, map[string]any{"name": "lan", "device": brDev})
	tapCfg := a.config(contract.Tap, map[string]any{"name": tapDev, "bridge": brDev})
	a.apply(br, brCfg)
	a.apply(tap, tapCfg)
	if got, want := alias(t, brDev), contract.DeviceAlias(runA, "bridge.lan"); got != want {
		t.Errorf("bridge alias %q, want %q", got, want)
	}
	if got, want := alias(t, tapDev), contract.DeviceAlias(runA, "tap.t"); got != want {
		t.Errorf("TAP alias %q, want %q", got, want)
	}

	// Experiment B wants the same names (a collision): refused, naming
	// both, and nothing of A's is touched.
	// At plan, already.
	pr := b.p.PlanResources(context.Background(), providers.PlanResourcesRequest{Changes: []providers.PlanChange{
		{Address: "bridge.lan", Type: contract.Bridge, Prior: cty.NullVal(b.p.schema.ResourceTypes[contract.Bridge].ImpliedType()), Proposed: b.config(contract.Bridge, map[string]any{"name": "lan", "device": brDev})},
	}})
	if !pr.Diagnostics.HasErrors() || !strings.Contains(pr.Diagnostics.Err().Error(), `experiment "`+expA+`"`) {
		t.Errorf("B's plan: %v", pr.Diagnostics.Err())
	}
	for _, c := range []struct {
		r   *res
		cfg cty.Value
	}{
		{&res{addr: "switch.lan", typ: contract.Switch}, b.config(contract.Switch, map[string]any{"name": "lan", "kind": "bridge", "device": brDev})},
		{&res{addr: "bridge.lan", typ: contract.Bridge}, b.config(contract.Bridge, map[string]any{"name": "lan", "device": brDev})},
		{&res{addr: "tap.t", typ: contract.Tap}, b.config(contract.Tap, map[string]any{"name": tapDev})},
	} {
		err := b.tryApply(c.r, c.cfg)
		if err == nil {
			t.Fatalf("experiment B's %s took A's device", c.r.addr)
		}
		for _, want := range []string{`experiment "` + expA + `"`, `experiment "` + expB + `"`, runA} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("B's %s: the error lacks %q: %v", c.r.addr, want, err)
			}
		}
	}
	// B's state recording A's devices (tampered, or a collision of the
	// previous release): they read back as gone, and are not deleted.
	stolenBr := &res{addr: "bridge.lan", typ: contract.Bridge, val: br.val}
	stolenTap := &res{addr: "tap.t", typ: contract.Tap, val: tap.val}
	for i, v := range b.read(stolenBr, stolenTap) {
		if !v.IsNull() {
			t.Errorf("B reads A's device %d back as its own", i)
		}
	}
	resp := b.p.ReadResources(context.Background(), providers.ReadResourcesRequest{ExistenceOnly: true, Resources: []providers.ReadResource{
		{Address: "bridge.lan", Type: contract.Bridge, Current: br.val}, {Address: "tap.t", Type: contract.Tap, Current: tap.val},
	}})
	for i, r := range resp.Resources {
		if !r.New.IsNull() {
			t.Errorf("before a destroy, B finds A's device %d as its own", i)
		}
	}
	for _, r := range []*res{stolenTap, stolenBr} {
		if err := b.tryApply(r, cty.NullVal(b.p.schema.ResourceTypes[r.typ].ConfigType())); err == nil {
			t.Errorf("B deleted A's %s", r.addr)
		}
	}
	if !linkExists(brDev) || !linkExists(tapDev) {
		t.Fatal("A's devices are gone")
	}
	a.destroy(tap, br)
	if linkExists(brDev) || linkExists(tapDev) {
		t.Error("A's destroy left its devices")
	}
}

// TestRecordedDeviceNotOurs records, as a tampered state would, a device
// the experiment did not make (a bridge made here by hand, standing in
// for eth0): it reads back as gone, and a delete refuses to touch it.
func TestRecordedDeviceNotOurs(t *testing.T) {
	h := harnessFor(t, "bhn"+tag(t))
	dev := "bhn" + tag(t)
	if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: dev}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exec.Command("ip", "link", "del", dev).Run() })
	sw := &res{addr: "switch.lan", typ: contract.Switch, val: h.config(contract.Switch, map[string]any{"name": "lan", "kind": "bridge", "device": dev})}
	sw.val = cty.ObjectVal(mergeNull(h, contract.Switch, sw.val))
	if v := h.read(sw)[0]; !v.IsNull() {
		t.Error("a device the experiment did not make reads back as its own")
	}
	err := h.tryApply(sw, cty.NullVal(h.p.schema.ResourceTypes[contract.Switch].ConfigType()))
	if err == nil || !strings.Contains(err.Error(), "no one benito knows") {
		t.Errorf("deleting it: %v", err)
	}
	if !linkExists(dev) {
		t.Fatal("the device was deleted")
	}
	// Creating a resource over it is refused too.
	if err := h.tryApply(&res{addr: "bridge.x", typ: contract.Bridge}, h.config(contract.Bridge, map[string]any{"name": "x", "device": dev})); err == nil {
		t.Error("a bridge was adopted that the experiment did not make")
	}
	if a := alias(t, dev); a != "" {
		t.Errorf("the device got the alias %q", a)
	}
}

// TestPreviousDeviceNames adopts a device of the experiment's form that
// has no alias, as the previous release made them: it is the
// experiment's, gets its alias on update, and is deleted by destroy.
func TestPreviousDeviceNames(t *testing.T) {
	exp := "bhp" + tag(t)
	h := harnessFor(t, exp)
	dev := contract.DeviceTag(exp) + "-lan"
	if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: dev}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exec.Command("ip", "link", "del", dev).Run() })
	cfg := h.config(contract.Bridge, map[string]any{"name": "lan", "device": dev})
	br := &res{addr: "bridge.lan", typ: contract.Bridge, val: cty.ObjectVal(mergeNull(h, contract.Bridge, cfg))}
	if v := h.read(br)[0]; v.IsNull() {
		t.Fatal("the previous release's device reads back as gone")
	}
	h.apply(br, cfg)
	if got, want := alias(t, dev), contract.DeviceAlias(h.runDir, "bridge.lan"); got != want {
		t.Errorf("alias %q, want %q", got, want)
	}
	h.destroy(br)
	if linkExists(dev) {
		t.Error("destroy left the device")
	}
}

// mergeNull returns cfg's attributes plus null computed ones: a value of
// typ's implied type, as the state holds it.
func mergeNull(h *harness, typ string, cfg cty.Value) map[string]cty.Value {
	m := map[string]cty.Value{}
	for name, at := range h.p.schema.ResourceTypes[typ].ImpliedType().AttributeTypes() {
		if cfg.Type().HasAttribute(name) {
			m[name] = cfg.GetAttr(name)
		} else {
			m[name] = cty.NullVal(at)
		}
	}
	return m
}

// TestPlugTakesNameAfterDashes starts vde_plug2tap on a TAP whose name
// begins with '-': it must be read as the TAP's name, not as an option
// (the name "-h…" would print vde_plug2tap's help and end it).
func TestPlugTakesNameAfterDashes(t *testing.T) {
	h := newHarness(t)
	socket := h.socket("lan")
	sw := &res{addr: "switch.lan", typ: contract.Switch}
	pt := &res{addr: `port.lan["t"]`, typ: contract.Port}
	t.Cleanup(func() { h.destroy(pt, sw) })
	h.apply(sw, h.config(contract.Switch, map[string]any{"name": "lan", "kind": "vde", "ports": 4, "socket": socket}))
	h.apply(pt, h.config(contract.Port, map[string]any{"switch": "lan", "socket": socket, "number": 1}))
	tap := "-h" + tag(t)
	proc, err := h.p.startPlug(socket, 1, tap)
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Stop(0)
	if !linkExists(tap) {
		t.Errorf("the plug did not open TAP %s", tap)
	}
}
