package lower

import (
	"fmt"
	"sort"
	"strings"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/model"
	"github.com/benito-net/benito/topdl"
	"github.com/zclconf/go-cty/cty"
)

// lowerConfigFiles adds the experiment-wide files of DETER's config
// directory layout: hosts (every node's addresses) and topology.xml (the
// experiment as TopDL, with what benito assigned: MACs, switch sockets,
// ports). Each node's route/<node> file is lowered with the node.
func (l *lowerer) lowerConfigFiles() {
	l.g.add(l.file(addrs.Resource{Type: contract.ConfigFile, Name: "hosts"}, "hosts", l.hostsFile()))
	l.g.add(l.file(addrs.Resource{Type: contract.ConfigFile, Name: "topology"}, "topology.xml", l.topologyFile()))
}

func (l *lowerer) file(addr addrs.Resource, path, content string) *Resource {
	return &Resource{
		Addr:     addr,
		Provider: contract.ProviderOf(contract.ConfigFile, ""),
		Config: cty.ObjectVal(map[string]cty.Value{
			"path":    cty.StringVal(path),
			"content": cty.StringVal(content),
		}),
		DeclRange: l.exp.DeclRange,
	}
}

// hasRouteFile reports whether node n gets a route/<node> file: when it has
// routes of its own or the experiment computes routes.
func (l *lowerer) hasRouteFile(n *model.VNode) bool {
	return len(n.Routes) > 0 || len(l.topRoutes[n.Name]) > 0 || l.exp.Routing != ""
}

func (l *lowerer) hostsFile() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# hosts of experiment %q, written by benito\n", l.exp.Name)
	for _, n := range l.exp.VNodes {
		first := true
		for _, ifc := range n.Interfaces {
			if !ifc.Address.IsValid() {
				continue
			}
			b.WriteString(ifc.Address.Addr().String())
			b.WriteByte('\t')
			b.WriteString(n.Name)
			b.WriteByte('-')
			b.WriteString(ifc.Name)
			if first {
				b.WriteByte(' ')
				b.WriteString(n.Name)
				first = false
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// routeFile renders a node's routes one per line, in `ip route` syntax, so
// that a node can install them with `xargs -L1 ip route add`.
func routeFile(exp, node string, routes []*model.Route) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# routes of node %q in experiment %q, written by benito\n", node, exp)
	for _, r := range sortRoutes(routes) {
		// The form of the benito:route attribute too: one writer keeps
		// the two alike.
		b.WriteString(topdl.FormatRoute(r))
		b.WriteByte('\n')
	}
	return b.String()
}

func sortRoutes(rs []*model.Route) []*model.Route {
	out := append([]*model.Route(nil), rs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Destination.String() < out[j].Destination.String() })
	return out
}

// topologyFile writes the experiment as TopDL 1.0, the format DETER's tools
// (and fedd's reader) use, with what benito assigned: switch sockets and
// port numbers (MACs are derived as everywhere else).
func (l *lowerer) topologyFile() string {
	return string(topdl.Marshal(topdl.FromExperiment(l.exp, topdl.Assigned{
		Socket: l.switchSocket,
		Port:   func(sw, node, iface string) int { return l.ports[sw][portKey(node, iface)] },
	}, topdl.FromOptions{})))
}
