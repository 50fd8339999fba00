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
	workers := runtime.GOMAXPROCS(0)
	if minChunk < 1 {
		minChunk = 1
	}
	if max := n / minChunk; max < workers {
		workers = max
	}
	if workers <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	per := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
