package process

import "sync"

// readWorkers bounds the reads one ReadResources call runs at once. A
// read is a dozen syscalls and netlink round trips, mostly waiting on the
// kernel, so a few per core keep the cores busy; the engine already
// splits a large refresh into about one call per core.
const readWorkers = 8

// forEach calls fn(0) … fn(n-1), up to readWorkers at a time, and returns
// when all have returned. fn must be safe to run concurrently for
// different i.
func forEach(n int, fn func(i int)) {
	w := min(readWorkers, n)
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
