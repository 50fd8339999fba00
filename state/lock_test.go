package state

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func mustLock(t *testing.T, f *File, operation string) *Locked {
	t.Helper()
	l, err := f.Lock(t.Context(), operation, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Unlock() })
	return l
}

func wantLocked(t *testing.T, err error) *LockedError {
	t.Helper()
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("got %v, want a *LockedError", err)
	}
	return le
}

func TestLockConflict(t *testing.T) {
	f := tempFile(t)
	l := mustLock(t, f, "apply")

	// flock belongs to the open file, so a second File conflicts in-process.
	other := NewFile(f.Path())
	_, err := other.Lock(t.Context(), "plan", 0)
	le := wantLocked(t, err)
	if le.Info == nil || le.Info.PID != os.Getpid() || le.Info.Operation != "apply" || le.Info.Version != Version {
		t.Errorf("lock info = %+v, want pid %d running apply", le.Info, os.Getpid())
	}
	msg := le.Error()
	for _, sub := range []string{"state is locked by ", "@", fmt.Sprintf("(pid %d)", os.Getpid()), `running "apply" since `, le.Info.ID, "-lock-timeout=DURATION"} {
		if !strings.Contains(msg, sub) {
			t.Errorf("error %q does not contain %q", msg, sub)
		}
	}

	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(); err != nil {
		t.Errorf("second unlock: %v", err)
	}
	if exists(t, f.LockInfoPath()) {
		t.Error("unlock left the info file")
	}
	if exists(t, f.LockPath()) {
		t.Error("unlock left the lock file")
	}
	mustLock(t, other, "plan")
	var info LockInfo
	if err := json.Unmarshal(readBytes(t, f.LockInfoPath()), &info); err != nil {
		t.Fatal(err)
	}
	if info.Operation != "plan" {
		t.Errorf("info names operation %q, want plan", info.Operation)
	}
}

func TestLockWait(t *testing.T) {
	for _, tc := range []struct {
		name       string
		holdFor    time.Duration // then the holder unlocks; 0: never
		timeout    time.Duration
		cancelAt   time.Duration // 0: never
		wantErr    bool
		wantWaited bool
	}{
		{name: "acquired after the holder unlocks", holdFor: 300 * time.Millisecond, timeout: 10 * time.Second},
		{name: "timeout expires", timeout: 300 * time.Millisecond, wantErr: true, wantWaited: true},
		{name: "context cancelled", timeout: 10 * time.Second, cancelAt: 200 * time.Millisecond, wantErr: true, wantWaited: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tempFile(t)
			l := mustLock(t, f, "apply")
			if tc.holdFor > 0 {
				time.AfterFunc(tc.holdFor, func() { l.Unlock() })
			}
			ctx := t.Context()
			if tc.cancelAt > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.cancelAt)
				defer cancel()
			}
			start := time.Now()
			l2, err := NewFile(f.Path()).Lock(ctx, "destroy", tc.timeout)
			elapsed := time.Since(start)
			if !tc.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				l2.Unlock()
				if elapsed < tc.holdFor-50*time.Millisecond {
					t.Errorf("acquired after %v, before the holder let go at %v", elapsed, tc.holdFor)
				}
				return
			}
			le := wantLocked(t, err)
			if tc.wantWaited && (le.Waited <= 0 || !strings.Contains(err.Error(), "after waiting")) {
				t.Errorf("error %q (Waited %v) does not say how long it waited", err, le.Waited)
			}
			if tc.cancelAt > 0 && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %q does not wrap the context's error", err)
			}
			if elapsed > 5*time.Second {
				t.Errorf("gave up after %v", elapsed)
			}
		})
	}
}

func TestLockStaleInfo(t *testing.T) {
	f := tempFile(t)
	// Left behind by a holder that was SIGKILLed: the kernel dropped its
	// flock but nobody removed the info.
	if err := os.WriteFile(f.LockInfoPath(), []byte(`{"id":"old","operation":"apply","pid":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	mustLock(t, f, "plan")
	var info LockInfo
	if err := json.Unmarshal(readBytes(t, f.LockInfoPath()), &info); err != nil {
		t.Fatal(err)
	}
	if info.ID == "old" || info.PID != os.Getpid() {
		t.Errorf("stale info not replaced: %+v", info)
	}
}

func TestLockWithoutInfo(t *testing.T) {
	f := tempFile(t)
	mustLock(t, f, "apply")
	// As if the holder had just taken the flock and not yet written info.
	if err := os.Remove(f.LockInfoPath()); err != nil {
		t.Fatal(err)
	}
	_, err := NewFile(f.Path()).Lock(t.Context(), "plan", 0)
	le := wantLocked(t, err)
	if le.Info != nil || !strings.Contains(err.Error(), "locked by another process") {
		t.Errorf("got %q, want it to say another process holds the lock", err)
	}
}

// TestLockReleasedOnKill checks what the kernel promises: a holder that is
// SIGKILLed loses its lock, and its leftover info does not block anyone.
func TestLockReleasedOnKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	f := tempFile(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d", helperEnv, f.Path(), 0))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The helper prints only after it has locked and started recording.
	if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	_, err = f.Lock(t.Context(), "plan", 0)
	le := wantLocked(t, err)
	if le.Info == nil || le.Info.PID != cmd.Process.Pid || le.Info.Operation != "apply" {
		t.Errorf("lock info %+v, want the helper (pid %d) running apply", le.Info, cmd.Process.Pid)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	go io.Copy(io.Discard, stdout)
	cmd.Wait()
	if !exists(t, f.LockInfoPath()) {
		t.Fatal("expected the killed helper to leave its lock info behind")
	}
	mustLock(t, f, "plan")
}

// TestUnlockedRefuses: once Unlock has returned, a Locked neither reads nor
// writes, and the journal opened on it takes no more entries; what the
// journal took before is folded in by the next holder.
func TestUnlockedRefuses(t *testing.T) {
	f := tempFile(t)
	l := mustLock(t, f, "apply")
	s := New("demo")
	mustWrite(t, l, s)
	j, err := l.OpenJournal(s)
	if err != nil {
		t.Fatal(err)
	}
	before := res(t, `switch.lan0`, `{}`)
	if err := j.Put(before); err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}

	if err := j.Put(res(t, `switch.lan1`, `{}`)); !errors.Is(err, ErrJournalClosed) {
		t.Errorf("Put after Unlock: got %v, want ErrJournalClosed", err)
	}
	if err := j.Close(); err != nil {
		t.Errorf("Close after Unlock: %v", err)
	}
	if _, err := l.Load(); !errors.Is(err, ErrUnlocked) {
		t.Errorf("Load after Unlock: got %v, want ErrUnlocked", err)
	}
	if err := l.Write(s); !errors.Is(err, ErrUnlocked) {
		t.Errorf("Write after Unlock: got %v, want ErrUnlocked", err)
	}
	if _, err := l.OpenJournal(s); !errors.Is(err, ErrUnlocked) {
		t.Errorf("OpenJournal after Unlock: got %v, want ErrUnlocked", err)
	}

	got := mustLoad(t, mustLock(t, f, "plan"))
	if len(got.Resources) != 1 || got.Resources[before.Addr] == nil {
		t.Errorf("the next holder loaded %v, want only %s", got.SortedAddrs(), before.Addr)
	}
}

// TestLockSymlink: a symbolic link at the lock's path is refused, and
// what it points to is neither created nor locked.
func TestLockSymlink(t *testing.T) {
	f := tempFile(t)
	target := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.Symlink(target, f.LockPath()); err != nil {
		t.Fatal(err)
	}
	_, err := f.Lock(t.Context(), "plan", 0)
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("Lock through a symbolic link: got %v, want a refusal naming it", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Lock created the link's target (%v)", err)
	}
}

// TestLockExcludesWhileRemoved: Unlock removes the lock file, so whoever
// was waiting holds a lock on a file no longer there, while a newcomer
// makes and locks a new one. Holders must still never overlap.
func TestLockExcludesWhileRemoved(t *testing.T) {
	path := tempFile(t).Path()
	const workers, rounds = 6, 12
	var holders, overlaps atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := NewFile(path) // a File each: flocks of one open file would not exclude
			for range rounds {
				l, err := f.Lock(t.Context(), "test", time.Minute)
				if err != nil {
					errs <- err
					return
				}
				if holders.Add(1) > 1 {
					overlaps.Add(1)
				}
				time.Sleep(3 * time.Millisecond)
				holders.Add(-1)
				if err := l.Unlock(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := overlaps.Load(); n > 0 {
		t.Errorf("the lock was held twice at once %d times in %d rounds", n, workers*rounds)
	}
}
