package console

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/pty"
	"github.com/benito-net/benito/internal/syncbuf"
	"golang.org/x/sys/unix"
)

func TestBeforeDetachKey(t *testing.T) {
	for _, tc := range []struct {
		in     string
		want   string
		detach bool
	}{
		{"", "", false},
		{"ls\n", "ls\n", false},
		{"\x1d", "", true},
		{"abc\x1dxyz", "abc", true},
		{"a\x1d\x1d", "a", true},
		{"\x03\x04\x1c", "\x03\x04\x1c", false}, // Ctrl-C, Ctrl-D, Ctrl-\ go to the guest
	} {
		got, detach := beforeDetachKey([]byte(tc.in))
		if string(got) != tc.want || detach != tc.detach {
			t.Errorf("beforeDetachKey(%q) = %q, %v; want %q, %v", tc.in, got, detach, tc.want, tc.detach)
		}
	}
}

// guest is a stand-in for QEMU's console socket: a unix listener in the
// test's directory whose accepted connections it hands to the test.
type guest struct {
	path  string
	ln    *net.UnixListener
	conns chan *net.UnixConn
}

// newGuest listens; with accept, it accepts every connection, else none
// (as QEMU while another client is attached).
func newGuest(t *testing.T, accept bool) *guest {
	t.Helper()
	g := &guest{path: filepath.Join(t.TempDir(), "console.sock"), conns: make(chan *net.UnixConn, 4)}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: g.path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	g.ln = ln
	t.Cleanup(func() { ln.Close() })
	if accept {
		go func() {
			for {
				c, err := ln.AcceptUnix()
				if err != nil {
					return
				}
				t.Cleanup(func() { c.Close() })
				g.conns <- c
			}
		}()
	}
	return g
}

func (g *guest) next(t *testing.T) *net.UnixConn {
	t.Helper()
	select {
	case c := <-g.conns:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no connection")
		return nil
	}
}

// readN reads exactly n bytes from c within 5 s.
func readN(t *testing.T, c net.Conn, n int) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("reading %d bytes: %v (got %q)", n, err, b)
	}
	return string(b)
}

// eventually waits up to 5 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("waited 5 s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type attached struct {
	end Ending
	err error
}

func attach(ctx context.Context, path string, in io.Reader, out io.Writer, opts Options) <-chan attached {
	done := make(chan attached, 1)
	go func() {
		end, err := Attach(ctx, path, in, out, opts)
		done <- attached{end, err}
	}()
	return done
}

func wait(t *testing.T, done <-chan attached) attached {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("Attach did not return in 10 s")
		return attached{}
	}
}

// TestAttachPipe: without a terminal, input goes to the console up to the
// detach key, which is not sent; the console's output comes out; the
// connection is closed after the detach, and the pending read of a pipe is
// stopped.
func TestAttachPipe(t *testing.T) {
	g := newGuest(t, true)
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer inR.Close()
	defer inW.Close()
	var out syncbuf.Buffer
	connected := make(chan struct{})
	done := attach(context.Background(), g.path, inR, &out, Options{Connected: func() { close(connected) }})
	c := g.next(t)
	select {
	case <-connected:
	case <-time.After(5 * time.Second):
		t.Fatal("Connected was not called")
	}
	inW.Write([]byte("echo hi\n"))
	if got := readN(t, c, 8); got != "echo hi\n" {
		t.Errorf("the console got %q", got)
	}
	c.Write([]byte("hi\r\n"))
	eventually(t, "the console's output", func() bool { return out.String() == "hi\r\n" })
	inW.Write([]byte("ls\x1dnot sent"))
	r := wait(t, done)
	if r.err != nil || r.end != Detached {
		t.Fatalf("Attach = %v, %v; want Detached", r.end, r.err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	rest, err := io.ReadAll(c)
	if err != nil || string(rest) != "ls" {
		t.Errorf("after the detach the console got %q, %v; want \"ls\" then the end", rest, err)
	}
	// The read of the pipe was stopped: what comes next stays in it.
	inW.Write([]byte("next"))
	inR.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 16)
	if n, err := inR.Read(b); err != nil || string(b[:n]) != "next" {
		t.Errorf("the pipe after Attach: %q, %v; want \"next\"", b[:n], err)
	}
}

// TestAttachInputEnds: input that ends ends the attachment, after all of
// it was sent.
func TestAttachInputEnds(t *testing.T) {
	g := newGuest(t, true)
	var out syncbuf.Buffer
	done := attach(context.Background(), g.path, strings.NewReader("uname -a\n"), &out, Options{})
	c := g.next(t)
	r := wait(t, done)
	if r.err != nil || r.end != InputEnded {
		t.Fatalf("Attach = %v, %v; want InputEnded", r.end, r.err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if got, err := io.ReadAll(c); err != nil || string(got) != "uname -a\n" {
		t.Errorf("the console got %q, %v", got, err)
	}
}

// TestAttachClosedByVM: the console closing ends the attachment, with
// everything it wrote before on out.
func TestAttachClosedByVM(t *testing.T) {
	g := newGuest(t, true)
	inR, inW := io.Pipe() // never written: the input stays open
	defer inW.Close()
	var out syncbuf.Buffer
	done := attach(context.Background(), g.path, inR, &out, Options{})
	c := g.next(t)
	c.Write([]byte("reboot: Power down\r\n"))
	c.Close()
	r := wait(t, done)
	if r.err != nil || r.end != Closed {
		t.Fatalf("Attach = %v, %v; want Closed", r.end, r.err)
	}
	if out.String() != "reboot: Power down\r\n" {
		t.Errorf("out = %q", out.String())
	}
}

// TestAttachCancel: a cancelled context ends the attachment with its error.
func TestAttachCancel(t *testing.T) {
	g := newGuest(t, true)
	inR, inW := io.Pipe()
	defer inW.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := attach(ctx, g.path, inR, io.Discard, Options{})
	g.next(t)
	cancel()
	if r := wait(t, done); !errors.Is(r.err, context.Canceled) {
		t.Fatalf("Attach = %v, %v; want context.Canceled", r.end, r.err)
	}
}

// TestAttachBusy: a console that does not take the connection (QEMU
// while another client is attached) is an ErrBusy after AcceptWait, and
// nothing was sent on the connection.
func TestAttachBusy(t *testing.T) {
	g := newGuest(t, false)
	start := time.Now()
	_, err := Attach(context.Background(), g.path, strings.NewReader("rm -rf /\n"), io.Discard, Options{AcceptWait: 300 * time.Millisecond})
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), g.path) {
		t.Fatalf("Attach = %v; want ErrBusy naming %s", err, g.path)
	}
	if took := time.Since(start); took < 300*time.Millisecond || took > 3*time.Second {
		t.Errorf("gave up after %v; want about 300ms", took)
	}
	// Once the other client leaves, QEMU accepts the queued connection:
	// it must carry nothing.
	c, err := g.ln.AcceptUnix()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if got, err := io.ReadAll(c); err != nil || len(got) != 0 {
		t.Errorf("the refused connection carried %q, %v", got, err)
	}
}

// TestWaiting: the kernel's answer, on a listener that accepts one
// connection and leaves the next queued.
func TestWaiting(t *testing.T) {
	g := newGuest(t, false)
	first, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: g.path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: g.path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	for _, c := range []*net.UnixConn{first, second} {
		if q, err := waiting(c, g.path); err != nil || !q {
			t.Fatalf("before any accept: waiting = %v, %v; want true", q, err)
		}
	}
	acc, err := g.ln.AcceptUnix() // takes the first
	if err != nil {
		t.Fatal(err)
	}
	defer acc.Close()
	if q, err := waiting(first, g.path); err != nil || q {
		t.Errorf("the accepted connection: waiting = %v, %v; want false", q, err)
	}
	if q, err := waiting(second, g.path); err != nil || !q {
		t.Errorf("the queued connection: waiting = %v, %v; want true", q, err)
	}
	if _, err := waiting(first, filepath.Join(t.TempDir(), "none.sock")); err == nil {
		t.Error("no error for a path where nothing listens")
	}
}

// TestAttachTerminal: a terminal as input is in raw mode while attached
// (a key reaches the console without a newline) and as it was after the
// detach key.
func TestAttachTerminal(t *testing.T) {
	master, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	// Closing the master hangs the terminal up, which ends Attach's
	// pending read of it.
	defer tty.Close()
	defer master.Close()
	fd := int(tty.Fd())
	before, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if before.Lflag&unix.ICANON == 0 {
		t.Fatal("a new pseudo-terminal is not in canonical mode")
	}
	g := newGuest(t, true)
	done := attach(context.Background(), g.path, tty, io.Discard, Options{})
	c := g.next(t)
	// Raw mode comes right after the accept: type until a key arrives
	// alone.
	eventually(t, "raw mode", func() bool {
		now, err := unix.IoctlGetTermios(fd, unix.TCGETS)
		return err == nil && now.Lflag&unix.ICANON == 0
	})
	master.Write([]byte("q"))
	if got := readN(t, c, 1); got != "q" {
		t.Errorf("the console got %q", got)
	}
	master.Write([]byte{DetachKey})
	if r := wait(t, done); r.err != nil || r.end != Detached {
		t.Fatalf("Attach = %v, %v; want Detached", r.end, r.err)
	}
	after, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if *after != *before {
		t.Errorf("the terminal after Attach:\n%+v\nbefore:\n%+v", *after, *before)
	}
	// Restored on an error too: a console that closes at once.
	g2 := newGuest(t, true)
	done = attach(context.Background(), g2.path, tty, io.Discard, Options{})
	g2.next(t).Close()
	if r := wait(t, done); r.err != nil || r.end != Closed {
		t.Fatalf("Attach = %v, %v; want Closed", r.end, r.err)
	}
	if after, err := unix.IoctlGetTermios(fd, unix.TCGETS); err != nil || *after != *before {
		t.Errorf("the terminal after the console closed: %+v, %v", after, err)
	}
}
