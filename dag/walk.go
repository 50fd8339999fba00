package dag

import (
	"slices"
	"sync"
)

// WalkResult is what became of the vertices that Walk did not visit
// successfully. A vertex appears in at most one of its fields; a vertex in
// none was visited and fn returned nil for it.
type WalkResult[T comparable] struct {
	// Errors holds the vertices whose fn failed. Never nil.
	Errors map[T]error
	// Skipped maps each vertex that was not visited because something it
	// depends on failed to the failed vertex that caused it: the nearest
	// one along dependency edges, the least by less among equally near
	// ones. Never nil.
	Skipped map[T]T
	// NotStarted lists, sorted, the vertices that were never visited for
	// any other reason: the walk was stopped, or they are on or behind a
	// cycle. Nil when there are none.
	NotStarted []T
}

// Walk calls fn for every vertex, each only after fn has succeeded for
// everything it depends on, with up to parallelism calls running at once (at
// least one). It returns once no call is running and none can start.
//
// If fn fails for v, nothing that depends on v, transitively, is visited;
// those vertices are reported in Skipped. Once stop is closed (a nil stop
// never is), Walk starts nothing new, waits for the calls in flight, and
// reports every vertex never started, and not skipped, in NotStarted.
//
// With parallelism 1 and no failure, the vertices are visited in exactly
// the order of TopoOrder. In general, whenever a worker is free it takes the
// least of the ready vertices.
//
// Walk terminates on a graph with cycles, but visits nothing on or behind
// one; callers should check Cycles first. fn must not modify the graph.
func (g *Graph[T]) Walk(stop <-chan struct{}, parallelism int, fn func(v T) error) WalkResult[T] {
	ord := g.order()
	n := len(g.verts)
	w := &walker[T]{
		g:       g,
		ord:     ord,
		fn:      fn,
		stop:    stop,
		pending: make([]int32, n),
		state:   make([]vertexState, n),
		errs:    make(map[int32]error),
	}
	w.cond.L = &w.mu
	for _, v := range ord.sorted {
		w.pending[v] = int32(len(g.deps[v]))
		if w.pending[v] == 0 {
			w.ready = append(w.ready, ord.rank[v])
		}
	}
	workers := min(max(parallelism, 1), n)
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(w.work)
	}
	if workers > 0 {
		w.work()
	}
	wg.Wait()
	return w.result()
}

type vertexState uint8

const (
	unvisited vertexState = iota
	succeeded
	failed
)

// walker is Kahn's algorithm shared by a fixed pool of workers. All its
// bookkeeping sits behind one mutex, taken once per visit: a worker reports
// the vertex it finished and picks the next in the same critical section.
type walker[T comparable] struct {
	g    *Graph[T]
	ord  *order
	fn   func(T) error
	stop <-chan struct{}

	mu      sync.Mutex
	cond    sync.Cond // signalled when ready grows or the walk ends
	pending []int32   // dependencies of each vertex not yet succeeded
	ready   rankHeap  // ranks of the vertices whose pending is zero
	running int       // visits in flight
	waiting int       // workers blocked in cond.Wait
	stopped bool
	state   []vertexState
	errs    map[int32]error
}

func (w *walker[T]) work() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		v, ok := w.next()
		if !ok {
			return
		}
		w.mu.Unlock()
		err := w.fn(w.g.verts[v])
		w.mu.Lock()
		w.finish(v, err)
	}
}

// next picks the least ready vertex, waiting while there is none but visits
// in flight might make some. It reports false when the walk is over for this
// worker. Called with w.mu held.
func (w *walker[T]) next() (int32, bool) {
	for {
		// Polled here rather than watched from a goroutine: a worker only
		// waits while another visit is in flight, and that visit's worker
		// polls again the moment it is done.
		if !w.stopped && closed(w.stop) {
			w.stopped = true
			w.cond.Broadcast()
		}
		if w.stopped {
			return 0, false
		}
		if len(w.ready) > 0 {
			v := w.ord.sorted[w.ready.pop()]
			w.running++
			// Wake one more worker only if there is work left for it, so
			// that a chain, which is ready one vertex at a time, never
			// wakes a worker just to find nothing to do. The woken worker
			// passes the baton on the same way.
			if len(w.ready) > 0 && w.waiting > 0 {
				w.cond.Signal()
			}
			return v, true
		}
		if w.running == 0 {
			// Nothing ready and nothing that could make anything ready:
			// done, or all that is left is on or behind a cycle.
			w.cond.Broadcast()
			return 0, false
		}
		w.waiting++
		w.cond.Wait()
		w.waiting--
	}
}

// finish records the outcome of visiting v. Called with w.mu held.
func (w *walker[T]) finish(v int32, err error) {
	w.running--
	if err != nil {
		// The dependents of v keep a pending count above zero, so they
		// never become ready; result tells them apart as skipped.
		w.state[v] = failed
		w.errs[v] = err
		return
	}
	w.state[v] = succeeded
	for _, d := range w.g.dependents[v] {
		if w.pending[d]--; w.pending[d] == 0 {
			w.ready.push(w.ord.rank[d])
		}
	}
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// result sorts the unvisited vertices into skipped and not started, after
// the walk rather than during it, so that the reasons do not depend on the
// order in which failures happened to be noticed.
func (w *walker[T]) result() WalkResult[T] {
	g, rank := w.g, w.ord.rank
	res := WalkResult[T]{
		Errors:  make(map[T]error, len(w.errs)),
		Skipped: make(map[T]T),
	}
	for v, err := range w.errs {
		res.Errors[g.verts[v]] = err
	}

	// Breadth-first from every failed vertex at once, one level at a time,
	// so that each skipped vertex is reached first at its distance from the
	// nearest failure; among failures that are equally near, the least by
	// less wins. Everything that depends on a failed vertex is unvisited,
	// so the search needs no check for that.
	cause := make(map[int32]int32)
	dist := make(map[int32]int)
	var frontier []int32
	for v := range w.errs {
		frontier = append(frontier, v)
		cause[v], dist[v] = v, 0
	}
	for level := 1; len(frontier) > 0; level++ {
		var next []int32
		for _, v := range frontier {
			for _, d := range g.dependents[v] {
				dd, seen := dist[d]
				switch {
				case !seen:
					dist[d], cause[d] = level, cause[v]
					next = append(next, d)
				case dd == level && rank[cause[v]] < rank[cause[d]]:
					cause[d] = cause[v]
				}
			}
		}
		frontier = next
	}
	for v, c := range cause {
		if v != c {
			res.Skipped[g.verts[v]] = g.verts[c]
		}
	}

	var notStarted []int32
	for v, s := range w.state {
		if _, skipped := cause[int32(v)]; s == unvisited && !skipped {
			notStarted = append(notStarted, int32(v))
		}
	}
	slices.SortFunc(notStarted, func(a, b int32) int { return int(rank[a] - rank[b]) })
	res.NotStarted = g.values(notStarted)
	return res
}
