package lower

import (
	"maps"
	"slices"

	"github.com/benito-net/benito/addrs"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Resource is one desired resource of the graph.
type Resource struct {
	Addr     addrs.Resource
	Provider string
	// Config is an object of the attributes lowering sets (see ConfigTypes);
	// every value is known. An attribute derived from a sensitive variable
	// carries model.Sensitive on its whole value, and no mark is anywhere
	// else: the engine looks at the top level only.
	Config cty.Value
	// DependsOn lists the resources that must exist before this one, sorted.
	DependsOn []addrs.Resource
	// Container, when set, is the resource this one lives inside (a node,
	// for its routes, mounts and startup): when the container is created
	// anew, this resource is replaced too.
	Container addrs.Resource
	// DeclRange is the configuration the resource comes from, for
	// diagnostics.
	DeclRange hcl.Range
	// AttrRanges, when lowering knows them (a generic resource block's
	// attributes), are where Config's attributes are set, so that a
	// diagnostic about one points at it.
	AttrRanges map[string]hcl.Range
}

// Graph is the lowered experiment.
type Graph struct {
	Experiment string
	// Site is the experiment's site configuration, handed to providers.
	Site map[string]string
	// Resources is sorted by address.
	Resources []*Resource

	index map[addrs.Resource]*Resource
}

// Get returns the resource at addr, or nil.
func (g *Graph) Get(addr addrs.Resource) *Resource {
	return g.index[addr]
}

func (g *Graph) add(r *Resource) {
	slices.SortFunc(r.DependsOn, addrs.Resource.Compare)
	g.Resources = append(g.Resources, r)
	g.index[r.Addr] = r
}

// grow makes room for n more resources at once, so that adding them does
// not grow the index and the list step by step.
func (g *Graph) grow(n int) {
	g.Resources = slices.Grow(g.Resources, n)
	index := make(map[addrs.Resource]*Resource, len(g.index)+n)
	maps.Copy(index, g.index)
	g.index = index
}

func (g *Graph) finish() {
	slices.SortFunc(g.Resources, func(a, b *Resource) int { return a.Addr.Compare(b.Addr) })
}

// NewGraph builds a graph from resources made elsewhere (tests, importers).
func NewGraph(experiment string, site map[string]string, resources []*Resource) *Graph {
	g := &Graph{Experiment: experiment, Site: site, index: make(map[addrs.Resource]*Resource, len(resources))}
	for _, r := range resources {
		g.add(r)
	}
	g.finish()
	return g
}
