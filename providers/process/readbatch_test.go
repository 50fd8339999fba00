package process

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// readAll reads addrs back in one request, as the engine does, and returns
// what it read, by address.
func (e *env) readAll(addrs ...string) map[string]cty.Value {
	e.t.Helper()
	req := providers.ReadResourcesRequest{}
	for _, a := range addrs {
		req.Resources = append(req.Resources, providers.ReadResource{Address: a, Type: e.types[a], Current: e.state[a], Private: e.priv[a]})
	}
	resp := e.p.ReadResources(context.Background(), req)
	if resp.Diagnostics.HasErrors() {
		e.t.Fatalf("read %v: %v", addrs, resp.Diagnostics.Err())
	}
	got := map[string]cty.Value{}
	for i, a := range addrs {
		got[a] = resp.Resources[i].New
	}
	return got
}

// TestReadBatched checks that the resources of several nodes read in one
// request (each node looked at once: nodeReads) read back as each does
// alone, and that what was changed by hand in one node shows in that
// node's resources only: forwarding, a route, a mount, an address.
func TestReadBatched(t *testing.T) {
	e := newEnv(t)
	br := e.bridge("b")
	src := t.TempDir()
	target := filepath.Join(t.TempDir(), "m")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []struct{ name, addr string }{{"a", "10.9.7.1/24"}, {"b", "10.9.7.2/24"}} {
		e.apply(contract.VNode, "vnode."+n.name, e.nodeConfig(n.name, true, ifc{name: "eth0", bridge: br, addr: n.addr}))
		e.apply(contract.Route, "route."+n.name+`["10.9.8.0/24"]`, routeConfig(n.name, "10.9.8.0/24", "10.9.7.9"))
		e.apply(contract.Route, "route."+n.name+`["10.9.9.0/24"]`, routeConfig(n.name, "10.9.9.0/24", "10.9.7.9"))
		e.apply(contract.Mount, "mount."+n.name+`["m"]`, mountConfig(n.name, src, target, false))
	}
	addrs := []string{
		`mount.a["m"]`, `mount.b["m"]`,
		`route.a["10.9.8.0/24"]`, `route.a["10.9.9.0/24"]`, `route.b["10.9.8.0/24"]`, `route.b["10.9.9.0/24"]`,
		"vnode.a", "vnode.b",
	}
	same := func(when string) map[string]cty.Value {
		t.Helper()
		before := map[string]cty.Value{}
		for _, a := range addrs {
			before[a] = e.state[a]
		}
		batch := e.readAll(addrs...)
		for _, a := range addrs {
			alone := e.read(a)
			if !batch[a].RawEquals(alone) {
				t.Errorf("%s: %s read in a batch as %#v, alone as %#v", when, a, batch[a], alone)
			}
			e.state[a] = before[a]
		}
		return batch
	}
	for a, v := range same("unchanged") {
		if !v.RawEquals(e.state[a]) {
			t.Errorf("unchanged %s read back as %#v, recorded %#v", a, v, e.state[a])
		}
	}

	// By hand in node a: forwarding on, a route gone, another MAC address,
	// the mount remounted read-only.
	for _, args := range [][]string{
		{"sysctl", "-w", "net.ipv4.ip_forward=1"},
		{"ip", "route", "del", "10.9.9.0/24"},
		{"ip", "link", "set", "eth0", "address", "02:00:00:00:00:0a"},
		{"mount", "-o", "remount,bind,ro", target},
	} {
		if out, err := e.run("a", args...); err != nil {
			t.Fatalf("%v: %v: %s", args, err, out)
		}
	}
	got := same("changed by hand")
	if v := got["vnode.a"]; v.IsNull() || !v.GetAttr("ip_forward").True() {
		t.Errorf("node a with forwarding turned on read back as %#v", v)
	}
	if ifs := got["vnode.a"].GetAttr("interfaces"); ifs.LengthInt() != 1 || ifs.Index(cty.NumberIntVal(0)).GetAttr("mac_address").AsString() != "02:00:00:00:00:0a" {
		t.Errorf("node a's interface with another MAC address read back as %#v", ifs)
	}
	if v := got[`route.a["10.9.9.0/24"]`]; !v.IsNull() {
		t.Errorf("a route deleted by hand read back as %#v", v)
	}
	if v := got[`mount.a["m"]`]; v.IsNull() || !v.GetAttr("read_only").True() {
		t.Errorf("a mount remounted read-only read back as %#v", v)
	}
	for _, a := range []string{"vnode.b", `route.b["10.9.9.0/24"]`, `route.a["10.9.8.0/24"]`, `mount.b["m"]`} {
		if !got[a].RawEquals(e.state[a]) {
			t.Errorf("%s, untouched, read back as %#v, recorded %#v", a, got[a], e.state[a])
		}
	}
	// Forwarding off again reads back off.
	if out, err := e.run("a", "sysctl", "-w", "net.ipv4.ip_forward=0"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if v := e.readAll("vnode.a")["vnode.a"]; v.GetAttr("ip_forward").True() {
		t.Errorf("node a with forwarding turned off read back as %#v", v)
	}
}
