package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Spec says how to start a process.
type Spec struct {
	// Path is the program; a bare name is looked up in PATH.
	Path string
	// Args are the arguments after the program name.
	Args []string
	// Argv0 is the program's name as it sees it (argv[0]); "" is Path.
	Argv0 string
	// Env is the environment; nil means the current process's.
	Env []string
	// Dir is the working directory; "" means the current one.
	Dir string
	// Log receives stdout and stderr (appended, created 0600 if missing,
	// and made 0600 if it was not: what a program prints may be secret);
	// "" discards them.
	Log string
	// Cloneflags are extra clone(2) flags (e.g. syscall.CLONE_NEWNET) for
	// starting the process in new namespaces.
	Cloneflags uintptr
	// Group, when not zero, is the cgroup the process is born in (made
	// if missing), and with it everything it forks: the mark by which
	// it is found from the host alone (cgroup.go).
	Group Group
	// ExtraFiles are open files the process inherits as descriptors 3,
	// 4, ... (exec.Cmd's ExtraFiles): pipes to talk to it while it
	// starts. The caller closes its copies.
	ExtraFiles []*os.File
}

// Process is a running (or once running) process.
type Process struct {
	Pid int
	// StartTime is field 22 of /proc/PID/stat (clock ticks since boot); it
	// tells a process from a later one that reuses its pid.
	StartTime uint64
}

// Start starts spec in a new session and returns without waiting for it to
// finish. The child is reaped in the background if it exits while this
// process lives, so it never lingers as a zombie; when this process exits,
// the child is adopted by init (or the nearest subreaper) and goes on.
func Start(spec Spec) (Process, error) {
	path := spec.Path
	if !strings.Contains(path, "/") {
		p, err := exec.LookPath(path)
		if err != nil {
			return Process{}, fmt.Errorf("daemon: %w", err)
		}
		path = p
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return Process{}, fmt.Errorf("daemon: %w", err)
	}
	defer devnull.Close()
	out := devnull
	if spec.Log != "" {
		f, err := openLog(spec.Log, os.O_APPEND)
		if err != nil {
			return Process{}, fmt.Errorf("daemon: log of %s: %w", spec.Path, err)
		}
		defer f.Close()
		out = f
	}
	argv0 := spec.Argv0
	if argv0 == "" {
		argv0 = spec.Path
	}
	cmd := &exec.Cmd{
		Path:       path,
		Args:       append([]string{argv0}, spec.Args...),
		Env:        spec.Env,
		Dir:        spec.Dir,
		Stdin:      devnull,
		Stdout:     out,
		Stderr:     out,
		ExtraFiles: spec.ExtraFiles,
		SysProcAttr: &syscall.SysProcAttr{
			Setsid:     true,
			Cloneflags: spec.Cloneflags,
		},
	}
	if err := spec.Group.start(cmd); err != nil {
		return Process{}, fmt.Errorf("daemon: start %s: %w", spec.Path, err)
	}
	pid := cmd.Process.Pid
	// Read the start time before the child can have exited and been reaped:
	// the reaper starts only afterwards.
	p, err := FromPid(pid)
	go cmd.Wait() //nolint:errcheck // only reaps; the outcome is read through /proc
	if err != nil {
		return Process{}, fmt.Errorf("daemon: %s started as pid %d but %w", spec.Path, pid, err)
	}
	return p, nil
}

// FromPid returns the process running now with pid.
func FromPid(pid int) (Process, error) {
	st, _, err := stat(pid)
	if err != nil {
		return Process{}, err
	}
	return Process{Pid: pid, StartTime: st}, nil
}

// FromPidFile reads a pid file written by a daemon itself (vde_switch -p)
// and returns that process.
func FromPidFile(path string) (Process, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Process{}, fmt.Errorf("daemon: pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return Process{}, fmt.Errorf("daemon: pid file %s: no pid in %q", path, bytes.TrimSpace(b))
	}
	return FromPid(pid)
}

// Alive reports whether the process still exists, is not a zombie, and is
// the same process (same start time).
func (p Process) Alive() bool {
	if p.Pid <= 0 {
		return false
	}
	st, state, err := stat(p.Pid)
	return err == nil && st == p.StartTime && state != 'Z' && state != 'X' && state != 'x'
}

// Stop sends SIGTERM (to the process's group when it leads one), waits up
// to grace for it to end, then sends SIGKILL and waits a little more. A
// process that is already gone is no error.
func (p Process) Stop(grace time.Duration) error {
	if !p.Alive() {
		return nil
	}
	target := p.Pid
	if pgid, err := syscall.Getpgid(p.Pid); err == nil && pgid == p.Pid {
		target = -p.Pid
	}
	if err := syscall.Kill(target, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("daemon: stop pid %d: %w", p.Pid, err)
	}
	if p.wait(grace) {
		return nil
	}
	if err := syscall.Kill(target, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("daemon: kill pid %d: %w", p.Pid, err)
	}
	if p.wait(5 * time.Second) {
		return nil
	}
	return fmt.Errorf("daemon: pid %d still running 5s after SIGKILL", p.Pid)
}

// ErrEnded is Pidfd's answer for a process that has ended already.
var ErrEnded = errors.New("the process has ended")

// Pidfd opens a pidfd of p (pidfd_open(2)): a descriptor that polls
// readable once p has ended, child of this process or not. It returns
// ErrEnded when p has ended already (a zombie of p has, for this purpose)
// or its pid is another process's now. The caller closes it.
func (p Process) Pidfd() (int, error) {
	if p.Pid <= 0 {
		return -1, ErrEnded
	}
	fd, err := unix.PidfdOpen(p.Pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return -1, ErrEnded
	}
	if err != nil {
		return -1, fmt.Errorf("daemon: pidfd of %d: %w", p.Pid, err)
	}
	// Checked once the descriptor is open: if p is still the process of
	// that pid, the descriptor is p's.
	if !p.Alive() {
		unix.Close(fd)
		return -1, ErrEnded
	}
	return fd, nil
}

// wait waits until the process is gone or d has passed; it reports whether
// it is gone. It waits on a pidfd, or, on a kernel without them, polls.
func (p Process) wait(d time.Duration) bool {
	fd, err := p.Pidfd()
	if errors.Is(err, ErrEnded) {
		return true
	}
	if err == nil {
		defer unix.Close(fd)
		ended, err := readable(fd, d)
		if err == nil {
			return ended
		}
	}
	deadline := time.Now().Add(d)
	sleep := time.Millisecond
	for {
		if !p.Alive() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(sleep)
		if sleep < 50*time.Millisecond {
			sleep *= 2
		}
	}
}

// readable waits up to d for descriptor fd (a pidfd: until its process
// ends) to poll readable, and reports whether it did.
func readable(fd int, d time.Duration) (bool, error) {
	deadline := time.Now().Add(d)
	for {
		ms := int(time.Until(deadline).Milliseconds())
		if ms < 0 {
			ms = 0
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("daemon: poll: %w", err)
		}
		return n > 0, nil
	}
}

// stat reads the start time and state of pid from /proc/PID/stat.
func stat(pid int) (start uint64, state byte, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, 0, fmt.Errorf("no process %d", pid)
		}
		return 0, 0, fmt.Errorf("daemon: %w", err)
	}
	// The command name (field 2) is in parentheses and may hold spaces or
	// parentheses itself: the fields after it start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("daemon: /proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state), so field 22 is f[19].
	if len(f) < 20 {
		return 0, 0, fmt.Errorf("daemon: /proc/%d/stat: malformed", pid)
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("daemon: /proc/%d/stat: start time: %w", pid, err)
	}
	return start, f[0][0], nil
}

// StartDetached runs a program that makes itself a daemon (vde_switch -d,
// wirefilter --daemon): it returns once the program's own pid file names a
// live process and ready says it is ready, all within timeout. The
// program's output before it detaches goes to spec.Log, or, without one,
// into the error when it fails. A program that has not detached in time
// (wirefilter blocks, before it detaches, until both its switches answer)
// is killed, and a daemon that does not become ready in time is stopped.
// spec.Env, spec.Cloneflags and spec.Group are used as Start uses them.
func StartDetached(ctx context.Context, spec Spec, pidFile string, timeout time.Duration, ready func() error) (Process, error) {
	line := spec.Path + " " + strings.Join(spec.Args, " ")
	deadline := time.Now().Add(timeout)
	runCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	cmd := exec.CommandContext(runCtx, spec.Path, spec.Args...)
	cmd.Env, cmd.Dir = spec.Env, spec.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Cloneflags: spec.Cloneflags}
	// The daemon keeps no copy of the output, but a guard costs nothing.
	cmd.WaitDelay = time.Second
	// A program that has not detached by the deadline is killed; where it
	// waited says why, in the error.
	var waited string
	cmd.Cancel = func() error {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", cmd.Process.Pid)); err == nil && len(b) > 0 {
			waited = string(b)
		}
		return cmd.Process.Kill()
	}
	var out bytes.Buffer
	if spec.Log != "" {
		f, err := openLog(spec.Log, os.O_TRUNC)
		if err != nil {
			return Process{}, fmt.Errorf("daemon: log of %s: %w", spec.Path, err)
		}
		defer f.Close()
		cmd.Stdout, cmd.Stderr = f, f
	} else {
		cmd.Stdout, cmd.Stderr = &out, &out
	}
	// Run returns once the program has forked its daemon and exited; a
	// daemon that kept the output open only costs WaitDelay.
	err := spec.Group.start(cmd)
	if err == nil {
		err = cmd.Wait()
	}
	if err != nil && !errors.Is(err, exec.ErrWaitDelay) {
		if msg := firstLine(out.String()); msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
		if runCtx.Err() != nil && ctx.Err() == nil {
			if waited != "" && waited != "0" {
				err = fmt.Errorf("did not detach within %s (it was waiting in the kernel's %s), killed: %w", timeout, waited, err)
			} else {
				err = fmt.Errorf("did not detach within %s, killed: %w", timeout, err)
			}
		}
		return Process{}, fmt.Errorf("%s: %w", line, err)
	}
	for {
		p, err := FromPidFile(pidFile)
		if err == nil {
			if !p.Alive() {
				err = fmt.Errorf("process %d of %s is not running", p.Pid, pidFile)
			} else if err = ready(); err == nil {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			if p.Pid > 0 {
				p.Stop(time.Second)
			}
			return Process{}, fmt.Errorf("%s: not ready within %s: %v", line, timeout, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// openLog opens a log for writing, readable by its owner (root) alone:
// created 0600, and an older one made so.
func openLog(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|flag, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
