package vdewire

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/shaping"
	"github.com/benito-net/benito/internal/testenv"
	"github.com/benito-net/benito/internal/vdemgmt"
)

// testSwitch is a vde_switch the test started, with a management socket
// to ask it which endpoint holds a port.
type testSwitch struct {
	t    *testing.T
	dir  string // control directory
	mgmt string
	proc daemon.Process
}

// startSwitch starts a vde_switch on dir (again, after stop), stopped at
// cleanup.
func startSwitch(t *testing.T, dir string) *testSwitch {
	t.Helper()
	testenv.Command(t, "vde_switch", "vde2")
	s := &testSwitch{t: t, dir: dir, mgmt: dir + ".mgmt"}
	s.start()
	t.Cleanup(func() { s.proc.Stop(time.Second) })
	return s
}

func (s *testSwitch) start() {
	s.t.Helper()
	pidFile := s.dir + ".pid"
	os.Remove(pidFile)
	p, err := daemon.StartDetached(context.Background(), daemon.Spec{Path: "vde_switch", Args: []string{"-d", "-s", s.dir, "-p", pidFile, "-M", s.mgmt, "-n", "8"}},
		pidFile, Timeout, func() error { return daemon.Listening(filepath.Join(s.dir, "ctl"), Timeout) })
	if err != nil {
		s.t.Fatal(err)
	}
	s.proc = p
}

func (s *testSwitch) restart() {
	s.t.Helper()
	if err := s.proc.Stop(time.Second); err != nil {
		s.t.Fatal(err)
	}
	s.start()
}

// endpoints returns how many endpoints the switch has on port.
func (s *testSwitch) endpoints(port int) int {
	s.t.Helper()
	c, err := vdemgmt.Dial(s.mgmt, vdemgmt.PromptSwitch, Timeout)
	if err != nil {
		s.t.Fatal(err)
	}
	defer c.Close()
	lines, err := c.Do(fmt.Sprintf("port/print %d", port))
	if vdemgmt.IsCode(err, vdemgmt.ENXIO) {
		return 0 // no such port: nothing holds it
	}
	if err != nil {
		s.t.Fatalf("port/print %d: %v", port, err)
	}
	n := 0
	for _, l := range lines {
		// "  -- endpoint ID 0003 module unix prog   : vde_crosscable user=root pid=..."
		// (the pid is the wirefilter's before it detached)
		if strings.Contains(l, "-- endpoint ID") {
			n++
		}
	}
	return n
}

// testGroup is a cgroup for the test's wires, killed and removed at
// cleanup.
func testGroup(t *testing.T, name string) daemon.Group {
	t.Helper()
	h, err := daemon.HostHierarchy()
	if err != nil {
		t.Fatal(err)
	}
	top := h.Group(fmt.Sprintf("benito-test-%s-%d", name, os.Getpid()))
	t.Cleanup(func() {
		top.Kill(time.Second)
		top.Remove()
	})
	return top.Child("wire")
}

func waitDead(t *testing.T, p daemon.Process) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); p.Alive(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still running", p.Pid)
		}
	}
}

func mustEnsure(t *testing.T, w Wire, wantHubStarted bool) {
	t.Helper()
	started, err := w.Ensure()
	if err != nil {
		t.Fatal(err)
	}
	if started != wantHubStarted {
		t.Errorf("Ensure started a hub: %v, want %v", started, wantHubStarted)
	}
	if !w.Working() {
		t.Fatalf("the wire does not work after Ensure")
	}
	if got, err := w.Read(); err != nil || !Same(got, w.Shaping) {
		t.Errorf("Read = %v, %v; want %v", got, err, w.Shaping)
	}
}

// setup makes t need root and VDE's programs, and starts a switch in a
// directory of its own.
func setup(t *testing.T) (tmp string, sw *testSwitch) {
	t.Helper()
	testenv.Root(t)
	testenv.Command(t, "wirefilter", "vde2")
	tmp = t.TempDir()
	return tmp, startSwitch(t, filepath.Join(tmp, "sw"))
}

// started starts the wire in dir on port of sw, with 1ms of latency,
// stopped at cleanup.
func started(t *testing.T, dir string, sw *testSwitch, port int) Wire {
	t.Helper()
	w := Wire{Dir: dir, Switch: sw.dir, Port: port, Shaping: shaping.Shaping{Latency: time.Millisecond}}
	t.Cleanup(func() { w.Stop() })
	mustEnsure(t, w, true)
	// Also when a test removed the wire's pid files, or Stop failed:
	// nothing it started outlives it.
	hub, wf := w.Processes()
	t.Cleanup(func() { hub.Stop(0); wf.Stop(0) })
	return w
}

func TestWire(t *testing.T) {
	tmp, sw := setup(t)
	g := testGroup(t, "vdewire")
	w := Wire{Dir: filepath.Join(tmp, "a", "eth0"), Switch: sw.dir, Port: 3, Group: g,
		Shaping: shaping.Shaping{Latency: 50 * time.Millisecond, Capacity: 1_000_000}}
	t.Cleanup(func() { w.Stop() })

	mustEnsure(t, w, true)
	hub, wf := w.Processes()
	if !hub.Alive() || !wf.Alive() {
		t.Fatalf("hub %v, wirefilter %v: want both running", hub, wf)
	}
	if got := sw.endpoints(3); got != 1 {
		t.Errorf("the switch's port 3 has %d endpoints, want 1 (the wirefilter)", got)
	}
	if err := daemon.Listening(filepath.Join(w.Hub(), "ctl"), Timeout); err != nil {
		t.Errorf("the hub does not listen at %s: %v", w.Hub(), err)
	}
	h, _ := daemon.HostHierarchy()
	for _, p := range []daemon.Process{hub, wf} {
		if got, _ := daemon.GroupOf(p.Pid, h); got != g.Path() {
			t.Errorf("process %d (%s) is in cgroup %q, want %q", p.Pid, p.Name(), got, g.Path())
		}
	}
	// 1 Mbit/s: the queue bounded as a bridge's token bucket is.
	if buf, err := w.Buffer(); err != nil || buf != 81920 {
		t.Errorf("buffer %d (%v), want 81920", buf, err)
	}

	// Values change in place: the same hub and wirefilter.
	w.Shaping = shaping.Shaping{Latency: 10 * time.Millisecond, Loss: 1.5, Capacity: 100_000_000}
	mustEnsure(t, w, false)
	if h2, w2 := w.Processes(); h2 != hub || w2 != wf {
		t.Errorf("a change of values restarted the hub or the wirefilter: %v %v -> %v %v", hub, wf, h2, w2)
	}
	if buf, err := w.Buffer(); err != nil || buf != 2625000 {
		t.Errorf("buffer after the change %d (%v), want 2625000", buf, err)
	}
	// And back to no capacity: an unbounded buffer.
	w.Shaping = shaping.Shaping{Latency: 10 * time.Millisecond}
	mustEnsure(t, w, false)
	if buf, err := w.Buffer(); err != nil || buf != 0 {
		t.Errorf("buffer without capacity %d (%v), want 0", buf, err)
	}

	// A dead wirefilter: not working; Ensure starts another, on the same hub.
	syscall.Kill(wf.Pid, syscall.SIGKILL)
	waitDead(t, wf)
	if w.Working() || !w.HubAlive() {
		t.Fatalf("killed wirefilter: working %v, hub alive %v", w.Working(), w.HubAlive())
	}
	mustEnsure(t, w, false)
	h3, w3 := w.Processes()
	if h3 != hub || w3 == wf || !w3.Alive() {
		t.Errorf("after repair: hub %v (was %v), wirefilter %v (was %v)", h3, hub, w3, wf)
	}
	if got := sw.endpoints(3); got != 1 {
		t.Errorf("after repair the switch's port 3 has %d endpoints, want 1", got)
	}
	wf = w3

	// Another port of the same switch is another attachment.
	other := w
	other.Port = 4
	if other.Working() {
		t.Errorf("a wire joined to port 3 works as one to port 4")
	}

	// A switch started again: the wirefilter lives on (and spins), but
	// the switch is not the one it joined.
	sw.restart()
	if w.Working() {
		t.Errorf("the wire works across a switch restart")
	}
	mustEnsure(t, w, false)
	if _, w4 := w.Processes(); w4 == wf || wf.Alive() {
		t.Errorf("after a switch restart: wirefilter %v (old %v, alive %v)", w4, wf, wf.Alive())
	}

	// A dead hub: a new hub and wirefilter, and Ensure says so.
	hub, wf = w.Processes()
	syscall.Kill(hub.Pid, syscall.SIGKILL)
	waitDead(t, hub)
	if w.HubAlive() || w.Working() {
		t.Fatalf("killed hub: alive %v, working %v", w.HubAlive(), w.Working())
	}
	mustEnsure(t, w, true)
	if h5, w5 := w.Processes(); h5 == hub || w5 == wf || wf.Alive() {
		t.Errorf("after the hub died: hub %v (was %v), wirefilter %v (was %v, alive %v)", h5, hub, w5, wf, wf.Alive())
	}
	if got := sw.endpoints(3); got != 1 {
		t.Errorf("after a new hub the switch's port 3 has %d endpoints, want 1", got)
	}

	// Stop leaves no process or file; stopping again is no error.
	hub, wf = w.Processes()
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []daemon.Process{hub, wf} {
		if p.Alive() {
			t.Errorf("process %d still running after Stop", p.Pid)
		}
	}
	if _, err := os.Stat(w.Dir); !os.IsNotExist(err) {
		t.Errorf("the wire's directory after Stop: %v", err)
	}
	if pids, _ := g.Pids(); len(pids) != 0 {
		t.Errorf("processes left in the wire's cgroup: %v", pids)
	}
	if got := sw.endpoints(3); got != 0 {
		t.Errorf("the switch's port 3 still has %d endpoints", got)
	}
	if err := (Wire{Dir: w.Dir}).Stop(); err != nil {
		t.Errorf("Stop of a stopped wire: %v", err)
	}
}

// TestWireLeftByACrash: a hub and wirefilter whose start was not recorded
// in benito's pid files (benito killed in between) are found by the
// daemons' own pid files and stopped.
func TestWireLeftByACrash(t *testing.T) {
	tmp, sw := setup(t)
	w := started(t, filepath.Join(tmp, "eth0"), sw, 2)
	hub, wf := w.Processes()
	for _, f := range []string{w.hubPidFile(), w.wirePidFile()} {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := (Wire{Dir: w.Dir}).Stop(); err != nil {
		t.Fatal(err)
	}
	if hub.Alive() || wf.Alive() {
		t.Errorf("after Stop: hub alive %v, wirefilter alive %v", hub.Alive(), wf.Alive())
	}
	if _, err := os.Stat(w.Dir); !os.IsNotExist(err) {
		t.Errorf("the wire's directory after Stop: %v", err)
	}
}

// TestWireStrangers: a pid file that names a process benito did not start
// for the wire (another program, or the same program for another socket)
// leaves it running, and Stop says so.
func TestWireStrangers(t *testing.T) {
	tmp, sw := setup(t)
	// Another wire on the same switch: a real wirefilter and hub, not
	// this wire's.
	theirs := started(t, filepath.Join(tmp, "theirs"), sw, 1)
	theirHub, theirWire := theirs.Processes()
	sleep, err := daemon.Start(daemon.Spec{Path: "sleep", Args: []string{"600"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sleep.Stop(0) })

	w := Wire{Dir: filepath.Join(tmp, "eth0")}
	if err := os.MkdirAll(w.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file   string
		victim daemon.Process
	}{
		{w.hubPidFile(), sw.proc},    // a vde_switch, not this wire's hub
		{w.hubPidFile(), theirHub},   // another wire's hub
		{w.wirePidFile(), theirWire}, // another wire's wirefilter
		{w.wirePidFile(), sleep},     // another program
		{w.hubPidFile(), sleep},
	} {
		if err := daemon.WritePidFile(tc.file, tc.victim, ""); err != nil {
			t.Fatal(err)
		}
		err := w.Stop()
		if err == nil || !strings.Contains(err.Error(), "benito left it running") {
			t.Errorf("Stop with %s naming %d (%s): %v", filepath.Base(tc.file), tc.victim.Pid, tc.victim.Name(), err)
		}
		if !tc.victim.Alive() {
			t.Fatalf("process %d (%s), not this wire's, was stopped", tc.victim.Pid, tc.victim.Name())
		}
		if _, err := os.Stat(tc.file); err != nil {
			t.Errorf("the pid file naming a stranger was removed: %v", err)
		}
		os.Remove(tc.file)
	}
	// A daemon's own pid file naming a stranger (its pid reused) is no
	// error: it has no start time, and is only acted on when it names
	// this wire's daemon.
	if err := os.WriteFile(w.hubOwnPidFile(), []byte(fmt.Sprintln(sleep.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := w.Stop(); err != nil {
		t.Errorf("Stop with hub.pid naming a stranger: %v", err)
	}
	if !sleep.Alive() {
		t.Fatal("a process named by a daemon's own stale pid file was stopped")
	}
	if !theirs.Working() {
		t.Error("the other wire stopped working")
	}
}

func TestWireBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, w := range []Wire{
		{Switch: "/run/sw", Port: 1},
		{Dir: dir, Port: 1},
		{Dir: dir, Switch: "/run/sw"},
		{Dir: dir, Switch: "/run/s:w", Port: 1},
		{Dir: dir + "/a[1]", Switch: "/run/sw", Port: 1},
		{Dir: dir, Switch: "/run/sw", Port: 1, Shaping: shaping.Shaping{Loss: 150}},
	} {
		if _, err := w.Ensure(); err == nil {
			t.Errorf("Ensure of %+v: no error", w)
		}
	}
	if err := (Wire{}).Stop(); err == nil {
		t.Error("Stop of a wire without a directory: no error")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused wire left %v", entries)
	}
}

func TestValues(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{{"50+0U", 50, true}, {"1.25e+07+0U", 1.25e7, true}, {"0.5+1e+03N", 0.5, true}, {"12", 12, true},
		{"-1+0U", 0, false}, {"NaN+0U", 0, false}, {"Inf", 0, false}, {"x+0U", 0, false}} {
		if got, ok := number(tc.in); ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("number(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	s := shaping.Shaping{Capacity: 100_000_000, Latency: 1500 * time.Microsecond, Loss: 0.5}
	got := values(s, buffer(s))
	// The buffer: 10ms of burst and 200ms of queue at 12.5 MB/s.
	if got[0].value != "1.5" || got[1].value != "0.5" || got[2].value != "12500000" || got[3].value != "2625000" {
		t.Errorf("values(%v) = %v", s, got)
	}
	if s := (shaping.Shaping{Latency: time.Millisecond}); values(s, buffer(s))[3].value != "0" {
		t.Errorf("without a capacity the buffer is %d, want 0 (unbounded)", buffer(s))
	}
	// wirefilter prints six significant digits.
	if !Same(shaping.Shaping{Capacity: 123_457_000 * 8}, shaping.Shaping{Capacity: 123_456_789 * 8}) {
		t.Errorf("Same is stricter than wirefilter's output")
	}
	if Same(shaping.Shaping{Latency: 30 * time.Millisecond}, shaping.Shaping{Latency: 10 * time.Millisecond}) {
		t.Errorf("Same(30ms, 10ms)")
	}
}
