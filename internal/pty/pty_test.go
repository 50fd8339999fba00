package pty

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A new pseudo-terminal: sized from the master side, its terminal side a
// /dev/pts device, and a read of the master side ends at its deadline, as
// the package promises.
func TestOpen(t *testing.T) {
	master, tty, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer tty.Close()
	if !strings.HasPrefix(tty.Name(), "/dev/pts/") {
		t.Errorf("terminal side %q", tty.Name())
	}
	if err := SetSize(master, 12, 34); err != nil {
		t.Fatal(err)
	}
	ws, err := unix.IoctlGetWinsize(int(tty.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Row != 12 || ws.Col != 34 {
		t.Errorf("size %+v, %v; want 12x34", ws, err)
	}
	if _, err := tty.Write([]byte("x\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if n, err := master.Read(buf); err != nil || !strings.HasPrefix(string(buf[:n]), "x") {
		t.Errorf("read %q, %v", buf[:n], err)
	}
	master.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := master.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("a read past the deadline: %v", err)
	}
	if g, err := ForegroundGroup(master); err != nil || g != 0 {
		t.Errorf("the foreground group of a terminal no session controls: %d, %v; want 0", g, err)
	}
}
