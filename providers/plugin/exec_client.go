package plugin

import (
	"context"
	"io"
	"sync"
	"syscall"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/plugin/proto"
)

// Exec runs the command on the provider's Exec stream: the request's
// input, window sizes and signals go out as they come, the command's
// output is written as it arrives. It has no time limit; ctx ending ends
// the stream, which ends the command.
func (c *client) Exec(ctx context.Context, req providers.ExecRequest) providers.ExecResponse {
	fail := func(d providers.Diagnostics) providers.ExecResponse {
		return providers.ExecResponse{ExitCode: -1, Diagnostics: d}
	}
	rs, d := c.resourceType(ctx, req.Address, req.Type)
	if d != nil {
		return fail(d)
	}
	value, d := c.encode(rs.implied, req.Value, req.Address, "resource's value")
	if d != nil {
		return fail(d)
	}
	if d := c.ended(); d != nil {
		return fail(c.deadDiag(d, req.Address))
	}
	doing := "running a command in " + req.Address
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := c.rpc.Exec(sctx)
	if err != nil {
		return fail(c.failure(ctx, err, false, 0, req.Address, doing))
	}
	in := &execInput{stream: st}
	defer in.close()
	start := &proto.Exec_Start{Address: req.Address, Type: req.Type, Value: value, Private: req.Private, Args: req.Args, Env: req.Env}
	if t := req.Terminal; t != nil {
		start.Terminal = &proto.Exec_WindowSize{Rows: uint32(t.Rows), Cols: uint32(t.Cols)}
	}
	// A failed send shows in Recv, with the reason.
	in.send(&proto.Exec_Input{Input: &proto.Exec_Input_Start{Start: start}})
	go in.copyStdin(req.Stdin)
	go in.forward(sctx.Done(), req.Resize, req.Signals)

	outs := [2]io.Writer{req.Stdout, req.Stderr}
	for i, w := range outs {
		if w == nil {
			outs[i] = io.Discard
		}
	}
	for {
		m, err := st.Recv()
		if err == io.EOF {
			return fail(providers.Errorf(req.Address, "Provider %q ended the command's stream without saying how the command ended", c.name))
		}
		if err != nil {
			return fail(c.failure(ctx, err, false, 0, req.Address, doing))
		}
		var werr error
		switch x := m.Output.(type) {
		case *proto.Exec_Output_Stdout:
			_, werr = outs[0].Write(x.Stdout)
		case *proto.Exec_Output_Stderr:
			_, werr = outs[1].Write(x.Stderr)
		case *proto.Exec_Output_Exited:
			return providers.ExecResponse{
				ExitCode:    int(x.Exited.ExitCode),
				Signal:      syscall.Signal(x.Exited.Signal),
				Diagnostics: diagsFromProto(x.Exited.Diagnostics),
			}
		}
		if werr != nil {
			// Ending the stream ends the command.
			return fail(providers.Errorf(req.Address, "Writing the output of the command: %v", werr))
		}
	}
}

// execInput sends the Exec stream's messages from the goroutines that
// copy the input and forward sizes and signals, one at a time (gRPC
// allows no concurrent sends on a stream), and none once the call is
// over.
type execInput struct {
	stream proto.Provider_ExecClient
	mu     sync.Mutex
	done   bool
}

func (in *execInput) send(m *proto.Exec_Input) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.done {
		return io.ErrClosedPipe
	}
	return in.stream.Send(m)
}

func (in *execInput) close() {
	in.mu.Lock()
	in.done = true
	in.mu.Unlock()
}

// copyStdin sends r to its end, then says the input has ended. A Read in
// progress when the call ends is left to finish; what it read is dropped.
func (in *execInput) copyStdin(r io.Reader) {
	if r != nil {
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				// Send encodes the bytes before it returns: buf is free again.
				if in.send(&proto.Exec_Input{Input: &proto.Exec_Input_Stdin{Stdin: buf[:n]}}) != nil {
					return
				}
			}
			if err != nil {
				break
			}
		}
	}
	in.send(&proto.Exec_Input{Input: &proto.Exec_Input_StdinClosed{StdinClosed: true}})
}

// forward sends the window sizes and signals until done.
func (in *execInput) forward(done <-chan struct{}, resize <-chan providers.WindowSize, signals <-chan syscall.Signal) {
	for resize != nil || signals != nil {
		var m *proto.Exec_Input
		select {
		case <-done:
			return
		case sz, ok := <-resize:
			if !ok {
				resize = nil
				continue
			}
			m = &proto.Exec_Input{Input: &proto.Exec_Input_Resize{Resize: &proto.Exec_WindowSize{Rows: uint32(sz.Rows), Cols: uint32(sz.Cols)}}}
		case sig, ok := <-signals:
			if !ok {
				signals = nil
				continue
			}
			m = &proto.Exec_Input{Input: &proto.Exec_Input_Signal{Signal: int32(sig)}}
		}
		if in.send(m) != nil {
			return
		}
	}
}
