package dag

import (
	"fmt"
	"testing"
)

// benchAddr stands in for addrs.Resource, which this package must not
// import: a comparable struct of strings whose less compares field by field,
// so that sorting costs what it will cost in benito.
type benchAddr struct {
	Type, Name, Key string
}

func benchLess(a, b benchAddr) bool {
	if a.Type != b.Type {
		return a.Type < b.Type
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.Key < b.Key
}

// realisticGraph is shaped like a large experiment's resource graph: 10,000
// vnodes, each depending on 9 ports, each port depending on one or two of
// 16 switches. That is 100,016 vertices and about 190,000 edges.
func realisticGraph() *Graph[benchAddr] {
	const (
		vnodes   = 10_000
		ports    = 9
		switches = 16
	)
	g := New(benchLess)
	for s := range switches {
		g.Add(benchAddr{"switch", fmt.Sprintf("lan%d", s), ""})
	}
	for v := range vnodes {
		node := benchAddr{"vnode", fmt.Sprintf("n%d", v), ""}
		for p := range ports {
			port := benchAddr{"port", fmt.Sprintf("lan%d", (v+p)%switches), fmt.Sprintf("n%d.eth%d", v, p)}
			g.Connect(node, port)
			g.Connect(port, benchAddr{"switch", fmt.Sprintf("lan%d", (v+p)%switches), ""})
			if p%2 == 0 {
				g.Connect(port, benchAddr{"switch", fmt.Sprintf("lan%d", (v+p+1)%switches), ""})
			}
		}
	}
	return g
}

func BenchmarkBuild100k(b *testing.B) {
	for b.Loop() {
		realisticGraph()
	}
}

// BenchmarkTopoOrder100k measures TopoOrder on a graph whose sorted order is
// already cached, as it is for every call after the first.
func BenchmarkTopoOrder100k(b *testing.B) {
	g := realisticGraph()
	if _, err := g.TopoOrder(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := g.TopoOrder(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSort100k measures what the first call on a fresh graph pays on
// top: sorting the vertices with less.
func BenchmarkSort100k(b *testing.B) {
	g := realisticGraph()
	for b.Loop() {
		g.ord = nil
		g.order()
	}
}

func BenchmarkCycles100k(b *testing.B) {
	g := realisticGraph()
	g.order()
	for b.Loop() {
		if c := g.Cycles(); c != nil {
			b.Fatal(c)
		}
	}
}

func BenchmarkWalk100k(b *testing.B) {
	g := realisticGraph()
	g.order()
	for _, p := range []int{1, 10, 64} {
		b.Run(fmt.Sprintf("parallelism=%d", p), func(b *testing.B) {
			for b.Loop() {
				res := g.Walk(nil, p, func(benchAddr) error { return nil })
				if len(res.NotStarted) != 0 {
					b.Fatal(res.NotStarted)
				}
			}
		})
	}
}
