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

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/testenv"
	"github.com/benito-net/benito/model"
)

// These tests run the examples for real, as root: namespaces, bridges,
// vde_switch daemons, node processes. Each experiment has a unique name,
// and experiment() destroys it when a test fails half-way.

// leftovers lists what experiment name still has on the host: processes
// started for it, mounts (its nodes' namespace pins), devices carrying its
// tag, and its run directory.
func leftovers(t testing.TB, name string) []string {
	t.Helper()
	var out []string
	ps, _ := exec.Command("ps", "-eo", "pid=,stat=,args=").Output()
	runDir := filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name)
	for _, line := range strings.Split(string(ps), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || strings.HasPrefix(f[1], "Z") {
			continue
		}
		if args := strings.Join(f[2:], " "); strings.Contains(args, runDir+"/") {
			out = append(out, "process "+args)
		}
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(mounts), "\n") {
		if f := strings.Fields(line); len(f) > 4 && (f[4] == runDir || strings.HasPrefix(f[4], runDir+"/")) {
			out = append(out, "mount "+f[4])
		}
	}
	links, _ := exec.Command("ip", "-o", "link", "show").Output()
	tag := contract.DeviceTag(name)
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

// ping runs ping inside node and returns the shortest round trip.
func ping(t *testing.T, dir, node, addr string, count int) time.Duration {
	t.Helper()
	r := benito(t, "", "exec", "-C", dir, node, "--", "ping", "-n", "-q", "-c", strconv.Itoa(count), "-i", "0.2", "-W", "3", addr)
	if r.code != 0 || !strings.Contains(r.stdout, " 0% packet loss") {
		t.Fatalf("ping %s from %s:\n%s", addr, node, r)
	}
	// The shortest round trip: shaping adds a floor to every packet, and a
	// busy machine only adds to some.
	m := regexp.MustCompile(`= ([0-9.]+)/[0-9.]+/`).FindStringSubmatch(r.stdout)
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
			// What the failed destroy left (the state may no longer know
			// all of it): once more, sweeping, so that a failed test
			// leaves nothing on the host either.
			if r := benito(t, "", "destroy", "-auto-approve", "-sweep", dir); r.code != 0 {
				t.Errorf("cleaning up %s with -sweep:\n%s", name, r)
			}
		}
	})
	return dir, name
}

// leaveNoRoots removes the site's default run and config roots when the
// test ends, if they did not exist before it and are empty by then.
func leaveNoRoots(t testing.TB) {
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
	testenv.Root(t)
}

// TestQuickstart applies the README's quickstart: a ping crosses the router
// both ways over the computed static routes, drift (a killed vde_switch, a
// node's namespace unpinned, a deleted host veth) shows in the plan and
// apply repairs it, and destroy leaves nothing on the host.
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

	// Run-time attributes (a switch's pid, a node's namespace inodes): the
	// state shows them, a plan neither shows nor compares them.
	if r := benito(t, "", "state", "show", "-C", dir, "switch.lan2"); r.code != 0 || !strings.Contains(r.stdout, "pid ") {
		t.Errorf("state show lacks the switch's pid:\n%s", r)
	}
	if r := benito(t, "", "show", "-no-color", dir); r.code != 0 || !strings.Contains(r.stdout, "namespace_inodes") {
		t.Errorf("show lacks the nodes' namespace inodes:\n%s", r)
	}
	if r := benito(t, "", "plan", "-no-color", "-destroy", dir); r.code != 0 || strings.Contains(r.stdout, "pid") || strings.Contains(r.stdout, "namespace_inodes") || !strings.Contains(r.stdout, "(generated, ") {
		t.Errorf("a destroy plan shows run-time attributes, or a generated file whole:\n%s", r)
	}

	// Drift: each is seen, and one apply repairs all of them.
	runDir := filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name)
	killSwitch(t, runDir, "lan2")
	unpin(t, runDir, "router")
	if err := exec.Command("ip", "link", "del", contract.DeviceName(runDir, contract.DeviceOfVNode, "a", "eth0")).Run(); err != nil {
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
// (their remains: a dead switch's files, nodes whose namespaces were
// unpinned, with the plug of one still running).
func TestDestroyAfterDrift(t *testing.T) {
	requireRoot(t)
	dir, name := realExperiment(t, "quickstart")
	if r := benito(t, "", "apply", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	runDir := filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name)
	killSwitch(t, runDir, "lan2")
	for _, node := range []string{"router", "a"} {
		unpin(t, runDir, node)
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

// unpin unmounts node's namespace pins by hand (the files stay), as a
// node's death looks to benito.
func unpin(t *testing.T, runDir, node string) {
	t.Helper()
	for _, k := range []string{"net", "uts", "mnt"} {
		if err := syscall.Unmount(filepath.Join(runDir, "ns", k, node), syscall.MNT_DETACH); err != nil {
			t.Fatalf("unmounting %s's %s pin: %v", node, k, err)
		}
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

// readdressed is an experiment for TestAddressesAndNames: a router between
// two bridges, a's address and the extra nodes set by variables, a
// startup that ends at once and one that runs on.
const readdressed = `
experiment %q {
  routing = "static"
}

variable "a_host" {
  type    = number
  default = 10
}

variable "extra" {
  type    = map(number)
  default = {}
}

site {
  default_type = "process"
}

switch "lan1" {
  kind   = "bridge"
  subnet = "10.0.1.0/24"
}

switch "lan2" {
  kind   = "bridge"
  subnet = "10.0.2.0/24"
}

vnode "router" {
  interface "eth0" {
    switch      = switch.lan1
    ip4_address = cidrhost(switch.lan1.subnet, 1)
  }
  interface "eth1" {
    switch      = switch.lan2
    ip4_address = cidrhost(switch.lan2.subnet, 1)
  }
}

vnode "a" {
  startup = "ip link set lo mtu 1400"
  interface "eth0" {
    switch      = switch.lan1
    ip4_address = cidrhost(switch.lan1.subnet, var.a_host)
  }
}

vnode "b" {
  startup = "exec sleep 600"
  interface "eth0" {
    switch      = switch.lan2
    ip4_address = cidrhost(switch.lan2.subnet, 10)
  }
}

vnode "more" {
  for_each = var.extra
  interface "eth0" {
    switch      = switch.lan2
    ip4_address = cidrhost(switch.lan2.subnet, each.value)
  }
}
`

// TestAddressesAndNames: changing a node's address in place keeps its
// routes (they name the address they leave by, so they are installed
// again after the node), the next plan is empty; every node resolves
// every node's name through the experiment's hosts file, a node added
// later too; benito show shows the startup commands' status.
func TestAddressesAndNames(t *testing.T) {
	requireRoot(t)
	name := fmt.Sprintf("names-%04x", rand.Intn(1<<16))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(fmt.Sprintf(readdressed, name)), 0o644); err != nil {
		t.Fatal(err)
	}
	leaveNoRoots(t)
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "benito.state")); err == nil {
			benito(t, "", "destroy", "-auto-approve", "-var", "extra={c=11}", "-var", "a_host=20", dir)
		}
	})
	getent := func(node, host, want string) {
		t.Helper()
		r := benito(t, "", "exec", "-C", dir, node, "--", "getent", "hosts", host)
		if r.code != 0 || !strings.HasPrefix(r.stdout, want+" ") {
			t.Errorf("getent hosts %s in %s, want %s:\n%s", host, node, want, r)
		}
	}
	if r := benito(t, "", "apply", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	ping(t, dir, "a", "10.0.2.10", 1)
	getent("a", "b", "10.0.2.10")
	getent("b", "a", "10.0.1.10")
	getent("a", "localhost", "::1") // getent asks for IPv6 first
	if r := benito(t, "", "exec", "-C", dir, "b", "--", "hostname"); r.stdout != "b\n" {
		t.Errorf("hostname in b:\n%s", r)
	}
	r := benito(t, "", "show", dir)
	for _, want := range []string{`status      = "exited with code 0"`, `status      = "running"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("benito show lacks %s:\n%s", want, r)
		}
	}

	// a's address changes in place: its route through the router is
	// installed again after the change.
	r = benito(t, "", "plan", "-no-color", "-var", "a_host=20", dir)
	for _, want := range []string{"vnode.a will be updated in-place", `route.a["10.0.2.0/24"] will be updated in-place`, `"10.0.1.10" -> "10.0.1.20"`, "0 to add", "0 to destroy"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the plan of a's new address lacks %q:\n%s", want, r)
		}
	}
	if r := benito(t, "", "apply", "-auto-approve", "-var", "a_host=20", dir); r.code != 0 {
		t.Fatalf("apply of a's new address:\n%s", r)
	}
	ping(t, dir, "a", "10.0.2.10", 1)
	if r := benito(t, "", "plan", "-detailed-exitcode", "-var", "a_host=20", dir); r.code != 0 {
		t.Errorf("after the new address the plan must be empty:\n%s", r)
	}
	getent("b", "a", "10.0.1.20")

	// A node added later: its name resolves in the nodes already there.
	if r := benito(t, "", "apply", "-auto-approve", "-var", "a_host=20", "-var", "extra={c=11}", dir); r.code != 0 {
		t.Fatalf("apply of a new node:\n%s", r)
	}
	getent("a", "more-c", "10.0.2.11")
	getent("more-c", "a", "10.0.1.20")
	ping(t, dir, "a", "more-c", 1)

	if r := benito(t, "", "destroy", "-auto-approve", "-var", "a_host=20", "-var", "extra={c=11}", dir); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	if left := leftovers(t, name); len(left) > 0 {
		t.Errorf("destroy left on the host:\n%s", strings.Join(left, "\n"))
	}
}

// killSwitch kills the vde_switch of switch sw of the experiment whose run
// directory is runDir, by its pid file.
func killSwitch(t *testing.T, runDir, sw string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(runDir, "switch", sw+".pid"))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(atoi(t, strings.TrimSpace(string(b))), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
}
