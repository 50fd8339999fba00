package plugin

import (
	"io"
	"sync"
	"syscall"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/plugin/proto"
)

// stdinChunks is how many chunks of a command's input the provider holds
// that the command has not read yet. Past it, the provider stops
// receiving: benito's sends wait (gRPC's flow control), and window sizes
// and signals wait behind the input too.
const stdinChunks = 32

// Exec serves the Exec stream (see Exec in the .proto) with the
// provider's Exec: the stream's messages become the request's input,
// sizes and signals, the command's output goes out as it is written, and
// the response last. The command's context ends with the stream.
func (s *server) Exec(stream proto.Provider_ExecServer) error {
	ctx := stream.Context()
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	start := first.GetStart()
	if start == nil {
		return status.Error(codes.InvalidArgument, "the first message of an Exec stream must be its start")
	}
	out := &execOutput{stream: stream}
	defer out.close()
	rs, diags := s.resourceType(ctx, start.Address, start.Type)
	if diags != nil {
		return out.exited(providers.ExecResponse{ExitCode: -1, Diagnostics: diags})
	}
	req := providers.ExecRequest{Address: start.Address, Type: start.Type, Private: start.Private, Args: start.Args, Env: start.Env}
	if !rs.Exec {
		return out.exited(providers.ExecNotSupported(s.schema.Info.Name, req))
	}
	if req.Value, diags = s.decode(rs.implied, start.Value, start.Address, "resource's value"); diags != nil {
		return out.exited(providers.ExecResponse{ExitCode: -1, Diagnostics: diags})
	}
	if t := start.Terminal; t != nil {
		req.Terminal = &providers.WindowSize{Rows: uint16(t.Rows), Cols: uint16(t.Cols)}
	}
	stdin := make(chan []byte, stdinChunks)
	resize := make(chan providers.WindowSize, 1)
	signals := make(chan syscall.Signal, 4)
	req.Stdin = &chanReader{ch: stdin}
	req.Stdout, req.Stderr = execWriter{out, false}, execWriter{out, true}
	req.Resize, req.Signals = resize, signals
	go func() {
		// Ends when the stream does: Exec has returned, or benito is gone
		// (and ctx, ending the command, is done).
		input := stdin // nil once the input has ended
		defer func() {
			if input != nil {
				close(input)
			}
		}()
		for {
			in, err := stream.Recv()
			if err != nil {
				return
			}
			switch x := in.Input.(type) {
			case *proto.Exec_Input_Stdin:
				if input == nil {
					continue
				}
				select {
				case input <- x.Stdin:
				case <-ctx.Done():
					return
				}
			case *proto.Exec_Input_StdinClosed:
				if input != nil {
					close(input)
					input = nil
				}
			default:
				deliver(ctx.Done(), in, resize, signals)
			}
		}
	}()
	return out.exited(s.p.Exec(ctx, req))
}

// deliver hands a window size or a signal to the provider. A size waiting
// to be taken is replaced by the newer one.
func deliver(done <-chan struct{}, in *proto.Exec_Input, resize chan providers.WindowSize, signals chan syscall.Signal) {
	switch x := in.Input.(type) {
	case *proto.Exec_Input_Resize:
		sz := providers.WindowSize{Rows: uint16(x.Resize.GetRows()), Cols: uint16(x.Resize.GetCols())}
		for {
			select {
			case resize <- sz:
				return
			case <-resize: // stale
			case <-done:
				return
			}
		}
	case *proto.Exec_Input_Signal:
		select {
		case signals <- syscall.Signal(x.Signal):
		case <-done:
		}
	}
}

// chanReader reads the chunks of a channel, to its close (EOF).
type chanReader struct {
	ch  <-chan []byte
	cur []byte
}

func (r *chanReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		b, ok := <-r.ch
		if !ok {
			return 0, io.EOF
		}
		r.cur = b
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// execOutput sends the Exec stream's messages, one at a time (gRPC allows
// no concurrent sends on a stream), and none once the call is over.
type execOutput struct {
	stream proto.Provider_ExecServer
	mu     sync.Mutex
	done   bool
}

func (o *execOutput) send(m *proto.Exec_Output) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done {
		return io.ErrClosedPipe
	}
	return o.stream.Send(m)
}

// exited sends how the command ended, the stream's last message.
func (o *execOutput) exited(resp providers.ExecResponse) error {
	err := o.send(&proto.Exec_Output{Output: &proto.Exec_Output_Exited{Exited: &proto.Exec_Exited{
		ExitCode: int32(resp.ExitCode), Signal: int32(resp.Signal), Diagnostics: diagsToProto(resp.Diagnostics),
	}}})
	o.close()
	return err
}

func (o *execOutput) close() {
	o.mu.Lock()
	o.done = true
	o.mu.Unlock()
}

// execWriter sends what the command writes to its stdout or stderr.
type execWriter struct {
	out    *execOutput
	stderr bool
}

func (w execWriter) Write(p []byte) (int, error) {
	m := &proto.Exec_Output{Output: &proto.Exec_Output_Stdout{Stdout: p}}
	if w.stderr {
		m = &proto.Exec_Output{Output: &proto.Exec_Output_Stderr{Stderr: p}}
	}
	if err := w.out.send(m); err != nil {
		return 0, err
	}
	return len(p), nil
}
