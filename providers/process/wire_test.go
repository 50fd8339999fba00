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

	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/shaping"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// vdeSwitch starts a vde_switch for the test and returns its control
// directory and a function that kills it and starts a new one on the same
// directory; the switch is killed at cleanup.
func (e *env) vdeSwitch() (string, func()) {
	e.t.Helper()
	if _, err := exec.LookPath("vde_switch"); err != nil {
		e.t.Skip("no vde_switch")
	}
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
		if _, err := os.Stat(filepath.Join(sock, "ctl")); err == nil {
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
	plug, _, _ = readPidFile(plugPidFile(n, f))
	hub, _, _ = readPidFile(hubPidFile(n, f))
	wire, _, _ = readPidFile(wirePidFile(n, f))
	return plug, hub, wire
}

func TestWireShaping(t *testing.T) {
	e := newEnv(t)
	if _, err := exec.LookPath("wirefilter"); err != nil {
		t.Skip("no wirefilter")
	}
	sock, restart := e.vdeSwitch()
	node := func(name string, port int, addr, latency string) cty.Value {
		return e.nodeConfig(name, false, ifc{name: "eth0", vdeSocket: sock, vdePort: port, addr: addr, latency: latency})
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range []string{"a", "b"} {
				b, _ := os.ReadFile(nodeLog(e.runDir, n))
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

	// 50ms -> 10ms is an update in place: the holder, the plug, the hub
	// and the wirefilter all stay.
	holderA := num(e.state["vnode.a"], "pid")
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
	if got := num(e.state["vnode.a"], "pid"); got != holderA {
		t.Errorf("holder changed on update: %d -> %d", holderA, got)
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
	c, err := dialWire(wireMgmt(na, na.Ifaces[0]))
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
	waitDead(t, holder{wire})
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
	if _, err := os.Stat(wireDir(nb, nb.Ifaces[0])); err == nil {
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
		procs = append(procs, p, h, w, holderOf(e.state["vnode."+n]).Process)
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

func TestWireValues(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
	}{{"50+0U", 50}, {"1.25e+07+0U", 1.25e7}, {"0.5+1e+03N", 0.5}, {"12", 12}} {
		if got, ok := wireNumber(tc.in); !ok || got != tc.want {
			t.Errorf("wireNumber(%q) = %v, %v; want %v", tc.in, got, ok, tc.want)
		}
	}
	s := shaping.Shaping{Capacity: 100_000_000, Latency: 1500 * time.Microsecond, Loss: 0.5}
	got := wireValues(s, wireBuffer(s))
	// The buffer: 10ms of burst and 200ms of queue at 12.5 MB/s.
	if got[0].value != "1.5" || got[1].value != "0.5" || got[2].value != "12500000" || got[3].value != "2625000" {
		t.Errorf("wireValues(%v) = %v", s, got)
	}
	if s := (shaping.Shaping{Latency: time.Millisecond}); wireValues(s, wireBuffer(s))[3].value != "0" {
		t.Errorf("without a capacity the buffer is %d, want 0 (unbounded)", wireBuffer(s))
	}
	// wirefilter prints six significant digits.
	if !sameWire(shaping.Shaping{Capacity: 123_457_000 * 8}, shaping.Shaping{Capacity: 123_456_789 * 8}) {
		t.Errorf("sameWire is stricter than wirefilter's output")
	}
	if sameWire(shaping.Shaping{Latency: 30 * time.Millisecond}, shaping.Shaping{Latency: 10 * time.Millisecond}) {
		t.Errorf("sameWire(30ms, 10ms)")
	}
}

func TestBridgeLatencyWithoutNetem(t *testing.T) {
	needRoot(t)
	if ok, err := shaping.NetemAvailable(); err != nil || ok {
		t.Skipf("this kernel has netem (%v)", err)
	}
	e := newEnv(t)
	cfg := e.nodeConfig("a", false, ifc{name: "eth0", bridge: "bt" + e.tag, addr: "10.9.7.1/24", latency: "50ms"})
	rs := e.p.schema.ResourceTypes[contract.VNode]
	d := e.p.ValidateResources(context.Background(), providers.ValidateResourcesRequest{Resources: []providers.ValidateResource{{Address: "vnode.a", Type: contract.VNode, Config: conform(rs, cfg)}}}).Diagnostics
	if !d.HasErrors() {
		t.Fatal("latency on a bridge validated on a kernel without netem")
	}
	msg := d.Err().Error()
	for _, want := range []string{`"a"`, `"eth0"`, "CONFIG_NET_SCH_NETEM", `kind = "vde"`, "wirefilter"} {
		if !strings.Contains(msg, want) {
			t.Errorf("diagnostic %q does not say %s", msg, want)
		}
	}
	// Capacity alone is fine: tbf needs no netem.
	cfg = e.nodeConfig("a", false, ifc{name: "eth0", bridge: "bt" + e.tag, addr: "10.9.7.1/24"})
	f := setAttrs(cfg.GetAttr("interfaces").Index(cty.NumberIntVal(0)), map[string]cty.Value{"capacity": cty.NumberIntVal(1_000_000)})
	cfg = setAttrs(cfg, map[string]cty.Value{"interfaces": cty.ListVal([]cty.Value{f})})
	if d := e.p.ValidateResources(context.Background(), providers.ValidateResourcesRequest{Resources: []providers.ValidateResource{{Address: "vnode.a", Type: contract.VNode, Config: conform(rs, cfg)}}}).Diagnostics; d.HasErrors() {
		t.Errorf("capacity on a bridge: %v", d.Err())
	}
}

func TestWireCapacity(t *testing.T) {
	e := newEnv(t)
	if _, err := exec.LookPath("wirefilter"); err != nil {
		t.Skip("no wirefilter")
	}
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
	c, err := dialWire(wireMgmt(n, n.Ifaces[0]))
	if err != nil {
		t.Fatal(err)
	}
	if _, buf, err := c.read(); err != nil || buf != 81920 {
		t.Errorf("the wirefilter's buffer is %d bytes (%v), want 81920", buf, err)
	}
	c.Close()
	// A capacity changed in place bounds the buffer anew, in the same
	// wirefilter: 12.5 MB/s, 125000 bytes of burst and 2.5 MB of queue.
	wire, _, err := readPidFile(wirePidFile(n, n.Ifaces[0]))
	if err != nil {
		t.Fatal(err)
	}
	f = setAttrs(f, map[string]cty.Value{"capacity": cty.NumberIntVal(100_000_000)})
	a = setAttrs(a, map[string]cty.Value{"interfaces": cty.ListVal([]cty.Value{f})})
	if pc := e.apply(contract.VNode, "vnode.a", a); len(pc.RequiresReplace) > 0 {
		t.Fatalf("a capacity change replaces the node: %v", pc.RequiresReplace)
	}
	if !wire.Alive() {
		t.Errorf("the wirefilter was restarted")
	}
	c, err = dialWire(wireMgmt(n, n.Ifaces[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if s, buf, err := c.read(); err != nil || buf != 2625000 || s.Capacity != 100_000_000 {
		t.Errorf("after the change: %v, buffer %d bytes (%v), want 100 Mbit/s and 2625000", s, buf, err)
	}
}
