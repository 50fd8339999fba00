package qga

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
)

// Server answers QGA commands. Its zero value is not usable: make one with
// NewServer.
type Server struct {
	// Version is what guest-info reports.
	Version string
	// Shutdown is called for guest-shutdown with the mode ("powerdown",
	// "halt" or "reboot"); nil makes guest-shutdown an error. It may not
	// return when it succeeds.
	Shutdown func(mode string) error

	mu    sync.Mutex
	execs map[int64]*execution
}

// NewServer returns a Server reporting version.
func NewServer(version string) *Server {
	return &Server{Version: version, execs: map[int64]*execution{}}
}

// execution is one guest-exec process, until its exited status is read.
type execution struct {
	done     chan struct{}
	state    *os.ProcessState
	out, err capped
}

// capped keeps up to MaxOutput bytes written to it and notes whether more
// came.
type capped struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	truncated bool
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	room := MaxOutput - c.buf.Len()
	if len(p) > room {
		c.buf.Write(p[:max(room, 0)])
		c.truncated = true
		return len(p), nil
	}
	c.buf.Write(p)
	return len(p), nil
}

// Serve answers the requests read from rw until rw's reader ends (nil for a
// clean end between texts) or ctx is done; a read in progress ends only when
// rw is closed. Processes started by guest-exec
// outlive Serve: a later Serve on the same Server (the host reconnected)
// reports their status.
func (s *Server) Serve(ctx context.Context, rw io.ReadWriter) error {
	in := newTexts(rw)
	enc := json.NewEncoder(rw)
	for ctx.Err() == nil {
		text, err := in.next()
		if errors.Is(err, errReset) {
			continue
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		resp, delimited := s.handle(ctx, text)
		if resp == nil {
			continue
		}
		if delimited {
			if _, err := rw.Write([]byte{Sentinel}); err != nil {
				return fmt.Errorf("qga: write: %w", err)
			}
		}
		if err := enc.Encode(resp); err != nil {
			return fmt.Errorf("qga: write: %w", err)
		}
	}
	return ctx.Err()
}

// handle answers one JSON text; nil means no answer (a successful
// guest-shutdown). delimited says the answer is preceded by Sentinel.
func (s *Server) handle(ctx context.Context, text []byte) (resp *Response, delimited bool) {
	var req Request
	if err := json.Unmarshal(text, &req); err != nil || req.Execute == "" {
		return &Response{Error: &Error{Class: ClassGeneric, Desc: "Expecting a JSON object with member 'execute'"}}, false
	}
	ret, err := s.call(ctx, req)
	if err != nil {
		var qe *Error
		if !errors.As(err, &qe) {
			qe = &Error{Class: ClassGeneric, Desc: err.Error()}
		}
		return &Response{Error: qe, ID: req.ID}, false
	}
	if req.Execute == CmdShutdown {
		return nil, false
	}
	b, err := json.Marshal(ret)
	if err != nil {
		return &Response{Error: &Error{Class: ClassGeneric, Desc: err.Error()}, ID: req.ID}, false
	}
	return &Response{Return: b, ID: req.ID}, req.Execute == CmdSyncDelimited
}

// commands lists what this Server serves, in guest-info's order.
var commands = []string{CmdExec, CmdExecStatus, CmdInfo, CmdPing, CmdShutdown, CmdSync, CmdSyncDelimited}

func (s *Server) call(ctx context.Context, req Request) (any, error) {
	args := req.Arguments
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	decode := func(v any) error {
		d := json.NewDecoder(bytes.NewReader(args))
		d.DisallowUnknownFields()
		if err := d.Decode(v); err != nil {
			return &Error{Class: ClassGeneric, Desc: fmt.Sprintf("%s: bad arguments: %v", req.Execute, err)}
		}
		return nil
	}
	switch req.Execute {
	case CmdSync, CmdSyncDelimited:
		var a struct {
			ID *int64 `json:"id"`
		}
		if err := decode(&a); err != nil {
			return nil, err
		}
		if a.ID == nil {
			return nil, missing("id")
		}
		return *a.ID, nil
	case CmdPing:
		return struct{}{}, nil
	case CmdInfo:
		info := Info{Version: s.Version}
		for _, name := range commands {
			info.SupportedCommands = append(info.SupportedCommands, CommandInfo{
				Name: name, Enabled: true, SuccessResponse: name != CmdShutdown,
			})
		}
		return info, nil
	case CmdExec:
		var a ExecArgs
		if err := decode(&a); err != nil {
			return nil, err
		}
		if a.Path == "" {
			return nil, missing("path")
		}
		return s.exec(a)
	case CmdExecStatus:
		var a struct {
			PID *int64 `json:"pid"`
		}
		if err := decode(&a); err != nil {
			return nil, err
		}
		if a.PID == nil {
			return nil, missing("pid")
		}
		return s.status(*a.PID)
	case CmdShutdown:
		var a ShutdownArgs
		if err := decode(&a); err != nil {
			return nil, err
		}
		mode := a.Mode
		if mode == "" {
			mode = "powerdown"
		}
		switch mode {
		case "powerdown", "halt", "reboot":
		default:
			return nil, &Error{Class: ClassGeneric, Desc: "Parameter 'mode' expects 'halt', 'powerdown' or 'reboot'"}
		}
		if s.Shutdown == nil {
			return nil, &Error{Class: ClassGeneric, Desc: "guest-shutdown is not supported here"}
		}
		return nil, s.Shutdown(mode)
	}
	return nil, &Error{Class: ClassCommandNotFound, Desc: fmt.Sprintf("The command %s has not been found", req.Execute)}
}

func missing(name string) error {
	return &Error{Class: ClassGeneric, Desc: fmt.Sprintf("Parameter '%s' is missing", name)}
}

func (s *Server) exec(a ExecArgs) (*Exec, error) {
	cmd := exec.Command(a.Path, a.Arg...)
	cmd.Args[0] = a.Path
	if a.Env != nil {
		cmd.Env = a.Env
	}
	if a.InputData != nil {
		cmd.Stdin = bytes.NewReader(a.InputData)
	}
	mode := CaptureNone
	if a.CaptureOutput != nil {
		mode = a.CaptureOutput.Mode
	}
	e := &execution{done: make(chan struct{})}
	switch mode {
	case CaptureStdout:
		cmd.Stdout = &e.out
	case CaptureStderr:
		cmd.Stderr = &e.err
	case CaptureSeparated:
		cmd.Stdout, cmd.Stderr = &e.out, &e.err
	case CaptureMerged:
		cmd.Stdout, cmd.Stderr = &e.out, &e.out
	}
	// Its own process group, so that a shell's children get no signal
	// meant for the agent.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, &Error{Class: ClassGeneric, Desc: fmt.Sprintf("Failed to execute child process “%s” (%v)", a.Path, err)}
	}
	pid := int64(cmd.Process.Pid)
	s.mu.Lock()
	s.execs[pid] = e
	s.mu.Unlock()
	go func() {
		_ = cmd.Wait() // the outcome is in cmd.ProcessState
		e.state = cmd.ProcessState
		close(e.done)
	}()
	return &Exec{PID: pid}, nil
}

func (s *Server) status(pid int64) (*ExecStatus, error) {
	s.mu.Lock()
	e, ok := s.execs[pid]
	s.mu.Unlock()
	if !ok {
		return nil, &Error{Class: ClassGeneric, Desc: "Invalid parameter 'pid'"}
	}
	select {
	case <-e.done:
	default:
		return &ExecStatus{Exited: false}, nil
	}
	s.mu.Lock()
	delete(s.execs, pid)
	s.mu.Unlock()
	st := &ExecStatus{Exited: true}
	if ws, ok := e.state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		sig := int(ws.Signal())
		st.Signal = &sig
	} else {
		code := e.state.ExitCode()
		st.ExitCode = &code
	}
	e.out.mu.Lock()
	if e.out.buf.Len() > 0 {
		st.OutData = bytes.Clone(e.out.buf.Bytes())
	}
	st.OutTruncated = e.out.truncated
	e.out.mu.Unlock()
	e.err.mu.Lock()
	if e.err.buf.Len() > 0 {
		st.ErrData = bytes.Clone(e.err.buf.Bytes())
	}
	st.ErrTruncated = e.err.truncated
	e.err.mu.Unlock()
	return st, nil
}
