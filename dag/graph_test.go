package dag

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func stringLess(a, b string) bool { return a < b }

// build makes a graph from a compact spec: whitespace-separated items, each
// either a lone vertex "d" or a vertex with what it depends on, "a:b,c".
// Vertices are added in the order they appear, so tests can vary insertion
// order and check that results do not.
func build(t testing.TB, spec string) *Graph[string] {
	t.Helper()
	g := New(stringLess)
	for _, item := range strings.Fields(spec) {
		v, deps, ok := strings.Cut(item, ":")
		if v == "" || (ok && deps == "") {
			t.Fatalf("bad graph spec item %q", item)
		}
		g.Add(v)
		if ok {
			for _, d := range strings.Split(deps, ",") {
				g.Connect(v, d)
			}
		}
	}
	return g
}

func set(vs ...string) map[string]struct{} {
	out := make(map[string]struct{}, len(vs))
	for _, v := range vs {
		out[v] = struct{}{}
	}
	return out
}

// TestGraphBasics runs on a graph from New, and on one from NewSized told
// of fewer vertices than it gets.
func TestGraphBasics(t *testing.T) {
	t.Run("New", func(t *testing.T) { testGraphBasics(t, New(stringLess)) })
	t.Run("NewSized", func(t *testing.T) { testGraphBasics(t, NewSized(stringLess, 2)) })
}

func testGraphBasics(t *testing.T, g *Graph[string]) {
	g.Connect("c", "b")
	g.Connect("c", "a")
	g.Connect("c", "a") // duplicate edge
	g.Add("c")          // duplicate vertex
	g.Add("d")
	g.Connect("b", "a")

	if got, want := g.Len(), 4; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	for v, want := range map[string]bool{"a": true, "d": true, "z": false} {
		if got := g.Has(v); got != want {
			t.Errorf("Has(%q) = %v, want %v", v, got, want)
		}
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "d"}, g.Vertices()); diff != "" {
		t.Errorf("Vertices() (-want +got):\n%s", diff)
	}

	tests := []struct {
		v                        string
		dependencies, dependents []string
	}{
		{v: "a", dependents: []string{"b", "c"}},
		{v: "b", dependencies: []string{"a"}, dependents: []string{"c"}},
		{v: "c", dependencies: []string{"a", "b"}},
		{v: "d"},
		{v: "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.v, func(t *testing.T) {
			if diff := cmp.Diff(tt.dependencies, g.DependenciesOf(tt.v)); diff != "" {
				t.Errorf("DependenciesOf (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.dependents, g.DependentsOf(tt.v)); diff != "" {
				t.Errorf("DependentsOf (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGraphEmpty(t *testing.T) {
	for _, g := range []*Graph[string]{New(stringLess), NewSized(stringLess, 10)} {
		if g.Len() != 0 || g.Vertices() != nil || g.Cycles() != nil {
			t.Errorf("empty graph: Len %d, Vertices %v, Cycles %v", g.Len(), g.Vertices(), g.Cycles())
		}
		order, err := g.TopoOrder()
		if err != nil || len(order) != 0 {
			t.Errorf("TopoOrder() = %v, %v; want empty, nil", order, err)
		}
	}
}

// Past smallDegree, duplicate edges are found through a set instead of a
// scan; both must agree.
func TestConnectManyDependencies(t *testing.T) {
	g := New(stringLess)
	var want []string
	for i := range 3 * smallDegree {
		want = append(want, fmt.Sprintf("dep%03d", i))
	}
	for range 2 {
		for i := len(want) - 1; i >= 0; i-- {
			g.Connect("root", want[i])
		}
	}
	if diff := cmp.Diff(want, g.DependenciesOf("root")); diff != "" {
		t.Errorf("DependenciesOf (-want +got):\n%s", diff)
	}
	if got := len(g.DependentsOf("dep000")); got != 1 {
		t.Errorf("dep000 has %d dependents, want 1", got)
	}
	// The set must follow the reversed graph's own edges, not the original's.
	r := g.Reverse()
	r.Connect("dep000", "root")
	if got := len(r.DependenciesOf("dep000")); got != 1 {
		t.Errorf("reversed dep000 has %d dependencies, want 1", got)
	}
}

// Vertices that less cannot tell apart keep their insertion order, so that
// results stay deterministic even with a careless less.
func TestLessTies(t *testing.T) {
	byLen := func(a, b string) bool { return len(a) < len(b) }
	g := New(byLen)
	for _, v := range []string{"bb", "a", "cc", "aa", "b"} {
		g.Add(v)
	}
	if diff := cmp.Diff([]string{"a", "b", "bb", "cc", "aa"}, g.Vertices()); diff != "" {
		t.Errorf("Vertices() (-want +got):\n%s", diff)
	}
}

func TestAncestorsDescendants(t *testing.T) {
	// e → c → b → a, d → b, f → e, x alone, and a cycle p ⇄ q hanging off a.
	const spec = "a b:a c:b d:b e:c f:e x p:q,a q:p"
	tests := []struct {
		name        string
		vs          []string
		ancestors   map[string]struct{}
		descendants map[string]struct{}
	}{
		{"leaf", []string{"a"}, set(), set("b", "c", "d", "e", "f", "p", "q")},
		{"middle", []string{"c"}, set("a", "b"), set("e", "f")},
		{"top", []string{"f"}, set("a", "b", "c", "e"), set()},
		{"alone", []string{"x"}, set(), set()},
		{"several", []string{"c", "d"}, set("a", "b"), set("e", "f")},
		{"one inside another", []string{"b", "e"}, set("a", "c"), set("c", "d", "f")},
		{"cycle excludes itself", []string{"p"}, set("q", "a"), set("q")},
		{"missing ignored", []string{"nope", "e"}, set("a", "b", "c"), set("f")},
		{"none", nil, set(), set()},
	}
	g := build(t, spec)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.ancestors, g.Ancestors(tt.vs...)); diff != "" {
				t.Errorf("Ancestors(%v) (-want +got):\n%s", tt.vs, diff)
			}
			if diff := cmp.Diff(tt.descendants, g.Descendants(tt.vs...)); diff != "" {
				t.Errorf("Descendants(%v) (-want +got):\n%s", tt.vs, diff)
			}
		})
	}
}

func TestReverse(t *testing.T) {
	g := build(t, "a b:a c:a,b d")
	r := g.Reverse()

	if diff := cmp.Diff(g.Vertices(), r.Vertices()); diff != "" {
		t.Errorf("Vertices (-original +reversed):\n%s", diff)
	}
	for _, v := range g.Vertices() {
		if diff := cmp.Diff(g.DependenciesOf(v), r.DependentsOf(v)); diff != "" {
			t.Errorf("%s: dependencies (-original) vs reversed dependents (+):\n%s", v, diff)
		}
		if diff := cmp.Diff(g.DependentsOf(v), r.DependenciesOf(v)); diff != "" {
			t.Errorf("%s: dependents (-original) vs reversed dependencies (+):\n%s", v, diff)
		}
	}
	order, err := r.TopoOrder()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"c", "b", "a", "d"}, order); diff != "" {
		t.Errorf("reversed TopoOrder (-want +got):\n%s", diff)
	}

	// The two graphs are independent from here on.
	r.Connect("a", "z")
	if g.Has("z") || len(g.DependenciesOf("a")) != 0 {
		t.Errorf("changing the reversed graph changed the original")
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "d", "z"}, r.Vertices()); diff != "" {
		t.Errorf("reversed Vertices after Connect (-want +got):\n%s", diff)
	}
}
