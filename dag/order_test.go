package dag

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestTopoOrder(t *testing.T) {
	tests := []struct {
		name string
		spec string
		want []string
	}{
		{"single", "a", []string{"a"}},
		{"independent sorted by less", "c b a", []string{"a", "b", "c"}},
		{"chain", "a:b b:c c:d", []string{"d", "c", "b", "a"}},
		{"diamond", "top:l,r l:bottom r:bottom", []string{"bottom", "l", "r", "top"}},
		{
			// z is ready first but b is less, so b goes as soon as its
			// dependency a has.
			"ties broken by less among ready",
			"b:a a:z y",
			[]string{"y", "z", "a", "b"},
		},
		{"redundant edge", "c:b,a b:a", []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := build(t, tt.spec).TopoOrder()
			if err != nil {
				t.Fatalf("TopoOrder() error: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("TopoOrder() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTopoOrderCycle(t *testing.T) {
	tests := []struct {
		name    string
		spec    string
		cycle   []string
		message string
	}{
		{"two-cycle", "x a:b b:a", []string{"a", "b"}, "dependency cycle: a → b → a"},
		{"self-loop", "a:a b", []string{"a"}, "dependency cycle: a → a"},
		{"least of two cycles", "z:y y:z c:d d:e e:c", []string{"c", "d", "e"}, "dependency cycle: c → d → e → c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			order, err := build(t, tt.spec).TopoOrder()
			if order != nil {
				t.Errorf("TopoOrder() order = %v, want nil", order)
			}
			var ce *CycleError[string]
			if !errors.As(err, &ce) {
				t.Fatalf("TopoOrder() error = %v, want a *CycleError", err)
			}
			if diff := cmp.Diff(tt.cycle, ce.Cycle); diff != "" {
				t.Errorf("Cycle (-want +got):\n%s", diff)
			}
			if got := err.Error(); got != tt.message {
				t.Errorf("Error() = %q, want %q", got, tt.message)
			}
		})
	}
}

func TestCycleErrorFormatsWithPercentV(t *testing.T) {
	type addr struct{ typ, name string }
	err := &CycleError[addr]{Cycle: []addr{{"vnode", "a"}, {"port", "b"}}}
	if got, want := err.Error(), "dependency cycle: {vnode a} → {port b} → {vnode a}"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestCycles(t *testing.T) {
	tests := []struct {
		name string
		spec string
		want [][]string
	}{
		{"none", "a:b b:c c d:c", nil},
		{"two-cycle", "a:b b:a", [][]string{{"a", "b"}}},
		{"three-cycle", "c:a a:b b:c", [][]string{{"a", "b", "c"}}},
		{"three-cycle the other way", "a:c c:b b:a", [][]string{{"a", "c", "b"}}},
		{"self-loop", "a:a b:a", [][]string{{"a"}}},
		{"two disjoint cycles", "y:x x:y b:c c:b", [][]string{{"b", "c"}, {"x", "y"}}},
		{
			// Tails into and out of the cycle are not part of it.
			"cycle plus tails",
			"in1:b in2:in1 b:c c:d d:b d:out1 out1:out2 out2",
			[][]string{{"b", "c", "d"}},
		},
		{
			// a → b → c → d → a with a chord c → a: the shortest way back
			// to a is through the chord.
			"chord gives shortest",
			"a:b b:c c:d,a d:a",
			[][]string{{"a", "b", "c"}},
		},
		{
			// Two ways back to a of the same length; the one through the
			// lesser vertex wins.
			"equal lengths broken by less",
			"a:c,b b:d c:d d:a",
			[][]string{{"a", "b", "d"}},
		},
		{
			// A self-loop inside a larger component is reported on its
			// own, and does not hide the component's cycle.
			"self-loop inside component",
			"a:b b:a,b",
			[][]string{{"a", "b"}, {"b"}},
		},
		{"self-loop on least of component", "a:a,b b:a", [][]string{{"a"}, {"a", "b"}}},
		{
			"two components sharing a tail",
			"p:q q:p,t a:b b:a,t t",
			[][]string{{"a", "b"}, {"p", "q"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := build(t, tt.spec)
			if diff := cmp.Diff(tt.want, g.Cycles()); diff != "" {
				t.Errorf("Cycles() (-want +got):\n%s", diff)
			}
			// The same graph built in the opposite order must give the
			// same answer.
			items := strings.Fields(tt.spec)
			for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
				items[i], items[j] = items[j], items[i]
			}
			if diff := cmp.Diff(tt.want, build(t, strings.Join(items, " ")).Cycles()); diff != "" {
				t.Errorf("Cycles() built backwards (-want +got):\n%s", diff)
			}
			for _, c := range tt.want {
				checkIsCycle(t, g, c)
			}
		})
	}
}

// checkIsCycle checks that each vertex of c depends on the next, and the
// last on the first.
func checkIsCycle(t *testing.T, g *Graph[string], c []string) {
	t.Helper()
	for i, v := range c {
		next := c[(i+1)%len(c)]
		if _, ok := set(g.DependenciesOf(v)...)[next]; !ok {
			t.Errorf("cycle %v: %s does not depend on %s", c, v, next)
		}
	}
}

// chain returns a graph v00000 ← v00001 ← … of n vertices, each depending on
// the one before it.
func chain(n int) *Graph[string] {
	g := New(stringLess)
	g.Add(chainName(0))
	for i := 1; i < n; i++ {
		g.Connect(chainName(i), chainName(i-1))
	}
	return g
}

// TestComponents: every vertex is in one component, each component comes
// after the components it depends on, and its vertices are sorted.
func TestComponents(t *testing.T) {
	tests := []struct {
		name string
		spec string
		want [][]string
	}{
		{"empty", "", [][]string{}},
		{"independent, in less order", "c b a", [][]string{{"a"}, {"b"}, {"c"}}},
		{"chain, dependencies first", "a:b b:c c:d", [][]string{{"d"}, {"c"}, {"b"}, {"a"}}},
		{"a cycle is one component", "x:b a:b b:c c:a", [][]string{{"a", "b", "c"}, {"x"}}},
		{"self-loop", "a:a b:a", [][]string{{"a"}, {"b"}}},
		{
			"two cycles, one depending on the other",
			"p:q q:p,c c:d d:e e:c",
			[][]string{{"c", "d", "e"}, {"p", "q"}},
		},
		{
			// The search starts at a, the least, and follows z first, as
			// it was connected first.
			"independent dependencies in the order connected",
			"a:z,y z:w y:w",
			[][]string{{"w"}, {"z"}, {"y"}, {"a"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := New(stringLess)
			if tt.spec != "" {
				g = build(t, tt.spec)
			}
			got := g.Components()
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Components() (-want +got):\n%s", diff)
			}
		})
	}
}

// TestComponentsOfALongChain: no recursion per vertex here either.
func TestComponentsOfALongChain(t *testing.T) {
	const n = 100_000
	g := chain(n)
	g.Connect(chainName(n/2), chainName(n-1)) // the second half is a ring
	comps := g.Components()
	if len(comps) != n/2+1 {
		t.Fatalf("%d components, want %d", len(comps), n/2+1)
	}
	if ring := comps[n/2]; len(ring) != n/2 || ring[0] != chainName(n/2) {
		t.Errorf("the last component has %d vertices from %s, want the ring of %d from %s", len(ring), ring[0], n/2, chainName(n/2))
	}
}

func chainName(i int) string { return fmt.Sprintf("v%06d", i) }

// Nothing may recurse once per vertex: a 100,000-long chain, and the same
// chain closed into one ring, must not overflow the stack.
func TestLongChain(t *testing.T) {
	const n = 100_000
	g := chain(n)
	order, err := g.TopoOrder()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(g.Vertices(), order); diff != "" {
		t.Errorf("TopoOrder() of a chain (-want +got):\n%s", diff)
	}
	if c := g.Cycles(); c != nil {
		t.Errorf("Cycles() = %d cycles, want none", len(c))
	}
	if got := len(g.Ancestors(chainName(n - 1))); got != n-1 {
		t.Errorf("Ancestors of the last vertex: %d, want %d", got, n-1)
	}

	g.Connect(chainName(0), chainName(n-1))
	cycles := g.Cycles()
	if len(cycles) != 1 || len(cycles[0]) != n {
		t.Fatalf("Cycles() of a ring: %d cycles, want one of length %d", len(cycles), n)
	}
	if cycles[0][0] != chainName(0) || cycles[0][1] != chainName(n-1) {
		t.Errorf("ring cycle starts %v, want v000000 → v099999 → …", cycles[0][:2])
	}
}
