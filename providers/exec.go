package providers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/benito-net/benito/internal/pty"
	"golang.org/x/sys/unix"
)

// ExecNotSupported answers Exec for a provider none of whose resource types
// declares Exec: benito never asks it, and says so if it does.
func ExecNotSupported(provider string, req ExecRequest) ExecResponse {
	return ExecResponse{ExitCode: -1, Diagnostics: Errorf(req.Address, "Provider %q does not run commands in resources of type %q", provider, req.Type)}
}

// outputGrace is how long ExecCommand goes on reading a command's output
// after the command has exited: what it wrote is read at once, but
// children it left in the background may hold the output open for ever.
const outputGrace = 2 * time.Second

// ExecCommand serves an Exec request with cmd, a command of this host
// that runs req.Args inside the node (nsenter into a process node's
// namespaces, ssh into a virtual machine, ...): it starts cmd with req's
// environment followed by cmd.Env (so the provider's own variables win),
// connects it to req's streams, on a new pseudo-terminal when
// req.Terminal asks for one, passes on window sizes and signals, and
// reports how it ended. cmd must not have been started, nor have its
// streams set.
//
// cmd runs in a process group of its own (a session of its own, on a
// terminal), so that only the signals benito forwards reach it; it is
// killed when ctx ends. Signals go to the process group, or on a terminal
// to its foreground process group, only while the command has not been
// reaped, so never to a group whose id was reused.
func ExecCommand(ctx context.Context, cmd *exec.Cmd, req ExecRequest) ExecResponse {
	cmd.Env = append(append([]string{}, req.Env...), cmd.Env...)
	s := &session{cmd: cmd, req: req}
	if err := s.start(); err != nil {
		return ExecResponse{ExitCode: -1, Diagnostics: Errorf(req.Address, "Cannot run %s: %v", cmdName(req.Args), err)}
	}
	return s.run(ctx)
}

func cmdName(args []string) string {
	if len(args) == 0 {
		return "the command"
	}
	return fmt.Sprintf("%q", args[0])
}

// session is one command ExecCommand runs.
type session struct {
	cmd *exec.Cmd
	req ExecRequest

	master *os.File // the pseudo-terminal, on a terminal
	stdin  *os.File // the writing end of the command's input
	output []*os.File
	copied sync.WaitGroup // the output copiers

	mu     sync.Mutex // held while signalling, and to set reaped
	reaped bool
}

// start starts the command on a terminal or on pipes, and starts copying
// its output.
func (s *session) start() error {
	var child []*os.File // the command's ends, closed here once it runs
	defer func() {
		for _, f := range child {
			f.Close()
		}
	}()
	fail := func(err error) error {
		for _, f := range append(s.output, s.master, s.stdin) {
			if f != nil {
				f.Close()
			}
		}
		return err
	}
	attr := &syscall.SysProcAttr{}
	if s.cmd.SysProcAttr != nil {
		*attr = *s.cmd.SysProcAttr
	}
	if t := s.req.Terminal; t != nil {
		master, tty, err := pty.Open()
		if err != nil {
			return err
		}
		s.master, child = master, []*os.File{tty}
		if err := pty.SetSize(master, t.Rows, t.Cols); err != nil {
			return fail(err)
		}
		s.cmd.Stdin, s.cmd.Stdout, s.cmd.Stderr = tty, tty, tty
		attr.Setsid, attr.Setctty, attr.Ctty = true, true, 0
		s.output = []*os.File{master}
	} else {
		files := make([]*os.File, 6)
		for i := 0; i < 6; i += 2 {
			r, w, err := os.Pipe()
			if err != nil {
				for _, f := range files[:i] {
					f.Close()
				}
				return err
			}
			files[i], files[i+1] = r, w
		}
		s.stdin, s.output = files[1], []*os.File{files[2], files[4]}
		child = []*os.File{files[0], files[3], files[5]}
		s.cmd.Stdin, s.cmd.Stdout, s.cmd.Stderr = files[0], files[3], files[5]
		attr.Setpgid = true
	}
	s.cmd.SysProcAttr = attr
	if err := s.cmd.Start(); err != nil {
		return fail(err)
	}
	outs := []io.Writer{s.req.Stdout, s.req.Stderr}
	for i, f := range s.output {
		w := outs[i]
		if w == nil {
			w = io.Discard
		}
		s.copied.Go(func() { io.Copy(w, f) }) // ends at EOF (EIO on a terminal) or at the deadline
	}
	in := s.stdin
	if s.master != nil {
		in = s.master
	}
	if s.req.Stdin == nil {
		if s.stdin != nil {
			s.stdin.Close()
		}
	} else {
		go func() {
			io.Copy(in, s.req.Stdin)
			if s.stdin != nil {
				s.stdin.Close() // the command's end of input
			}
		}()
	}
	return nil
}

// run forwards sizes and signals until the command exits, then collects
// its output and its status.
func (s *session) run(ctx context.Context) ExecResponse {
	exited := make(chan struct{})
	go func() {
		// Wait without reaping, so that the process group stays the
		// command's while signals may still be sent to it.
		var info unix.Siginfo
		for {
			err := unix.Waitid(unix.P_PID, s.cmd.Process.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
			if err != unix.EINTR {
				break
			}
		}
		close(exited)
	}()
	signals, resize := s.req.Signals, s.req.Resize
loop:
	for {
		select {
		case <-exited:
			break loop
		case <-ctx.Done():
			s.signal(syscall.SIGKILL, false)
			<-exited
			break loop
		case sig, ok := <-signals:
			if !ok {
				signals = nil
				continue
			}
			s.signal(sig, true)
		case sz, ok := <-resize:
			if !ok {
				resize = nil
				continue
			}
			if s.master != nil {
				pty.SetSize(s.master, sz.Rows, sz.Cols)
			}
		}
	}
	s.mu.Lock()
	s.reaped = true
	s.mu.Unlock()
	err := s.cmd.Wait()

	// The output written before the exit is read at once; children left
	// in the background may keep it open: stop reading them after a
	// while.
	done := make(chan struct{})
	go func() { s.copied.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(outputGrace):
		for _, f := range s.output {
			f.SetReadDeadline(time.Now())
		}
		<-done
	}
	for _, f := range s.output {
		f.Close()
	}
	if s.stdin != nil {
		s.stdin.Close()
	}

	resp := ExecResponse{}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		resp.ExitCode = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			resp.ExitCode, resp.Signal = -1, ws.Signal()
		}
	default:
		resp.ExitCode = -1
		resp.Diagnostics = Errorf(s.req.Address, "Running %s: %v", cmdName(s.req.Args), err)
	}
	if ctx.Err() != nil && resp.Diagnostics == nil {
		resp.Diagnostics = Errorf(s.req.Address, "%s was killed: the exec was cancelled", cmdName(s.req.Args))
	}
	return resp
}

// signal sends sig to the command's process group, or with foreground
// set and on a terminal to the terminal's foreground process group (the
// job a typed Ctrl-C would reach), unless the command has been reaped.
func (s *session) signal(sig syscall.Signal, foreground bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reaped {
		return
	}
	pgrp := s.cmd.Process.Pid // the leader of its group (and session)
	if foreground && s.master != nil {
		if fg, err := pty.ForegroundGroup(s.master); err == nil && fg > 0 {
			pgrp = fg
		}
	}
	syscall.Kill(-pgrp, sig)
}
