package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/plan"
	"github.com/benito-net/benito/providers/providertest"
	"github.com/benito-net/benito/state"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

func named(n string) map[string]cty.Value {
	return map[string]cty.Value{"name": cty.StringVal(n)}
}

// applied makes x and y exist, recorded with the dependencies given.
func applied(t *testing.T, e *Engine, deps map[string][]string) *state.State {
	t.Helper()
	_, st, _ := planApply(t, e, graphOf(t, node{addr: "switch.x", attrs: named("x")}, node{addr: "switch.y", attrs: named("y")}), state.New("test"), PlanOptions{})
	for a, ds := range deps {
		r := st.Resources[mustAddr(t, a)]
		r.Dependencies = nil
		for _, d := range ds {
			r.Dependencies = append(r.Dependencies, mustAddr(t, d))
		}
	}
	return st
}

// cycleSteps returns the steps each "Dependency cycle" diagnostic names.
func cycleSteps(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		if d.Severity != hcl.DiagError || d.Summary != "Dependency cycle in the plan" {
			continue
		}
		_, rest, _ := strings.Cut(d.Detail, "must wait for the next: ")
		steps, _, _ := strings.Cut(rest, ". ")
		out = append(out, steps)
	}
	return out
}

// TestPlanReportsApplyCycles: a cycle among the halves of the changes is
// an error of the plan, naming every step, so that nobody approves a plan
// that apply cannot carry out.
func TestPlanReportsApplyCycles(t *testing.T) {
	for _, tc := range []struct {
		name  string
		deps  map[string][]string // recorded in the state; nil: nothing applied
		graph func(t *testing.T) *lower.Graph
		opts  PlanOptions
		want  []string
	}{
		{
			name: "creates wait in a loop (from the configuration)",
			graph: func(t *testing.T) *lower.Graph {
				return graphOf(t, node{"switch.x", named("x"), []string{"switch.y"}}, node{"switch.y", named("y"), []string{"switch.x"}})
			},
			want: []string{"create switch.x → create switch.y → create switch.x"},
		},
		{
			name: "destroys wait in a loop (from the state)",
			deps: map[string][]string{"switch.x": {"switch.y"}, "switch.y": {"switch.x"}},
			graph: func(t *testing.T) *lower.Graph {
				return graphOf(t, node{addr: "switch.x", attrs: named("x")}, node{addr: "switch.y", attrs: named("y")})
			},
			opts: PlanOptions{Destroy: true},
			want: []string{"destroy switch.x → destroy switch.y → destroy switch.x"},
		},
		{
			name:  "deletes of what left the configuration",
			deps:  map[string][]string{"switch.x": {"switch.y"}, "switch.y": {"switch.x"}},
			graph: func(t *testing.T) *lower.Graph { return lower.NewGraph("test", nil, nil) },
			want:  []string{"destroy switch.x → destroy switch.y → destroy switch.x"},
		},
		{
			name: "a resource that waits for itself",
			deps: map[string][]string{"switch.x": {"switch.x"}},
			opts: PlanOptions{Destroy: true},
			graph: func(t *testing.T) *lower.Graph {
				return graphOf(t, node{addr: "switch.x", attrs: named("x")}, node{addr: "switch.y", attrs: named("y")})
			},
			want: []string{"destroy switch.x → destroy switch.x"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fp := providertest.New(testSchema())
			e := newEngine(t, fp)
			st := state.New("test")
			if tc.deps != nil {
				st = applied(t, e, tc.deps)
			}
			fp.Applied = nil
			p, diags := e.Plan(context.Background(), tc.graph(t), st, tc.opts)
			if p != nil {
				t.Errorf("got a plan of %d changes, want none", len(p.Changes))
			}
			if d := cmp.Diff(tc.want, cycleSteps(diags)); d != "" {
				t.Errorf("cycles (-want +got):\n%s\ndiagnostics: %v", d, diags)
			}
			if len(fp.Applied) != 0 {
				t.Errorf("planning changed something: %v", fp.Applied)
			}
		})
	}
}

// TestApplyRefusesCycles: a plan made elsewhere (a file, a future kind of
// replace) is checked by CheckApplyOrder, and Apply refuses it before a
// provider is called. Creating x before destroying it, while y is
// destroyed first and x needs the new y, is a loop through all four halves.
func TestApplyRefusesCycles(t *testing.T) {
	fp := providertest.New(testSchema())
	e := newEngine(t, fp)
	st := applied(t, e, map[string][]string{"switch.x": {"switch.y"}})
	for _, r := range st.Resources {
		r.Status = state.Tainted
	}
	g := graphOf(t, node{"switch.x", named("x"), []string{"switch.y"}}, node{addr: "switch.y", attrs: named("y")})
	p, diags := e.Plan(context.Background(), g, st, PlanOptions{})
	if diags.HasErrors() {
		t.Fatalf("replacing both, y first, is an order: %v", diags)
	}
	// A plan read back from a file is input: one whose dependencies were
	// edited into a loop (y on x, as x is on y) cannot be ordered.
	for _, c := range p.Changes {
		if c.Addr == (addrs.Resource{Type: "switch", Name: "y"}) {
			c.Dependencies = append(c.Dependencies, addrs.Resource{Type: "switch", Name: "x"})
		}
	}
	want := []string{"create switch.x → create switch.y → create switch.x"}
	if d := cmp.Diff(want, cycleSteps(CheckApplyOrder(p))); d != "" {
		t.Errorf("CheckApplyOrder (-want +got):\n%s", d)
	}
	fp.Applied = nil
	_, _, diags = e.Apply(context.Background(), p, st, newMemJournal(), ApplyOptions{})
	if d := cmp.Diff(want, cycleSteps(diags)); d != "" {
		t.Errorf("Apply (-want +got):\n%s", d)
	}
	if len(fp.Applied) != 0 {
		t.Errorf("Apply called the provider: %v", fp.Applied)
	}
}

// BenchmarkCheckApplyOrder checks the apply order of a plan creating
// 100,000 resources shaped as lowering makes them for 10,000 nodes: what
// planning spends on it.
func BenchmarkCheckApplyOrder(b *testing.B) {
	p := &plan.Plan{}
	add := func(a addrs.Resource, deps ...addrs.Resource) {
		p.Changes = append(p.Changes, &plan.Change{Addr: a, Action: plan.Create, Dependencies: deps})
	}
	for s := range 110 {
		add(addrs.Resource{Type: "switch", Name: fmt.Sprintf("lan%d", s)})
	}
	for n := range 10000 {
		name := fmt.Sprintf("n%d", n)
		node := addrs.Resource{Type: "vnode", Name: name}
		var ports []addrs.Resource
		for i, sw := range []string{fmt.Sprintf("lan%d", n%100), fmt.Sprintf("lan%d", 100+n%10)} {
			port := addrs.Resource{Type: "port", Name: sw, Key: addrs.StringKey(fmt.Sprintf("%s.eth%d", name, i))}
			add(port, addrs.Resource{Type: "switch", Name: sw})
			ports = append(ports, port)
		}
		add(node, ports...)
		for i := range 4 {
			add(addrs.Resource{Type: "route", Name: name, Key: addrs.StringKey(fmt.Sprintf("10.%d.0.0/16", i))}, node)
		}
		for _, m := range []string{"/users", "/proj"} {
			add(addrs.Resource{Type: "mount", Name: name, Key: addrs.StringKey(m)}, node)
		}
		add(addrs.Resource{Type: "config_file", Name: "route", Key: addrs.StringKey(name)}, node)
	}
	p.Sort()
	b.ReportAllocs()
	for b.Loop() {
		if d := CheckApplyOrder(p); d.HasErrors() {
			b.Fatal(d)
		}
	}
}
