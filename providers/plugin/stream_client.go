package plugin

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/plugin/proto"
)

// applyStream multiplexes the ApplyResource calls of many goroutines onto
// one ApplyResources stream. Callers queue their call (the first to find
// no send under way sends everything queued in one message: queue) and
// wait; a receiver goroutine hands each result to its caller as it
// arrives.
type applyStream struct {
	stream proto.Provider_ApplyResourcesClient
	cancel context.CancelFunc
	out    *queue[*proto.ApplyStream_Call]
	msg    proto.ApplyStream_Calls // used by one sender at a time

	mu      sync.Mutex
	next    uint64
	pending map[uint64]chan applyResult
	err     error // why the stream ended, once it has
}

type applyResult struct {
	resp *proto.ApplyResource_Response
	err  error
}

// errNoStream says that the provider does not serve the stream: it was
// built before it, and ApplyResource goes unary.
var errNoStream = errors.New("the provider does not serve ApplyResources")

// openApplyStream opens the stream and waits for the provider's first
// message, within limit.
func (c *client) openApplyStream(limit time.Duration) (*applyStream, error) {
	ctx, cancel := context.WithCancel(context.Background())
	st, err := c.rpc.ApplyResources(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	timer := time.AfterFunc(limit, cancel)
	_, err = st.Recv()
	if !timer.Stop() {
		return nil, context.DeadlineExceeded
	}
	if err != nil {
		cancel()
		if status.Code(err) == codes.Unimplemented {
			return nil, errNoStream
		}
		return nil, err
	}
	s := &applyStream{
		stream:  st,
		cancel:  cancel,
		pending: map[uint64]chan applyResult{},
	}
	s.out = newQueue(s.send)
	go s.receive()
	return s, nil
}

// send sends calls, those queued at once in one message.
func (s *applyStream) send(calls []*proto.ApplyStream_Call) error {
	s.msg.Calls = calls
	err := s.stream.Send(&s.msg)
	s.msg.Calls = nil
	if err != nil && err != io.EOF {
		s.fail(err)
	}
	// On io.EOF the stream has ended; receive learns why.
	return err
}

// receive hands each result to its caller, until the stream fails.
func (s *applyStream) receive() {
	for {
		msg, err := s.stream.Recv()
		if err != nil {
			if err == io.EOF {
				err = status.Error(codes.Unavailable, "the provider ended the apply stream")
			}
			s.fail(err)
			return
		}
		s.mu.Lock()
		for _, r := range msg.Results {
			if ch := s.pending[r.Id]; ch != nil {
				delete(s.pending, r.Id)
				ch <- applyResult{resp: r.Response}
			}
			// else: the caller gave up on it (cancelled, timed out).
		}
		s.mu.Unlock()
	}
}

// fail ends the stream: every call waiting, and every later one, gets err.
func (s *applyStream) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return
	}
	s.err = err
	s.cancel()
	for id, ch := range s.pending {
		delete(s.pending, id)
		ch <- applyResult{err: err}
	}
}

// failed says why the stream ended, or nil while it serves.
func (s *applyStream) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// start queues a call; its result arrives on the returned channel.
func (s *applyStream) start(req *proto.ApplyResource_Request) (uint64, <-chan applyResult) {
	ch := make(chan applyResult, 1)
	s.mu.Lock()
	if s.err != nil {
		ch <- applyResult{err: s.err}
		s.mu.Unlock()
		return 0, ch
	}
	s.next++
	id := s.next
	s.pending[id] = ch
	s.mu.Unlock()
	s.out.push(&proto.ApplyStream_Call{Id: id, Request: req})
	return id, ch
}

// abandon forgets a call whose caller stopped waiting, and asks the
// provider to cancel it.
func (s *applyStream) abandon(id uint64) {
	s.mu.Lock()
	_, waiting := s.pending[id]
	delete(s.pending, id)
	live := s.err == nil
	s.mu.Unlock()
	if waiting && live {
		s.out.push(&proto.ApplyStream_Call{Id: id, Cancel: true})
	}
}

// unaryApply, set by tests and benchmarks, makes every apply go unary.
var unaryApply bool

// applyStream returns the provider's apply stream, opening it on first
// use (or anew after it failed), or errNoStream.
func (c *client) applyStream(limit time.Duration) (*applyStream, error) {
	c.streamMu.Lock()
	defer c.streamMu.Unlock()
	if c.noStream || unaryApply {
		return nil, errNoStream
	}
	if c.stream != nil && c.stream.failed() == nil {
		return c.stream, nil
	}
	s, err := c.openApplyStream(limit)
	if err == errNoStream {
		c.noStream = true
	}
	if err != nil {
		return nil, err
	}
	c.stream = s
	return s, nil
}

// closeStream ends the apply stream, if open.
func (c *client) closeStream() {
	c.streamMu.Lock()
	defer c.streamMu.Unlock()
	if c.stream != nil {
		c.stream.fail(status.Error(codes.Canceled, "the provider was closed"))
	}
}

// apply runs one ApplyResource call on the stream, or unary when the
// provider does not serve it, with the same time limit, cancellation and
// failures as call.
func (c *client) apply(ctx context.Context, req *proto.ApplyResource_Request, doing string) (*proto.ApplyResource_Response, providers.Diagnostics) {
	limit, address := c.applyTimeout, req.Address
	if d := c.ended(); d != nil {
		return nil, c.deadDiag(d, address)
	}
	s, err := c.applyStream(limit)
	if err != errNoStream {
		defer c.proc.fly(c.name, doing)() // after failure has said what was in flight
	}
	if err == errNoStream {
		return unary(c, ctx, limit, address, doing, c.rpc.ApplyResource, req)
	}
	if err != nil {
		return nil, c.failure(ctx, err, err == context.DeadlineExceeded, limit, address, doing)
	}
	id, ch := s.start(req)
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, c.failure(ctx, r.err, false, limit, address, doing)
		}
		return r.resp, nil
	case <-timer.C:
		s.abandon(id)
		return nil, c.failure(ctx, context.DeadlineExceeded, true, limit, address, doing)
	case <-ctx.Done():
		s.abandon(id)
		return nil, c.failure(ctx, ctx.Err(), false, limit, address, doing)
	}
}
