package dag

import (
	"slices"
	"sync"
)

// Graph is a directed graph of comparable vertices; an edge from A to B means
// "A depends on B". Build it with New; the zero Graph is not usable.
//
// Vertices are numbered densely in the order they were added, and all the
// algorithms work on those numbers, so that a walk over 100,000 vertices
// touches slices rather than maps keyed by T.
type Graph[T comparable] struct {
	less  func(a, b T) bool
	index map[T]int32
	verts []T

	deps       [][]int32 // deps[v]: what v depends on, in insertion order
	dependents [][]int32 // dependents[v]: what depends on v, in insertion order

	// depSets mirrors deps for the few vertices with many dependencies, so
	// that Connect stays O(1) for them without a map entry per edge for the
	// common vertex with a handful.
	depSets map[int32]map[int32]struct{}

	mu  sync.Mutex
	ord *order // nil until needed and after a vertex is added
}

// order is the sorted position of every vertex. It is replaced, never
// modified, so a Reverse copy can share it.
type order struct {
	sorted []int32 // vertex numbers in the order of less
	rank   []int32 // rank[v] is the position of v in sorted
}

// smallDegree is the number of dependencies up to which Connect looks for a
// duplicate edge by scanning rather than through depSets.
const smallDegree = 32

// New returns an empty graph whose results are ordered by less. less should
// be a strict total order on the vertices that will be added (addrs'
// Resource.Less, for instance).
func New[T comparable](less func(a, b T) bool) *Graph[T] {
	return &Graph[T]{less: less, index: make(map[T]int32)}
}

// NewSized is New for a graph that will have about n vertices: it makes
// room for them at once, rather than growing as they are added.
func NewSized[T comparable](less func(a, b T) bool, n int) *Graph[T] {
	return &Graph[T]{
		less:       less,
		index:      make(map[T]int32, n),
		verts:      make([]T, 0, n),
		deps:       make([][]int32, 0, n),
		dependents: make([][]int32, 0, n),
	}
}

// Add adds v if it is not already in the graph.
func (g *Graph[T]) Add(v T) {
	g.add(v)
}

func (g *Graph[T]) add(v T) int32 {
	if i, ok := g.index[v]; ok {
		return i
	}
	i := int32(len(g.verts))
	g.index[v] = i
	g.verts = append(g.verts, v)
	g.deps = append(g.deps, nil)
	g.dependents = append(g.dependents, nil)
	g.mu.Lock()
	g.ord = nil
	g.mu.Unlock()
	return i
}

// Connect records that dependent depends on dependency, adding either vertex
// if it is missing. Connecting the same pair twice is the same as once.
// Connecting a vertex to itself is allowed and makes a cycle.
func (g *Graph[T]) Connect(dependent, dependency T) {
	from, to := g.add(dependent), g.add(dependency)
	if g.hasEdge(from, to) {
		return
	}
	g.deps[from] = append(g.deps[from], to)
	g.dependents[to] = append(g.dependents[to], from)
	if set := g.depSets[from]; set != nil {
		set[to] = struct{}{}
	}
}

func (g *Graph[T]) hasEdge(from, to int32) bool {
	deps := g.deps[from]
	if len(deps) <= smallDegree {
		return slices.Contains(deps, to)
	}
	set := g.depSets[from]
	if set == nil {
		// Built once, when the vertex first outgrows a scan; Connect keeps
		// it up to date from then on.
		set = make(map[int32]struct{}, 2*len(deps))
		for _, d := range deps {
			set[d] = struct{}{}
		}
		if g.depSets == nil {
			g.depSets = make(map[int32]map[int32]struct{})
		}
		g.depSets[from] = set
	}
	_, ok := set[to]
	return ok
}

// Has reports whether v is in the graph.
func (g *Graph[T]) Has(v T) bool {
	_, ok := g.index[v]
	return ok
}

// Len returns the number of vertices.
func (g *Graph[T]) Len() int {
	return len(g.verts)
}

// Vertices returns every vertex, sorted by less.
func (g *Graph[T]) Vertices() []T {
	return g.values(g.order().sorted)
}

// DependenciesOf returns what v depends on directly, sorted by less. It is
// nil if v has no dependencies or is not in the graph.
func (g *Graph[T]) DependenciesOf(v T) []T {
	i, ok := g.index[v]
	if !ok {
		return nil
	}
	return g.sortedValues(g.deps[i])
}

// DependentsOf returns what depends on v directly, sorted by less. It is nil
// if nothing depends on v or v is not in the graph.
func (g *Graph[T]) DependentsOf(v T) []T {
	i, ok := g.index[v]
	if !ok {
		return nil
	}
	return g.sortedValues(g.dependents[i])
}

// Ancestors returns everything that vs depend on, directly or transitively,
// except vs themselves. Vertices not in the graph are ignored.
func (g *Graph[T]) Ancestors(vs ...T) map[T]struct{} {
	return g.reach(g.deps, vs)
}

// Descendants returns everything that depends on vs, directly or
// transitively, except vs themselves. Vertices not in the graph are ignored.
func (g *Graph[T]) Descendants(vs ...T) map[T]struct{} {
	return g.reach(g.dependents, vs)
}

// reach is a breadth-first search along adj. Its bookkeeping is a map rather
// than a slice of V flags so that asking about a corner of a large graph
// costs the size of the answer, not the size of the graph.
func (g *Graph[T]) reach(adj [][]int32, vs []T) map[T]struct{} {
	seen := make(map[int32]struct{}, len(vs))
	var queue []int32
	for _, v := range vs {
		if i, ok := g.index[v]; ok {
			if _, dup := seen[i]; !dup {
				seen[i] = struct{}{}
				queue = append(queue, i)
			}
		}
	}
	start := len(queue)
	for head := 0; head < len(queue); head++ {
		for _, w := range adj[queue[head]] {
			if _, ok := seen[w]; !ok {
				seen[w] = struct{}{}
				queue = append(queue, w)
			}
		}
	}
	out := make(map[T]struct{}, len(queue)-start)
	for _, i := range queue[start:] {
		out[g.verts[i]] = struct{}{}
	}
	return out
}

// Reverse returns a new graph with the same vertices and every edge flipped,
// so that its TopoOrder and Walk run dependents before dependencies: the
// order to destroy in.
func (g *Graph[T]) Reverse() *Graph[T] {
	r := &Graph[T]{
		less:       g.less,
		index:      make(map[T]int32, len(g.index)),
		verts:      slices.Clone(g.verts),
		deps:       cloneAdj(g.dependents),
		dependents: cloneAdj(g.deps),
	}
	for v, i := range g.index {
		r.index[v] = i
	}
	// Same vertices with the same numbers, so the same sorted order.
	g.mu.Lock()
	r.ord = g.ord
	g.mu.Unlock()
	return r
}

func cloneAdj(adj [][]int32) [][]int32 {
	out := make([][]int32, len(adj))
	for i, a := range adj {
		out[i] = slices.Clone(a)
	}
	return out
}

// compare orders vertex numbers by less, falling back to insertion order so
// that the result is a total order even when less is not. Sorting 100,000
// vertices spends most of its time in less, so the second call, needed only
// to tell a tie from a greater, is made only when the answer depends on it.
func (g *Graph[T]) compare(a, b int32) int {
	switch {
	case a == b:
		return 0
	case g.less(g.verts[a], g.verts[b]):
		return -1
	case a < b && !g.less(g.verts[b], g.verts[a]):
		return -1
	default:
		return 1
	}
}

// order returns the cached sorted order, sorting if a vertex was added since
// the last time. The lock makes the lazy sort safe for concurrent readers.
func (g *Graph[T]) order() *order {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ord != nil {
		return g.ord
	}
	n := len(g.verts)
	o := &order{sorted: make([]int32, n), rank: make([]int32, n)}
	for i := range o.sorted {
		o.sorted[i] = int32(i)
	}
	slices.SortFunc(o.sorted, g.compare)
	for r, v := range o.sorted {
		o.rank[v] = int32(r)
	}
	g.ord = o
	return o
}

// sortedValues sorts a handful of vertex numbers with less directly rather
// than through order, so that asking about one vertex while the graph is
// still being built does not sort the whole graph every time.
func (g *Graph[T]) sortedValues(ids []int32) []T {
	if len(ids) == 0 {
		return nil
	}
	ids = slices.Clone(ids)
	slices.SortFunc(ids, g.compare)
	return g.values(ids)
}

func (g *Graph[T]) values(ids []int32) []T {
	if len(ids) == 0 {
		return nil
	}
	out := make([]T, len(ids))
	for i, id := range ids {
		out[i] = g.verts[id]
	}
	return out
}
