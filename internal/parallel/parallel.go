// Package parallel splits a range of independent work items across the
// machine's cores. It exists so that planning 100,000 resources uses both
// cores of a small machine without each package growing its own worker
// pool.
package parallel

import (
	"runtime"
	"sync"
)

// Ranges calls fn(lo, hi) for consecutive sub-ranges covering [0, n), at
// most one per core and none smaller than minChunk, concurrently, and
// returns when all have returned. With little work it calls fn(0, n) on
// the calling goroutine. fn must be safe to run concurrently on disjoint
// ranges.
func Ranges(n, minChunk int, fn func(lo, hi int)) {
	Map(n, minChunk, func(lo, hi int) struct{} {
		fn(lo, hi)
		return struct{}{}
	})
}

// Map is Ranges that returns what each call of fn returned, in the order of
// the ranges, so that callers merge the results the same way whatever the
// scheduling. It returns nil when n is 0.
func Map[T any](n, minChunk int, fn func(lo, hi int) T) []T {
	workers := runtime.GOMAXPROCS(0)
	if minChunk < 1 {
		minChunk = 1
	}
	if max := n / minChunk; max < workers {
		workers = max
	}
	if workers <= 1 {
		if n <= 0 {
			return nil
		}
		return []T{fn(0, n)}
	}
	per := (n + workers - 1) / workers
	out := make([]T, (n+per-1)/per)
	var wg sync.WaitGroup
	for i := range out {
		lo := i * per
		hi := min(lo+per, n)
		wg.Go(func() { out[i] = fn(lo, hi) })
	}
	wg.Wait()
	return out
}

// Ordered splits [0, n) into chunks of the given size, runs produce on
// them concurrently (one per core), and hands each chunk's result to
// consume in order, holding at most two results per core at a time. It
// returns the first error of either function; after an error no new chunk
// is started.
func Ordered[T any](n, chunk int, produce func(lo, hi int) (T, error), consume func(T) error) error {
	if chunk < 1 {
		chunk = 1
	}
	chunks := (n + chunk - 1) / chunk
	workers := runtime.GOMAXPROCS(0)
	if chunks <= 1 || workers <= 1 {
		for lo := 0; lo < n; lo += chunk {
			v, err := produce(lo, min(lo+chunk, n))
			if err != nil {
				return err
			}
			if err := consume(v); err != nil {
				return err
			}
		}
		return nil
	}
	type result struct {
		v   T
		err error
	}
	results := make([]chan result, chunks)
	next := 0 // the next chunk to start
	start := func() {
		i := next
		next++
		results[i] = make(chan result, 1)
		go func() {
			lo := i * chunk
			v, err := produce(lo, min(lo+chunk, n))
			results[i] <- result{v, err}
		}()
	}
	for next < chunks && next < 2*workers {
		start()
	}
	var firstErr error
	// After an error nothing new starts, and only the chunks started are
	// waited for, so no goroutine is left behind.
	for i := 0; i < next; i++ {
		r := <-results[i]
		if firstErr == nil {
			firstErr = r.err
			if firstErr == nil {
				firstErr = consume(r.v)
			}
		}
		if firstErr == nil && next < chunks {
			start()
		}
	}
	return firstErr
}

// Each calls fn(0) … fn(n-1), up to width calls at a time, and returns
// when all have returned: for calls that wait on other processes or the
// kernel more than they compute (one exchange with each of a hundred
// daemons), where the width is not the number of cores. With a width of
// one or less, or one item, it calls fn on the calling goroutine.
func Each(n, width int, fn func(i int)) {
	w := min(width, n)
	if w <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
	)
	wg.Add(w)
	for range w {
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}
