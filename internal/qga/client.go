package qga

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// Client sends commands to a guest agent over one connection.
type Client struct {
	mu     sync.Mutex
	conn   io.ReadWriteCloser
	in     *texts
	synced bool
}

// NewClient returns a Client talking over conn; Close closes conn.
func NewClient(conn io.ReadWriteCloser) *Client {
	return &Client{conn: conn, in: newTexts(conn)}
}

// Dial connects to the host end of a guest's agent channel: the unix
// socket of a QEMU chardev (-chardev socket,path=PATH,server=on,wait=off).
func Dial(ctx context.Context, path string) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("guest agent: %w", err)
	}
	return NewClient(conn), nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Result is what a command run by Exec did.
type Result struct {
	Stdout, Stderr []byte
	// ExitCode is the exit status, or -1 when Signal killed the process.
	ExitCode int
	// Signal is the signal that ended the process, 0 when it exited.
	Signal int
	// Truncated says the guest agent dropped output past its limit.
	Truncated bool
}

// Ping checks that the agent answers.
func (c *Client) Ping(ctx context.Context) error {
	return c.Call(ctx, CmdPing, nil, nil)
}

// Info returns what the agent says of itself.
func (c *Client) Info(ctx context.Context) (*Info, error) {
	var info Info
	if err := c.Call(ctx, CmdInfo, nil, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// Shutdown asks the guest to power down, halt or reboot (mode "powerdown",
// "halt" or "reboot"; "" is powerdown). A guest that obeys does not answer,
// so Shutdown only sends the request; the caller watches the machine stop.
func (c *Client) Shutdown(ctx context.Context, mode string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.synced {
		if err := c.sync(ctx); err != nil {
			return err
		}
	}
	// An error answer, if any, is dropped by the next call's sync.
	c.synced = false
	b, err := json.Marshal(Request{Execute: CmdShutdown, Arguments: mustJSON(ShutdownArgs{Mode: mode})})
	if err != nil {
		return err
	}
	return c.deadline(ctx, func() error {
		if _, err := c.conn.Write(append(b, '\n')); err != nil {
			return fmt.Errorf("guest agent: %s: %w", CmdShutdown, err)
		}
		return nil
	})
}

// Exec runs argv in the guest with env (nil: the agent's environment) and
// stdin (nil: none), waits for it to end and returns its output and
// status. When ctx ends first Exec returns ctx's error; the process keeps
// running in the guest (QGA has no command to stop it).
func (c *Client) Exec(ctx context.Context, argv, env []string, stdin []byte) (*Result, error) {
	if len(argv) == 0 {
		return nil, errors.New("guest agent: exec: empty command")
	}
	args := ExecArgs{
		Path: argv[0], Arg: argv[1:], Env: env, InputData: stdin,
		// The boolean form: QEMU before 8.0 knows no other.
		CaptureOutput: &CaptureOutput{Mode: CaptureSeparated, Bool: true},
	}
	var started Exec
	if err := c.Call(ctx, CmdExec, args, &started); err != nil {
		return nil, err
	}
	wait := 5 * time.Millisecond
	for {
		var st ExecStatus
		if err := c.Call(ctx, CmdExecStatus, ExecStatusArgs{PID: started.PID}, &st); err != nil {
			return nil, err
		}
		if st.Exited {
			r := &Result{Stdout: st.OutData, Stderr: st.ErrData, ExitCode: -1,
				Truncated: st.OutTruncated || st.ErrTruncated}
			switch {
			case st.ExitCode != nil:
				r.ExitCode = *st.ExitCode
			case st.Signal != nil:
				r.Signal = *st.Signal
			default:
				return nil, fmt.Errorf("guest agent: exec-status of pid %d: exited without exit code or signal", started.PID)
			}
			return r, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// Call sends command with args (nil: none) and decodes its answer into ret
// (nil: ignored). An error answer is returned as *Error.
func (c *Client) Call(ctx context.Context, command string, args, ret any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.synced {
		if err := c.sync(ctx); err != nil {
			return err
		}
		c.synced = true
	}
	resp, err := c.roundTrip(ctx, command, args)
	if err != nil {
		// What comes next may be this request's late answer.
		c.synced = false
		return err
	}
	if resp.Error != nil {
		return resp.Error
	}
	if ret == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Return, ret); err != nil {
		return fmt.Errorf("guest agent: %s: bad answer %s: %w", command, resp.Return, err)
	}
	return nil
}

// sync makes the stream start afresh: it sends 0xFF and guest-sync-delimited
// with a random id, and drops every text until the answer with that id.
// syncRetry is how long a sync waits for its answer before it is sent
// again. A request can be lost: a QEMU chardev hands a new client the
// guest's port at once, while the agent in the guest may still be
// closing it for the client before (it read the end of that session),
// and drops what it had not read. A sync sent again, with a new id, is
// answered once the agent has opened the port anew; answers to the lost
// ones, should they come, have other ids and are skipped.
const syncRetry = time.Second

func (c *Client) sync(ctx context.Context) error {
	for {
		actx, cancel := context.WithTimeout(ctx, syncRetry)
		err := c.syncOnce(actx)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
	}
}

func (c *Client) syncOnce(ctx context.Context) error {
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := int64(binary.LittleEndian.Uint64(b[:]) >> 1)
	req, err := json.Marshal(Request{Execute: CmdSyncDelimited, Arguments: mustJSON(SyncArgs{ID: id})})
	if err != nil {
		return err
	}
	return c.deadline(ctx, func() error {
		if _, err := c.conn.Write(append([]byte{Sentinel}, append(req, '\n')...)); err != nil {
			return fmt.Errorf("guest agent: sync: %w", err)
		}
		for {
			text, err := c.in.next()
			if errors.Is(err, errReset) {
				continue
			}
			if err != nil {
				return fmt.Errorf("guest agent: sync: %w", err)
			}
			var resp Response
			if json.Unmarshal(text, &resp) != nil || resp.Error != nil {
				continue
			}
			var got int64
			if json.Unmarshal(resp.Return, &got) == nil && got == id {
				return nil
			}
		}
	})
}

func (c *Client) roundTrip(ctx context.Context, command string, args any) (*Response, error) {
	req := Request{Execute: command}
	if args != nil {
		b, err := json.Marshal(args)
		if err != nil {
			return nil, fmt.Errorf("guest agent: %s: %w", command, err)
		}
		req.Arguments = b
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("guest agent: %s: %w", command, err)
	}
	var resp Response
	err = c.deadline(ctx, func() error {
		if _, err := c.conn.Write(append(b, '\n')); err != nil {
			return err
		}
		for {
			text, err := c.in.next()
			if errors.Is(err, errReset) {
				continue
			}
			if err != nil {
				return err
			}
			resp = Response{}
			if err := json.Unmarshal(text, &resp); err != nil {
				return fmt.Errorf("bad answer %q: %w", text, err)
			}
			if resp.Return == nil && resp.Error == nil {
				// An event or other text that answers nothing.
				continue
			}
			return nil
		}
	})
	if err != nil {
		return nil, fmt.Errorf("guest agent: %s: %w", command, err)
	}
	return &resp, nil
}

// deadline runs f, making it end when ctx does: a connection with
// deadlines gets ctx's, any other is closed when ctx ends first.
func (c *Client) deadline(ctx context.Context, f func() error) error {
	if conn, ok := c.conn.(interface{ SetDeadline(time.Time) error }); ok {
		if d, ok := ctx.Deadline(); ok {
			_ = conn.SetDeadline(d)
		}
		defer func() { _ = conn.SetDeadline(time.Time{}) }()
	}
	stop := context.AfterFunc(ctx, func() {
		if conn, ok := c.conn.(interface{ SetDeadline(time.Time) error }); ok {
			_ = conn.SetDeadline(time.Unix(1, 0))
			return
		}
		_ = c.conn.Close()
	})
	defer stop()
	err := f()
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// Only ctx sets deadlines: the connection's clock may run out a
		// moment before ctx says it is done.
		<-ctx.Done()
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
