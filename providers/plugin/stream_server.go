package plugin

import (
	"context"
	"sync"

	"github.com/benito-net/benito/providers/plugin/proto"
)

// ApplyResources serves the apply stream (see ApplyStream in the .proto):
// every call runs in its own goroutine as soon as it arrives and sends its
// result as soon as it is done, together with any others that became ready
// while a send was under way (queue). A slow call delays no other.
func (s *server) ApplyResources(stream proto.Provider_ApplyResourcesServer) error {
	ctx := stream.Context()
	// The first message says that this provider serves the stream.
	if err := stream.Send(&proto.ApplyStream_Results{}); err != nil {
		return err
	}
	var msg proto.ApplyStream_Results // used by one sender at a time
	out := newQueue(func(results []*proto.ApplyStream_Result) error {
		msg.Results = results
		err := stream.Send(&msg)
		msg.Results = nil
		return err // Recv fails too: the handler ends there
	})
	var (
		mu      sync.Mutex
		cancels = map[uint64]context.CancelFunc{}
		running sync.WaitGroup
		pool    = newWorkers()
	)
	defer pool.close()
	defer func() {
		mu.Lock()
		for _, cancel := range cancels {
			cancel()
		}
		mu.Unlock()
		out.close() // no Send after the handler returns
	}()
	for {
		in, err := stream.Recv()
		if err != nil {
			if ctx.Err() == nil {
				// benito closed its side: finish what runs, and send it.
				done := make(chan struct{})
				go func() { running.Wait(); close(done) }()
				select {
				case <-done:
				case <-ctx.Done():
				}
			}
			return nil
		}
		for _, call := range in.Calls {
			id := call.Id
			if call.Cancel {
				mu.Lock()
				if cancel := cancels[id]; cancel != nil {
					cancel()
				}
				mu.Unlock()
				continue
			}
			cctx, cancel := context.WithCancel(ctx)
			mu.Lock()
			cancels[id] = cancel
			mu.Unlock()
			running.Add(1)
			req := call.Request
			pool.run(func() {
				defer running.Done()
				resp, _ := s.ApplyResource(cctx, req)
				mu.Lock()
				delete(cancels, id)
				mu.Unlock()
				cancel()
				out.push(&proto.ApplyStream_Result{Id: id, Response: resp})
			})
		}
	}
}

// queue hands items from many goroutines to the stream, one send at a
// time, batching what arrives while a send is under way: a goroutine that
// pushes when no send is under way sends itself, everything queued, until
// the queue is empty; one that pushes during a send leaves its item to
// that sender. So an item goes out without waking another goroutine, and
// concurrent items share a message.
type queue[T any] struct {
	send func([]T) error

	mu      sync.Mutex
	items   []T
	spare   []T
	sending bool
	closed  bool
	idle    *sync.Cond // signalled when a sender stops
}

func newQueue[T any](send func([]T) error) *queue[T] {
	q := &queue[T]{send: send}
	q.idle = sync.NewCond(&q.mu)
	return q
}

// push queues v and, unless another goroutine is sending, sends. A failed
// send is send's to handle (the client fails the stream's calls, the
// server's Recv fails too): push stops sending and the queue keeps what
// it holds, for nothing will go out on that stream again.
func (q *queue[T]) push(v T) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.items = append(q.items, v)
	if q.sending {
		q.mu.Unlock()
		return
	}
	q.sending = true
	for {
		batch := q.items
		q.items = q.spare[:0]
		q.mu.Unlock()
		err := q.send(batch)
		clear(batch)
		q.mu.Lock()
		q.spare = batch[:0]
		if err != nil || len(q.items) == 0 || q.closed {
			q.sending = false
			q.idle.Broadcast()
			q.mu.Unlock()
			return
		}
	}
}

// close drops later pushes and waits for a send under way to end.
func (q *queue[T]) close() {
	q.mu.Lock()
	q.closed = true
	for q.sending {
		q.idle.Wait()
	}
	q.mu.Unlock()
}

// workers runs each function at once in a goroutine of its own, reusing
// the goroutines of finished ones: a new goroutine's stack grows again for
// every call (copying stacks was about a third of the provider's own CPU
// on the stream in BenchmarkPlugin), a reused one has grown already. There are never more
// goroutines than calls at the busiest moment; they end with close.
type workers struct {
	idle chan func() // unbuffered: a send succeeds when a worker waits
	done chan struct{}
}

func newWorkers() *workers {
	return &workers{idle: make(chan func()), done: make(chan struct{})}
}

// run runs f in an idle worker, or in a new one.
func (w *workers) run(f func()) {
	select {
	case w.idle <- f:
	default:
		go w.work(f)
	}
}

func (w *workers) work(f func()) {
	for {
		f()
		select {
		case f = <-w.idle:
		case <-w.done:
			return
		}
	}
}

// close ends the idle workers, and the others once their call is done.
func (w *workers) close() { close(w.done) }
