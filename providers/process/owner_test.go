package process

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

// strangerVeth makes a veth pair on the host named name (and name+"p"),
// standing in for a device benito did not make (eth0), removed at cleanup.
func strangerVeth(t *testing.T, name string) {
	t.Helper()
	if out, err := exec.Command("ip", "link", "add", name, "type", "veth", "peer", "name", name+"p").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "link", "del", name).Run() })
}

func hostDeviceOf(v cty.Value) string {
	return str(v.GetAttr("interfaces").Index(cty.NumberIntVal(0)), "host_device")
}

// withHostDevice returns node value v with its first interface's
// host_device set to dev, as a tampered state would record it.
func withHostDevice(v cty.Value, dev string) cty.Value {
	ifs := v.GetAttr("interfaces").AsValueSlice()
	m := ifs[0].AsValueMap()
	m["host_device"] = cty.StringVal(dev)
	ifs[0] = cty.ObjectVal(m)
	vm := v.AsValueMap()
	vm["interfaces"] = cty.ListVal(ifs)
	return cty.ObjectVal(vm)
}

// TestHostEndOwners checks that a node's veth host end carries the
// experiment's alias, that a device of its name made by someone else is
// neither taken over nor deleted (the error names both owners), and that
// a recorded host_device naming another's device is left alone by the
// node's delete.
func TestHostEndOwners(t *testing.T) {
	e := newEnv(t)
	br := e.bridge("o")
	e.apply(contract.VNode, "vnode.a", e.nodeConfig("a", false, ifc{name: "eth0", bridge: br, addr: "10.9.3.1/24"}))
	host := hostDeviceOf(e.state["vnode.a"])
	l, err := netlink.LinkByName(host)
	if err != nil {
		t.Fatal(err)
	}
	if want := contract.DeviceAlias(e.runDir, "node a interface eth0"); l.Attrs().Alias != want {
		t.Errorf("host end alias %q, want %q", l.Attrs().Alias, want)
	}

	// Node b's host end is taken by someone else's device.
	bcfg := e.nodeConfig("b", false, ifc{name: "eth0", bridge: br, addr: "10.9.3.2/24"})
	taken := hostDeviceOf(bcfg)
	pc := e.plan(contract.VNode, "vnode.b", bcfg)
	strangerVeth(t, taken)
	// The plan says so, and so does an apply of a plan made before.
	pr := e.p.PlanResources(context.Background(), providers.PlanResourcesRequest{Changes: []providers.PlanChange{{Address: "vnode.b", Type: contract.VNode, Prior: cty.NullVal(pc.Planned.Type()), Proposed: conform(e.p.schema.ResourceTypes[contract.VNode], bcfg)}}})
	if !pr.Diagnostics.HasErrors() || !strings.Contains(pr.Diagnostics.Err().Error(), "belongs to no one benito knows") {
		t.Errorf("plan of node b over someone else's device: %v", pr.Diagnostics.Err())
	}
	resp := e.p.ApplyResource(context.Background(), applyReq(contract.VNode, "vnode.b", cty.NullVal(pc.Planned.Type()), pc.Planned))
	if !resp.Diagnostics.HasErrors() {
		e.state["vnode.b"], e.types["vnode.b"] = resp.New, contract.VNode
		e.order = append(e.order, "vnode.b")
		t.Fatal("node b was made over someone else's device")
	}
	if err := resp.Diagnostics.Err(); !strings.Contains(err.Error(), "belongs to no one benito knows") || !strings.Contains(err.Error(), "node b interface eth0") {
		t.Errorf("the error does not name both owners: %v", err)
	}
	if !resp.New.IsNull() {
		e.state["vnode.b"], e.types["vnode.b"] = resp.New, contract.VNode
		e.order = append(e.order, "vnode.b")
	}
	if l, err := netlink.LinkByName(taken); err != nil || l.Attrs().Alias != "" {
		t.Fatalf("the stranger's device was touched: %v", err)
	}

	// A state whose node a records the stranger's device as its host end.
	e.state["vnode.a"] = withHostDevice(e.state["vnode.a"], taken)
	e.destroy("vnode.a")
	if _, err := netlink.LinkByName(taken); err != nil {
		t.Fatalf("deleting node a deleted the device its tampered state named: %v", err)
	}
	if _, err := netlink.LinkByName(host); err == nil {
		t.Errorf("node a's own host end %s is left", host)
	}
}

// TestInterfaceNamesValidated checks that the provider refuses interface
// names a node cannot have (beginning with '-', read as an option by the
// programs given it; "lo", which every namespace has) at validate time.
func TestInterfaceNamesValidated(t *testing.T) {
	e := newEnv(t)
	rs := e.p.schema.ResourceTypes[contract.VNode]
	for _, name := range []string{"-Pfile", "-d", "--help", "lo", "sit0", "eth0:1"} {
		cfg := e.nodeConfig("a", false, ifc{name: name, bridge: "bx", addr: "10.9.4.1/24"})
		d := e.p.ValidateResources(context.Background(), providers.ValidateResourcesRequest{Resources: []providers.ValidateResource{{Address: "vnode.a", Type: contract.VNode, Config: conform(rs, cfg)}}}).Diagnostics
		if !d.HasErrors() || !strings.Contains(d.Err().Error(), name) {
			t.Errorf("interface %q: %v", name, d.Err())
		}
	}
}
