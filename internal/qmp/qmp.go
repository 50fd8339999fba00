package qmp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// MaxLine is the longest line accepted from the peer. QEMU writes one JSON
// object per line; the largest answers benito asks for (query-status,
// query-kvm, query-cpus-fast of a few CPUs) are far below it.
const MaxLine = 1 << 20

// eventBuffer is how many events wait for a reader before more are dropped.
const eventBuffer = 64

// ErrClosed is wrapped by every error of a connection that has ended.
var ErrClosed = errors.New("qmp: connection closed")

// Error is an error answer of QEMU to a command.
type Error struct {
	Command string
	Class   string // "GenericError", "CommandNotFound", ...
	Desc    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("qmp: %s: %s: %s", e.Command, e.Class, e.Desc)
}

// Event is an asynchronous event of QEMU.
type Event struct {
	Name string          // "SHUTDOWN", "POWERDOWN", "STOP", "RESUME", ...
	Data json.RawMessage // the event's "data", or nil
	Time time.Time       // QEMU's timestamp
}

// Version is QEMU's version as its greeting tells it.
type Version struct {
	Major, Minor, Micro int
	Package             string
}

func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Micro)
	if v.Package != "" {
		s += " (" + v.Package + ")"
	}
	return s
}

// Conn is a QMP connection in command mode.
type Conn struct {
	conn    net.Conn
	version Version
	events  chan Event
	dropped atomic.Uint64
	nextID  atomic.Uint64

	writeMu sync.Mutex

	mu      sync.Mutex
	pending map[string]chan reply
	err     error // why the connection ended; nil while it is open
	done    chan struct{}
}

type reply struct {
	ret json.RawMessage
	err *Error
}

// message is any line QEMU sends; which fields are set says what it is.
type message struct {
	QMP    *greeting       `json:"QMP"`
	Return json.RawMessage `json:"return"`
	Error  *struct {
		Class string `json:"class"`
		Desc  string `json:"desc"`
	} `json:"error"`
	Event     string          `json:"event"`
	Data      json.RawMessage `json:"data"`
	ID        json.RawMessage `json:"id"`
	Timestamp *struct {
		Seconds      int64 `json:"seconds"`
		Microseconds int64 `json:"microseconds"`
	} `json:"timestamp"`
}

type greeting struct {
	Version struct {
		QEMU struct {
			Major int `json:"major"`
			Minor int `json:"minor"`
			Micro int `json:"micro"`
		} `json:"qemu"`
		Package string `json:"package"`
	} `json:"version"`
	Capabilities []string `json:"capabilities"`
}

// Dial connects to the QMP socket at path, reads the greeting and
// negotiates capabilities, all within ctx.
func Dial(ctx context.Context, path string) (*Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("qmp: %w", err)
	}
	c, err := handshake(ctx, nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("qmp: %s: %w", path, err)
	}
	return c, nil
}

// handshake reads the greeting from nc, starts the reader and enters
// command mode.
func handshake(ctx context.Context, nc net.Conn) (*Conn, error) {
	// The greeting is read here, before the reader runs: a deadline from
	// ctx bounds it, and a cancelled ctx ends the read at once.
	if dl, ok := ctx.Deadline(); ok {
		nc.SetReadDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetReadDeadline(time.Unix(1, 0)) })
	r := bufio.NewReaderSize(nc, 4096)
	line, err := readLine(r)
	stop()
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("greeting: %w", ctx.Err())
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The only deadline set is ctx's, which the clock may pass a
			// moment before ctx says so.
			return nil, fmt.Errorf("greeting: %w", context.DeadlineExceeded)
		}
		return nil, fmt.Errorf("greeting: %w", err)
	}
	var m message
	if err := decode(line, &m); err != nil {
		return nil, fmt.Errorf("greeting: %w", err)
	}
	if m.QMP == nil {
		return nil, fmt.Errorf("greeting: not a QMP greeting: %s", quote(line))
	}
	nc.SetReadDeadline(time.Time{})
	g := m.QMP.Version
	c := &Conn{
		conn:    nc,
		version: Version{g.QEMU.Major, g.QEMU.Minor, g.QEMU.Micro, g.Package},
		events:  make(chan Event, eventBuffer),
		pending: map[string]chan reply{},
		done:    make(chan struct{}),
	}
	go c.read(r)
	if _, err := c.Execute(ctx, "qmp_capabilities", nil); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Version is the QEMU version the greeting announced.
func (c *Conn) Version() Version { return c.version }

// Events delivers QEMU's asynchronous events in the order they came; it is
// closed when the connection ends.
func (c *Conn) Events() <-chan Event { return c.events }

// Dropped is how many events were dropped because Events was full.
func (c *Conn) Dropped() uint64 { return c.dropped.Load() }

// Done is closed when the connection has ended; Err then says why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is why the connection ended (wrapping ErrClosed), or nil while it is
// open.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close ends the connection. Waiting calls fail with ErrClosed.
func (c *Conn) Close() error {
	c.fail(ErrClosed)
	<-c.done
	return nil
}

// fail ends the connection for why, once.
func (c *Conn) fail(why error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	if !errors.Is(why, ErrClosed) {
		why = fmt.Errorf("%w: %w", ErrClosed, why)
	}
	c.err = why
	c.conn.Close()
	// Waiting callers see c.done closed and read c.err; the reader closes
	// c.done when it returns.
}

// read reads the peer's lines until the connection ends, routing answers
// to their callers and events to the channel.
func (c *Conn) read(r *bufio.Reader) {
	defer func() {
		close(c.events)
		close(c.done)
	}()
	for {
		line, err := readLine(r)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("QEMU closed the connection")
			}
			c.fail(err)
			return
		}
		var m message
		if err := decode(line, &m); err != nil {
			c.fail(err)
			return
		}
		switch {
		case m.Event != "":
			ev := Event{Name: m.Event, Data: m.Data}
			if ts := m.Timestamp; ts != nil {
				ev.Time = time.Unix(ts.Seconds, ts.Microseconds*1000)
			}
			select {
			case c.events <- ev:
			default:
				c.dropped.Add(1)
			}
		case m.Return != nil || m.Error != nil:
			var id string
			if err := json.Unmarshal(m.ID, &id); err != nil || m.ID == nil {
				c.fail(fmt.Errorf("answer without an id of ours: %s", quote(line)))
				return
			}
			c.mu.Lock()
			ch, ok := c.pending[id]
			delete(c.pending, id)
			c.mu.Unlock()
			if !ok {
				// A caller that gave up (its context ended) has removed
				// its id; any other id was never sent.
				if n, err := strconv.ParseUint(id, 10, 64); err != nil || n == 0 || n > c.nextID.Load() {
					c.fail(fmt.Errorf("answer to id %q, which was never sent", id))
					return
				}
				continue
			}
			rp := reply{ret: m.Return}
			if m.Error != nil {
				rp.err = &Error{Class: m.Error.Class, Desc: m.Error.Desc}
			}
			ch <- rp // buffered: never blocks
		default:
			c.fail(fmt.Errorf("neither an answer nor an event: %s", quote(line)))
			return
		}
	}
}

// Execute runs command with args (nil, or a value that encodes to a JSON
// object) and returns the raw JSON of its "return". An error answer is an
// *Error; a connection that ended, an error wrapping ErrClosed.
func (c *Conn) Execute(ctx context.Context, command string, args any) (json.RawMessage, error) {
	id := strconv.FormatUint(c.nextID.Add(1), 10)
	req := struct {
		Execute   string `json:"execute"`
		Arguments any    `json:"arguments,omitempty"`
		ID        string `json:"id"`
	}{command, args, id}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("qmp: %s: arguments: %w", command, err)
	}
	b = append(b, '\n')
	ch := make(chan reply, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, fmt.Errorf("qmp: %s: %w", command, err)
	}
	c.pending[id] = ch
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}

	if err := c.write(ctx, b); err != nil {
		forget()
		return nil, fmt.Errorf("qmp: %s: %w", command, err)
	}
	select {
	case rp := <-ch:
		if rp.err != nil {
			rp.err.Command = command
			return nil, rp.err
		}
		return rp.ret, nil
	case <-c.done:
		forget()
		return nil, fmt.Errorf("qmp: %s: %w", command, c.Err())
	case <-ctx.Done():
		forget()
		return nil, fmt.Errorf("qmp: %s: %w", command, ctx.Err())
	}
}

// write writes one request whole, within ctx. A write that ctx cut short
// leaves half a request on the wire, so it ends the connection.
func (c *Conn) write(ctx context.Context, b []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if dl, ok := ctx.Deadline(); ok {
		c.conn.SetWriteDeadline(dl)
	} else {
		c.conn.SetWriteDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { c.conn.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := c.conn.Write(b); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		err = fmt.Errorf("write: %w", err)
		c.fail(err)
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return nil
}

// readLine reads one line of at most MaxLine bytes (without the newline).
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) > MaxLine+1 {
			return nil, fmt.Errorf("a line longer than %d bytes", MaxLine)
		}
		line = append(line, chunk...)
		switch {
		case err == nil:
			return bytes.TrimRight(line, "\r\n"), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return nil, fmt.Errorf("connection ended inside a line: %w", io.ErrUnexpectedEOF)
		default:
			return nil, err
		}
	}
}

// decode decodes one line that must be a JSON object.
func decode(line []byte, m *message) error {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return fmt.Errorf("not a JSON object: %s", quote(line))
	}
	if err := json.Unmarshal(line, m); err != nil {
		return fmt.Errorf("malformed JSON: %w: %s", err, quote(line))
	}
	return nil
}

// quote shows at most the start of a line from the peer in an error.
func quote(line []byte) string {
	const max = 120
	if len(line) > max {
		return strconv.Quote(string(line[:max])) + "..."
	}
	return strconv.Quote(string(line))
}
