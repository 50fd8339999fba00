package process

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/shaping"
	"github.com/benito-net/benito/internal/testenv"
	"github.com/benito-net/benito/internal/vdemgmt"
	"github.com/benito-net/benito/internal/vdewire"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// vdeSwitch starts a vde_switch for the test and returns its control
// directory and a function that kills it and starts a new one on the same
// directory; the switch is killed at cleanup.
func (e *env) vdeSwitch() (string, func()) {
	e.t.Helper()
	testenv.Command(e.t, "vde_switch", "vde2")
	sock := filepath.Join(e.t.TempDir(), "sw")
	var sw *exec.Cmd
	start := func() {
		e.t.Helper()
		sw = e.startSwitch(sock)
	}
	start()
	e.t.Cleanup(func() { sw.Process.Kill(); sw.Wait() })
	return sock, func() {
		e.t.Helper()
		sw.Process.Kill()
		sw.Wait()
		start()
	}
}

func (e *env) startSwitch(sock string) *exec.Cmd {
	e.t.Helper()
	os.Remove(filepath.Join(sock, "ctl"))
	sw := exec.Command("vde_switch", "-s", sock, "-n", "8")
	// In the foreground vde_switch reads commands from stdin and exits
	// at its end: give it one that stays open.
	if _, err := sw.StdinPipe(); err != nil {
		e.t.Fatal(err)
	}
	if err := sw.Start(); err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i < 400; i++ {
		if daemon.Listening(filepath.Join(sock, "ctl"), vdewire.Timeout) == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	return sw
}

var pingStats = regexp.MustCompile(`= ([0-9.]+)/([0-9.]+)/([0-9.]+)/`)

// rtts pings addr from node a few times and returns the least and the
// mean round-trip time.
func (e *env) rtts(node, addr string) (minimum, mean time.Duration) {
	e.t.Helper()
	out, err := e.run(node, "ping", "-c", "4", "-i", "0.2", "-W", "2", "-n", "-q", addr)
	if err != nil {
		e.t.Fatalf("ping %s from %s: %v: %s", addr, node, err, out)
	}
	m := pingStats.FindStringSubmatch(out)
	if m == nil {
		e.t.Fatalf("no round-trip times in %q", out)
	}
	ms := func(s string) time.Duration {
		f, _ := strconv.ParseFloat(s, 64)
		return time.Duration(f * float64(time.Millisecond))
	}
	e.t.Logf("ping %s from %s: min %s, mean %s", addr, node, ms(m[1]), ms(m[2]))
	return ms(m[1]), ms(m[2])
}

// wireProcs returns the plug, hub and wirefilter of node's eth0 (zero
// Process where a pid file is missing).
func (e *env) wireProcs(node string) (plug, hub, wire daemon.Process) {
	n, _ := decodeNode(e.state["vnode."+node])
	f := n.Ifaces[0]
	plug, _, _ = daemon.ReadPidFile(plugPidFile(n, f))
	hub, wire = wireOf(n, f).Processes()
	return plug, hub, wire
}

func TestWireShaping(t *testing.T) {
	e := newEnv(t)
	testenv.Command(t, "wirefilter", "vde2")
	sock, restart := e.vdeSwitch()
	node := func(name string, port int, addr, latency string) cty.Value {
		return e.nodeConfig(name, false, ifc{name: "eth0", vdeSocket: sock, vdePort: port, addr: addr, latency: latency})
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range []string{"a", "b"} {
				b, _ := os.ReadFile(layout{e.runDir, Name}.nodeLog(n))
				t.Logf("log of %s: %s", n, b)
			}
		}
	})
	e.apply(contract.VNode, "vnode.a", node("a", 1, "10.9.6.1/24", "50ms"))
	e.apply(contract.VNode, "vnode.b", node("b", 2, "10.9.6.2/24", "50ms"))
	e.mustPing("a", "10.9.6.2") // ARP
	if lo, avg := e.rtts("a", "10.9.6.2"); lo < 95*time.Millisecond || avg > 150*time.Millisecond {
		t.Errorf("RTT with 50ms each way: min %v, mean %v; want 100ms or a little more", lo, avg)
	}
	for _, n := range []string{"vnode.a", "vnode.b"} {
		if got, want := e.read(n), e.state[n]; !got.RawEquals(want) {
			t.Errorf("%s reads back changed: %#v", n, got.GetAttr("interfaces"))
		}
	}

	// 50ms -> 10ms is an update in place: the namespaces, the plug, the
	// hub and the wirefilter all stay.
	nsA := recordedNS(e.state["vnode.a"])
	plug, hub, wire := e.wireProcs("a")
	if !plug.Alive() || !hub.Alive() || !wire.Alive() {
		t.Fatalf("plug %v, hub %v, wire %v: want all running", plug, hub, wire)
	}
	for _, n := range []struct {
		name, addr string
		port       int
	}{{"a", "10.9.6.1/24", 1}, {"b", "10.9.6.2/24", 2}} {
		if pc := e.apply(contract.VNode, "vnode."+n.name, node(n.name, n.port, n.addr, "10ms")); len(pc.RequiresReplace) != 0 {
			t.Fatalf("a latency change replaces %s: %v", n.name, pc.RequiresReplace)
		}
	}
	if got := recordedNS(e.state["vnode.a"]); got != nsA {
		t.Errorf("namespaces changed on update: %v -> %v", nsA, got)
	}
	if p2, h2, w2 := e.wireProcs("a"); p2 != plug || h2 != hub || w2 != wire {
		t.Errorf("plug, hub, wire changed on update: %v %v %v -> %v %v %v", plug, hub, wire, p2, h2, w2)
	}
	if lo, avg := e.rtts("a", "10.9.6.2"); lo < 18*time.Millisecond || avg > 60*time.Millisecond {
		t.Errorf("RTT with 10ms each way: min %v, mean %v; want 20ms or a little more", lo, avg)
	}
	if got := e.read("vnode.a"); !got.RawEquals(e.state["vnode.a"]) {
		t.Errorf("updated node reads back changed: %#v", got.GetAttr("interfaces"))
	}

	// A delay changed by hand on the management socket reads back.
	na, _ := decodeNode(e.state["vnode.a"])
	c, err := vdemgmt.Dial(wireOf(na, na.Ifaces[0]).Mgmt(), vdemgmt.PromptWirefilter, vdewire.Timeout)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do("delay LR30"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got := str(e.read("vnode.a").GetAttr("interfaces").Index(cty.NumberIntVal(0)), "latency"); got != "30ms" {
		t.Errorf("latency set by hand to 30ms reads back as %q", got)
	}

	// A dead wirefilter is drift: the interface is missing from what is
	// read, and apply repairs it in place.
	syscall.Kill(wire.Pid, syscall.SIGKILL)
	waitDead(t, wire)
	if got := e.read("vnode.a"); got.IsNull() || got.GetAttr("interfaces").LengthInt() != 0 {
		t.Fatalf("a dead wirefilter reads as %#v", got)
	}
	if pc := e.apply(contract.VNode, "vnode.a", node("a", 1, "10.9.6.1/24", "10ms")); len(pc.RequiresReplace) != 0 {
		t.Errorf("repair replaces: %v", pc.RequiresReplace)
	}
	if _, _, w3 := e.wireProcs("a"); !w3.Alive() || w3 == wire {
		t.Errorf("wirefilter after repair: %v (was %v)", w3, wire)
	}
	e.mustPing("a", "10.9.6.2")
	if lo, avg := e.rtts("a", "10.9.6.2"); lo < 18*time.Millisecond || avg > 60*time.Millisecond {
		t.Errorf("RTT after repair: min %v, mean %v", lo, avg)
	}
	if got := e.read("vnode.a"); !got.RawEquals(e.state["vnode.a"]) {
		t.Errorf("repaired node reads back changed: %#v", got.GetAttr("interfaces"))
	}

	// A switch that dies and is started again: wirefilter lives on (and
	// spins) without it, so its switch's identity is what tells.
	restart()
	for _, n := range []string{"vnode.a", "vnode.b"} {
		if got := e.read(n); got.GetAttr("interfaces").LengthInt() != 0 {
			t.Errorf("%s after a switch restart reads as %#v", n, got.GetAttr("interfaces"))
		}
	}
	e.apply(contract.VNode, "vnode.a", node("a", 1, "10.9.6.1/24", "10ms"))
	e.apply(contract.VNode, "vnode.b", node("b", 2, "10.9.6.2/24", "10ms"))
	e.mustPing("a", "10.9.6.2")
	if got := e.read("vnode.a"); !got.RawEquals(e.state["vnode.a"]) {
		t.Errorf("node repaired after a switch restart reads back changed: %#v", got.GetAttr("interfaces"))
	}

	// A TAP deleted by hand: re-made and re-plugged, through the same wire.
	_, _, wire = e.wireProcs("a")
	if out, err := e.run("a", "ip", "link", "del", "eth0"); err != nil {
		t.Fatalf("ip link del: %v: %s", err, out)
	}
	if got := e.read("vnode.a"); got.GetAttr("interfaces").LengthInt() != 0 {
		t.Errorf("a deleted TAP reads as %#v", got.GetAttr("interfaces"))
	}
	e.apply(contract.VNode, "vnode.a", node("a", 1, "10.9.6.1/24", "10ms"))
	e.mustPing("a", "10.9.6.2")
	if _, _, w := e.wireProcs("a"); w != wire {
		t.Errorf("a new TAP restarted the wirefilter: %v -> %v", wire, w)
	}

	// b unshaped: its wire goes, its TAP is plugged into its port again.
	_, hubB, wireB := e.wireProcs("b")
	nb, _ := decodeNode(e.state["vnode.b"])
	e.apply(contract.VNode, "vnode.b", node("b", 2, "10.9.6.2/24", ""))
	if hubB.Alive() || wireB.Alive() {
		t.Errorf("b's hub or wirefilter still running after unshaping")
	}
	if _, err := os.Stat(wireOf(nb, nb.Ifaces[0]).Dir); err == nil {
		t.Errorf("b's wire directory left behind")
	}
	if alive, got := plugState(nb, nb.Ifaces[0]); !alive || got != sock {
		t.Errorf("b's plug is on %q (running: %v), want the switch %q", got, alive, sock)
	}
	e.mustPing("a", "10.9.6.2")
	if lo, avg := e.rtts("a", "10.9.6.2"); lo < 9*time.Millisecond || avg > 40*time.Millisecond {
		t.Errorf("RTT with 10ms one way: min %v, mean %v", lo, avg)
	}

	// Destroy leaves no process, socket or file.
	var procs []daemon.Process
	for _, n := range []string{"a", "b"} {
		p, h, w := e.wireProcs(n)
		procs = append(procs, p, h, w)
	}
	va, vb := e.state["vnode.a"], e.state["vnode.b"]
	e.destroy("vnode.a")
	e.destroy("vnode.b")
	e.checkGone(va)
	e.checkGone(vb)
	for _, p := range procs {
		if p.Pid != 0 && p.Alive() {
			t.Errorf("process %d still running after destroy", p.Pid)
		}
	}
	if _, err := os.Stat(e.runDir); err == nil {
		var left []string
		filepath.Walk(e.runDir, func(p string, _ os.FileInfo, _ error) error { left = append(left, p); return nil })
		t.Errorf("run directory left behind: %v", left)
	}
}

// TestBridgeLatency: latency on a bridge link is carried out with netem
// where the kernel has it, and refused when planned where it does not,
// naming the module and what to do instead. Either way something is
// checked: the test has no branch that skips.
func TestBridgeLatency(t *testing.T) {
	e := newEnv(t)
	netem, err := shaping.NetemAvailable()
	if err != nil {
		t.Fatal(err)
	}
	br := e.bridge("l")
	cfg := e.nodeConfig("a", false, ifc{name: "eth0", bridge: br, addr: "10.9.7.1/24", latency: "50ms"})
	rs := e.p.schema.ResourceTypes[contract.VNode]
	d := e.p.ValidateResources(context.Background(), providers.ValidateResourcesRequest{Resources: []providers.ValidateResource{{Address: "vnode.a", Type: contract.VNode, Config: conform(rs, cfg)}}}).Diagnostics
	if netem {
		t.Log("this kernel has netem: checking that latency on a bridge is carried out")
		if d.HasErrors() {
			t.Fatalf("latency on a bridge refused on a kernel with netem: %v", d.Err())
		}
		e.apply(contract.VNode, "vnode.a", cfg)
		e.apply(contract.VNode, "vnode.b", e.nodeConfig("b", false, ifc{name: "eth0", bridge: br, addr: "10.9.7.2/24"}))
		e.mustPing("a", "10.9.7.2") // ARP
		if lo, avg := e.rtts("a", "10.9.7.2"); lo < 50*time.Millisecond || avg > 120*time.Millisecond {
			t.Errorf("50ms of latency on a's side: round trips from %v (mean %v), want about 50ms", lo, avg)
		}
		if got := e.read("vnode.a"); !got.RawEquals(e.state["vnode.a"]) {
			t.Errorf("the shaped node reads back changed: %#v", got.GetAttr("interfaces"))
		}
		return
	}
	t.Log("this kernel has no netem: checking that latency on a bridge is refused at plan")
	if !d.HasErrors() {
		t.Fatal("latency on a bridge validated on a kernel without netem")
	}
	msg := d.Err().Error()
	for _, want := range []string{`"a"`, `"eth0"`, "sch_netem", "CONFIG_NET_SCH_NETEM", "modprobe sch_netem", `kind = "vde"`, "wirefilter"} {
		if !strings.Contains(msg, want) {
			t.Errorf("diagnostic %q does not say %s", msg, want)
		}
	}
	// Capacity alone is fine: tbf needs no netem.
	cfg = e.nodeConfig("a", false, ifc{name: "eth0", bridge: br, addr: "10.9.7.1/24"})
	f := setAttrs(cfg.GetAttr("interfaces").Index(cty.NumberIntVal(0)), map[string]cty.Value{"capacity": cty.NumberIntVal(1_000_000)})
	cfg = setAttrs(cfg, map[string]cty.Value{"interfaces": cty.ListVal([]cty.Value{f})})
	if d := e.p.ValidateResources(context.Background(), providers.ValidateResourcesRequest{Resources: []providers.ValidateResource{{Address: "vnode.a", Type: contract.VNode, Config: conform(rs, cfg)}}}).Diagnostics; d.HasErrors() {
		t.Errorf("capacity on a bridge: %v", d.Err())
	}
}

func TestWireCapacity(t *testing.T) {
	e := newEnv(t)
	testenv.Command(t, "wirefilter", "vde2")
	sock, _ := e.vdeSwitch()
	a := e.nodeConfig("a", false, ifc{name: "eth0", vdeSocket: sock, vdePort: 1, addr: "10.9.8.1/24"})
	f := setAttrs(a.GetAttr("interfaces").Index(cty.NumberIntVal(0)), map[string]cty.Value{"capacity": cty.NumberIntVal(1_000_000)})
	a = setAttrs(a, map[string]cty.Value{"interfaces": cty.ListVal([]cty.Value{f})})
	e.apply(contract.VNode, "vnode.a", a)
	e.apply(contract.VNode, "vnode.b", e.nodeConfig("b", false, ifc{name: "eth0", vdeSocket: sock, vdePort: 2, addr: "10.9.8.2/24"}))
	e.mustPing("a", "10.9.8.2")
	// 60000 bytes at 1 Mbit/s (125000 bytes/s) take 480ms to leave a;
	// b's reply is not shaped.
	start := time.Now()
	if out, err := e.run("a", "ping", "-c", "1", "-s", "60000", "-W", "5", "-n", "10.9.8.2"); err != nil {
		t.Fatalf("ping: %v: %s", err, out)
	}
	d := time.Since(start)
	t.Logf("60000-byte ping at 1 Mbit/s: %v", d)
	if d < 400*time.Millisecond || d > 2*time.Second {
		t.Errorf("60000-byte ping at 1 Mbit/s took %v, want about 480ms", d)
	}
	if got := e.read("vnode.a"); !got.RawEquals(e.state["vnode.a"]) {
		t.Errorf("capacity reads back changed: %#v", got.GetAttr("interfaces"))
	}
	// The wirefilter's queue is bounded as a bridge's token bucket is:
	// 16 KiB of burst and 64 KiB of queue at this rate.
	n, err := decodeNode(e.state["vnode.a"])
	if err != nil {
		t.Fatal(err)
	}
	w := wireOf(n, n.Ifaces[0])
	if buf, err := w.Buffer(); err != nil || buf != 81920 {
		t.Errorf("the wirefilter's buffer is %d bytes (%v), want 81920", buf, err)
	}
	// A capacity changed in place bounds the buffer anew, in the same
	// wirefilter: 12.5 MB/s, 125000 bytes of burst and 2.5 MB of queue.
	_, wire := w.Processes()
	if !wire.Alive() {
		t.Fatalf("no wirefilter running: %v", wire)
	}
	f = setAttrs(f, map[string]cty.Value{"capacity": cty.NumberIntVal(100_000_000)})
	a = setAttrs(a, map[string]cty.Value{"interfaces": cty.ListVal([]cty.Value{f})})
	if pc := e.apply(contract.VNode, "vnode.a", a); len(pc.RequiresReplace) > 0 {
		t.Fatalf("a capacity change replaces the node: %v", pc.RequiresReplace)
	}
	if !wire.Alive() {
		t.Errorf("the wirefilter was restarted")
	}
	buf, err := w.Buffer()
	s, err2 := w.Read()
	if err != nil || err2 != nil || buf != 2625000 || s.Capacity != 100_000_000 {
		t.Errorf("after the change: %v, buffer %d bytes (%v, %v), want 100 Mbit/s and 2625000", s, buf, err, err2)
	}
}

// TestWireOfAnOlderBenito: a wire started when benito kept its hub's and
// wirefilter's pid files in the node's directory (hub.IFACE, wire.IFACE)
// reads as drift, and the next apply stops it (found by the daemons' own
// pid files in the wire's directory) and starts the wire anew; a delete
// stops it too.
func TestWireOfAnOlderBenito(t *testing.T) {
	e := newEnv(t)
	testenv.Command(t, "wirefilter", "vde2")
	sock, _ := e.vdeSwitch()
	a := e.nodeConfig("a", false, ifc{name: "eth0", vdeSocket: sock, vdePort: 1, addr: "10.9.9.1/24", latency: "5ms"})
	e.apply(contract.VNode, "vnode.a", a)
	e.apply(contract.VNode, "vnode.b", e.nodeConfig("b", false, ifc{name: "eth0", vdeSocket: sock, vdePort: 2, addr: "10.9.9.2/24", latency: "5ms"}))
	e.mustPing("a", "10.9.9.2")
	// Back to how an older benito left them.
	old := func(node string) (hub, wire daemon.Process) {
		n, _ := decodeNode(e.state["vnode."+node])
		f := n.Ifaces[0]
		w := wireOf(n, f)
		hub, wire = w.Processes()
		for from, to := range map[string]string{"hub.benito": "hub." + f.Name, "wire.benito": "wire." + f.Name} {
			to = filepath.Join(n.layout().nodeDir(n.Name), to)
			b, err := os.ReadFile(filepath.Join(w.Dir, from))
			if err != nil {
				t.Fatal(err)
			}
			// The old wirefilter's tag was the switch alone.
			first, _, _ := strings.Cut(string(b), "\n")
			if err := os.WriteFile(to, []byte(first+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			os.Remove(filepath.Join(w.Dir, from))
		}
		return hub, wire
	}
	hubA, wireA := old("a")
	hubB, wireB := old("b")
	if got := e.read("vnode.a"); got.GetAttr("interfaces").LengthInt() != 0 {
		t.Errorf("a wire of an older benito reads as %#v", got.GetAttr("interfaces"))
	}
	e.apply(contract.VNode, "vnode.a", a)
	if hubA.Alive() || wireA.Alive() {
		t.Errorf("the older hub (%v) or wirefilter (%v) still runs after the apply", hubA.Alive(), wireA.Alive())
	}
	if _, h, w := e.wireProcs("a"); !h.Alive() || !w.Alive() {
		t.Errorf("after the apply: hub %v, wirefilter %v", h, w)
	}
	if got := e.read("vnode.a"); !got.RawEquals(e.state["vnode.a"]) {
		t.Errorf("the repaired node reads back changed: %#v", got.GetAttr("interfaces"))
	}
	e.mustPing("a", "10.9.9.2")
	vb := e.state["vnode.b"]
	e.destroy("vnode.b")
	e.checkGone(vb)
	if hubB.Alive() || wireB.Alive() {
		t.Errorf("the older hub (%v) or wirefilter (%v) still runs after the delete", hubB.Alive(), wireB.Alive())
	}
}
