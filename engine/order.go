package engine

import (
	"fmt"
	"strings"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/dag"
	"github.com/benito-net/benito/plan"
	"github.com/hashicorp/hcl/v2"
)

// vertex is one half of a change in the apply graph: a change has a
// destroy half (delete, or the first half of a replace) and/or a create
// half (create, update, or the second half of a replace).
// A vertex holds its change by pointer: hashing a pointer rather than an
// address keeps building the graph of 100,000 changes cheap.
type vertex struct {
	c       *plan.Change
	destroy bool
}

func (v vertex) addr() addrs.Resource { return v.c.Addr }

func vertexLess(a, b vertex) bool {
	if a.c != b.c {
		return a.c.Addr.Less(b.c.Addr)
	}
	return a.destroy && !b.destroy
}

// applyGraph builds the graph Apply walks. Create halves depend on their
// dependencies' create halves (from the configuration); destroy halves
// run before the destroy halves of what the resource depended on (from
// the state), so destroys go in reverse; a replace's halves are ordered
// by its kind.
func applyGraph(p *plan.Plan) *dag.Graph[vertex] {
	changes := make(map[addrs.Resource]*plan.Change, len(p.Changes))
	g := dag.NewSized(vertexLess, 2*len(p.Changes))
	for _, c := range p.Changes {
		if c.Action == plan.NoOp {
			continue
		}
		changes[c.Addr] = c
		if hasDestroyHalf(c.Action) {
			g.Add(vertex{c, true})
		}
		if hasCreateHalf(c.Action) {
			g.Add(vertex{c, false})
		}
		if c.Action == plan.DeleteThenCreate {
			g.Connect(vertex{c, false}, vertex{c, true})
		}
	}
	for _, c := range p.Changes {
		if c.Action == plan.NoOp {
			continue
		}
		if hasCreateHalf(c.Action) {
			for _, d := range c.Dependencies {
				if dc := changes[d]; dc != nil && hasCreateHalf(dc.Action) {
					g.Connect(vertex{c, false}, vertex{dc, false})
				}
			}
		}
		if hasDestroyHalf(c.Action) {
			// Destroy in reverse: a resource's dependencies are destroyed
			// only after it.
			for _, d := range priorDeps(p, c) {
				if dc := changes[d]; dc != nil && hasDestroyHalf(dc.Action) {
					g.Connect(vertex{dc, true}, vertex{c, true})
				}
			}
		}
	}
	return g
}

// priorDeps are the recorded dependencies of the resource c destroys.
func priorDeps(p *plan.Plan, c *plan.Change) []addrs.Resource {
	if c.Action == plan.Delete {
		return c.Dependencies
	}
	if p.Prior != nil {
		if r := p.Prior.Resources[c.Addr]; r != nil {
			return r.Dependencies
		}
	}
	return nil
}

// CheckApplyOrder reports, as errors, the dependency cycles among p's
// changes that would stop Apply from ordering them. Plan checks the plans
// it makes; a plan read from a file is checked with this before anything
// is applied.
func CheckApplyOrder(p *plan.Plan) hcl.Diagnostics {
	return orderDiags(applyGraph(p))
}

// maxCycles is how many cycles are described one by one.
const maxCycles = 10

// orderDiags describes the cycles of the apply graph g, naming each step.
func orderDiags(g *dag.Graph[vertex]) hcl.Diagnostics {
	cycles := g.Cycles()
	var diags hcl.Diagnostics
	for i, cycle := range cycles {
		if i == maxCycles {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Dependency cycle in the plan",
				Detail:   fmt.Sprintf("%d more cycles among the changes are not shown.", len(cycles)-maxCycles),
			})
			break
		}
		steps := make([]string, 0, len(cycle)+1)
		for _, v := range cycle {
			steps = append(steps, verb(v.c.Action, v.destroy)+" "+v.addr().String())
		}
		steps = append(steps, steps[0])
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Dependency cycle in the plan",
			Detail: fmt.Sprintf("The changes cannot be ordered, because each of these must wait for the next: %s. "+
				"Creates and updates wait for what the configuration says the resource depends on; destroys wait for what depended on the resource when it was recorded (benito state show lists it). "+
				"Break the loop in the configuration, or, for a state edited by hand, in the state.",
				strings.Join(steps, " → ")),
		})
	}
	return diags
}
