package qmp

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/testenv"
)

// startQEMU starts a machine that boots nothing, paused (-S), serving QMP
// at a socket of its own, and returns a connection to it. The machine is
// killed when the test ends.
func startQEMU(t *testing.T, extra ...string) (*Conn, *exec.Cmd) {
	t.Helper()
	bin := testenv.Command(t, "qemu-system-x86_64", "qemu-system-x86")
	sock := filepath.Join(t.TempDir(), "qmp.sock")
	args := append([]string{"-machine", "none", "-nodefaults", "-display", "none", "-S",
		"-qmp", "unix:" + sock + ",server=on,wait=off"}, extra...)
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		c, err := Dial(ctx, sock)
		if err == nil {
			t.Cleanup(func() { c.Close() })
			return c, cmd
		}
		select {
		case <-exited:
			t.Fatalf("qemu exited before it served QMP: %v", cmd.ProcessState)
		case <-ctx.Done():
			t.Fatalf("no QMP at %s: %v", sock, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestStatusAndEvents(t *testing.T) {
	c, _ := startQEMU(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if v := c.Version(); v.Major < 2 {
		t.Errorf("version %v", v)
	}
	st, err := c.QueryStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Running || st.Status != "prelaunch" {
		t.Errorf("paused machine: %+v", st)
	}
	if err := c.Cont(ctx); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, c, "RESUME")
	if st, err := c.QueryStatus(ctx); err != nil || !st.Running || st.Status != "running" {
		t.Errorf("after cont: %+v, %v", st, err)
	}
	if _, err := c.Execute(ctx, "stop", nil); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, c, "STOP")
	if st, err := c.QueryStatus(ctx); err != nil || st.Running || st.Status != "paused" {
		t.Errorf("after stop: %+v, %v", st, err)
	}
	if err := c.Cont(ctx); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, c, "RESUME")
	if err := c.SystemPowerdown(ctx); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, c, "POWERDOWN")
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, c, "SHUTDOWN")
	var data struct{ Reason string }
	if err := json.Unmarshal(ev.Data, &data); err != nil || data.Reason != "host-qmp-quit" {
		t.Errorf("SHUTDOWN data %s: %v", ev.Data, err)
	}
	if ev.Time.IsZero() || time.Since(ev.Time) > time.Minute {
		t.Errorf("SHUTDOWN at %v", ev.Time)
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("connection still open after quit")
	}
	if _, err := c.QueryStatus(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("after quit: %v, want ErrClosed", err)
	}
	for range c.Events() {
		// Events is closed with the connection.
	}
}

func waitEvent(t *testing.T, c *Conn, name string) Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("events closed before %s: %v", name, c.Err())
			}
			if ev.Name == name {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event", name)
		}
	}
}

func TestErrorAnswer(t *testing.T) {
	c, _ := startQEMU(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Execute(ctx, "no-such-command", nil)
	var qerr *Error
	if !errors.As(err, &qerr) || qerr.Class != "CommandNotFound" || qerr.Command != "no-such-command" || qerr.Desc == "" {
		t.Fatalf("got %v", err)
	}
	// Arguments QEMU refuses come back as an error, and the connection
	// stays usable.
	_, err = c.Execute(ctx, "query-status", map[string]any{"bogus": 1})
	if !errors.As(err, &qerr) || qerr.Class != "GenericError" {
		t.Fatalf("got %v", err)
	}
	if _, err := c.QueryStatus(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrent: answers reach their own callers.
func TestConcurrent(t *testing.T) {
	c, _ := startQEMU(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 100 {
		wg.Go(func() {
			if i%2 == 0 {
				if st, err := c.QueryStatus(ctx); err != nil || st.Status != "prelaunch" {
					errs <- errors.Join(err, errors.New("status "+st.Status))
				}
				return
			}
			if _, err := c.Execute(ctx, "query-kvm", nil); err != nil {
				errs <- err
			}
			var qerr *Error
			if _, err := c.Execute(ctx, "no-such-command", nil); !errors.As(err, &qerr) {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestKilled: a machine killed under a connection ends it, and waiting
// callers learn it.
func TestKilled(t *testing.T) {
	c, cmd := startQEMU(t)
	cmd.Process.Kill()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("connection open after the machine was killed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.QueryStatus(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("got %v", err)
	}
}
