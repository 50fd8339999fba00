package dag

import (
	"fmt"
	"slices"
	"strings"
)

// CycleError reports a dependency cycle. Cycle lists each vertex on it once,
// starting at the least; each depends on the next and the last depends on
// the first. A self-loop is a Cycle of one vertex.
type CycleError[T any] struct {
	Cycle []T
}

// Error prints the cycle closed, "dependency cycle: a → b → a", so that a
// self-loop reads "a → a" rather than a lone "a".
func (e *CycleError[T]) Error() string {
	var b strings.Builder
	b.WriteString("dependency cycle: ")
	for _, v := range e.Cycle {
		fmt.Fprintf(&b, "%v → ", v)
	}
	if len(e.Cycle) > 0 {
		fmt.Fprintf(&b, "%v", e.Cycle[0])
	}
	return b.String()
}

// TopoOrder returns every vertex, each after everything it depends on; among
// vertices whose dependencies are all placed, the least by less comes first.
// If the graph has a cycle, TopoOrder returns a nil slice and an error that
// is a *CycleError holding the first cycle Cycles would return.
func (g *Graph[T]) TopoOrder() ([]T, error) {
	ord := g.order()
	n := len(g.verts)
	pending := make([]int32, n)
	var ready rankHeap
	// Appending in rank order keeps the heap property without sifting.
	for _, v := range ord.sorted {
		pending[v] = int32(len(g.deps[v]))
		if pending[v] == 0 {
			ready = append(ready, ord.rank[v])
		}
	}
	out := make([]T, 0, n)
	for len(ready) > 0 {
		v := ord.sorted[ready.pop()]
		out = append(out, g.verts[v])
		for _, d := range g.dependents[v] {
			if pending[d]--; pending[d] == 0 {
				ready.push(ord.rank[d])
			}
		}
	}
	if len(out) < n {
		return nil, &CycleError[T]{Cycle: g.values(g.cycles()[0])}
	}
	return out, nil
}

// Cycles returns the cycles of the graph, sorted by comparing them vertex by
// vertex with less. There is one per self-loop, and one per strongly
// connected component of more than one vertex: the shortest cycle through
// that component's least vertex (ties broken by less), leaving out
// self-loops. A component can hold more cycles than the one reported, but
// breaking every reported cycle is progress, and the path is one a user can
// read and follow. Each cycle is in the form of CycleError.Cycle.
func (g *Graph[T]) Cycles() [][]T {
	ids := g.cycles()
	if len(ids) == 0 {
		return nil
	}
	out := make([][]T, len(ids))
	for i, c := range ids {
		out[i] = g.values(c)
	}
	return out
}

// Components returns the strongly connected components of the graph, each
// after every component it depends on, so that working through them in
// order, everything a component depends on outside itself is done first.
// A vertex on no cycle is a component of its own; a component of more than
// one vertex, or of one with a self-loop, is where Cycles finds cycles.
// The vertices of a component are sorted by less. Components that do not
// depend on each other come in the order a depth-first search completes
// them, starting from the vertices in less order and following each
// vertex's dependencies in the order they were connected.
func (g *Graph[T]) Components() [][]T {
	ord := g.order()
	flat, ends, _ := g.tarjan(ord)
	start := 0
	for _, end := range ends {
		slices.SortFunc(flat[start:end], func(a, b int32) int { return int(ord.rank[a] - ord.rank[b]) })
		start = end
	}
	vals := g.values(flat)
	out := make([][]T, len(ends))
	start = 0
	for i, end := range ends {
		out[i] = vals[start:end:end]
		start = end
	}
	return out
}

func (g *Graph[T]) cycles() [][]int32 {
	ord := g.order()
	comps, selfLoops := g.components(ord)
	var out [][]int32
	for _, v := range selfLoops {
		out = append(out, []int32{v})
	}
	if len(comps) > 0 {
		comp := make(map[int32]int)
		for c, members := range comps {
			for _, v := range members {
				comp[v] = c
			}
		}
		for c, members := range comps {
			least := slices.MinFunc(members, func(a, b int32) int { return int(ord.rank[a] - ord.rank[b]) })
			out = append(out, g.shortestCycle(least, c, comp, ord))
		}
	}
	slices.SortFunc(out, func(a, b []int32) int {
		for i := 0; i < len(a) && i < len(b); i++ {
			if a[i] != b[i] {
				return int(ord.rank[a[i]] - ord.rank[b[i]])
			}
		}
		return len(a) - len(b)
	})
	return out
}

// components finds the strongly connected components of more than one
// vertex, and the vertices with self-loops.
func (g *Graph[T]) components(ord *order) (comps [][]int32, selfLoops []int32) {
	flat, ends, selfLoops := g.tarjan(ord)
	start := 0
	for _, end := range ends {
		if end-start > 1 {
			comps = append(comps, flat[start:end:end])
		}
		start = end
	}
	return comps, selfLoops
}

// tarjan finds every strongly connected component with Tarjan's
// algorithm, made iterative so that a long chain cannot overflow the stack,
// starting from the vertices in less order. The components come in the
// order the algorithm completes them, each after every component it
// depends on: component i is flat[ends[i-1]:ends[i]]. It also returns the
// vertices with self-loops, sorted by less.
func (g *Graph[T]) tarjan(ord *order) (flat []int32, ends []int, selfLoops []int32) {
	n := len(g.verts)
	flat = make([]int32, 0, n)
	// index[v] is v's discovery number plus one, so zero means unvisited.
	index := make([]int32, n)
	low := make([]int32, n)
	onStack := make([]bool, n)
	var stack []int32
	type frame struct {
		v    int32
		next int // next entry of deps[v] to follow
	}
	var frames []frame
	var counter int32

	visit := func(v int32) {
		counter++
		index[v], low[v] = counter, counter
		stack = append(stack, v)
		onStack[v] = true
		frames = append(frames, frame{v: v})
	}
	for _, root := range ord.sorted {
		if index[root] != 0 {
			continue
		}
		visit(root)
		for len(frames) > 0 {
			f := &frames[len(frames)-1]
			v := f.v
			if f.next < len(g.deps[v]) {
				w := g.deps[v][f.next]
				f.next++
				switch {
				case w == v:
					selfLoops = append(selfLoops, v)
				case index[w] == 0:
					visit(w)
				case onStack[w]:
					low[v] = min(low[v], index[w])
				}
				continue
			}
			frames = frames[:len(frames)-1]
			if len(frames) > 0 {
				p := frames[len(frames)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] != index[v] {
				continue
			}
			i := len(stack) - 1
			for stack[i] != v {
				i--
			}
			for _, w := range stack[i:] {
				onStack[w] = false
			}
			flat = append(flat, stack[i:]...)
			ends = append(ends, len(flat))
			stack = stack[:i]
		}
	}
	slices.SortFunc(selfLoops, func(a, b int32) int { return int(ord.rank[a] - ord.rank[b]) })
	return flat, ends, selfLoops
}

// shortestCycle searches breadth-first from start along edges inside
// component c, trying dependencies in rank order, until an edge leads back
// to start.
func (g *Graph[T]) shortestCycle(start int32, c int, comp map[int32]int, ord *order) []int32 {
	parent := map[int32]int32{start: -1}
	queue := []int32{start}
	for head := 0; head < len(queue); head++ {
		u := queue[head]
		next := make([]int32, 0, len(g.deps[u]))
		for _, w := range g.deps[u] {
			if cw, ok := comp[w]; ok && cw == c && w != u {
				next = append(next, w)
			}
		}
		slices.SortFunc(next, func(a, b int32) int { return int(ord.rank[a] - ord.rank[b]) })
		for _, w := range next {
			if w == start {
				var path []int32
				for v := u; v != -1; v = parent[v] {
					path = append(path, v)
				}
				slices.Reverse(path)
				return path
			}
			if _, seen := parent[w]; !seen {
				parent[w] = u
				queue = append(queue, w)
			}
		}
	}
	panic("dag: strongly connected component without a cycle through its least vertex")
}

// rankHeap is a min-heap of ranks, written out rather than through
// container/heap to keep interface calls out of the walk's hot path.
type rankHeap []int32

func (h *rankHeap) push(r int32) {
	*h = append(*h, r)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p] <= s[i] {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *rankHeap) pop() int32 {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		l := 2*i + 1
		if l >= len(s) {
			break
		}
		if r := l + 1; r < len(s) && s[r] < s[l] {
			l = r
		}
		if s[i] <= s[l] {
			break
		}
		s[i], s[l] = s[l], s[i]
		i = l
	}
	*h = s
	return top
}
