package parallel

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRangesCoverEverythingOnce(t *testing.T) {
	for _, n := range []int{0, 1, 7, 100, 10001} {
		seen := make([]int32, n)
		Ranges(n, 3, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				atomic.AddInt32(&seen[i], 1)
			}
		})
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("n=%d: item %d visited %d times", n, i, c)
			}
		}
	}
}

// TestMapKeepsRangeOrder: the results come back one per range, in the
// order of the ranges, which are contiguous, cover [0, n), number at most
// one per core and hold at least minChunk items each (but for a range of
// everything).
func TestMapKeepsRangeOrder(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	for _, tc := range []struct{ n, minChunk, wantParts int }{
		{0, 3, 0},
		{1, 3, 1},
		{5, 3, 1},
		{6, 3, 2},
		{100, 3, 8},
		{10001, 1000, 8},
		{10001, 5000, 2},
	} {
		parts := Map(tc.n, tc.minChunk, func(lo, hi int) [2]int { return [2]int{lo, hi} })
		next := 0
		for _, p := range parts {
			if p[0] != next || p[1]-p[0] < min(tc.minChunk, tc.n) {
				t.Fatalf("n=%d, minChunk=%d: ranges %v", tc.n, tc.minChunk, parts)
			}
			next = p[1]
		}
		if next != tc.n || len(parts) != tc.wantParts {
			t.Errorf("n=%d, minChunk=%d: ranges %v, want %d covering [0, %d)", tc.n, tc.minChunk, parts, tc.wantParts, tc.n)
		}
	}
}

func TestOrderedKeepsOrderAndStopsOnError(t *testing.T) {
	var got []int
	err := Ordered(1000, 7, func(lo, hi int) ([]int, error) {
		out := make([]int, 0, hi-lo)
		for i := lo; i < hi; i++ {
			out = append(out, i)
		}
		return out, nil
	}, func(part []int) error {
		got = append(got, part...)
		return nil
	})
	if err != nil || len(got) != 1000 {
		t.Fatalf("got %d items, err %v", len(got), err)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("item %d is %d: out of order", i, v)
		}
	}

	var started atomic.Int32
	err = Ordered(1000, 10, func(lo, hi int) (int, error) {
		started.Add(1)
		if lo == 50 {
			return 0, errTest
		}
		return lo, nil
	}, func(int) error { return nil })
	if err != errTest {
		t.Fatalf("want the producer's error, got %v", err)
	}
	if n := started.Load(); n == 100 {
		t.Error("after an error, no new chunks should start")
	}
}

var errTest = errors.New("test")

// TestBatcher checks that every item is run once, batches never overlap,
// and items submitted while a batch runs go together into the next.
func TestBatcher(t *testing.T) {
	var (
		mu      sync.Mutex
		seen    = map[int]int{}
		running bool
		sizes   []int
		release = make(chan struct{})
		started = make(chan struct{}, 1)
	)
	b := &Batcher[int]{Run: func(batch []int) {
		mu.Lock()
		if running {
			t.Error("two batches at once")
		}
		running = true
		for _, x := range batch {
			seen[x]++
		}
		sizes = append(sizes, len(batch))
		mu.Unlock()
		select {
		case started <- struct{}{}:
		default:
		}
		if batch[0] == 0 {
			<-release // hold the first batch while the others queue
		}
		mu.Lock()
		running = false
		mu.Unlock()
	}}
	b.Submit(0)
	<-started
	var wg sync.WaitGroup
	for i := 1; i <= 50; i++ {
		wg.Go(func() { b.Submit(i) })
	}
	wg.Wait()
	close(release)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == 51 || time.Now().After(deadline) {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for i := 0; i <= 50; i++ {
		if seen[i] != 1 {
			t.Errorf("item %d run %d times", i, seen[i])
		}
	}
	if len(sizes) != 2 || sizes[0] != 1 || sizes[1] != 50 {
		t.Errorf("batch sizes %v, want [1 50]", sizes)
	}
}

func TestEach(t *testing.T) {
	for _, c := range []struct{ n, width int }{{0, 4}, {1, 4}, {10, 1}, {100, 7}, {5, 32}} {
		seen := make([]int32, c.n)
		var running, most int32
		var mu sync.Mutex
		Each(c.n, c.width, func(i int) {
			mu.Lock()
			running++
			most = max(most, running)
			mu.Unlock()
			atomic.AddInt32(&seen[i], 1)
			time.Sleep(time.Millisecond)
			mu.Lock()
			running--
			mu.Unlock()
		})
		for i, k := range seen {
			if k != 1 {
				t.Errorf("n=%d width=%d: fn(%d) called %d times", c.n, c.width, i, k)
			}
		}
		if int(most) > max(c.width, 1) {
			t.Errorf("n=%d width=%d: %d calls at once", c.n, c.width, most)
		}
	}
}
