package hostnet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/testenv"
	"github.com/benito-net/benito/internal/vdemgmt"
	"github.com/benito-net/benito/providers"
	"github.com/vishvananda/netlink"
	"github.com/zclconf/go-cty/cty"
)

func tag(t *testing.T) string {
	t.Helper()
	b := make([]byte, 3)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// harness drives one provider the way the engine does.
type harness struct {
	t      *testing.T
	p      *Provider
	runDir string // the experiment's run directory, in a temporary run_root
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	testenv.Command(t, "vde_switch", "vde2")
	return harnessFor(t, "hostnet-test")
}

// socket is the control directory of switch name, where lowering puts it.
func (h *harness) socket(name string) string {
	return filepath.Join(h.runDir, "switch", name+".ctl")
}

// res is a resource as the state holds it.
type res struct {
	addr, typ string
	val       cty.Value
	priv      []byte
}

// config builds a configuration of typ's ConfigType; missing attributes are null.
func (h *harness) config(typ string, attrs map[string]any) cty.Value {
	h.t.Helper()
	ct := h.p.schema.ResourceTypes[typ].ConfigType()
	m := map[string]cty.Value{}
	for name, at := range ct.AttributeTypes() {
		switch v := attrs[name].(type) {
		case nil:
			m[name] = cty.NullVal(at)
		case string:
			m[name] = cty.StringVal(v)
		case int:
			m[name] = cty.NumberIntVal(int64(v))
		default:
			h.t.Fatalf("attribute %s: %T", name, v)
		}
	}
	return cty.ObjectVal(m)
}

// apply validates, plans and applies one change: cfg null deletes.
func (h *harness) apply(r *res, cfg cty.Value) []cty.Path {
	h.t.Helper()
	ctx := context.Background()
	rs := h.p.schema.ResourceTypes[r.typ]
	prior := r.val
	if prior == cty.NilVal {
		prior = cty.NullVal(rs.ImpliedType())
	}
	if !cfg.IsNull() {
		if d := h.p.ValidateResources(ctx, providers.ValidateResourcesRequest{Resources: []providers.ValidateResource{{Address: r.addr, Type: r.typ, Config: cfg}}}).Diagnostics; d.HasErrors() {
			h.t.Fatalf("validate %s: %v", r.addr, d.Err())
		}
	}
	pr := h.p.PlanResources(ctx, providers.PlanResourcesRequest{Changes: []providers.PlanChange{{Address: r.addr, Type: r.typ, Prior: prior, PriorPrivate: r.priv, Proposed: cfg}}})
	if pr.Diagnostics.HasErrors() {
		h.t.Fatalf("plan %s: %v", r.addr, pr.Diagnostics.Err())
	}
	pc := pr.Changes[0]
	planned := pc.Planned
	if len(pc.RequiresReplace) > 0 {
		h.apply(r, cty.NullVal(cfg.Type()))
		prior = cty.NullVal(rs.ImpliedType())
		planned = h.p.PlanResources(ctx, providers.PlanResourcesRequest{Changes: []providers.PlanChange{{Address: r.addr, Type: r.typ, Prior: prior, Proposed: cfg}}}).Changes[0].Planned
	}
	ar := h.p.ApplyResource(ctx, providers.ApplyResourceRequest{Address: r.addr, Type: r.typ, Prior: prior, Planned: planned, PlannedPrivate: pc.PlannedPrivate})
	if ar.Diagnostics.HasErrors() {
		h.t.Fatalf("apply %s: %v", r.addr, ar.Diagnostics.Err())
	}
	if !ar.New.IsNull() && !ar.New.IsWhollyKnown() {
		h.t.Fatalf("apply %s: value not wholly known: %#v", r.addr, ar.New)
	}
	r.val, r.priv = ar.New, ar.Private
	return pc.RequiresReplace
}

// read reads resources back and returns their new values.
func (h *harness) read(rr ...*res) []cty.Value {
	h.t.Helper()
	req := providers.ReadResourcesRequest{}
	for _, r := range rr {
		req.Resources = append(req.Resources, providers.ReadResource{Address: r.addr, Type: r.typ, Current: r.val, Private: r.priv})
	}
	resp := h.p.ReadResources(context.Background(), req)
	if resp.Diagnostics.HasErrors() {
		h.t.Fatalf("read: %v", resp.Diagnostics.Err())
	}
	out := make([]cty.Value, len(rr))
	for i, x := range resp.Resources {
		out[i] = x.New
	}
	return out
}

// destroy deletes resources in the given order and checks Read sees them gone.
func (h *harness) destroy(rr ...*res) {
	h.t.Helper()
	for _, r := range rr {
		if r.val != cty.NilVal && !r.val.IsNull() {
			h.apply(r, cty.NullVal(h.p.schema.ResourceTypes[r.typ].ConfigType()))
		}
	}
}

func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// netnsWithTap makes a network namespace holding a TAP device tap0 with
// address addr, up; all removed with the test.
func netnsWithTap(t *testing.T, name, addr string) {
	t.Helper()
	mustRun(t, "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	mustRun(t, "ip", "-n", name, "tuntap", "add", "dev", "tap0", "mode", "tap")
	mustRun(t, "ip", "-n", name, "addr", "add", addr+"/24", "dev", "tap0")
	mustRun(t, "ip", "-n", name, "link", "set", "tap0", "up")
	mustRun(t, "ip", "-n", name, "link", "set", "lo", "up")
}

// plugNetns plugs tap0 of namespace ns into port of the switch at socket,
// with vde_plug2tap run inside the namespace.
func plugNetns(t *testing.T, ns, socket string, port int) daemon.Process {
	t.Helper()
	p, err := daemon.Start(daemon.Spec{Path: "nsenter", Args: []string{"--net=/run/netns/" + ns, "vde_plug2tap", "-s", socket, "-p", strconv.Itoa(port), "tap0"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(time.Second) })
	return p
}

func ping(ns, addr string) error {
	out, err := exec.Command("ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "1", addr).CombinedOutput()
	if err != nil {
		return &pingError{string(out)}
	}
	return nil
}

type pingError struct{ out string }

func (e *pingError) Error() string { return "ping failed: " + e.out }

// pingEventually pings until an answer comes (the switch learns MACs) or
// 5s pass.
func pingEventually(t *testing.T, ns, addr string) {
	t.Helper()
	var err error
	for i := 0; i < 10; i++ {
		if err = ping(ns, addr); err == nil {
			return
		}
	}
	t.Fatalf("from %s to %s: %v", ns, addr, err)
}

func linkExists(name string) bool {
	_, err := netlink.LinkByName(name)
	return err == nil
}

func TestVDESwitchPortsTaps(t *testing.T) {
	h := newHarness(t)
	id := tag(t)
	run := h.runDir
	socket := h.socket("lan")
	sw := &res{addr: "switch.lan", typ: contract.Switch}
	swCfg := h.config(contract.Switch, map[string]any{"name": "lan", "kind": "vde", "ports": 8, "socket": socket, "mode": "0770", "subnet": "10.99.0.0/24"})
	port := func(n int, node string) (*res, cty.Value) {
		return &res{addr: `port.lan["` + node + `.eth0"]`, typ: contract.Port},
			h.config(contract.Port, map[string]any{"switch": "lan", "socket": socket, "number": n, "node": node, "interface": "eth0"})
	}
	pa, pacfg := port(1, "a")
	pb, pbcfg := port(2, "b")
	pt, ptcfg := port(3, "t")
	tapName := "bht" + id
	tap := &res{addr: "tap.t", typ: contract.Tap}
	tapCfg := h.config(contract.Tap, map[string]any{"name": tapName, "switch": "lan", "socket": socket, "port": 3})
	var swPid int
	t.Cleanup(func() {
		// On failure, take down whatever is left.
		h.destroy(tap, pt, pb, pa, sw)
		if swPid != 0 {
			syscall.Kill(swPid, syscall.SIGKILL)
		}
		exec.Command("ip", "link", "del", tapName).Run()
	})

	h.apply(sw, swCfg)
	swPid = int(num(sw.val, "pid"))
	if st, err := os.Stat(filepath.Join(socket, "ctl")); err != nil || st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o770 {
		t.Fatalf("control socket: %v, %v", st.Mode(), err)
	}
	if got := str(sw.val, "management"); got != filepath.Join(run, "switch", "lan.mgmt") {
		t.Errorf("management = %q", got)
	}
	h.apply(pa, pacfg)
	h.apply(pb, pbcfg)
	h.apply(pt, ptcfg)
	h.apply(pt, ptcfg) // no-op update
	h.apply(tap, tapCfg)
	if num(tap.val, "plug_pid") == 0 {
		t.Fatal("no plug_pid")
	}
	for i, v := range h.read(sw, pa, pb, pt, tap) {
		if v.IsNull() {
			t.Fatalf("read %d: gone right after create", i)
		}
	}

	// Two namespaces joined through the switch.
	nsA, nsB := "bht-a"+id, "bht-b"+id
	netnsWithTap(t, nsA, "10.99.0.1")
	netnsWithTap(t, nsB, "10.99.0.2")
	plugNetns(t, nsA, socket, 1)
	plugNetns(t, nsB, socket, 2)
	pingEventually(t, nsA, "10.99.0.2")

	// In place: more ports, another mode.
	swCfg2 := h.config(contract.Switch, map[string]any{"name": "lan", "kind": "vde", "ports": 16, "socket": socket, "mode": "0700", "subnet": "10.99.0.0/24"})
	if rr := h.apply(sw, swCfg2); len(rr) != 0 {
		t.Fatalf("ports and mode change replaced the switch: %v", rr)
	}
	if int(num(sw.val, "pid")) != swPid {
		t.Fatal("switch restarted by an in-place update")
	}
	if st, _ := os.Stat(filepath.Join(socket, "ctl")); st.Mode().Perm() != 0o700 {
		t.Errorf("mode after update: %v", st.Mode())
	}
	pingEventually(t, nsA, "10.99.0.2")

	// Drift: the tap's plug dies.
	plug, _ := decodePrivate(tap.priv)
	plug.Stop(0)
	if v := h.read(tap)[0]; !v.IsNull() {
		t.Fatal("tap with a dead plug reads back as present")
	}
	h.apply(tap, tapCfg) // repair: a create over the existing device
	if v := h.read(tap)[0]; v.IsNull() {
		t.Fatal("repaired tap reads back as gone")
	}
	// Drift: the TAP deleted by hand.
	mustRun(t, "ip", "link", "del", tapName)
	if v := h.read(tap)[0]; !v.IsNull() {
		t.Fatal("deleted tap reads back as present")
	}
	plug, _ = decodePrivate(tap.priv)
	plug.Stop(time.Second)
	tap.val, tap.priv = cty.NilVal, nil
	h.apply(tap, tapCfg)

	// Drift: a port removed by hand.
	pd, pdcfg := port(4, "d")
	h.apply(pd, pdcfg)
	if err := h.p.withMgmt(mgmtPath(socket), func(c *vdemgmt.Conn) error { _, err := c.Do("port/remove 4"); return err }); err != nil {
		t.Fatal(err)
	}
	if v := h.read(pa, pd); v[0].IsNull() || !v[1].IsNull() {
		t.Errorf("after removing port 4 by hand, ports 1 and 4 read back as %#v", v)
	}
	// Drift: the switch killed.
	syscall.Kill(swPid, syscall.SIGKILL)
	deadline := time.Now().Add(5 * time.Second)
	for p, _ := daemon.FromPid(swPid); p.Alive() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	got := h.read(sw, pa, pb, pt)
	for i, v := range got {
		if !v.IsNull() {
			t.Errorf("read %d after the switch died: still present", i)
		}
	}
	if err := ping(nsA, "10.99.0.2"); err == nil {
		t.Error("ping crosses a dead switch")
	}
	// Repair: re-create the switch over its remains, and its ports.
	sw.val, sw.priv = cty.NilVal, nil
	h.apply(sw, swCfg2)
	swPid = int(num(sw.val, "pid"))
	for _, r := range []*res{pa, pb, pt} {
		r.val = cty.NilVal
	}
	h.apply(pa, pacfg)
	h.apply(pb, pbcfg)
	h.apply(pt, ptcfg)
	if v := h.read(tap)[0]; !v.IsNull() {
		t.Error("tap whose switch died reads back as present")
	}
	tap.val, tap.priv = cty.NilVal, nil
	h.apply(tap, tapCfg)

	// Destroy: nothing left.
	plug, _ = decodePrivate(tap.priv)
	gone := []res{*tap, *pt, *sw}
	h.destroy(tap, pt, pb, pa, sw)
	if linkExists(tapName) {
		t.Error("tap left after destroy")
	}
	if plug.Alive() {
		t.Error("vde_plug2tap left after destroy")
	}
	if p, err := daemon.FromPid(swPid); err == nil && p.Alive() {
		t.Error("vde_switch left after destroy")
	}
	if _, err := os.Stat(filepath.Join(run, "switch")); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(filepath.Join(run, "switch"))
		t.Errorf("switch directory left after destroy: %v", entries)
	}
	h.deleteAgain(gone)
}

// deleteAgain deletes resources already deleted: no error.
func (h *harness) deleteAgain(rr []res) {
	h.t.Helper()
	for _, r := range rr {
		ar := h.p.ApplyResource(context.Background(), providers.ApplyResourceRequest{Address: r.addr, Type: r.typ,
			Prior: r.val, Planned: cty.NullVal(r.val.Type()), PlannedPrivate: r.priv})
		if ar.Diagnostics.HasErrors() || !ar.New.IsNull() {
			h.t.Errorf("deleting %s again: %v", r.addr, ar.Diagnostics.Err())
		}
	}
}

func TestBridgeSwitchAndTaps(t *testing.T) {
	h := newHarness(t)
	id := tag(t)
	swDev, brDev, tapDev := "bhs"+id, "bhb"+id, "bhp"+id
	t.Cleanup(func() {
		for _, d := range []string{tapDev, swDev, brDev} {
			exec.Command("ip", "link", "del", d).Run()
		}
	})
	sw := &res{addr: "switch.lan", typ: contract.Switch}
	br := &res{addr: "bridge.ctl", typ: contract.Bridge}
	tap := &res{addr: "tap.t", typ: contract.Tap}
	h.apply(sw, h.config(contract.Switch, map[string]any{"name": "lan", "kind": "bridge", "device": swDev}))
	h.apply(br, h.config(contract.Bridge, map[string]any{"name": "ctl", "device": brDev}))
	tapCfg := h.config(contract.Tap, map[string]any{"name": tapDev, "bridge": swDev, "owner": "0", "group": "root"})
	h.apply(tap, tapCfg)
	l, err := netlink.LinkByName(tapDev)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := netlink.LinkByName(swDev)
	if l.Attrs().MasterIndex != s.Attrs().Index {
		t.Fatal("tap not enslaved to the switch's bridge")
	}
	if tt := l.(*netlink.Tuntap); tt.Owner != 0 || tt.Group != 0 {
		t.Errorf("owner %d group %d", tt.Owner, tt.Group)
	}
	if s.Attrs().OperState == netlink.OperDown && s.Attrs().Flags&1 == 0 {
		t.Error("bridge not up")
	}

	// Drift: the tap moved off its bridge by hand reads back so; update
	// moves it back in place.
	netlink.LinkSetNoMaster(l)
	v := h.read(tap)[0]
	if v.IsNull() || !v.GetAttr("bridge").IsNull() {
		t.Fatalf("tap off its bridge reads back as %#v", v)
	}
	tap.val = v
	if rr := h.apply(tap, tapCfg); len(rr) != 0 {
		t.Fatalf("re-enslaving replaced the tap: %v", rr)
	}
	l, _ = netlink.LinkByName(tapDev)
	if l.Attrs().MasterIndex != s.Attrs().Index {
		t.Fatal("tap not back on the bridge")
	}
	// Moving it to the other bridge is in place too.
	tapCfg2 := h.config(contract.Tap, map[string]any{"name": tapDev, "bridge": brDev, "owner": "0", "group": "root"})
	if rr := h.apply(tap, tapCfg2); len(rr) != 0 {
		t.Fatalf("moving the tap replaced it: %v", rr)
	}
	b, _ := netlink.LinkByName(brDev)
	l, _ = netlink.LinkByName(tapDev)
	if l.Attrs().MasterIndex != b.Attrs().Index {
		t.Fatal("tap not on the other bridge")
	}

	// Import adopts the bridge and the tap.
	imp := h.p.ImportResource(context.Background(), providers.ImportResourceRequest{Address: "bridge.x", Type: contract.Bridge, ID: brDev})
	if imp.Diagnostics.HasErrors() || str(imp.New, "device") != brDev {
		t.Errorf("import bridge: %v %#v", imp.Diagnostics.Err(), imp.New)
	}
	imp = h.p.ImportResource(context.Background(), providers.ImportResourceRequest{Address: "tap.x", Type: contract.Tap, ID: tapDev})
	if imp.Diagnostics.HasErrors() || str(imp.New, "bridge") != brDev {
		t.Errorf("import tap: %v %#v", imp.Diagnostics.Err(), imp.New)
	}

	// Drift: the bridge deleted by hand.
	netlink.LinkDel(s)
	if v := h.read(sw)[0]; !v.IsNull() {
		t.Error("deleted bridge switch reads back as present")
	}
	sw.val = cty.NilVal
	h.apply(sw, h.config(contract.Switch, map[string]any{"name": "lan", "kind": "bridge", "device": swDev}))

	gone := []res{*tap, *br, *sw}
	h.destroy(tap, br, sw)
	h.deleteAgain(gone)
	for _, d := range []string{tapDev, swDev, brDev} {
		if linkExists(d) {
			t.Errorf("%s left after destroy", d)
		}
	}
}

// TestVDETapOnBridge is the ctys-setupVDE layout: a TAP plugged into a VDE
// switch and enslaved to a bridge, so the bridge's side reaches the VDE
// side.
func TestVDETapOnBridge(t *testing.T) {
	h := newHarness(t)
	id := tag(t)
	socket := h.socket("v")
	brDev, tapDev, nsA, nsB := "bhb"+id, "bht"+id, "bht-a"+id, "bht-b"+id
	sw := &res{addr: "switch.v", typ: contract.Switch}
	pt := &res{addr: `port.v["tap.t"]`, typ: contract.Port}
	br := &res{addr: "bridge.b", typ: contract.Bridge}
	tap := &res{addr: "tap.t", typ: contract.Tap}
	t.Cleanup(func() {
		h.destroy(tap, br, pt, sw)
		exec.Command("ip", "link", "del", tapDev).Run()
		exec.Command("ip", "link", "del", brDev).Run()
	})
	h.apply(sw, h.config(contract.Switch, map[string]any{"name": "v", "kind": "vde", "ports": 4, "socket": socket}))
	h.apply(pt, h.config(contract.Port, map[string]any{"switch": "v", "socket": socket, "number": 1}))
	h.apply(br, h.config(contract.Bridge, map[string]any{"name": "b", "device": brDev}))
	h.apply(tap, h.config(contract.Tap, map[string]any{"name": tapDev, "switch": "v", "socket": socket, "port": 1, "bridge": brDev}))

	// A: on the VDE switch (port 2). B: on the bridge, by a veth.
	netnsWithTap(t, nsA, "10.98.0.1")
	plugNetns(t, nsA, socket, 2)
	mustRun(t, "ip", "netns", "add", nsB)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", nsB).Run() })
	mustRun(t, "ip", "link", "add", "bhv"+id, "master", brDev, "up", "type", "veth", "peer", "name", "eth0", "netns", nsB)
	t.Cleanup(func() { exec.Command("ip", "link", "del", "bhv"+id).Run() })
	mustRun(t, "ip", "-n", nsB, "addr", "add", "10.98.0.2/24", "dev", "eth0")
	mustRun(t, "ip", "-n", nsB, "link", "set", "eth0", "up")
	pingEventually(t, nsA, "10.98.0.2")

	h.destroy(tap, br, pt, sw)
	if linkExists(tapDev) || linkExists(brDev) {
		t.Error("devices left after destroy")
	}
}

// TestValidate checks validate, which is pure: it needs no root, no
// configured provider, and runs everywhere.
func TestValidate(t *testing.T) {
	h := &harness{t: t, p: New()} // only for config, which needs the schema
	cases := []struct {
		typ   string
		attrs map[string]any
		want  string
	}{
		{contract.Switch, map[string]any{"name": "x", "kind": "hub"}, "Invalid switch kind"},
		{contract.Switch, map[string]any{"name": "x", "kind": "vde"}, "VDE switch without a socket"},
		{contract.Switch, map[string]any{"name": "x", "kind": "vde", "socket": "rel/x.ctl"}, "Invalid VDE socket path"},
		{contract.Switch, map[string]any{"name": "x", "kind": "vde", "socket": "/x.ctl", "mode": "0999"}, "Invalid socket mode"},
		{contract.Switch, map[string]any{"name": "x", "kind": "vde", "socket": "/x.ctl", "group": "no-such-group-bnt"}, "Unknown group"},
		{contract.Switch, map[string]any{"name": "x", "kind": "bridge", "device": "a-name-much-too-long"}, "Invalid device name"},
		{contract.Port, map[string]any{"switch": "x", "socket": "/x.ctl", "number": 0}, "Invalid port number"},
		{contract.Tap, map[string]any{"name": "t", "socket": "/x.ctl"}, "Incomplete VDE attachment"},
		{contract.Tap, map[string]any{"name": "-Pfile"}, "Invalid device name"},
		{contract.Bridge, map[string]any{"name": "b", "device": "br%d"}, "Invalid device name"},
		{contract.Tap, map[string]any{"name": "t", "owner": "no-such-user-bnt"}, "Unknown user"},
	}
	for _, c := range cases {
		d := validate("x.y", c.typ, h.config(c.typ, c.attrs))
		if len(d) != 1 || d[0].Summary != c.want || d[0].Address != "x.y" {
			t.Errorf("%s %v: got %v, want one %q", c.typ, c.attrs, d, c.want)
		}
	}
}

// TestPortInUse deletes a port while something is still plugged into it,
// as when the switch has not yet noticed (or never notices) that a node's
// plug died: the delete closes the endpoint and removes the port. The
// endpoint's ID is past 7: vde_switch lists IDs with leading zeros and
// reads them back in octal if they keep them.
func TestPortInUse(t *testing.T) {
	h := newHarness(t)
	socket := h.socket("lan")
	sw := &res{addr: "switch.lan", typ: contract.Switch}
	pt := &res{addr: `port.lan["x.eth0"]`, typ: contract.Port}
	t.Cleanup(func() { h.destroy(pt, sw) })
	h.apply(sw, h.config(contract.Switch, map[string]any{"name": "lan", "kind": "vde", "ports": 8, "socket": socket, "mode": "0770", "subnet": "10.98.0.0/24"}))
	h.apply(pt, h.config(contract.Port, map[string]any{"switch": "lan", "socket": socket, "number": 5, "node": "x", "interface": "eth0"}))
	// A plug on each of ports 1 to 12, kept plugged in: the switch gives
	// their endpoints IDs up past 7.
	for port := 1; port <= 12; port++ {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("vde_plug", "vde://"+socket+"["+strconv.Itoa(port)+"]")
		cmd.Stdin = r
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r.Close()
		t.Cleanup(func() { w.Close(); cmd.Process.Kill(); cmd.Wait() })
	}
	// Wait for port 5's endpoint; its ID must be past 7 for the test to
	// mean anything.
	var id int
	for deadline := time.Now().Add(5 * time.Second); id == 0; time.Sleep(5 * time.Millisecond) {
		h.p.withMgmt(mgmtPath(socket), func(c *vdemgmt.Conn) error {
			lines, err := c.Do("port/allprint 5")
			for _, p := range parsePorts(lines) {
				for _, ep := range p.Endpoints {
					if f := strings.Fields(ep); len(f) >= 4 {
						id, _ = strconv.Atoi(f[3])
					}
				}
			}
			return err
		})
		if time.Now().After(deadline) {
			t.Fatal("no plug on port 5")
		}
	}
	if id < 8 {
		t.Skipf("port 5's endpoint has ID %d: the test needs one past 7", id)
	}
	h.destroy(pt)
	h.p.withMgmt(mgmtPath(socket), func(c *vdemgmt.Conn) error {
		if _, err := c.Do("port/print 5"); !vdemgmt.IsCode(err, vdemgmt.ENXIO) {
			t.Errorf("port 5 still there after its delete: %v", err)
		}
		return nil
	})
}
