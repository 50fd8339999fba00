package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/syncbuf"
	"github.com/benito-net/benito/internal/testenv"
)

// vm is a QEMU machine booting the test guest with its serial console on
// a socket chardev, as the QEMU provider starts nodes.
type vm struct {
	sock, log string
	exited    chan struct{}
	waitErr   error
	cmd       *exec.Cmd
}

func (v *vm) running() bool {
	select {
	case <-v.exited:
		return false
	default:
		return true
	}
}

func bootGuest(t *testing.T) *vm {
	t.Helper()
	qemu := testenv.Command(t, "qemu-system-x86_64", "qemu-system-x86")
	kernel, initrd := testenv.GuestImage(t)
	dir := t.TempDir()
	v := &vm{sock: filepath.Join(dir, "console.sock"), log: filepath.Join(dir, "node.console.log"), exited: make(chan struct{})}
	v.cmd = exec.Command(qemu,
		"-accel", "tcg", "-m", "256", "-display", "none", "-no-reboot", "-nodefaults",
		"-chardev", "socket,id=console,path="+v.sock+",server=on,wait=off,logfile="+v.log+",logappend=on",
		"-serial", "chardev:console",
		"-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0 panic=-1",
	)
	qemuOut, err := os.Create(filepath.Join(dir, "qemu.out"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { qemuOut.Close() })
	v.cmd.Stdout, v.cmd.Stderr = qemuOut, qemuOut
	if err := v.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { v.waitErr = v.cmd.Wait(); close(v.exited) }()
	t.Cleanup(func() {
		if v.running() {
			v.cmd.Process.Kill()
			<-v.exited
		}
	})
	t.Cleanup(func() {
		if t.Failed() {
			said, _ := os.ReadFile(qemuOut.Name())
			log, _ := os.ReadFile(v.log)
			t.Logf("qemu said: %s\nconsole log:\n%s", said, log)
		}
	})
	// The socket appears once QEMU has parsed its options.
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, err := os.Stat(v.sock); err == nil {
			break
		}
		if !v.running() {
			t.Fatalf("qemu exited: %v", v.waitErr)
		}
		if time.Now().After(deadline) {
			t.Fatal("no console socket after 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return v
}

// shellAnswers sends a command to the guest's shell through w until its
// output (computed by the shell, so never the echo of what was typed)
// shows on out, for up to two minutes (the shell starts late in the boot
// under TCG, and what is typed before is lost).
func shellAnswers(t *testing.T, w io.Writer, out *syncbuf.Buffer, v *vm) {
	t.Helper()
	n := rand.Intn(1 << 30)
	cmd := fmt.Sprintf("echo hi-$((%d+1))\n", n)
	want := fmt.Sprintf("hi-%d\r\n", n+1)
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(out.String(), want) {
		if !v.running() {
			t.Fatalf("qemu exited: %v", v.waitErr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the guest's shell did not answer %q in 2 minutes; the console showed:\n%s", cmd, out.String())
		}
		if _, err := w.Write([]byte(cmd)); err != nil {
			t.Fatal(err)
		}
		for wait := time.Now().Add(3 * time.Second); time.Now().Before(wait) && !strings.Contains(out.String(), want); {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestQEMUConsole boots the test guest under TCG and attaches to its
// serial console through pipes: the guest's shell runs what is typed, the
// detach key ends the attachment and leaves the VM running, a second
// client meanwhile is told another is attached, a new attachment works
// after the detach, the log file holds the boot and the session, and the
// VM's end ends the attachment.
func TestQEMUConsole(t *testing.T) {
	testenv.Root(t)
	v := bootGuest(t)

	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer inR.Close()
	defer inW.Close()
	var out syncbuf.Buffer
	ctx := context.Background()
	done := attach(ctx, v.sock, inR, &out, Options{})
	shellAnswers(t, inW, &out, v)

	// A second client while the first is attached.
	_, err = Attach(ctx, v.sock, strings.NewReader("echo second\n"), io.Discard, Options{AcceptWait: time.Second})
	if !errors.Is(err, ErrBusy) {
		t.Errorf("a second client while one is attached: %v; want ErrBusy", err)
	}

	inW.Write([]byte{DetachKey})
	if r := wait(t, done); r.err != nil || r.end != Detached {
		t.Fatalf("Attach = %v, %v; want Detached", r.end, r.err)
	}
	time.Sleep(500 * time.Millisecond)
	if !v.running() {
		t.Fatalf("qemu exited after the detach: %v", v.waitErr)
	}

	// Attached again: the console is free, the shell still there.
	var out2 syncbuf.Buffer
	inR2, inW2, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer inR2.Close()
	defer inW2.Close()
	done = attach(ctx, v.sock, inR2, &out2, Options{})
	shellAnswers(t, inW2, &out2, v)

	log, err := os.ReadFile(v.log)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Linux version", "benito-guest: ready", "hi-"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("the console log lacks %q:\n%s", want, log)
		}
	}

	// The VM ends: so does the attachment.
	v.cmd.Process.Kill()
	if r := wait(t, done); r.err != nil || r.end != Closed {
		t.Fatalf("Attach when the VM was killed = %v, %v; want Closed", r.end, r.err)
	}
}
