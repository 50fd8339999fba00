package accel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/benito-net/benito/internal/qmp"
)

// banner is what the probe guest's firmware prints first to the debug
// port: seeing it proves guest code ran and did I/O.
const banner = "SeaBIOS (version"

// linuxBanner is the first line a Linux kernel prints on its console.
const linuxBanner = "Linux version"

// Guest boots the probe guest on accel and returns how long it took the
// firmware to print its banner, or, with a Kernel, the kernel its first
// line on the serial console. The guest is a PC with no disk and 16 MiB
// (256 MiB with a kernel: less does not hold a Debian kernel as it
// decompresses; it then panics for want of a root file system);
// it is killed before Guest returns, and its temporary directory (QMP
// socket, debug port log) removed. An error says what failed: QEMU refused
// the accelerator, the banner did not come within the timeout (a hanging
// KVM), or QEMU reported another accelerator.
func (p Prober) Guest(ctx context.Context, accel Accel) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()
	dir, err := os.MkdirTemp("", "benito-accel-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "qmp.sock")
	debug := filepath.Join(dir, "debugcon")
	serial := filepath.Join(dir, "serial")
	var stderr bytes.Buffer
	args := []string{"-accel", string(accel),
		"-machine", "pc", "-m", "16", "-nodefaults", "-no-user-config", "-display", "none",
		"-chardev", "file,id=debugcon,path=" + debug,
		"-device", "isa-debugcon,iobase=0x402,chardev=debugcon",
		"-qmp", "unix:" + sock + ",server=on,wait=off"}
	want, in := banner, debug
	if p.Kernel != "" {
		args[5] = "256"
		args = append(args, "-serial", "file:"+serial, "-kernel", p.Kernel, "-append", "console=ttyS0")
		want, in = linuxBanner, serial
	}
	cmd := exec.Command(p.QEMU, args...)
	cmd.Stderr = &stderr
	// A benito killed mid-probe takes the probe guest with it. The parent
	// death signal follows the thread that started the child, not the
	// process: the thread is kept until the guest is gone.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()
	failed := func(what string) error {
		// stderr is complete, and safe to read, once QEMU has exited.
		cmd.Process.Kill()
		<-exited
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("%s: %s", what, lastLine(msg))
		}
		return errors.New(what)
	}

	var took time.Duration
	for took == 0 {
		if b, err := os.ReadFile(in); err == nil && bytes.Contains(b, []byte(want)) {
			took = time.Since(start)
			break
		}
		select {
		case <-exited:
			return 0, failed("QEMU exited: " + cmd.ProcessState.String())
		case <-ctx.Done():
			return 0, failed(fmt.Sprintf("the probe guest printed nothing within %s", p.timeout()))
		case <-time.After(5 * time.Millisecond):
		}
	}
	c, err := qmp.Dial(ctx, sock)
	if err != nil {
		return 0, failed(err.Error())
	}
	defer c.Close()
	k, err := c.QueryKVM(ctx)
	if err != nil {
		return 0, err
	}
	if k.Enabled != (accel == KVM) {
		return 0, fmt.Errorf("asked for %s, QEMU says KVM enabled: %v", accel, k.Enabled)
	}
	st, err := c.QueryStatus(ctx)
	if err != nil {
		return 0, err
	}
	if !st.Running {
		return 0, fmt.Errorf("the probe guest is %s, not running", st.Status)
	}
	return took, nil
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
