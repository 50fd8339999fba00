package process

import (
	"fmt"
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
	"github.com/benito-net/benito/internal/shaping"
	"github.com/benito-net/benito/providers"
	"github.com/vishvananda/netlink"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/sys/unix"
)

// checkGone fails unless node's pins, devices and files are gone, and
// nothing is left in its namespaces.
func (e *env) checkGone(v cty.Value) {
	e.t.Helper()
	ns := recordedNS(v)
	for _, file := range ns.Files {
		if _, err := os.Lstat(file); err == nil {
			e.t.Errorf("pin %s still there", file)
		}
	}
	ids := map[string]bool{}
	for i, k := range nsKinds {
		ids[k.name+":["+strconv.FormatUint(ns.Inodes[i], 10)+"]"] = true
	}
	for _, pid := range pids() {
		if pid != os.Getpid() && inAny(pid, ids) {
			e.t.Errorf("process %d still in the node's namespaces", pid)
		}
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	for _, file := range ns.Files {
		if strings.Contains(string(mounts), " "+file+" ") {
			e.t.Errorf("%s still mounted", file)
		}
	}
	n, _ := decodeNode(v)
	for _, f := range n.Ifaces {
		if _, err := netlink.LinkByName(f.HostDevice); err == nil {
			e.t.Errorf("host device %s still there", f.HostDevice)
		}
	}
	if _, err := os.Stat(n.layout().nodeDir(n.Name)); err == nil {
		e.t.Errorf("node directory %s still there", n.layout().nodeDir(n.Name))
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
		ns := recordedNS(e.state["vnode.a"])
		e.mustPing("a", "10.9.3.2")
		if pc := e.apply(contract.VNode, "vnode.a", a(16_000_000)); len(pc.RequiresReplace) != 0 {
			t.Fatalf("a capacity change replaces the node: %v", pc.RequiresReplace)
		}
		if got := recordedNS(e.state["vnode.a"]); got != ns {
			t.Errorf("namespaces changed on update: %v -> %v", ns, got)
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
	ns := recordedNS(e.state["vnode.a"])
	pc := e.apply(contract.VNode, "vnode.a", e.nodeConfig("a", false, ifc{name: "eth0", bridge: br, addr: "10.9.3.1/24", latency: "10ms"}))
	if len(pc.RequiresReplace) != 0 {
		t.Fatalf("a latency change replaces the node: %v", pc.RequiresReplace)
	}
	if got := recordedNS(e.state["vnode.a"]); got != ns {
		t.Errorf("namespaces changed on update: %v -> %v", ns, got)
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

	// A pin unmounted by hand: the node reads as gone, and apply
	// re-creates it.
	e.unpin("a", kindNet)
	if got := e.read("vnode.a"); !got.IsNull() {
		t.Fatalf("a node whose network namespace was unpinned read back as %#v", got)
	}
	// The engine deletes nothing it read as gone; the veth of the dead
	// namespace may linger a moment, which create must survive.
	e.apply(contract.VNode, "vnode.a", a)
	e.mustPing("a", "10.9.4.2")

	// A pin that holds another namespace is not the node's.
	b := recordedNS(e.state["vnode.b"])
	e.unpin("a", kindUTS)
	if err := unix.Mount(b.file(kindUTS), recordedNS(e.state["vnode.a"]).file(kindUTS), "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	if got := e.read("vnode.a"); !got.IsNull() {
		t.Fatalf("a node whose pin holds another namespace read back as %#v", got)
	}
	e.apply(contract.VNode, "vnode.a", a)
	e.mustPing("a", "10.9.4.2")
	if out, err := e.run("a", "hostname"); err != nil || strings.TrimSpace(out) != "a" {
		t.Errorf("hostname in a re-created a = %q, %v", out, err)
	}
}

// unpin unmounts the pin of node's namespace of kind k by hand, leaving
// its file.
func (e *env) unpin(node string, k nsKind) {
	e.t.Helper()
	if err := unix.Unmount(recordedNS(e.state["vnode."+node]).file(k), unix.MNT_DETACH); err != nil {
		e.t.Fatal(err)
	}
}

func waitDead(t *testing.T, p daemon.Process) {
	t.Helper()
	for i := 0; i < 200 && p.Alive(); i++ {
		time.Sleep(5 * time.Millisecond)
	}
	if p.Alive() {
		t.Fatalf("pid %d did not die", p.Pid)
	}
}

func TestMountAndStartup(t *testing.T) {
	e := newEnv(t)
	src, dst := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "hello"), []byte("from the host\n"), 0o644)
	e.apply(contract.VNode, "vnode.m", e.nodeConfig("m", true))
	e.apply(contract.Mount, `mount.m["`+dst+`"]`, mountConfig("m", src, dst, true))
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
	waitDead(t, sp)
	e.destroy("startup.m")
	if _, err := os.Stat(log); err == nil {
		t.Errorf("startup log left behind")
	}
}

// TestMountChecked: a mount whose source or target is missing, or that
// binds a directory onto a file, fails at plan (ValidateResources, which
// reads the host), naming the node, the paths and what to do; a target
// inside another mount of the node is looked for in that mount's source,
// and paths in the experiment's own directories, which the apply makes,
// are left to the apply. Apply checks again in the node.
func TestMountChecked(t *testing.T) {
	e := newEnv(t)
	dir, file := t.TempDir(), filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "inner"), 0o755); err != nil {
		t.Fatal(err)
	}
	missing := "/nonexistent-benito-" + e.tag
	validate := func(mounts ...cty.Value) providers.Diagnostics {
		var rs []providers.ValidateResource
		for i, m := range mounts {
			rs = append(rs, providers.ValidateResource{Address: fmt.Sprintf("mount.m%d", i), Type: contract.Mount, Config: conform(e.p.schema.ResourceTypes[contract.Mount], m)})
		}
		return e.p.ValidateResources(t.Context(), providers.ValidateResourcesRequest{Resources: rs}).Diagnostics
	}
	for _, tc := range []struct {
		name   string
		mounts []cty.Value
		want   []string // in the error; none: no error
	}{
		{"fine", []cty.Value{mountConfig("m", dir, dir, false)}, nil},
		{"missing source", []cty.Value{mountConfig("m", missing, dir, false)}, []string{`Node "m"`, "the source " + missing + " does not exist", "Create it"}},
		{"missing target", []cty.Value{mountConfig("m", dir, missing, false)}, []string{`Node "m"`, "the target " + missing + " does not exist", "benito does not create it"}},
		{"directory onto a file", []cty.Value{mountConfig("m", dir, file, false)}, []string{"the source is a directory, the target not a directory"}},
		{"inside another mount", []cty.Value{mountConfig("m", dir, "/mnt-benito-"+e.tag, false), mountConfig("m", dir, "/mnt-benito-"+e.tag+"/inner", false)}, []string{"the target /mnt-benito-" + e.tag + " does not exist"}},
		{"made by the apply", []cty.Value{mountConfig("m", filepath.Join(e.runDir, "x"), dir, false)}, nil},
	} {
		d := validate(tc.mounts...)
		if len(tc.want) == 0 {
			if d.HasErrors() {
				t.Errorf("%s: %v", tc.name, d.Err())
			}
			continue
		}
		if !d.HasErrors() {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if len(d) != 1 {
			t.Errorf("%s: %d diagnostics, want 1: %v", tc.name, len(d), d.Err())
		}
		for _, w := range tc.want {
			if !strings.Contains(d.Err().Error(), w) {
				t.Errorf("%s: %q lacks %q", tc.name, d.Err(), w)
			}
		}
	}

	// Apply checks too: a source removed since the plan.
	e.apply(contract.VNode, "vnode.m", e.nodeConfig("m", true))
	gone := t.TempDir()
	pc := e.plan(contract.Mount, "mount.m", mountConfig("m", gone, dir, false))
	os.Remove(gone)
	resp := e.p.ApplyResource(t.Context(), applyReq(contract.Mount, "mount.m", cty.NullVal(pc.Planned.Type()), pc.Planned))
	if !resp.Diagnostics.HasErrors() || !strings.Contains(resp.Diagnostics.Err().Error(), "does not exist") {
		t.Errorf("source gone at apply: %v", resp.Diagnostics.Err())
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
				b, _ := os.ReadFile(layout{e.runDir, Name}.nodeLog(n))
				t.Logf("log of %s: %s", n, b)
			}
		}
	})
	e.mustPing("a", "10.9.5.2")

	// A dead plug is drift, repaired in place.
	n, _ := decodeNode(e.state["vnode.a"])
	plug, _, err := daemon.ReadPidFile(plugPidFile(n, n.Ifaces[0]))
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(plug.Pid, syscall.SIGKILL)
	waitDead(t, plug)
	if got := e.read("vnode.a"); got.GetAttr("interfaces").LengthInt() != 0 {
		t.Fatalf("a dead plug reads as %#v", got.GetAttr("interfaces"))
	}
	e.apply(contract.VNode, "vnode.a", e.nodeConfig("a", false, ifc{name: "eth0", vdeSocket: sock, vdePort: 1, addr: "10.9.5.1/24"}))
	e.mustPing("a", "10.9.5.2")
	va := e.state["vnode.a"]
	e.destroy("vnode.a")
	e.checkGone(va)
	if plug, _, err := daemon.ReadPidFile(plugPidFile(n, n.Ifaces[0])); err == nil && plug.Alive() {
		t.Errorf("plug left running")
	}
}

// TestVDEUnrecordedPlug: a plug that no pid file records (its provider was
// killed between starting it and writing the file) holds the node's TAP;
// the repair ends it rather than failing on a busy TAP.
func TestVDEUnrecordedPlug(t *testing.T) {
	e := newEnv(t)
	sock, _ := e.vdeSwitch()
	cfg := e.nodeConfig("a", false, ifc{name: "eth0", vdeSocket: sock, vdePort: 1, addr: "10.9.6.1/24"})
	e.apply(contract.VNode, "vnode.a", cfg)
	e.apply(contract.VNode, "vnode.b", e.nodeConfig("b", false, ifc{name: "eth0", vdeSocket: sock, vdePort: 2, addr: "10.9.6.2/24"}))
	n, _ := decodeNode(e.state["vnode.a"])
	file := plugPidFile(n, n.Ifaces[0])
	plug, _, err := daemon.ReadPidFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if got := e.read("vnode.a"); got.GetAttr("interfaces").LengthInt() != 0 {
		t.Fatalf("an unrecorded plug reads as %#v", got.GetAttr("interfaces"))
	}
	e.apply(contract.VNode, "vnode.a", cfg)
	if plug.Alive() {
		t.Errorf("the unrecorded plug %d still runs", plug.Pid)
	}
	e.mustPing("a", "10.9.6.2")
}

// startIn starts sleep in node's namespaces the way benito exec does
// (command), and returns it once it is in the node's network namespace.
func (e *env) startIn(node string) daemon.Process {
	e.t.Helper()
	cmd, err := e.p.command(e.state["vnode."+node], []string{"sleep", "infinity"})
	if err != nil {
		e.t.Fatal(err)
	}
	return e.started(node, cmd)
}

// started starts cmd, and returns it once it is in node's network
// namespace.
func (e *env) started(node string, cmd *exec.Cmd) daemon.Process {
	e.t.Helper()
	return e.startedIn(recordedNS(e.state["vnode."+node]), cmd)
}

// startedIn starts cmd, and returns it once it is in the network
// namespace of ns.
func (e *env) startedIn(ns nodeNS, cmd *exec.Cmd) daemon.Process {
	e.t.Helper()
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	p, err := daemon.FromPid(cmd.Process.Pid)
	if err != nil {
		e.t.Fatal(err)
	}
	id := "net:[" + strconv.FormatUint(ns.Inodes[0], 10) + "]"
	for i := 0; ; i++ {
		if l, _ := os.Readlink("/proc/" + strconv.Itoa(p.Pid) + "/ns/net"); l == id {
			return p
		}
		if i == 400 {
			e.t.Fatalf("process %d did not enter %s", p.Pid, id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDeleteKillsWhatRunsInTheNode: what benito exec or nsenter started in
// a node dies with it, whether it shares the node's network namespace or
// made one of its own inside the node.
func TestDeleteKillsWhatRunsInTheNode(t *testing.T) {
	e := newEnv(t)
	e.apply(contract.VNode, "vnode.a", e.nodeConfig("a", false))
	e.apply(contract.VNode, "vnode.b", e.nodeConfig("b", false))
	ns := recordedNS(e.state["vnode.a"])
	marked := e.startIn("a")
	plain := e.started("a", exec.Command("nsenter", "--net="+ns.file(kindNet), "--", "sleep", "infinity"))
	// In the node's mount namespace, but a network namespace of its own.
	inner := exec.Command("nsenter", "--mount="+ns.file(kindMnt), "--", "unshare", "--net", "sleep", "infinity")
	if err := inner.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Process.Kill(); inner.Wait() })
	mnt := "mnt:[" + strconv.FormatUint(ns.Inodes[indexOf(kindMnt)], 10) + "]"
	for i := 0; ; i++ {
		if l, _ := os.Readlink("/proc/" + strconv.Itoa(inner.Process.Pid) + "/ns/mnt"); l == mnt {
			break
		}
		if i == 400 {
			t.Fatalf("process %d did not enter the node's mount namespace", inner.Process.Pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
	other := e.startIn("b")
	va := e.state["vnode.a"]
	e.destroy("vnode.a")
	for _, p := range []daemon.Process{marked, plain} {
		if p.Alive() {
			t.Errorf("process %d, started in the node, outlived its delete", p.Pid)
		}
	}
	if err := inner.Wait(); err == nil {
		t.Errorf("a process with a network namespace of its own inside the node outlived it")
	}
	if !other.Alive() {
		t.Errorf("deleting a killed what runs in b")
	}
	e.checkGone(va)
}

// TestUnpinnedNode: a node whose pins were unmounted by hand has lost what
// says which namespaces were its; what benito started in it (it carries
// the node's mark) dies when the node is re-created or deleted, and what
// runs in another node stays.
func TestUnpinnedNode(t *testing.T) {
	e := newEnv(t)
	br := e.bridge("h")
	cfg := e.nodeConfig("a", false, ifc{name: "eth0", bridge: br, addr: "10.9.7.1/24"})
	e.apply(contract.VNode, "vnode.a", cfg)
	e.apply(contract.VNode, "vnode.b", e.nodeConfig("b", false))
	other := e.startIn("b")
	unpinAll := func() {
		for _, k := range nsKinds {
			e.unpin("a", k)
		}
	}

	// Deleted.
	p := e.startIn("a")
	unpinAll()
	v := e.state["vnode.a"]
	e.destroy("vnode.a")
	if p.Alive() {
		t.Errorf("sleep %d, started in the node, outlived its delete", p.Pid)
	}
	e.checkGone(v)

	// Re-created (read as gone, so not deleted).
	e.apply(contract.VNode, "vnode.a", cfg)
	p = e.startIn("a")
	unpinAll()
	if got := e.read("vnode.a"); !got.IsNull() {
		t.Fatalf("an unpinned node reads as %#v", got)
	}
	e.apply(contract.VNode, "vnode.a", cfg)
	if p.Alive() {
		t.Errorf("sleep %d, started in the node, outlived its re-create", p.Pid)
	}
	e.mustPing("a", "10.9.7.1")
	if !other.Alive() {
		t.Errorf("re-creating a killed what runs in b")
	}
}

// TestInterruptedCreate: a create killed after it pinned the node's
// namespaces leaves pins that no state records (or a pending value
// without their inodes). A read of the pending value finds the node; a
// create finds the pins and removes them, with what runs in them, first.
func TestInterruptedCreate(t *testing.T) {
	e := newEnv(t)
	br := e.bridge("i")
	cfg := e.nodeConfig("a", false, ifc{name: "eth0", bridge: br, addr: "10.9.8.1/24"})
	pending := e.plan(contract.VNode, "vnode.a", cfg).Planned
	pending = setAttrs(pending, map[string]cty.Value{"namespace_inodes": cty.NullVal(pending.Type().AttributeType("namespace_inodes"))})
	n, err := decodeNode(pending)
	if err != nil {
		t.Fatal(err)
	}
	old, err := newNamespaces(n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { New().removeNode(n, nil) })
	p := e.startedIn(old, exec.Command("nsenter", append(append(old.enterArgs(), "--"), "sleep", "infinity")...))

	resp := e.p.ReadResources(t.Context(), providers.ReadResourcesRequest{Resources: []providers.ReadResource{{Address: "vnode.a", Type: contract.VNode, Current: pending}}})
	if _, inodes := old.values(); resp.Resources[0].New.IsNull() || !resp.Resources[0].New.GetAttr("namespace_inodes").RawEquals(inodes) {
		t.Errorf("the pending node read back as %#v", resp.Resources[0].New)
	}
	e.apply(contract.VNode, "vnode.a", cfg)
	waitDead(t, p)
	if got := recordedNS(e.state["vnode.a"]); got.Inodes == old.Inodes {
		t.Errorf("the create kept the earlier namespaces %v", old.Inodes)
	}
	e.mustPing("a", "10.9.8.1")
}
