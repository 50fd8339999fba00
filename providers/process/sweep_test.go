package process

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
)

// TestSweep: everything a node's create starts (its plug, its shaped
// interface's hub and wirefilter, its startup command and what that
// forks) is born in the node's cgroup; with the state lost, Sweep finds
// the node from the host alone, and removes it all.
func TestSweep(t *testing.T) {
	e := newEnv(t)
	sock, _ := e.vdeSwitch()
	e.apply(contract.VNode, "vnode.w", e.nodeConfig("w", false,
		ifc{name: "eth0", vdeSocket: sock, vdePort: 1, addr: "10.63.2.1/24", latency: "5ms"},
		ifc{name: "eth1", vdeSocket: sock, vdePort: 2, addr: "10.63.3.1/24"}))
	log := filepath.Join(e.runDir, "log", "w.startup.log")
	e.apply(contract.Startup, "startup.w", startupConfig("w", "sleep 1000 & sleep 1000", log))

	g := layout{e.runDir, Name}.nodeGroup("w")
	if g.IsZero() {
		t.Fatal("no cgroup hierarchy: the node's processes are not marked")
	}
	pids, err := g.Pids()
	if err != nil {
		t.Fatal(err)
	}
	progs := map[string]int{}
	for _, pid := range pids {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		progs[strings.TrimSpace(string(b))]++
	}
	// vde_plug2tap twice (eth0 on its hub, eth1 on the switch), the hub,
	// the wirefilter, the startup's shell and its two sleeps.
	for prog, want := range map[string]int{"vde_plug2tap": 2, "vde_switch": 1, "wirefilter": 1, "sleep": 2} {
		if progs[prog] != want {
			t.Errorf("%d %s in %s, want %d (all: %v)", progs[prog], prog, g, want, progs)
		}
	}

	// The state is lost: Sweep alone finds the node.
	resp := e.p.Sweep(context.Background(), providers.SweepRequest{})
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics.Err())
	}
	if len(resp.Objects) != 1 || resp.Objects[0].Type != contract.VNode || resp.Objects[0].KeyAttribute != "name" || resp.Objects[0].Key != "w" {
		t.Fatalf("Sweep found %+v, want the one node w", resp.Objects)
	}
	v := e.state["vnode.w"]
	resp = e.p.Sweep(context.Background(), providers.SweepRequest{Remove: resp.Objects})
	if resp.Diagnostics.HasErrors() || len(resp.Objects) != 0 {
		t.Fatalf("Sweep removing the node: left %+v, %v", resp.Objects, resp.Diagnostics.Err())
	}
	delete(e.state, "vnode.w")
	delete(e.state, "startup.w")
	e.checkGone(v)
	for _, pid := range pids {
		// Gone, or a zombie its parent (this test) has not reaped yet.
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil && !strings.Contains(string(b), ") Z ") {
			t.Errorf("process %d of the node still runs: %s", pid, b)
		}
	}
	if g.Exists() {
		t.Errorf("%s is still there", g)
	}
	if _, err := os.Lstat(e.runDir); err == nil {
		t.Errorf("the run directory %s is still there", e.runDir)
	}
}
