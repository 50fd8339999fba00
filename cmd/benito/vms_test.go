package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/syncbuf"
	"github.com/benito-net/benito/internal/testenv"
	"github.com/benito-net/benito/model"
)

// These tests boot QEMU machines for real, under TCG where KVM does not
// work: the test guest of scripts/guest-image (testenv.GuestImage).

// needVMs makes t need what QEMU nodes need: root, QEMU, VDE, the test
// guest.
func needVMs(t *testing.T) {
	t.Helper()
	requireRoot(t)
	testenv.Command(t, "qemu-system-x86_64", "qemu-system-x86")
	testenv.Command(t, "wirefilter", "vde2")
	testenv.GuestImage(t)
}

// usersDir is a directory shared into the machines as /users, with a file.
func usersDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// vmProcess returns the pid of the QEMU of machine node of the experiment
// whose run directory is runDir, or 0.
func vmProcess(t *testing.T, runDir, node string) int {
	t.Helper()
	want := "unix:" + filepath.Join(runDir, "qemu", node, "qmp.sock")
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), want) {
			if st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && !strings.Contains(string(st), ") Z ") {
				return pid
			}
		}
	}
	return 0
}

// vmLeftovers is leftovers, and the experiment's cgroup.
func vmLeftovers(t *testing.T, name string) []string {
	t.Helper()
	left := leftovers(t, name)
	runDir := filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name)
	for _, root := range []string{"/sys/fs/cgroup/unified/benito", "/sys/fs/cgroup/benito"} {
		g := filepath.Join(root, strings.ReplaceAll(strings.TrimPrefix(runDir, "/"), "/", "-"))
		if _, err := os.Stat(g); err == nil {
			left = append(left, "cgroup "+g)
		}
	}
	return left
}

// TestVMs applies examples/vms: two machines and a process node on a VDE
// switch, /users shared, vm2's link shaped. The probe pings both machines,
// the machines have their share, routes, hostname, hosts and startup
// command; a latency change is applied to the running machine's link; a
// memory change is planned as a replacement; a machine killed by hand is
// made anew by the next apply; destroy leaves nothing.
func TestVMs(t *testing.T) {
	needVMs(t)
	dir, name := realExperiment(t, "vms")
	runDir := filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name)
	users := "users=" + usersDir(t)
	start := time.Now()
	if r := benito(t, "", "apply", "-auto-approve", "-var", users, dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	t.Logf("apply took %v", time.Since(start).Round(time.Millisecond))

	ping(t, dir, "probe", "10.0.9.11", 2)
	if rtt := ping(t, dir, "probe", "10.0.9.12", 3); rtt < 20*time.Millisecond {
		t.Errorf("vm2 delays what it sends by 20ms: round trip %v", rtt)
	}
	run := func(node string, args ...string) string {
		t.Helper()
		r := benito(t, "", append([]string{"exec", "-C", dir, node, "--"}, args...)...)
		if r.code != 0 {
			t.Fatalf("exec %s %q:\n%s", node, args, r)
		}
		return r.stdout
	}
	if got := run("vm1", "cat", "/users/hello"); got != "from the host\n" {
		t.Errorf("vm1's /users/hello: %q", got)
	}
	if got := run("vm1", "grep", " /users ", "/proc/mounts"); !strings.Contains(got, " /users 9p ro,") {
		t.Errorf("vm1's /users is not a read-only 9P mount: %q", got)
	}
	if got := run("vm1", "ip", "route"); !strings.Contains(got, "10.0.0.0/8 via 10.0.9.2") {
		t.Errorf("vm1's routes lack its route block's:\n%s", got)
	}
	if got := run("vm1", "hostname"); got != "vm1\n" {
		t.Errorf("vm1's hostname: %q", got)
	}
	if got := run("vm1", "ping", "-c", "1", "-W", "5", "vm2"); !strings.Contains(got, "1 packets received") {
		t.Errorf("vm1 pings vm2 by name:\n%s", got)
	}
	if got := run("vm2", "cat", "/run/started"); got != "up\n" {
		t.Errorf("vm2's startup command: /run/started is %q", got)
	}
	if r := benito(t, "", "console", "-C", dir, "--log", "vm1"); r.code != 0 || !strings.Contains(r.stdout, "benito-guest: ready") {
		t.Errorf("console --log vm1:\n%s", r)
	}
	if fi, err := os.Stat(filepath.Join(runDir, "log", "qemu", "vm1.console.log")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("vm1's console log: %v, mode %v; want 0600 (a guest may print secrets)", err, fi.Mode())
	}
	// Of the experiment's config directory, the guest sees the hosts file
	// alone (topology.xml may be for root's eyes only).
	if got := run("vm1", "ls", "/run/benito-experiment"); got != "hosts\n" {
		t.Errorf("vm1's view of the experiment: %q, want the hosts file alone", got)
	}
	// benito exec: the guest's PATH, not the host's; input passed on.
	if r := benito(t, "typed in\n", "exec", "-C", dir, "vm1", "--", "sh", "-c", "cat; echo $PATH"); r.code != 0 || r.stdout != "typed in\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n" {
		t.Errorf("exec with input:\n%s", r)
	}

	// Latency: in place, on the running machine.
	pid := vmProcess(t, runDir, "vm2")
	r := benito(t, "", "plan", "-no-color", "-var", users, "-var", "latency=60ms", dir)
	if !strings.Contains(r.stdout, "vnode.vm2 will be updated in-place") || !strings.Contains(r.stdout, "0 to add") {
		t.Errorf("a latency change must be an update in place:\n%s", r)
	}
	if r := benito(t, "", "apply", "-auto-approve", "-var", users, "-var", "latency=60ms", dir); r.code != 0 {
		t.Fatalf("apply of the new latency:\n%s", r)
	}
	if rtt := ping(t, dir, "probe", "10.0.9.12", 3); rtt < 60*time.Millisecond {
		t.Errorf("vm2 delays what it sends by 60ms: round trip %v", rtt)
	}
	if now := vmProcess(t, runDir, "vm2"); now != pid || pid == 0 {
		t.Errorf("vm2's QEMU was %d, is %d: a latency change must not make a new machine", pid, now)
	}

	// Memory: a new machine.
	hcl := filepath.Join(dir, "main.hcl")
	src, err := os.ReadFile(hcl)
	if err != nil {
		t.Fatal(err)
	}
	more := strings.Replace(string(src), `qemu_memory  = "192"`, `qemu_memory  = "256"`, 1)
	if more == string(src) {
		t.Fatal("examples/vms sets no qemu_memory of 192")
	}
	if err := os.WriteFile(hcl, []byte(more), 0o644); err != nil {
		t.Fatal(err)
	}
	r = benito(t, "", "plan", "-no-color", "-var", users, "-var", "latency=60ms", dir)
	if !strings.Contains(r.stdout, "vnode.vm1 must be replaced") || !strings.Contains(r.stdout, "boot            = { # forces replacement") || !strings.Contains(r.stdout, "memory  = 192 -> 256") {
		t.Errorf("a memory change must replace the machines:\n%s", r)
	}
	if err := os.WriteFile(hcl, src, 0o644); err != nil {
		t.Fatal(err)
	}

	// A machine killed by hand is made anew.
	if pid := vmProcess(t, runDir, "vm1"); pid == 0 {
		t.Fatal("no QEMU for vm1")
	} else if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); vmProcess(t, runDir, "vm1") != 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	r = benito(t, "", "plan", "-no-color", "-var", users, "-var", "latency=60ms", dir)
	if !strings.Contains(r.stdout, "vnode.vm1 has been deleted") || !strings.Contains(r.stdout, "vnode.vm1 will be created") {
		t.Errorf("a killed machine must be made anew:\n%s", r)
	}
	if r := benito(t, "", "apply", "-auto-approve", "-var", users, "-var", "latency=60ms", dir); r.code != 0 {
		t.Fatalf("apply after the kill:\n%s", r)
	}
	ping(t, dir, "probe", "10.0.9.11", 2)
	if got := run("vm1", "cat", "/users/hello"); got != "from the host\n" {
		t.Errorf("the new vm1's /users/hello: %q", got)
	}
	if r := benito(t, "", "plan", "-detailed-exitcode", "-var", users, "-var", "latency=60ms", dir); r.code != 0 {
		t.Errorf("after the repair, the plan must be empty:\n%s", r)
	}

	if r := benito(t, "", "destroy", "-auto-approve", "-var", users, "-var", "latency=60ms", dir); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	if left := vmLeftovers(t, name); len(left) > 0 {
		t.Errorf("destroy left on the host:\n%s", strings.Join(left, "\n"))
	}
}

// TestVMApplyKilled kills benito apply while the machines boot: the next
// plan knows everything on the host (nothing unfindable), and destroy
// removes it all.
func TestVMApplyKilled(t *testing.T) {
	needVMs(t)
	dir, name := realExperiment(t, "vms")
	runDir := filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name)
	users := "users=" + usersDir(t)
	cmd := exec.Command(benitoBin, "apply", "-auto-approve", "-var", users, dir)
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
	// Also when the test fails before the kill: the destroy of
	// realExperiment's cleanup, which runs after this, needs the lock.
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	// Killed once both machines' QEMUs run (they boot for seconds).
	for deadline := time.Now().Add(2 * time.Minute); ; {
		if vmProcess(t, runDir, "vm1") != 0 && vmProcess(t, runDir, "vm2") != 0 {
			break
		}
		select {
		case <-exited:
			t.Fatal("apply ended before both machines ran")
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no QEMU ran within 2 minutes")
		}
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
	p := runBin(t, "", "plan", "-var", users, dir)
	if p.code != 0 || strings.Contains(p.stderr, "Warning:") {
		t.Errorf("plan after the kill (it must know everything on the host):\n%s", p)
	}
	if !strings.Contains(p.stdout, "vnode.vm1") {
		t.Errorf("plan after the kill does not make vm1 anew:\n%s", p)
	}
	if r := runBin(t, "", "destroy", "-auto-approve", "-var", users, dir); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	if left := vmLeftovers(t, name); len(left) > 0 {
		t.Errorf("destroy after the kill left on the host:\n%s", strings.Join(left, "\n"))
	}
}

// TestVMTopDL applies DETER's routed experiment with its router and its
// end node b left untyped: both run as QEMU machines (the site's default
// type), b behind a shaped link, and the process node a on the other LAN
// reaches b through the machine routing between them (ip_forward), both
// ways, over the static routes benito computed.
func TestVMTopDL(t *testing.T) {
	needVMs(t)
	name := fmt.Sprintf("vmtopdl-%04x", rand.Intn(1<<16))
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "topdl", "testdata", "routed.xml"))
	if err != nil {
		t.Fatal(err)
	}
	// The router's type (the first) and b's (the last) removed.
	typ := "      <attribute><attribute>containers:node_type</attribute><value>process</value></attribute>\n"
	if strings.Count(string(src), typ) != 3 {
		t.Fatal("routed.xml has not three node_types")
	}
	xml := strings.Replace(string(src), typ, "", 1)
	i := strings.LastIndex(xml, typ)
	xml = xml[:i] + xml[i+len(typ):]
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
	if strings.Count(r.stdout, `+ type            = "qemu"`) != 2 {
		t.Fatalf("the untyped nodes are not planned as QEMU machines:\n%s", r)
	}
	if r := benito(t, "", "apply", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	if rtt := ping(t, dir, "a", "10.0.2.10", 3); rtt < 5*time.Millisecond {
		t.Errorf("lan2 delays by 5ms: round trip %v", rtt)
	}
	if r := benito(t, "", "exec", "-C", dir, "b", "--", "ping", "-c", "2", "-W", "5", "10.0.1.10"); r.code != 0 || !strings.Contains(r.stdout, "2 packets received") {
		t.Errorf("the machine b pings a through the router:\n%s", r)
	}
	if r := benito(t, "", "exec", "-C", dir, "router", "--", "cat", "/proc/sys/net/ipv4/ip_forward"); r.stdout != "1\n" {
		t.Errorf("the router machine does not forward:\n%s", r)
	}
	if r := benito(t, "", "destroy", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	if left := vmLeftovers(t, name); len(left) > 0 {
		t.Errorf("destroy left on the host:\n%s", strings.Join(left, "\n"))
	}
}

// bridgedVM is an experiment for TestVMBridgeForward: a machine and a
// process node on a Linux bridge, and a port of the host forwarded into
// the machine, where its startup command serves it.
const bridgedVM = `
variable "port" { type = number }
variable "image" { type = string }
experiment %q {}
site { default_type = "qemu" }
switch "lan" {
  kind   = "bridge"
  subnet = "10.0.7.0/24"
}
vnode "vm" {
  interface "eth0" {
    switch      = switch.lan
    ip4_address = "10.0.7.10"
  }
  forward {
    host_port  = var.port
    guest_port = 7777
  }
  startup = "while :; do echo hello from the guest | nc -l -p 7777; done"
  image   = var.image
  guest_config = "cloud-init"
  kernel  = "/var/cache/benito/guest/current/vmlinuz"
  initrd  = "/var/cache/benito/guest/current/initrd.img"
}
vnode "h" {
  type = "process"
  interface "eth0" {
    switch      = switch.lan
    ip4_address = "10.0.7.1"
  }
}
`

// TestVMBridgeForward: a machine's interface on a bridge is a TAP of the
// host, the experiment's, enslaved to the bridge: the process node on the
// bridge pings the machine. A forward block maps a port of the host's
// loopback to the machine's user-mode interface. The machine's disk is an
// overlay on its image, which is never written. It has a cloud-init seed
// (which the test guest ignores: it reads its config share). Destroy
// removes the TAP, the overlay and the seed.
func TestVMBridgeForward(t *testing.T) {
	needVMs(t)
	name := fmt.Sprintf("vmbr-%04x", rand.Intn(1<<16))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(fmt.Sprintf(bridgedVM, name)), 0o644); err != nil {
		t.Fatal(err)
	}
	leaveNoRoots(t)
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "benito.state")); err == nil {
			benito(t, "", "destroy", "-auto-approve", "-var", "port=1", "-var", "image=/x", dir)
		}
	})
	// A port of the host's loopback that nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	portVar := "port=" + strconv.Itoa(port)
	image := filepath.Join(t.TempDir(), "base.qcow2")
	if out, err := exec.Command(testenv.Command(t, "qemu-img", "qemu-utils"), "create", "-q", "-f", "qcow2", image, "64M").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img create: %v\n%s", err, out)
	}
	base, err := os.ReadFile(image)
	if err != nil {
		t.Fatal(err)
	}
	imageVar := "image=" + image
	if r := benito(t, "", "apply", "-auto-approve", "-var", portVar, "-var", imageVar, dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	ping(t, dir, "h", "10.0.7.10", 2)
	if out, _ := exec.Command("ip", "-o", "link", "show", "type", "tun").Output(); !strings.Contains(string(out), contract.DeviceTag(name)) {
		t.Errorf("no TAP of the experiment on the host:\n%s", out)
	}
	var got []byte
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", l.Addr().String(), time.Second)
		if err != nil {
			continue
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		got, _ = io.ReadAll(c)
		c.Close()
		if len(got) > 0 {
			break
		}
	}
	if string(got) != "hello from the guest\n" {
		t.Errorf("127.0.0.1:%d, forwarded to the guest's port 7777, answered %q", port, got)
	}
	runDir := filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name)
	overlay := filepath.Join(runDir, "qemu", "vm", "disk.qcow2")
	if out, err := exec.Command("qemu-img", "info", "-U", "--output=json", overlay).Output(); err != nil || !strings.Contains(string(out), `"backing-filename": "`+image+`"`) {
		t.Errorf("the machine's disk %s is not an overlay on %s: %v\n%s", overlay, image, err, out)
	}
	seed := filepath.Join(runDir, "qemu", "vm", "seed.iso")
	if out, err := exec.Command(testenv.Command(t, "isoinfo", "genisoimage"), "-d", "-i", seed).Output(); err != nil || !strings.Contains(string(out), "Volume id: cidata") {
		t.Errorf("the machine's seed %s: %v\n%s", seed, err, out)
	}
	if out, err := exec.Command("isoinfo", "-J", "-i", seed, "-x", "/user-data").Output(); err != nil || !strings.Contains(string(out), "hostname: vm") || !strings.Contains(string(out), "10.0.7.1\th") {
		t.Errorf("the seed's user-data lacks the hostname or the experiment's hosts: %v\n%s", err, out)
	}
	if now, err := os.ReadFile(image); err != nil || !bytes.Equal(now, base) {
		t.Errorf("the image was written (or cannot be read: %v)", err)
	}
	if r := benito(t, "", "destroy", "-auto-approve", "-var", portVar, "-var", imageVar, dir); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	if left := vmLeftovers(t, name); len(left) > 0 {
		t.Errorf("destroy left on the host:\n%s", strings.Join(left, "\n"))
	}
}
