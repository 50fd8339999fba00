package plugin

import (
	"context"
	"sync"

	"github.com/benito-net/benito/providers/plugin/proto"
)

// ApplyResources serves the apply stream (see ApplyStream in the .proto):
// every call runs in its own goroutine as soon as it arrives, and one
// sender goroutine sends results as they are done, all those waiting in
// one message. A slow call delays no other.
func (s *server) ApplyResources(stream proto.Provider_ApplyResourcesServer) error {
	ctx := stream.Context()
	// The first message says that this provider serves the stream.
	if err := stream.Send(&proto.ApplyStream_Results{}); err != nil {
		return err
	}
	out := &queue[*proto.ApplyStream_Result]{wake: make(chan struct{}, 1)}
	stop := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		var msg proto.ApplyStream_Results
		for last := false; !last; {
			select {
			case <-out.wake:
			case <-stop:
				last = true // send what is left, then end
			}
			msg.Results = out.take(msg.Results[:0])
			if len(msg.Results) == 0 {
				continue
			}
			if err := stream.Send(&msg); err != nil {
				return // Recv fails too: the handler ends there
			}
			clear(msg.Results)
		}
	}()
	var (
		mu      sync.Mutex
		cancels = map[uint64]context.CancelFunc{}
		running sync.WaitGroup
	)
	defer func() {
		mu.Lock()
		for _, cancel := range cancels {
			cancel()
		}
		mu.Unlock()
		close(stop)
		<-sent
	}()
	for {
		msg, err := stream.Recv()
		if err != nil {
			if ctx.Err() == nil {
				// benito closed its side: finish what runs, and the
				// deferred close(stop) sends the last results.
				done := make(chan struct{})
				go func() { running.Wait(); close(done) }()
				select {
				case <-done:
				case <-ctx.Done():
				}
			}
			return nil
		}
		for _, call := range msg.Calls {
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
			go func(req *proto.ApplyResource_Request) {
				defer running.Done()
				resp, _ := s.ApplyResource(cctx, req)
				mu.Lock()
				delete(cancels, id)
				mu.Unlock()
				cancel()
				out.push(&proto.ApplyStream_Result{Id: id, Response: resp})
			}(call.Request)
		}
	}
}

// queue is a list of items handed from many goroutines to one that sends
// them: push adds one and wakes the sender; take removes them all.
type queue[T any] struct {
	mu    sync.Mutex
	items []T
	wake  chan struct{} // capacity 1
}

func (q *queue[T]) push(v T) {
	q.mu.Lock()
	q.items = append(q.items, v)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take appends the queued items to dst and empties the queue.
func (q *queue[T]) take(dst []T) []T {
	q.mu.Lock()
	dst = append(dst, q.items...)
	clear(q.items)
	q.items = q.items[:0]
	q.mu.Unlock()
	return dst
}
