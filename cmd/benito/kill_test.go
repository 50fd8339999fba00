package main

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/testenv"
	"github.com/benito-net/benito/providers"
	"github.com/vishvananda/netlink"
)

// envKillNodes sets the size of TestKillProcessExperiment: its number of
// nodes (default killNodesDefault).
const envKillNodes = "BENITO_KILL_NODES"

// killNodesDefault is the size go test (and so CI) runs: a tenth of its
// nodes with a startup command, and the same kill points as at 200.
const killNodesDefault = 40

// processExperiment writes an experiment of n process nodes, each on a
// shaped VDE switch (its interface behind a hub and a wirefilter) and on a
// shaped bridge switch, one node in ten with a startup command that forks
// a process and keeps running, under run and config roots of the test's own. It
// returns the experiment's directory, name, run and config directories.
func processExperiment(t *testing.T, n int) (dir, name, runDir, configDir string) {
	t.Helper()
	tmp := t.TempDir()
	dir = filepath.Join(tmp, "exp")
	name = fmt.Sprintf("kill-%04x", rand.Intn(1<<16))
	runRoot, configRoot := filepath.Join(tmp, "run"), filepath.Join(tmp, "config")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	withStartup := n / 10
	src := fmt.Sprintf(`experiment %q {}

site {
  default_type = "process"
  run_root     = %q
  config_root  = %q
}

switch "v" {
  kind     = "vde"
  subnet   = "10.80.0.0/16"
  latency  = "1ms"
  capacity = "100Mbit"
}

switch "b" {
  kind     = "bridge"
  subnet   = "10.81.0.0/16"
  capacity = "100Mbit"
}

vnode "n" {
  count = %d
  interface "eth0" {
    switch      = switch.v
    ip4_address = cidrhost(switch.v.subnet, count.index + 1)
  }
  interface "eth1" {
    switch      = switch.b
    ip4_address = cidrhost(switch.b.subnet, count.index + 1)
  }
}

vnode "s" {
  count   = %d
  startup = "sleep 100000 & exec sleep 100000"
  interface "eth0" {
    switch      = switch.v
    ip4_address = cidrhost(switch.v.subnet, count.index + 1001)
  }
  interface "eth1" {
    switch      = switch.b
    ip4_address = cidrhost(switch.b.subnet, count.index + 1001)
  }
}
`, name, runRoot, configRoot, n-withStartup, withStartup)
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, name, filepath.Join(runRoot, name), filepath.Join(configRoot, name)
}

// hostLeftovers lists what the host holds of the experiment whose run
// directory is runDir: processes whose arguments name the run directory
// (pgrep, an exact pattern), processes in its cgroups and the groups
// themselves, mounts under it (its nodes' namespace pins), devices of its
// form or alias (contract.DeviceIsOurs: bridges, veths, TAPs), and the
// run and config directories (sockets, pid files, logs, config files).
func hostLeftovers(t *testing.T, runDir, configDir string) []string {
	t.Helper()
	var out []string
	if b, err := exec.Command("pgrep", "-a", "-f", "--", runDir+"/").Output(); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if line != "" {
				out = append(out, "process "+line)
			}
		}
	}
	for _, prov := range []string{contract.HostNetProvider, "process"} {
		g, err := providers.ExperimentGroup(runDir, prov)
		if err != nil {
			t.Fatal(err)
		}
		pids, _ := g.Pids()
		for _, pid := range pids {
			comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
			out = append(out, fmt.Sprintf("process %d (%s) in %s", pid, strings.TrimSpace(string(comm)), g))
		}
		if g.Exists() {
			out = append(out, g.String())
		}
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(mounts), "\n") {
		if f := strings.Fields(line); len(f) > 4 && (f[4] == runDir || strings.HasPrefix(f[4], runDir+"/")) {
			out = append(out, "mount "+f[4])
		}
	}
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if a := l.Attrs(); contract.DeviceIsOurs(runDir, a.Name, a.Alias) {
			out = append(out, "link "+a.Name+" ("+l.Type()+")")
		}
	}
	for _, d := range []string{runDir, configDir} {
		filepath.WalkDir(d, func(path string, e os.DirEntry, err error) error {
			if err == nil {
				out = append(out, "file "+path)
			}
			return nil
		})
	}
	return out
}

// TestKillProcessExperiment kills `benito apply` and `benito destroy` of a
// real process-node experiment (VDE and bridge switches, shaping, startup
// commands) with SIGKILL at many points, each run going on from what the
// last one left, then checks that the next plan knows everything the host
// holds, that a full apply converges, and that after a final destroy the
// host holds nothing of the experiment: no namespace pin, link,
// vde_switch, vde_plug2tap, wirefilter, mount, socket or file, and nothing
// in its cgroups. Its size is killNodesDefault nodes, BENITO_KILL_NODES
// when set (docs/security.md has the figures at 200).
func TestKillProcessExperiment(t *testing.T) {
	requireRoot(t)
	for _, prog := range []string{"vde_switch", "vde_plug2tap", "wirefilter"} {
		testenv.Command(t, prog, "vde2")
	}
	n := killNodesDefault
	if s := os.Getenv(envKillNodes); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 10 {
			t.Fatalf("%s=%q: want a number of nodes, at least 10", envKillNodes, s)
		}
	}
	start := time.Now()
	dir, name, runDir, configDir := processExperiment(t, n)
	t.Cleanup(func() {
		// Whatever the test's end, nothing of the experiment stays.
		if r := runBin(t, "", "destroy", "-auto-approve", "-sweep", dir); r.code != 0 {
			t.Errorf("cleanup: destroy -sweep of %s:\n%s", name, r)
		}
	})
	nodes := func() int {
		entries, _ := os.ReadDir(filepath.Join(runDir, "ns", "net"))
		return len(entries)
	}
	// A kill lands either after a delay, or once the run has made (apply)
	// or removed (destroy) a given number of nodes more than the last run
	// left: points before, while and after benito loads, plans and walks.
	type kill struct {
		op    string // "apply" or "destroy"
		delay time.Duration
		nodes int // nodes made (apply) or removed (destroy) before the kill
	}
	kills := []kill{
		{op: "apply", delay: 0},
		{op: "apply", delay: 150 * time.Millisecond},
		{op: "apply", nodes: 1},
		{op: "apply", nodes: n / 8},
		{op: "apply", nodes: n / 4},
		{op: "destroy", delay: 200 * time.Millisecond},
		{op: "destroy", nodes: n / 8},
		{op: "apply", nodes: n / 3},
		{op: "apply", nodes: n / 2},
		{op: "destroy", nodes: 1},
		{op: "destroy", nodes: n / 4},
		{op: "apply", nodes: n / 5},
	}
	unknownSeen := 0
	killsOf := map[string]int{"destroy": 1} // with the last one, below
	for i, k := range kills {
		killsOf[k.op]++
		before := nodes()
		args := []string{k.op, "-auto-approve", dir}
		cmd := exec.Command(benitoBin, args...)
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		time.Sleep(k.delay)
		for deadline := time.Now().Add(2 * time.Minute); k.nodes > 0 && time.Now().Before(deadline); {
			now := nodes()
			if (k.op == "apply" && now >= before+k.nodes) || (k.op == "destroy" && now <= before-k.nodes) {
				break
			}
			select {
			case <-exited:
				deadline = time.Time{}
			case <-time.After(2 * time.Millisecond):
			}
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		t.Logf("kill %d (%s, after %v or %d nodes): %d nodes before, %d after", i, k.op, k.delay, k.nodes, before, nodes())

		// The state knows everything the host holds of the experiment.
		p := runBin(t, "", "plan", dir)
		if p.code != 0 {
			t.Fatalf("kill %d: plan failed:\n%s", i, p)
		}
		if strings.Contains(p.stderr, "Warning:") {
			// The providers were asked and answered: no warning of any
			// kind (a sweep that could not look would be one).
			t.Errorf("kill %d: plan warned:\n%s", i, p.stderr)
		}
		if strings.Contains(p.stderr, "that the state does not know") {
			unknownSeen++
			t.Errorf("kill %d: the host holds objects the state does not know:\n%s", i, p.stderr)
		}
	}
	// The full apply converges. At 200 nodes a hundred wirefilters
	// joining the one vde_switch at once can outlast their 5 s start on
	// a loaded machine (a failed create, tainted: the next apply goes on),
	// so it runs at a lower parallelism, and once more if it must.
	for try := 1; ; try++ {
		r := runBin(t, "", "apply", "-auto-approve", "-parallelism", "20", dir)
		if r.code == 0 {
			break
		}
		if try == 3 {
			t.Fatalf("full apply after the kills, %d tries:\n%s", try, r)
		}
		t.Logf("full apply after the kills, try %d failed: %s", try, firstLineOf(r.stderr))
	}
	if got := nodes(); got != n {
		t.Errorf("after the full apply: %d nodes pinned, want %d", got, n)
	}
	if r := runBin(t, "", "plan", "-detailed-exitcode", dir); r.code != 0 {
		t.Errorf("after the full apply the plan must be empty:\n%s", r)
	}
	// One more kill in the middle of a destroy of everything, then the
	// final destroy.
	cmd := exec.Command(benitoBin, "destroy", "-auto-approve", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Minute); nodes() > n/2 && time.Now().Before(deadline); {
		time.Sleep(2 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	r := runBin(t, "", "destroy", "-auto-approve", dir)
	if r.code != 0 {
		t.Fatalf("final destroy:\n%s", r)
	}
	if strings.Contains(r.stderr, "that the state does not know") {
		unknownSeen++
		t.Errorf("the final destroy found objects the state does not know:\n%s", r.stderr)
	}
	left := hostLeftovers(t, runDir, configDir)
	for _, l := range left {
		t.Errorf("left on the host after the final destroy: %s", l)
	}
	t.Logf("%d nodes; %d kills (%d of apply, %d of destroy); objects the state did not know: %d; left after the final destroy: %d; %v",
		n, len(kills)+1, killsOf["apply"], killsOf["destroy"], unknownSeen, len(left), time.Since(start).Round(time.Second))
}

func firstLineOf(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// TestLostStateSweep: with benito.state deleted, plan and destroy name what
// the host still holds of a real experiment (and say the backup exists);
// a plain destroy leaves it, destroy -sweep removes all of it.
func TestLostStateSweep(t *testing.T) {
	requireRoot(t)
	for _, prog := range []string{"vde_switch", "vde_plug2tap", "wirefilter"} {
		testenv.Command(t, prog, "vde2")
	}
	dir, name, runDir, configDir := processExperiment(t, 10)
	t.Cleanup(func() {
		if left := hostLeftovers(t, runDir, configDir); len(left) > 0 {
			runBin(t, "", "destroy", "-auto-approve", "-sweep", dir)
		}
	})
	for range 2 { // twice: the second write makes the backup
		if r := runBin(t, "", "apply", "-auto-approve", dir); r.code != 0 {
			t.Fatalf("apply:\n%s", r)
		}
	}
	state := filepath.Join(dir, "benito.state")
	if _, err := os.Stat(state + ".backup"); err != nil {
		// An apply with nothing to do writes nothing: make the backup.
		b, _ := os.ReadFile(state)
		os.WriteFile(state+".backup", b, 0o600)
	}
	if err := os.Remove(state); err != nil {
		t.Fatal(err)
	}
	p := runBin(t, "", "plan", dir)
	for _, want := range []string{
		"The state is missing, but its backup is not", "cp " + state + ".backup " + state,
		"that the state does not know", `vnode name "n-0"`, `vnode name "s-0"`, `switch socket "` + filepath.Join(runDir, "switch", "v.ctl") + `"`,
		"benito destroy -sweep",
	} {
		if !strings.Contains(p.stderr, want) {
			t.Errorf("plan without the state says nothing of %q:\n%s", want, p)
		}
	}
	if r := runBin(t, "", "destroy", "-auto-approve", dir); r.code != 0 || !strings.Contains(r.stderr, "that the state does not know") {
		t.Errorf("destroy without the state must warn:\n%s", r)
	}
	if left := hostLeftovers(t, runDir, configDir); len(left) == 0 {
		t.Fatalf("a destroy without -sweep removed what the state did not know")
	}
	r := runBin(t, "", "destroy", "-auto-approve", "-sweep", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "Swept") {
		t.Fatalf("destroy -sweep of %s:\n%s", name, r)
	}
	for _, l := range hostLeftovers(t, runDir, configDir) {
		t.Errorf("left on the host after destroy -sweep: %s", l)
	}
}
