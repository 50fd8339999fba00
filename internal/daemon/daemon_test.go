package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func start(t *testing.T, spec Spec) Process {
	t.Helper()
	p, err := Start(spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(0) })
	return p
}

func TestStartStop(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	p := start(t, Spec{Path: "sh", Args: []string{"-c", "echo started; exec sleep 60"}, Log: log})
	if !p.Alive() {
		t.Fatal("not alive after Start")
	}
	for i := 0; ; i++ {
		if b, _ := os.ReadFile(log); strings.Contains(string(b), "started") {
			break
		}
		if i > 200 {
			t.Fatal("nothing in the log")
		}
		time.Sleep(10 * time.Millisecond)
	}
	q, err := FromPid(p.Pid)
	if err != nil || q != p {
		t.Fatalf("FromPid = %v, %v; want %v", q, err, p)
	}
	pgid, _ := syscall.Getpgid(p.Pid)
	if pgid != p.Pid {
		t.Errorf("pgid %d, want a new group %d", pgid, p.Pid)
	}
	if err := p.Stop(time.Second); err != nil {
		t.Fatal(err)
	}
	if p.Alive() {
		t.Fatal("alive after Stop")
	}
	if err := p.Stop(time.Second); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

func TestStopKillsGroup(t *testing.T) {
	// The shell ignores SIGTERM; its child does not. Stop must escalate and
	// take the whole group.
	dir := t.TempDir()
	p := start(t, Spec{Path: "sh", Args: []string{"-c", "trap '' TERM; sleep 60 & echo $! > child; wait"}, Dir: dir})
	var child Process
	for i := 0; ; i++ {
		b, err := os.ReadFile(filepath.Join(dir, "child"))
		if pid, _ := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
			if child, err = FromPid(pid); err != nil {
				t.Fatal(err)
			}
			break
		}
		if i > 200 {
			t.Fatal("no child pid")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.Stop(100 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if p.Alive() {
		t.Fatal("leader alive after Stop")
	}
	// The child (which inherited the ignored SIGTERM) dies of the group's
	// SIGKILL; that may land a moment after the leader's.
	for deadline := time.Now().Add(2 * time.Second); child.Alive(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the group's child outlived Stop")
		}
	}
}

func TestDeadAndReused(t *testing.T) {
	p := start(t, Spec{Path: "true"})
	deadline := time.Now().Add(5 * time.Second)
	for p.Alive() {
		if time.Now().After(deadline) {
			t.Fatal("true still alive")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Same pid, other start time: not the same process.
	self, err := FromPid(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	other := Process{Pid: self.Pid, StartTime: self.StartTime + 1}
	if other.Alive() {
		t.Error("a process with another start time is alive")
	}
	if err := other.Stop(0); err != nil {
		t.Error(err)
	}
}

func TestFromPidFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "pid")
	os.WriteFile(f, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	p, err := FromPidFile(f)
	if err != nil || p.Pid != os.Getpid() || !p.Alive() {
		t.Fatalf("FromPidFile = %v, %v", p, err)
	}
	os.WriteFile(f, []byte("junk"), 0o644)
	if _, err := FromPidFile(f); err == nil {
		t.Error("no error for a pid file without a pid")
	}
}

func TestStartMissing(t *testing.T) {
	if _, err := Start(Spec{Path: "/nonexistent/prog"}); err == nil {
		t.Error("no error starting a missing program")
	}
}

// TestStartDetached: a program that detaches is waited for until its pid
// file names a live process that is ready; one never ready is stopped;
// one that fails says why.
func TestStartDetached(t *testing.T) {
	dir := t.TempDir()
	pidFile, readyFile := filepath.Join(dir, "pid"), filepath.Join(dir, "ready")
	// Detaches a sleep that becomes ready a little later, keeping the
	// output open (as a careless daemon does: costs WaitDelay, no error).
	script := `sleep 30 & echo $! > ` + pidFile + `; (sleep 0.2; touch ` + readyFile + `) &`
	ready := func() error { _, err := os.Stat(readyFile); return err }
	p, err := StartDetached(context.Background(), Spec{Path: "sh", Args: []string{"-c", script}}, pidFile, 5*time.Second, ready)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(0) })
	if !p.Alive() || ready() != nil {
		t.Errorf("returned before the daemon was ready: alive %v, ready %v", p.Alive(), ready())
	}

	os.Remove(pidFile)
	never := func() error { return errors.New("not yet") }
	_, err = StartDetached(context.Background(), Spec{Path: "sh", Args: []string{"-c", `sleep 30 >/dev/null 2>&1 & echo $! > ` + pidFile}}, pidFile, 100*time.Millisecond, never)
	if err == nil || !strings.Contains(err.Error(), "not ready within") {
		t.Errorf("never ready: %v", err)
	}
	if q, ferr := FromPidFile(pidFile); ferr == nil && q.Alive() {
		q.Stop(0)
		t.Errorf("a daemon never ready was left running")
	}

	_, err = StartDetached(context.Background(), Spec{Path: "sh", Args: []string{"-c", "echo bad option >&2; exit 2"}}, pidFile, time.Second, ready)
	if err == nil || !strings.Contains(err.Error(), "bad option") {
		t.Errorf("a failing program: %v", err)
	}

	// A program that never detaches (as a wirefilter whose switch does not
	// answer) is killed at the timeout instead of waited for.
	start := time.Now()
	_, err = StartDetached(context.Background(), Spec{Path: "sh", Args: []string{"-c", "exec sleep 30"}}, pidFile, 200*time.Millisecond, ready)
	if took := time.Since(start); err == nil || !strings.Contains(err.Error(), "did not detach within 200ms") || took > 3*time.Second {
		t.Errorf("a program that never detaches: %v, after %v", err, took)
	}
}

// TestLogMode: a log is readable by its owner alone, whether Start makes it
// or finds it (an older benito made them 0644); what a program prints may
// be secret.
func TestLogMode(t *testing.T) {
	dir := t.TempDir()
	fresh, old := filepath.Join(dir, "fresh.log"), filepath.Join(dir, "old.log")
	if err := os.WriteFile(old, []byte("before\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, log := range []string{fresh, old} {
		p := start(t, Spec{Path: "true", Log: log})
		p.Stop(time.Second)
		fi, err := os.Stat(log)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %o, want 600", filepath.Base(log), fi.Mode().Perm())
		}
	}
	if b, _ := os.ReadFile(old); !strings.HasPrefix(string(b), "before\n") {
		t.Errorf("the log's earlier content is gone: %q", b)
	}
}
