package main

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestGCSettings(t *testing.T) {
	const MiB = 1 << 20
	for _, c := range []struct {
		live, overhead uint64
		percent        int
		limit          int64
	}{
		{0, 0, maxGCPercent, softLimit},
		{10 * MiB, 5 * MiB, maxGCPercent, softLimit},
		// Up to a third of heapTarget, the heap may triple.
		{heapTarget / 3, 20 * MiB, maxGCPercent, softLimit},
		// Then the headroom shrinks so that the heap stays at heapTarget...
		{320 * MiB, 20 * MiB, 100, softLimit},
		{400 * MiB, 20 * MiB, 60, softLimit},
		// ...but never below half the live heap, and the limit follows.
		{heapTarget / 3 * 2, 20 * MiB, minGCPercent, softLimit},
		{heapTarget, 20 * MiB, minGCPercent, (heapTarget*3/2 + 20*MiB) * 17 / 16},
		{1000 * MiB, 40 * MiB, minGCPercent, (1500*MiB + 40*MiB) * 17 / 16},
		{1 << 62, 0, minGCPercent, (1<<62 + 1<<61) / 16 * 17},
		{1 << 63, 0, minGCPercent, 1<<63 - 1},
	} {
		percent, limit := gcSettings(c.live, c.overhead)
		if percent != c.percent || limit != c.limit {
			t.Errorf("gcSettings(%d MiB, %d MiB) = %d, %d MiB; want %d, %d MiB", c.live/MiB, c.overhead/MiB, percent, limit/MiB, c.percent, c.limit/MiB)
		}
	}
	// Whatever the live heap, the limit is above the heap GOGC allows,
	// so that it never starts a collection: that is what would thrash.
	for live := uint64(1 * MiB); live < 64<<30; live += live / 7 {
		percent, limit := gcSettings(live, 30*MiB)
		if percent < minGCPercent || percent > maxGCPercent {
			t.Fatalf("live %d MiB: GOGC %d out of [%d, %d]", live/MiB, percent, minGCPercent, maxGCPercent)
		}
		if allowed := live*uint64(100+percent)/100 + 30*MiB; uint64(limit) <= allowed {
			t.Fatalf("live %d MiB: limit %d MiB not above the %d MiB GOGC %d allows", live/MiB, limit/MiB, allowed/MiB, percent)
		}
	}
}

// TestFollowHeap checks that the follower sets both settings after a
// collection: the test's small heap gets the full headroom and the fixed
// limit, whatever they were before.
func TestFollowHeap(t *testing.T) {
	oldPercent := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(1 << 40)
	stop := make(chan struct{})
	done := make(chan struct{})
	t.Cleanup(func() {
		close(stop)
		<-done
		debug.SetGCPercent(oldPercent)
		debug.SetMemoryLimit(oldLimit)
	})
	go func() {
		defer close(done)
		followHeap(time.Millisecond, stop)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
		percent := debug.SetGCPercent(maxGCPercent) // reads it
		limit := debug.SetMemoryLimit(-1)           // reads it
		if percent == maxGCPercent && limit == softLimit {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after collections: GOGC %d, limit %d; want %d, %d", percent, limit, maxGCPercent, softLimit)
		}
		debug.SetGCPercent(100)
	}
}
