package parallel

import "sync"

// Batcher runs Run on batches of submitted items, one batch at a time, in
// a goroutine of its own: each batch is every item submitted while the one
// before ran (group commit). With nothing under way, an item starts a
// batch of its own at once. The zero Batcher needs only Run.
type Batcher[T any] struct {
	Run func(batch []T)

	mu      sync.Mutex
	pending []T
	running bool
}

// Submit adds x to the next batch, starting one if none is under way.
func (b *Batcher[T]) Submit(x T) {
	b.mu.Lock()
	b.pending = append(b.pending, x)
	if !b.running {
		b.running = true
		go b.loop()
	}
	b.mu.Unlock()
}

func (b *Batcher[T]) loop() {
	for {
		b.mu.Lock()
		batch := b.pending
		b.pending = nil
		if len(batch) == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		b.Run(batch)
	}
}
