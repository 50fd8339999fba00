package process

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/shaping"
	"github.com/vishvananda/netlink"
	"github.com/zclconf/go-cty/cty"
)

// checkGone fails unless node's holder, devices and files are gone.
func (e *env) checkGone(v cty.Value) {
	e.t.Helper()
	h := holderOf(v)
	if h.Alive() {
		e.t.Errorf("holder %d still alive", h.Pid)
	}
	n, _ := decodeNode(v)
	for _, f := range n.Ifaces {
		if _, err := netlink.LinkByName(f.HostDevice); err == nil {
			e.t.Errorf("host device %s still there", f.HostDevice)
		}
	}
	if _, err := os.Stat(nodeDir(n.RunDir, n.Name)); err == nil {
		e.t.Errorf("node directory %s still there", nodeDir(n.RunDir, n.Name))
	}
}

func TestTwoNodesOnABridge(t *testing.T) {
	e := newEnv(t)
	br := e.bridge("a")
	a := e.nodeConfig("a", false, ifc{name: "eth0", bridge: br, addr: "10.9.0.1/24"})
	b := e.nodeConfig("b", false, ifc{name: "eth0", bridge: br, addr: "10.9.0.2/24"})
	e.apply(contract.VNode, "vnode.a", a)
	e.apply(contract.VNode, "vnode.b", b)
	e.mustPing("a", "10.9.0.2")
	e.mustPing("b", "10.9.0.1")
	if out, err := e.run("a", "hostname"); err != nil || strings.TrimSpace(out) != "a" {
		t.Errorf("hostname in a = %q, %v", out, err)
	}
	// The node's eth0 is its own: the host's is untouched.
	if out, err := e.run("a", "ip", "-o", "link", "show", "eth0"); err != nil || !strings.Contains(out, "link/ether "+str(e.state["vnode.a"].GetAttr("interfaces").Index(cty.NumberIntVal(0)), "mac_address")) {
		t.Errorf("MAC in a = %q, %v", out, err)
	}
	// One queue each way on both ends of the veth (newVeth's oneQueue).
	if out, err := e.run("a", "ip", "-d", "-o", "link", "show", "eth0"); err != nil || !strings.Contains(out, "numtxqueues 1 ") || !strings.Contains(out, "numrxqueues 1 ") {
		t.Errorf("queues of a's eth0: %q, %v", out, err)
	}
	host := str(e.state["vnode.a"].GetAttr("interfaces").Index(cty.NumberIntVal(0)), "host_device")
	if l, err := netlink.LinkByName(host); err != nil || l.Attrs().NumTxQueues != 1 || l.Attrs().NumRxQueues != 1 {
		t.Errorf("queues of the host end %s: %v", host, err)
	}
	// Read of an untouched node is what was applied: no drift.
	before := e.state["vnode.a"]
	if got := e.read("vnode.a"); !got.RawEquals(before) {
		t.Errorf("read back %#v\nwant %#v", got, before)
	}
	va, vb := e.state["vnode.a"], e.state["vnode.b"]
	e.destroy("vnode.a")
	e.destroy("vnode.b")
	e.checkGone(va)
	e.checkGone(vb)
	if _, err := os.Stat(e.runDir); err == nil {
		entries, _ := os.ReadDir(e.runDir)
		t.Errorf("run directory left behind: %v", entries)
	}
	// Deleting again is no error.
	e.do(contract.VNode, "vnode.a", va, cty.NullVal(va.Type()))
}

func TestRouterBetweenTwoBridges(t *testing.T) {
	e := newEnv(t)
	b1, b2 := e.bridge("l"), e.bridge("r")
	e.apply(contract.VNode, "vnode.a", e.nodeConfig("a", false, ifc{name: "eth0", bridge: b1, addr: "10.9.1.2/24"}))
	e.apply(contract.VNode, "vnode.r", e.nodeConfig("r", false,
		ifc{name: "eth0", bridge: b1, addr: "10.9.1.1/24"},
		ifc{name: "eth1", bridge: b2, addr: "10.9.2.1/24"}))
	e.apply(contract.VNode, "vnode.b", e.nodeConfig("b", false, ifc{name: "eth0", bridge: b2, addr: "10.9.2.2/24"}))
	e.apply(contract.Route, `route.a["10.9.2.0/24"]`, routeConfig("a", "10.9.2.0/24", "10.9.1.1"))
	e.apply(contract.Route, `route.b["10.9.1.0/24"]`, routeConfig("b", "10.9.1.0/24", "10.9.2.1"))
	e.mustPing("a", "10.9.2.2")
	if got := e.read(`route.a["10.9.2.0/24"]`); got.IsNull() || str(got, "gateway") != "10.9.1.1" {
		t.Errorf("route read back as %#v", got)
	}
	// A route deleted by hand reads as gone, and apply puts it back.
	e.run("a", "ip", "route", "del", "10.9.2.0/24")
	if got := e.read(`route.a["10.9.2.0/24"]`); !got.IsNull() {
		t.Fatalf("a deleted route read back as %#v", got)
	}
	e.apply(contract.Route, `route.a["10.9.2.0/24"]`, routeConfig("a", "10.9.2.0/24", "10.9.1.1"))
	e.mustPing("a", "10.9.2.2")
	// A gateway change is an update in place.
	if pc := e.plan(contract.Route, `route.a["10.9.2.0/24"]`, routeConfig("a", "10.9.2.0/24", "10.9.1.3")); len(pc.RequiresReplace) != 0 {
		t.Errorf("gateway change replaces: %v", pc.RequiresReplace)
	}
	if out, _ := e.run("r", "sysctl", "-n", "net.ipv4.ip_forward"); strings.TrimSpace(out) != "1" {
		t.Errorf("router forwarding = %q", out)
	}
}

func TestShapingInPlace(t *testing.T) {
	e := newEnv(t)
	br := e.bridge("s")
	e.apply(contract.VNode, "vnode.b", e.nodeConfig("b", false, ifc{name: "eth0", bridge: br, addr: "10.9.3.2/24"}))
	netem, err := shaping.NetemAvailable()
	if err != nil {
		t.Fatal(err)
	}
	if !netem {
		// This kernel shapes capacity only: check that a capacity change
		// is made in place instead.
		t.Log("no netem on this kernel: checking capacity instead of latency")
		a := func(capacity int64) cty.Value {
			v := e.nodeConfig("a", false, ifc{name: "eth0", bridge: br, addr: "10.9.3.1/24"})
			f := v.GetAttr("interfaces").Index(cty.NumberIntVal(0))
			f = setAttrs(f, map[string]cty.Value{"capacity": cty.NumberIntVal(capacity)})
			return setAttrs(v, map[string]cty.Value{"interfaces": cty.ListVal([]cty.Value{f})})
		}
		e.apply(contract.VNode, "vnode.a", a(8_000_000))
		pid := num(e.state["vnode.a"], "pid")
		e.mustPing("a", "10.9.3.2")
		if pc := e.apply(contract.VNode, "vnode.a", a(16_000_000)); len(pc.RequiresReplace) != 0 {
			t.Fatalf("a capacity change replaces the node: %v", pc.RequiresReplace)
		}
		if got := num(e.state["vnode.a"], "pid"); got != pid {
			t.Errorf("holder changed on update: %d -> %d", pid, got)
		}
		if out, _ := e.run("a", "tc", "qdisc", "show", "dev", "eth0"); !strings.Contains(out, "tbf") || !strings.Contains(out, "16Mbit") {
			t.Errorf("qdisc after update: %s", out)
		}
		if got := e.read("vnode.a"); !got.RawEquals(e.state["vnode.a"]) {
			t.Errorf("shaped node reads back changed: %#v", got.GetAttr("interfaces"))
		}
		e.run("a", "tc", "qdisc", "del", "dev", "eth0", "root")
		if got := e.read("vnode.a"); !got.GetAttr("interfaces").Index(cty.NumberIntVal(0)).GetAttr("capacity").IsNull() {
			t.Errorf("removed shaping read back as %#v", got.GetAttr("interfaces"))
		}
		return
	}
	e.apply(contract.VNode, "vnode.a", e.nodeConfig("a", false, ifc{name: "eth0", bridge: br, addr: "10.9.3.1/24", latency: "50ms"}))
	e.mustPing("a", "10.9.3.2") // ARP
	if rtt := e.mustPing("a", "10.9.3.2"); rtt < 50*time.Millisecond || rtt > 90*time.Millisecond {
		t.Errorf("RTT with 50ms latency = %v", rtt)
	}
	pid := num(e.state["vnode.a"], "pid")
	pc := e.apply(contract.VNode, "vnode.a", e.nodeConfig("a", false, ifc{name: "eth0", bridge: br, addr: "10.9.3.1/24", latency: "10ms"}))
	if len(pc.RequiresReplace) != 0 {
		t.Fatalf("a latency change replaces the node: %v", pc.RequiresReplace)
	}
	if got := num(e.state["vnode.a"], "pid"); got != pid {
		t.Errorf("holder changed on update: %d -> %d", pid, got)
	}
	if rtt := e.mustPing("a", "10.9.3.2"); rtt < 10*time.Millisecond || rtt > 40*time.Millisecond {
		t.Errorf("RTT with 10ms latency = %v", rtt)
	}
	// Shaping changed by hand reads back as drift.
	e.run("a", "tc", "qdisc", "del", "dev", "eth0", "root")
	if got := e.read("vnode.a"); str(got.GetAttr("interfaces").Index(cty.NumberIntVal(0)), "latency") != "" {
		t.Errorf("removed shaping read back as %#v", got.GetAttr("interfaces"))
	}
}

func TestDrift(t *testing.T) {
	e := newEnv(t)
	br := e.bridge("d")
	a := e.nodeConfig("a", false, ifc{name: "eth0", bridge: br, addr: "10.9.4.1/24"})
	e.apply(contract.VNode, "vnode.a", a)
	e.apply(contract.VNode, "vnode.b", e.nodeConfig("b", false, ifc{name: "eth0", bridge: br, addr: "10.9.4.2/24"}))

	// A host veth deleted by hand: the interface reads as missing, the
	// plan is an update in place, and apply repairs it.
	dev := "v" + e.tag + "a0"
	l, err := netlink.LinkByName(dev)
	if err != nil {
		t.Fatal(err)
	}
	netlink.LinkDel(l)
	got := e.read("vnode.a")
	if got.IsNull() || got.GetAttr("interfaces").LengthInt() != 0 {
		t.Fatalf("after deleting %s, read %#v", dev, got)
	}
	pc := e.apply(contract.VNode, "vnode.a", a)
	if len(pc.RequiresReplace) != 0 {
		t.Errorf("repair replaces: %v", pc.RequiresReplace)
	}
	e.mustPing("a", "10.9.4.2")

	// A killed holder: the node reads as gone, and apply re-creates it.
	syscall.Kill(int(num(e.state["vnode.a"], "pid")), syscall.SIGKILL)
	waitDead(t, holderOf(e.state["vnode.a"]))
	if got := e.read("vnode.a"); !got.IsNull() {
		t.Fatalf("a killed node read back as %#v", got)
	}
	// The engine deletes nothing it read as gone; the veth of the dead
	// namespace may linger a moment, which create must survive.
	e.apply(contract.VNode, "vnode.a", a)
	e.mustPing("a", "10.9.4.2")
}

func waitDead(t *testing.T, h holder) {
	t.Helper()
	for i := 0; i < 200 && h.Alive(); i++ {
		time.Sleep(5 * time.Millisecond)
	}
	if h.Alive() {
		t.Fatalf("pid %d did not die", h.Pid)
	}
}

func TestMountAndStartup(t *testing.T) {
	e := newEnv(t)
	src, dst := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "hello"), []byte("from the host\n"), 0o644)
	e.apply(contract.VNode, "vnode.m", e.nodeConfig("m", true))
	mount := cty.ObjectVal(map[string]cty.Value{
		"node":      cty.StringVal("m"),
		"node_type": cty.StringVal("process"),
		"source":    cty.StringVal(src),
		"target":    cty.StringVal(dst),
		"read_only": cty.True,
	})
	e.apply(contract.Mount, `mount.m["`+dst+`"]`, mount)
	if out, err := e.run("m", "cat", filepath.Join(dst, "hello")); err != nil || out != "from the host\n" {
		t.Errorf("cat in node = %q, %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(dst, "hello")); err == nil {
		t.Errorf("the node's mount is visible on the host")
	}
	if out, err := e.run("m", "touch", filepath.Join(dst, "x")); err == nil {
		t.Errorf("read-only mount is writable: %s", out)
	}
	if got := e.read(`mount.m["` + dst + `"]`); !got.RawEquals(e.state[`mount.m["`+dst+`"]`]) || got.IsNull() {
		t.Errorf("mount read back as %#v", got)
	}

	log := filepath.Join(e.runDir, "log", "m.startup.log")
	startup := cty.ObjectVal(map[string]cty.Value{
		"node":    cty.StringVal("m"),
		"command": cty.StringVal("hostname; cat " + filepath.Join(dst, "hello") + "; exec sleep 60"),
		"log":     cty.StringVal(log),
	})
	e.apply(contract.Startup, "startup.m", startup)
	var out []byte
	for i := 0; i < 200; i++ {
		if out, _ = os.ReadFile(log); strings.Count(string(out), "\n") >= 2 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if string(out) != "m\nfrom the host\n" {
		t.Errorf("startup log = %q", out)
	}
	sp := processOf(e.state["startup.m"])
	// Destroying the node kills what runs in it, startup included.
	v := e.state["vnode.m"]
	e.destroy(`mount.m["` + dst + `"]`)
	e.destroy("vnode.m")
	e.checkGone(v)
	waitDead(t, holder{sp})
	e.destroy("startup.m")
	if _, err := os.Stat(log); err == nil {
		t.Errorf("startup log left behind")
	}
}

func TestMissingMountTarget(t *testing.T) {
	e := newEnv(t)
	e.apply(contract.VNode, "vnode.m", e.nodeConfig("m", true))
	mount := cty.ObjectVal(map[string]cty.Value{
		"node":      cty.StringVal("m"),
		"node_type": cty.StringVal("process"),
		"source":    cty.StringVal(t.TempDir()),
		"target":    cty.StringVal("/nonexistent-benito-" + e.tag),
		"read_only": cty.False,
	})
	pc := e.plan(contract.Mount, "mount.m", mount)
	resp := e.p.ApplyResource(t.Context(), applyReq(contract.Mount, "mount.m", cty.NullVal(pc.Planned.Type()), pc.Planned))
	if !resp.Diagnostics.HasErrors() || !strings.Contains(resp.Diagnostics.Err().Error(), "does not exist") {
		t.Errorf("missing target: %v", resp.Diagnostics.Err())
	}
}

func TestVDE(t *testing.T) {
	e := newEnv(t)
	sock, _ := e.vdeSwitch()
	e.apply(contract.VNode, "vnode.a", e.nodeConfig("a", false, ifc{name: "eth0", vdeSocket: sock, vdePort: 1, addr: "10.9.5.1/24"}))
	e.apply(contract.VNode, "vnode.b", e.nodeConfig("b", false, ifc{name: "eth0", vdeSocket: sock, vdePort: 2, addr: "10.9.5.2/24"}))
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range []string{"a", "b"} {
				b, _ := os.ReadFile(nodeLog(e.runDir, n))
				t.Logf("log of %s: %s", n, b)
			}
		}
	})
	e.mustPing("a", "10.9.5.2")

	// A dead plug is drift, repaired in place.
	n, _ := decodeNode(e.state["vnode.a"])
	plug, _, err := readPidFile(plugPidFile(n, n.Ifaces[0]))
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(plug.Pid, syscall.SIGKILL)
	waitDead(t, holder{plug})
	if got := e.read("vnode.a"); got.GetAttr("interfaces").LengthInt() != 0 {
		t.Fatalf("a dead plug reads as %#v", got.GetAttr("interfaces"))
	}
	e.apply(contract.VNode, "vnode.a", e.nodeConfig("a", false, ifc{name: "eth0", vdeSocket: sock, vdePort: 1, addr: "10.9.5.1/24"}))
	e.mustPing("a", "10.9.5.2")
	va := e.state["vnode.a"]
	e.destroy("vnode.a")
	e.checkGone(va)
	if plug, _, err := readPidFile(plugPidFile(n, n.Ifaces[0])); err == nil && plug.Alive() {
		t.Errorf("plug left running")
	}
}

// startIn starts sleep in node's namespaces the way benito exec does
// (Command), and returns it once it is in the node's network namespace.
func (e *env) startIn(node string) daemon.Process {
	e.t.Helper()
	h := holderOf(e.state["vnode."+node])
	cmd, err := Command(h.Pid, h.StartTime, []string{"sleep", "infinity"})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	p, err := daemon.FromPid(cmd.Process.Pid)
	if err != nil {
		e.t.Fatal(err)
	}
	id, err := h.netnsID()
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; ; i++ {
		if l, _ := os.Readlink("/proc/" + strconv.Itoa(p.Pid) + "/ns/net"); l == id {
			return p
		}
		if i == 400 {
			e.t.Fatalf("sleep %d did not enter node %s", p.Pid, node)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// killHolder kills node's holder by hand and waits for it to be gone.
func (e *env) killHolder(node string) {
	e.t.Helper()
	h := holderOf(e.state["vnode."+node])
	syscall.Kill(h.Pid, syscall.SIGKILL)
	waitDead(e.t, h)
}

// TestHolderDied checks that what was started in a node outlives its
// holder only until the node is deleted or re-created: it is found by the
// namespace the holder file recorded.
func TestHolderDied(t *testing.T) {
	e := newEnv(t)
	br := e.bridge("h")
	cfg := e.nodeConfig("a", false, ifc{name: "eth0", bridge: br, addr: "10.9.7.1/24"})
	e.apply(contract.VNode, "vnode.a", cfg)
	p := e.startIn("a")
	e.killHolder("a")
	v := e.state["vnode.a"]
	e.destroy("vnode.a")
	if p.Alive() {
		t.Errorf("sleep %d, started in the node, outlived its delete", p.Pid)
	}
	e.checkGone(v)

	// Re-created after its holder died (read as gone, so not deleted).
	e.apply(contract.VNode, "vnode.a", cfg)
	p = e.startIn("a")
	e.killHolder("a")
	if got := e.read("vnode.a"); !got.IsNull() {
		t.Fatalf("a node whose holder died reads as %#v", got)
	}
	e.apply(contract.VNode, "vnode.a", cfg)
	if p.Alive() {
		t.Errorf("sleep %d, started in the node, outlived its re-create", p.Pid)
	}
	e.mustPing("a", "10.9.7.1")
}

// TestRecordedNamespaceReused checks that what runs in a recorded
// namespace whose id went to another namespace is left alone, unless it
// carries the dead node's mark: here node a's holder file is made to name
// node b's namespace.
func TestRecordedNamespaceReused(t *testing.T) {
	e := newEnv(t)
	e.apply(contract.VNode, "vnode.a", e.nodeConfig("a", false))
	e.apply(contract.VNode, "vnode.b", e.nodeConfig("b", false))
	pb := e.startIn("b")
	ha, hb := holderOf(e.state["vnode.a"]), holderOf(e.state["vnode.b"])
	// And one that benito did not start (another tool's, in a namespace
	// that got the id).
	plain := exec.Command("nsenter", "--net="+hb.nsPath("net"), "--", "sleep", "infinity")
	if err := plain.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plain.Process.Kill(); plain.Wait() })
	pp, err := daemon.FromPid(plain.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	idB, err := hb.netnsID()
	if err != nil {
		t.Fatal(err)
	}
	if err := writePidFile(filepath.Join(nodeDir(e.runDir, "a"), "holder"), ha.Process, idB); err != nil {
		t.Fatal(err)
	}
	e.killHolder("a")
	e.destroy("vnode.a")
	if !hb.Alive() || !pb.Alive() {
		t.Errorf("deleting a killed what runs in b: holder alive %v, sleep alive %v", hb.Alive(), pb.Alive())
	}
	if !pp.Alive() { // a zombie counts as dead
		t.Errorf("deleting a killed a process benito did not start")
	}
}
