package vdemgmt

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSwitchSession runs a real vde_switch and talks to it: data lines,
// a refusal with its errno, and shutdown ending the session.
func TestSwitchSession(t *testing.T) {
	if _, err := exec.LookPath("vde_switch"); err != nil {
		t.Skip("vde_switch not installed (Debian package vde2)")
	}
	dir := t.TempDir()
	mgmt := filepath.Join(dir, "m")
	pidFile := filepath.Join(dir, "pid")
	// -d: a vde_switch in the foreground reads commands from its stdin and
	// ends at its end.
	if out, err := exec.Command("vde_switch", "-d", "-p", pidFile, "-s", filepath.Join(dir, "ctl"), "-M", mgmt, "-n", "4").CombinedOutput(); err != nil {
		t.Fatalf("vde_switch: %v\n%s", err, out)
	}
	// The daemon writes its pid file and opens its socket after the
	// command returns.
	pid := 0
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		b, _ := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		if _, err := os.Stat(mgmt); err == nil && pid > 0 {
			break
		}
	}
	if pid <= 0 {
		t.Fatal("vde_switch wrote no pid file")
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	c, err := Dial(mgmt, PromptSwitch, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Do("port/create 2"); err != nil {
		t.Fatal(err)
	}
	lines, err := c.Do("port/allprint")
	if err != nil || len(lines) == 0 || !strings.HasPrefix(lines[0], "Port 0002") {
		t.Fatalf("port/allprint: %q, %v", lines, err)
	}
	_, err = c.Do("port/remove 3")
	if !IsCode(err, ENXIO) || !strings.Contains(err.Error(), `vde_switch refused "port/remove 3"`) {
		t.Errorf("removing a port that does not exist: %v", err)
	}
	if _, err := c.Do("shutdown"); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	for deadline := time.Now().Add(5 * time.Second); syscall.Kill(pid, 0) == nil && !zombie(pid); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the switch did not shut down")
		}
	}
}

// zombie reports a process that has ended but is not reaped yet (the
// daemon's parent is init, which may reap it late).
func zombie(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] == "Z"
}
