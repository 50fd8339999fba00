// Package dag owns the dependency graph that benito plans and applies over:
// a directed graph of comparable vertices, where an edge from A to B means
// "A depends on B", and the algorithms that order, check and walk it.
//
// What it promises:
//
//   - Determinism. Every list of vertices (Vertices, DependenciesOf,
//     DependentsOf, TopoOrder, Cycles, Walk's NotStarted, each of
//     Components) is ordered by the less function given to New, and every
//     choice between vertices (where a cycle starts, which failure a skip
//     is blamed on) is made by it; never by map iteration or goroutine
//     scheduling. Vertices that less cannot tell apart are ordered by when
//     they were first added. The order of Components follows the edges
//     too, in the order they were connected.
//   - Scale. Everything is linear in vertices plus edges, but for the
//     logarithms of keeping things in less order: one sort of all vertices,
//     cached until a vertex is added, and a heap of the vertices ready to
//     go next. Nothing is O(V·E); in particular there is no transitive
//     reduction, so redundant edges stay and cost only their own
//     bookkeeping. Nothing recurses per vertex, so a chain of any length is
//     fine.
//   - Cycles are data, not panics. Cycles reports them, TopoOrder returns a
//     *CycleError, and Walk still terminates, leaving the vertices on or
//     behind a cycle unvisited. Callers are expected to check Cycles before
//     walking, so that the user sees the cycle rather than a partial apply.
//
// A Graph is safe for any number of concurrent readers, Walk included, but
// not for reads concurrent with Add or Connect. Slices and maps returned by
// its methods are fresh copies that the caller may keep or modify.
package dag
