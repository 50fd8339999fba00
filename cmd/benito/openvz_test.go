package main

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/syncbuf"
	"github.com/benito-net/benito/internal/testenv"
	"github.com/benito-net/benito/model"
	"github.com/benito-net/benito/providers"
)

// These tests run OpenVZ-style containers for real: the test template of
// scripts/ct-template (testenv.CTTemplate), on private areas with loop
// devices, in namespaces and cgroups of their own.

// needContainers makes t need what openvz nodes need: root, VDE, the test
// template.
func needContainers(t *testing.T) {
	t.Helper()
	requireRoot(t)
	testenv.Command(t, "wirefilter", "vde2")
	testenv.Command(t, "mkfs.ext4", "e2fsprogs")
	testenv.CTTemplate(t)
}

// ctLeftovers is vmLeftovers, and the experiment's private areas and loop
// devices.
func ctLeftovers(t *testing.T, name string) []string {
	t.Helper()
	left := vmLeftovers(t, name)
	runDir := filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name)
	out, _ := exec.Command("losetup", "-a").Output()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, runDir+"/") {
			left = append(left, "loop device "+line)
		}
	}
	return left
}

// ctInit returns the host's pid of the init of container node, from its
// pid file, or 0.
func ctInit(runDir, node string) int {
	proc, _, err := daemon.ReadPidFile(filepath.Join(runDir, "openvz", node, "init"))
	if err != nil {
		return 0
	}
	return proc.Pid
}

// TestMixed applies examples/mixed: an openvz container, a process node
// and a QEMU machine on one VDE switch. Each pings the other two from
// inside; the container has its share, hostname, startup command, limits
// and diskspace (writing past it fails inside); a memory change is applied
// in place (the same init runs on); a container killed by hand is made
// anew by the next apply; destroy leaves no process, mount, cgroup,
// namespace, device or private area.
func TestMixed(t *testing.T) {
	needVMs(t)
	needContainers(t)
	dir, name := realExperiment(t, "mixed")
	runDir := filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name)
	users := "users=" + usersDir(t)
	if r := benito(t, "", "apply", "-auto-approve", "-var", users, dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	addrs := map[string]string{"ct": "10.0.8.10", "p": "10.0.8.20", "vm": "10.0.8.30"}
	for from := range addrs {
		for to, addr := range addrs {
			if from != to {
				ping(t, dir, from, addr, 1)
			}
		}
	}
	run := func(node string, args ...string) string {
		t.Helper()
		r := benito(t, "", append([]string{"exec", "-C", dir, node, "--"}, args...)...)
		if r.code != 0 {
			t.Fatalf("exec %s %q:\n%s", node, args, r)
		}
		return r.stdout
	}
	if got := run("ct", "cat", "/users/hello"); got != "from the host\n" {
		t.Errorf("ct's /users/hello: %q", got)
	}
	if got := run("ct", "cat", "/run/started"); got != "up as ct\n" {
		t.Errorf("ct's startup command wrote %q", got)
	}
	// benito exec enters the container's PID namespace and root: its
	// init is PID 1, its / is the private area's overlay.
	if got := run("ct", "sh", "-c", "cat /proc/1/comm; grep ' / ' /proc/mounts"); !strings.HasPrefix(got, "init\noverlay / overlay") {
		t.Errorf("ct's PID 1 and root:\n%s", got)
	}
	if got := run("vm", "cat", "/etc/hosts"); !strings.Contains(got, "10.0.8.10\tct") {
		t.Errorf("vm's hosts does not name ct:\n%s", got)
	}
	r := benito(t, "", "exec", "-C", dir, "ct", "--", "dd", "if=/dev/zero", "of=/big", "bs=1M", "count=100")
	if r.code == 0 || !strings.Contains(r.stderr, "No space left on device") {
		t.Errorf("writing 100 MiB into a container of diskspace 64M:\n%s", r)
	}
	run("ct", "rm", "/big")

	// Memory in place: the same init, a new limit.
	init := ctInit(runDir, "ct")
	p := benito(t, "", "plan", "-no-color", "-var", users, "-var", "memory=96", dir)
	if !strings.Contains(p.stdout, "vnode.ct will be updated in-place") {
		t.Errorf("a memory change is not planned in place:\n%s", p)
	}
	if r := benito(t, "", "apply", "-auto-approve", "-var", users, "-var", "memory=96", dir); r.code != 0 {
		t.Fatalf("apply of memory=96:\n%s", r)
	}
	if got := ctInit(runDir, "ct"); got != init || init == 0 {
		t.Errorf("the container's init changed from %d to %d in an update in place", init, got)
	}
	if got := cgroupMemory(t, runDir, "ct"); got != 96<<20 {
		t.Errorf("the container's memory limit is %d bytes, want %d", got, 96<<20)
	}

	// Killed by hand: the next plan makes it anew, and apply does.
	if err := syscall.Kill(init, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGoneT(t, init)
	p = benito(t, "", "plan", "-no-color", "-var", users, "-var", "memory=96", dir)
	if !strings.Contains(p.stdout, "vnode.ct has been deleted") {
		t.Errorf("plan after the container's init was killed:\n%s", p)
	}
	if r := benito(t, "", "apply", "-auto-approve", "-var", users, "-var", "memory=96", dir); r.code != 0 {
		t.Fatalf("apply after the kill:\n%s", r)
	}
	ping(t, dir, "ct", addrs["vm"], 1)
	if got := run("ct", "cat", "/users/hello"); got != "from the host\n" {
		t.Errorf("ct made anew: /users/hello: %q", got)
	}
	if r := benito(t, "", "destroy", "-auto-approve", "-var", users, dir); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	if left := ctLeftovers(t, name); len(left) > 0 {
		t.Errorf("destroy left on the host:\n%s", strings.Join(left, "\n"))
	}
}

// cgroupMemory returns the memory limit of container node's cgroup, as
// daemon reads it back.
func cgroupMemory(t *testing.T, runDir, node string) uint64 {
	t.Helper()
	l, err := providers.Group(runDir, contract.NodeOpenVZ, node).Limits()
	if err != nil {
		t.Fatalf("the memory limit of %s's cgroup: %v", node, err)
	}
	return l.MemoryBytes
}

// waitGoneT waits until process pid has ended (a zombie counts).
func waitGoneT(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(b), ") Z ") {
			return
		}
	}
	t.Fatalf("process %d still runs 10s after SIGKILL", pid)
}

// containers is an experiment of n containers on a VDE switch and a
// bridge, each with a startup command.
const containers = `
experiment %q {}
site { default_type = "openvz" }
switch "vde" {
  kind   = "vde"
  subnet = "10.0.6.0/24"
}
switch "br" {
  kind   = "bridge"
  subnet = "10.0.5.0/24"
}
vnode "c" {
  count     = %d
  diskspace = "16M"
  interface "eth0" {
    switch      = switch.vde
    ip4_address = cidrhost(switch.vde.subnet, 10 + count.index)
  }
  interface "eth1" {
    switch      = switch.br
    ip4_address = cidrhost(switch.br.subnet, 10 + count.index)
  }
  startup = "sleep 1000"
}
`

// TestOpenVZApplyKilled kills an apply with SIGKILL while it starts
// containers: the plan after it knows everything on the host (no
// warning of objects the state does not know), and destroy removes it
// all: inits, private areas, loop devices, pins, cgroups.
func TestOpenVZApplyKilled(t *testing.T) {
	needContainers(t)
	name := fmt.Sprintf("ctkill-%04x", rand.Intn(1<<16))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(fmt.Sprintf(containers, name, 6)), 0o644); err != nil {
		t.Fatal(err)
	}
	leaveNoRoots(t)
	runDir := filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name)
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "benito.state")); err == nil {
			runBin(t, "", "destroy", "-auto-approve", "-sweep", dir)
		}
		if left := ctLeftovers(t, name); len(left) > 0 {
			t.Errorf("left on the host:\n%s", strings.Join(left, "\n"))
		}
	})
	cmd := exec.Command(benitoBin, "apply", "-auto-approve", dir)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var out syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the killed apply said:\n%s", out.String())
		}
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	// Killed once a few containers run, others being made.
	for deadline := time.Now().Add(time.Minute); ; {
		entries, _ := os.ReadDir(filepath.Join(runDir, "private"))
		if len(entries) >= 3 {
			break
		}
		select {
		case <-exited:
			t.Fatalf("apply ended before 3 containers were made")
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no 3 containers within a minute")
		}
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
	p := runBin(t, "", "plan", dir)
	if p.code != 0 || strings.Contains(p.stderr, "Warning:") {
		t.Errorf("plan after the kill (it must know everything on the host):\n%s", p)
	}
	if r := runBin(t, "", "destroy", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	if left := ctLeftovers(t, name); len(left) > 0 {
		t.Errorf("destroy after the kill left on the host:\n%s", strings.Join(left, "\n"))
	}
}

// TestOpenVZTopDL applies DETER's routed experiment with its three
// computers of containers:node_type openvz: containers they are (init is
// PID 1 in each), and a reaches b through the router container, which
// forwards, over the static routes benito computed.
func TestOpenVZTopDL(t *testing.T) {
	needContainers(t)
	name := fmt.Sprintf("cttopdl-%04x", rand.Intn(1<<16))
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "topdl", "testdata", "routed.xml"))
	if err != nil {
		t.Fatal(err)
	}
	typ := "<attribute>containers:node_type</attribute><value>process</value>"
	if strings.Count(string(src), typ) != 3 {
		t.Fatal("routed.xml has not three node_types")
	}
	xml := strings.ReplaceAll(string(src), typ, "<attribute>containers:node_type</attribute><value>openvz</value>")
	if err := os.WriteFile(filepath.Join(dir, name+".xml"), []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
	leaveNoRoots(t)
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "benito.state")); err == nil {
			benito(t, "", "destroy", "-auto-approve", dir)
		}
	})
	r := benito(t, "", "plan", "-no-color", dir)
	if len(regexp.MustCompile(`\+ type +?= "openvz"`).FindAllString(r.stdout, -1)) != 3 {
		t.Fatalf("the TopDL's openvz computers are not planned as openvz nodes:\n%s", r)
	}
	if r := benito(t, "", "apply", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	for _, node := range []string{"a", "router", "b"} {
		if r := benito(t, "", "exec", "-C", dir, node, "--", "cat", "/proc/1/comm"); r.stdout != "init\n" {
			t.Errorf("%s's PID 1 is not its init:\n%s", node, r)
		}
	}
	ping(t, dir, "a", "10.0.2.10", 2)
	if r := benito(t, "", "exec", "-C", dir, "b", "--", "ping", "-c", "2", "-W", "5", "10.0.1.10"); r.code != 0 || !strings.Contains(r.stdout, "2 packets received") {
		t.Errorf("b pings a through the router:\n%s", r)
	}
	if r := benito(t, "", "destroy", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	if left := ctLeftovers(t, name); len(left) > 0 {
		t.Errorf("destroy left on the host:\n%s", strings.Join(left, "\n"))
	}
}
