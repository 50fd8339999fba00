package main

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The collector's settings for the CLI. benito is a short-lived batch
// program whose heap is mostly live until it exits, so the fewer
// collections the better: Go's default (GOGC=100, a collection whenever
// the heap has doubled since the last one) costs a large plan a fifth of
// its time more than GOGC=200. But headroom is memory, and triple the live
// heap is too much once that is large. So the headroom follows the live
// heap, set again after every collection: room to grow up to heapTarget
// while the live heap is small, and never less than minGCPercent (half
// the live heap) when it is large.
//
// A fixed soft memory limit (GOMEMLIMIT; 768 MiB before) bounds the heap
// too, but thrashes once the live heap itself comes near it: every
// collection frees little, the next starts at once, and Go only caps the
// collector at half the CPU (a plan of 250,000 resources took 4.8 times as
// long as one of 100,000). A headroom that never drops below half the
// live heap cannot thrash: each collection is paid for by at least that
// much allocation. The soft limit stays, but follows the headroom (never
// below softLimit, always above the heap the headroom allows, never
// lowered): it no longer starts collections, it makes the runtime give
// freed memory back to the system down to it.
const (
	maxGCPercent = 200
	minGCPercent = 50
	heapTarget   = 640 << 20 // bytes of heap, live and garbage, to aim at
	softLimit    = 768 << 20 // bytes the process may hold anyway
)

// setGC applies the CLI's collector settings unless the user set GOGC or
// GOMEMLIMIT, which then govern alone.
func setGC(getenv func(string) string) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(maxGCPercent)
	debug.SetMemoryLimit(softLimit)
	go followHeap(5*time.Millisecond, nil)
}

// followHeap sets GOGC and the soft memory limit after every collection,
// from the heap it left alive, looking every interval for one that ended
// (a collection of a heap large enough to matter takes far longer), until
// stop is closed. A finalizer or cleanup run by each collection would
// come one collection late whenever it ran after the next one had begun,
// and that is when collections follow each other closely.
func followHeap(interval time.Duration, stop <-chan struct{}) {
	samples := []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var seen uint64
	var limit, set int64 = softLimit, -1
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		metrics.Read(samples)
		var v [6]uint64
		for i, s := range samples {
			if s.Value.Kind() != metrics.KindUint64 {
				return // not this Go's metrics: the settings stay as they are
			}
			v[i] = s.Value.Uint64()
		}
		if v[0] == seen {
			continue
		}
		seen = v[0]
		// What the runtime holds besides objects: stacks, its own data,
		// the unused ends of spans. The limit counts it.
		var overhead uint64
		if held := v[3] + v[4] + v[5]; v[2] > held {
			overhead = v[2] - held
		}
		percent, l := gcSettings(v[1], overhead)
		debug.SetGCPercent(percent)
		// The limit only rises: lowered below what the runtime still
		// holds from a larger heap, it would start collections at once
		// until that was given back.
		limit = max(limit, l)
		if limit != set {
			debug.SetMemoryLimit(limit)
			set = limit
		}
	}
}

// gcSettings is the GOGC that lets a heap of live bytes grow to
// heapTarget, within [minGCPercent, maxGCPercent], and the soft memory
// limit that goes with it: softLimit, or more when the heap that GOGC
// allows and the runtime's overhead need more. A sixteenth more: the
// runtime aims a little below the limit, and the limit must not be what
// starts a collection.
func gcSettings(live, overhead uint64) (percent int, limit int64) {
	switch {
	case live <= heapTarget*100/(100+maxGCPercent):
		percent = maxGCPercent
	case live >= heapTarget*100/(100+minGCPercent):
		percent = minGCPercent
	default:
		percent = int(heapTarget*100/live) - 100
	}
	need := (float64(live)*float64(100+percent)/100 + float64(overhead)) * 17 / 16
	switch {
	case need <= softLimit:
		return percent, softLimit
	case need >= math.MaxInt64:
		return percent, math.MaxInt64
	}
	return percent, int64(need)
}
