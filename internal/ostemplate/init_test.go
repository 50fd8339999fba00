package ostemplate

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/syncbuf"
	"github.com/benito-net/benito/internal/testenv"
)

// TestTemplateInit unpacks the test template (scripts/ct-template) through
// Cache and a copy of it through Unpack, and runs its busybox init for real
// as PID 1 of new PID, mount, UTS, IPC and network namespaces rooted in
// the copy: init's rc sets the hostname from /etc/hostname and brings lo
// up, one enters the container with nsenter, and SIGTERM stops it within a
// few seconds after its shutdown action.
func TestTemplateInit(t *testing.T) {
	tarball := testenv.CTTemplate(t)
	unshare := testenv.Command(t, "unshare", "util-linux")
	nsenter := testenv.Command(t, "nsenter", "util-linux")
	ctx := context.Background()

	cached, err := Cache(ctx, tarball, filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bin/busybox", "sbin/init", "etc/inittab", "etc/init.d/rcS", "etc/passwd", "etc/group", "etc/hosts", "proc", "sys", "dev", "tmp", "run", "root", "var"} {
		if _, err := os.Stat(filepath.Join(cached, name)); err != nil {
			t.Errorf("the template holds no %s: %v", name, err)
		}
	}
	dir := filepath.Join(t.TempDir(), "root")
	start := time.Now()
	if err := Unpack(ctx, tarball, dir); err != nil {
		t.Fatal(err)
	}
	t.Logf("unpacked in %v", time.Since(start).Round(time.Millisecond))
	hostname := fmt.Sprintf("ct-test-%d", os.Getpid())
	if err := os.WriteFile(filepath.Join(dir, "etc/hostname"), []byte(hostname+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	var out syncbuf.Buffer
	// --kill-child: init dies with unshare, which dies with the test.
	cmd := exec.Command(unshare, "--pid", "--fork", "--kill-child", "--mount", "--uts", "--ipc", "--net",
		"--mount-proc=/proc", "--root="+dir, "/sbin/init")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	initPID, waited := 0, false
	t.Cleanup(func() {
		if waited {
			return
		}
		if initPID > 0 {
			syscall.Kill(initPID, syscall.SIGKILL)
		}
		cmd.Process.Kill()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("unshare %d still runs 10s after SIGKILL", cmd.Process.Pid)
		}
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("container's output:\n%s", out.String())
		}
	})

	// init is unshare's child (--fork).
	children := fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid)
	for deadline := time.Now().Add(5 * time.Second); initPID == 0; time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(children)
		if f := strings.Fields(string(b)); len(f) == 1 {
			initPID, _ = strconv.Atoi(f[0])
		}
		if time.Now().After(deadline) {
			t.Fatalf("unshare started no child in 5s (%s: %q)", children, b)
		}
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", initPID))
	if err != nil {
		t.Fatal(err)
	}
	nspid := ""
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "NSpid:" {
			nspid = f[len(f)-1]
		}
	}
	if nspid != "1" {
		t.Errorf("init is PID %q in its namespace, want 1", nspid)
	}
	if root, err := os.Readlink(fmt.Sprintf("/proc/%d/root", initPID)); err != nil || root != dir {
		t.Errorf("init's root is %q (%v), want %s", root, err, dir)
	}
	if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", initPID)); err != nil || exe != filepath.Join(dir, "bin/busybox") {
		t.Errorf("init runs %q (%v), want the template's busybox", exe, err)
	}

	// Entering the container: its hostname set by rcS, lo up, busybox
	// init as PID 1.
	enter := func(args ...string) string {
		c := exec.Command(nsenter, append([]string{"--target", strconv.Itoa(initPID), "--all", "--root", "--wd", "--", "/bin/busybox"}, args...)...)
		b, err := c.CombinedOutput()
		if err != nil {
			return fmt.Sprintf("%v: %s", err, b)
		}
		return strings.TrimSpace(string(b))
	}
	var got, lo string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got, lo = enter("hostname"), enter("ip", "-o", "link", "show", "lo")
		if got == hostname && strings.Contains(lo, ",UP") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10s the container's hostname is %q (want %q), lo is %q (want UP)", got, hostname, lo)
		}
	}
	ps := enter("ps", "-o", "pid,args")
	if !strings.Contains(ps, "\n    1 init") && !strings.Contains(ps, "\n    1 /sbin/init") {
		t.Errorf("ps in the container shows no init as PID 1:\n%s", ps)
	}
	if hostHostname, _ := os.Hostname(); hostHostname == hostname {
		t.Errorf("the host's hostname became %q", hostname)
	}

	start = time.Now()
	if err := syscall.Kill(initPID, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		// unshare ends as init did: killed by SIGHUP, which is how the
		// kernel ends a PID namespace's init that calls reboot(2).
		t.Logf("stopped %v after SIGTERM (unshare: %v)", time.Since(start).Round(time.Millisecond), err)
		waited = true
	case <-time.After(5 * time.Second):
		t.Fatalf("init still runs 5s after SIGTERM")
	}
	if !strings.Contains(out.String(), "ct: stopping") {
		t.Errorf("init did not run its shutdown action; its output:\n%s", out.String())
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", cmd.Process.Pid)); err == nil {
		t.Errorf("unshare %d is still there", cmd.Process.Pid)
	}
}
