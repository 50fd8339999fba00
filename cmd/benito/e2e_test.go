package main

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/model"
)

// These tests run the examples for real, as root: namespaces, bridges,
// vde_switch daemons, node processes. Each experiment has a unique name,
// and experiment() destroys it when a test fails half-way.

// leftovers lists what experiment name still has on the host: node
// processes, daemons started for it, devices carrying its tag, and its run
// directory.
func leftovers(t *testing.T, name string) []string {
	t.Helper()
	var out []string
	ps, _ := exec.Command("ps", "-eo", "pid=,stat=,args=").Output()
	runDir := filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name)
	for _, line := range strings.Split(string(ps), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || strings.HasPrefix(f[1], "Z") {
			continue
		}
		if args := strings.Join(f[2:], " "); strings.Contains(args, "benito-node:"+name+"/") || strings.Contains(args, runDir+"/") {
			out = append(out, "process "+args)
		}
	}
	links, _ := exec.Command("ip", "-o", "link", "show").Output()
	tag := "b" + model.ExperimentTag(name) + "-"
	for _, line := range strings.Split(string(links), "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(f[1], tag) {
			out = append(out, "link "+strings.TrimSuffix(f[1], ":"))
		}
	}
	if _, err := os.Stat(runDir); err == nil {
		out = append(out, "directory "+runDir)
	}
	return out
}

// ping runs ping inside node and returns the average round trip.
func ping(t *testing.T, dir, node, addr string, count int) time.Duration {
	t.Helper()
	r := benito(t, "", "exec", "-C", dir, node, "--", "ping", "-n", "-q", "-c", strconv.Itoa(count), "-i", "0.2", "-W", "3", addr)
	if r.code != 0 || !strings.Contains(r.stdout, " 0% packet loss") {
		t.Fatalf("ping %s from %s:\n%s", addr, node, r)
	}
	m := regexp.MustCompile(`= [0-9.]+/([0-9.]+)/`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no round trip in ping's output:\n%s", r.stdout)
	}
	ms, _ := strconv.ParseFloat(m[1], 64)
	return time.Duration(ms * float64(time.Millisecond))
}

// realExperiment copies an example that writes to the site's default
// places (run and config roots) under a unique name, and destroys it when
// the test ends with something still applied.
func realExperiment(t *testing.T, example string) (dir, name string) {
	t.Helper()
	name = fmt.Sprintf("%s-%04x", example, rand.Intn(1<<16))
	dir, _, _ = experimentNamed(t, example, name)
	leaveNoRoots(t)
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "benito.state")); err != nil {
			return
		}
		if r := benito(t, "", "destroy", "-auto-approve", dir); r.code != 0 {
			t.Errorf("cleaning up %s:\n%s", name, r)
		}
	})
	return dir, name
}

// leaveNoRoots removes the site's default run and config roots when the
// test ends, if they did not exist before it and are empty by then.
func leaveNoRoots(t *testing.T) {
	t.Helper()
	for _, key := range []string{contract.SiteRunRoot, contract.SiteConfigRoot} {
		root := model.SiteDefaults[key]
		if _, err := os.Stat(root); err == nil {
			continue
		}
		t.Cleanup(func() { os.Remove(root) })
	}
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: makes namespaces and network devices")
	}
}

// TestQuickstart applies the README's quickstart: a ping crosses the router
// both ways over the computed static routes, drift (a killed vde_switch, a
// killed node process, a deleted host veth) shows in the plan and apply
// repairs it, and destroy leaves nothing on the host.
func TestQuickstart(t *testing.T) {
	requireRoot(t)
	dir, name := realExperiment(t, "quickstart")
	if r := benito(t, "", "apply", "-auto-approve", dir); r.code != 0 || !strings.Contains(r.stdout, "Apply complete!") {
		t.Fatalf("apply:\n%s", r)
	}
	ping(t, dir, "a", "10.0.2.10", 2)
	ping(t, dir, "b", "10.0.1.10", 2)
	if r := benito(t, "", "exec", "-C", dir, "a", "--", "hostname"); r.code != 0 || r.stdout != "a\n" {
		t.Errorf("hostname inside a:\n%s", r)
	}
	if r := benito(t, "", "exec", "-C", dir, "a", "--", "sh", "-c", "exit 7"); r.code != 7 {
		t.Errorf("exec must exit with the command's code, got %d", r.code)
	}

	// Drift: each is seen, and one apply repairs all of them.
	runDir := filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name)
	pidOf := func(file string) int {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		return pid
	}
	if err := syscall.Kill(pidOf(filepath.Join(runDir, "switch", "lan2.pid")), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pgrep", "-f", "^benito-node:"+name+"/router( |$)").Output()
	if err != nil {
		t.Fatalf("finding the router's process: %v", err)
	}
	if err := syscall.Kill(-atoi(t, strings.Fields(string(out))[0]), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("ip", "link", "del", model.DeviceName(name, "a", "eth0")).Run(); err != nil {
		t.Fatalf("deleting a's host veth: %v", err)
	}
	r := benito(t, "", "plan", "-no-color", dir)
	for _, want := range []string{"# switch.lan2 has been deleted", "# vnode.router has been deleted", "# vnode.a has changed"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the plan after drift lacks %q:\n%s", want, r)
		}
	}
	if r := benito(t, "", "apply", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("repairing apply:\n%s", r)
	}
	if r := benito(t, "", "plan", "-detailed-exitcode", dir); r.code != 0 {
		t.Errorf("after the repair the plan must be empty:\n%s", r)
	}
	ping(t, dir, "a", "10.0.2.10", 2)

	if r := benito(t, "", "destroy", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	if left := leftovers(t, name); len(left) > 0 {
		t.Errorf("destroy left on the host:\n%s", strings.Join(left, "\n"))
	}
}

// TestDestroyAfterDrift: things killed or deleted by hand and never
// repaired still leave nothing behind once the experiment is destroyed
// (their remains: a dead switch's files, a dead node's directory, a node
// whose plug died).
func TestDestroyAfterDrift(t *testing.T) {
	requireRoot(t)
	dir, name := realExperiment(t, "quickstart")
	if r := benito(t, "", "apply", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	runDir := filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name)
	b, err := os.ReadFile(filepath.Join(runDir, "switch", "lan2.pid"))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(atoi(t, strings.TrimSpace(string(b))), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for _, node := range []string{"router", "a"} {
		out, err := exec.Command("pgrep", "-f", "^benito-node:"+name+"/"+node+"( |$)").Output()
		if err != nil {
			t.Fatalf("finding %s's process: %v", node, err)
		}
		if err := syscall.Kill(-atoi(t, strings.Fields(string(out))[0]), syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	if r := benito(t, "", "destroy", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	// The killed processes' exits and their namespaces' ends are the
	// kernel's to finish: give it a moment.
	var left []string
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if left = leftovers(t, name); len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(left) > 0 {
		t.Errorf("destroy after drift left on the host:\n%s", strings.Join(left, "\n"))
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestShapedLink applies examples/shaped-link: the round trip shows the
// link's latency, and changing it is an update in place that the round
// trip follows.
func TestShapedLink(t *testing.T) {
	requireRoot(t)
	dir, name := realExperiment(t, "shaped-link")
	if r := benito(t, "", "apply", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	if rtt := ping(t, dir, "a", "10.0.0.2", 3); rtt < 95*time.Millisecond || rtt > 200*time.Millisecond {
		t.Errorf("latency 50ms each way: round trip %v, want about 100ms", rtt)
	}
	r := benito(t, "", "plan", "-no-color", "-var", "latency=10ms", dir)
	if !strings.Contains(r.stdout, "will be updated in-place") || !strings.Contains(r.stdout, "0 to add") || !strings.Contains(r.stdout, "0 to destroy") {
		t.Errorf("a latency change must be an update in place:\n%s", r)
	}
	if r := benito(t, "", "apply", "-auto-approve", "-var", "latency=10ms", dir); r.code != 0 {
		t.Fatalf("apply of the new latency:\n%s", r)
	}
	if rtt := ping(t, dir, "a", "10.0.0.2", 3); rtt < 18*time.Millisecond || rtt > 60*time.Millisecond {
		t.Errorf("latency 10ms each way: round trip %v, want about 20ms", rtt)
	}
	if r := benito(t, "", "destroy", "-auto-approve", "-var", "latency=10ms", dir); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	if left := leftovers(t, name); len(left) > 0 {
		t.Errorf("destroy left on the host:\n%s", strings.Join(left, "\n"))
	}
}

// TestRoutedTopDL applies a TopDL file as it is (process nodes, a router,
// routing static) and pings between its end nodes through the router.
func TestRoutedTopDL(t *testing.T) {
	requireRoot(t)
	name := fmt.Sprintf("routed-%04x", rand.Intn(1<<16))
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "topdl", "testdata", "routed.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".xml"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	leaveNoRoots(t)
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "benito.state")); err == nil {
			benito(t, "", "destroy", "-auto-approve", dir)
		}
	})
	if r := benito(t, "", "apply", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	ping(t, dir, "a", "10.0.2.10", 2)
	ping(t, dir, "b", "10.0.1.10", 2)
	if r := benito(t, "", "destroy", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	if left := leftovers(t, name); len(left) > 0 {
		t.Errorf("destroy left on the host:\n%s", strings.Join(left, "\n"))
	}
}
