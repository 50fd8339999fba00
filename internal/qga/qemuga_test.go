package qga

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/syncbuf"
	"github.com/benito-net/benito/internal/testenv"
)

// TestClientWithQEMUGA talks to QEMU's own guest agent (Debian package
// qemu-guest-agent), run on this host on a unix socket instead of a
// virtio-serial port: the client speaks the protocol as the stock agent
// does, which is what a VM booted from a stock image runs.
func TestClientWithQEMUGA(t *testing.T) {
	testenv.Root(t)
	qga := testenv.Command(t, "qemu-ga", "qemu-guest-agent")
	dir := t.TempDir()
	sock := filepath.Join(dir, "qga.sock")
	var log syncbuf.Buffer
	cmd := exec.Command(qga, "-m", "unix-listen", "-p", sock, "-t", dir, "-f", filepath.Join(dir, "qga.pid"))
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("qemu-ga said:\n%s", log.String())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var c *Client
	for c == nil {
		var err error
		if c, err = Dial(ctx, sock); err != nil {
			if ctx.Err() != nil {
				t.Fatalf("qemu-ga's socket: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	defer c.Close()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("guest-ping: %v", err)
	}
	info, err := c.Info(ctx)
	if err != nil || info.Version == "" {
		t.Fatalf("guest-info: %+v, %v", info, err)
	}
	t.Logf("qemu-ga %s", info.Version)
	r, err := c.Exec(ctx, []string{"/bin/sh", "-c", "cat; echo out; echo err >&2; exit 3"}, nil, []byte("in\n"))
	if err != nil {
		t.Fatalf("guest-exec: %v", err)
	}
	if string(r.Stdout) != "in\nout\n" || string(r.Stderr) != "err\n" || r.ExitCode != 3 {
		t.Errorf("guest-exec: stdout %q, stderr %q, exit %d", r.Stdout, r.Stderr, r.ExitCode)
	}
	// A second client after the first: qemu-ga serves one at a time.
	c.Close()
	c2, err := Dial(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if r, err := c2.Exec(ctx, []string{"true"}, []string{"PATH=/usr/bin:/bin"}, nil); err != nil || r.ExitCode != 0 {
		t.Errorf("a second client's guest-exec: %+v, %v", r, err)
	}
}
