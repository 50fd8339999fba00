package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/term"
)

// DetachKey is the byte that ends an attachment, Ctrl-] (0x1d), as in
// telnet and virsh console. It is never sent to the guest.
const DetachKey byte = 0x1d

// DetachKeyName is DetachKey as a person types it.
const DetachKeyName = "Ctrl-]"

// DefaultAcceptWait is how long Attach waits, by default, for QEMU to
// accept its connection before it concludes that another client is
// attached. QEMU's main loop accepts a connection on an idle console at
// once, whatever the guest is doing; the margin is for a loaded host.
const DefaultAcceptWait = 2 * time.Second

// ErrBusy is returned (wrapped) by Attach when another client is attached
// to the console: QEMU serves one client at a time.
var ErrBusy = errors.New("another client is attached to the console (QEMU serves one at a time)")

// Ending says how an attachment ended.
type Ending int

const (
	// Detached: the detach key was read.
	Detached Ending = iota + 1
	// InputEnded: the input reached its end (a pipe or file, not a
	// terminal). QEMU drops a client whose input ends, so an attachment
	// ends there too.
	InputEnded
	// Closed: QEMU closed the connection: the VM stopped, was killed, or
	// its console was taken away.
	Closed
)

func (e Ending) String() string {
	switch e {
	case Detached:
		return "detached"
	case InputEnded:
		return "input ended"
	case Closed:
		return "closed by the VM"
	}
	return fmt.Sprintf("Ending(%d)", int(e))
}

// Options are Attach's optional settings.
type Options struct {
	// AcceptWait bounds the wait for QEMU to accept the connection
	// (0: DefaultAcceptWait).
	AcceptWait time.Duration
	// Connected, when set, is called once QEMU has accepted the
	// connection, before anything is copied and before a terminal is put
	// in raw mode: the moment to tell the user how to detach.
	Connected func()
	// Notice, when set, receives what Attach has to say that is not an
	// error (it could not check for another client, and went on).
	Notice func(string)
}

// Attach connects to the console socket at socketPath (a QEMU socket
// chardev in server mode) and copies in to it and what comes from it to
// out, until the detach key is read from in, in ends, QEMU closes the
// connection, or ctx ends (then it returns ctx's error).
//
// When in is a terminal, it is in raw mode while attached (every key,
// Ctrl-C included, goes to the guest) and restored before Attach returns,
// whichever way it returns. Nothing is written to out after Attach
// returns. A read of in that cannot be interrupted (a terminal, or a pipe
// that is not an *os.File) may still be pending when Attach returns; it
// ends with the next input or its end, and what it reads is dropped.
//
// A connection QEMU does not accept within opts.AcceptWait is another
// client's turn: Attach returns an error wrapping ErrBusy, having sent
// nothing.
func Attach(ctx context.Context, socketPath string, in io.Reader, out io.Writer, opts Options) (Ending, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", socketPath)
	if err != nil {
		return 0, fmt.Errorf("connecting to the console: %w", err)
	}
	conn := c.(*net.UnixConn)
	defer conn.Close()
	if err := awaitAccept(ctx, conn, socketPath, opts); err != nil {
		return 0, err
	}
	if opts.Connected != nil {
		opts.Connected()
	}
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		old, err := term.MakeRaw(int(f.Fd()))
		if err != nil {
			return 0, fmt.Errorf("putting the terminal in raw mode: %w", err)
		}
		defer term.Restore(int(f.Fd()), old)
	}

	outDone := make(chan error, 1)
	go func() {
		_, err := io.Copy(out, conn)
		outDone <- err
	}()
	type inResult struct {
		end Ending
		err error
	}
	inDone := make(chan inResult, 1)
	go func() {
		end, err := forward(in, conn)
		inDone <- inResult{end, err}
	}()

	var end Ending
	var result error
	outEnded := false
	select {
	case <-ctx.Done():
		result = ctx.Err()
	case err := <-outDone:
		outEnded = true
		end, result = Closed, err
		if err != nil {
			result = fmt.Errorf("reading the console: %w", err)
		}
	case r := <-inDone:
		end, result = r.end, r.err
		if errors.Is(r.err, net.ErrClosed) || isPeerGone(r.err) {
			// QEMU went away while we wrote to it.
			end, result = Closed, nil
		}
	}
	// Closing the connection ends the copy to out; waiting for it keeps
	// out ours until we return.
	conn.Close()
	if !outEnded {
		<-outDone
	}
	// Stop the read of in where it can be stopped, so that it takes
	// nothing more from in.
	if dl, ok := in.(interface{ SetReadDeadline(time.Time) error }); ok && dl.SetReadDeadline(time.Now()) == nil {
		select {
		case <-inDone:
		case <-time.After(time.Second):
		}
		dl.SetReadDeadline(time.Time{})
	}
	if result != nil {
		return 0, result
	}
	return end, nil
}

// forward copies in to conn up to the detach key, which it does not send.
func forward(in io.Reader, conn io.Writer) (Ending, error) {
	buf := make([]byte, 4096)
	for {
		n, rerr := in.Read(buf)
		chunk, detach := beforeDetachKey(buf[:n])
		if len(chunk) > 0 {
			if _, err := conn.Write(chunk); err != nil {
				return 0, err
			}
		}
		if detach {
			return Detached, nil
		}
		if rerr == io.EOF {
			return InputEnded, nil
		}
		if rerr != nil {
			return 0, fmt.Errorf("reading the input: %w", rerr)
		}
	}
}

// beforeDetachKey returns what of chunk comes before the detach key, and
// whether the key is in it.
func beforeDetachKey(chunk []byte) ([]byte, bool) {
	if i := bytes.IndexByte(chunk, DetachKey); i >= 0 {
		return chunk[:i], true
	}
	return chunk, false
}

// isPeerGone reports whether err is a write to a connection the other end
// has closed.
func isPeerGone(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

// awaitAccept waits until QEMU has accepted conn (it is no longer in the
// accept queue of the socket at path), for at most opts.AcceptWait.
func awaitAccept(ctx context.Context, conn *net.UnixConn, path string, opts Options) error {
	wait := opts.AcceptWait
	if wait <= 0 {
		wait = DefaultAcceptWait
	}
	deadline := time.Now().Add(wait)
	for {
		queued, err := waiting(conn, path)
		if err != nil {
			// The kernel cannot tell (no unix_diag); go on, and say what
			// a silent console may mean.
			if opts.Notice != nil {
				opts.Notice(fmt.Sprintf("cannot tell whether another client is attached to the console (%v); if nothing answers, one is, and this session starts when it leaves", err))
			}
			return nil
		}
		if !queued {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: QEMU did not take the connection to %s within %v; detach the other client (or end it) and try again", ErrBusy, path, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// The computed vnode attributes of a node with a serial console, which
// its platform records and `benito console` reads: the console socket's
// path, and the path of the file QEMU appends everything the console
// prints to (logfile=..., logappend=on).
const (
	SocketAttribute = "console"
	LogAttribute    = "console_log"
)
