package lower

import (
	"fmt"
	"sort"
	"strings"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/model"
	"github.com/benito-net/benito/topdl"
	"github.com/zclconf/go-cty/cty"
)

// lowerConfigFiles adds the experiment-wide files of DETER's config
// directory layout: hosts (every node's addresses) and topology.xml (the
// experiment as TopDL, with what benito assigned: MACs, switch sockets,
// ports). Each node's route/<node> file is lowered with the node.
func (l *lowerer) lowerConfigFiles(f configFiles) {
	l.g.add(l.file(hostsAddr, hostsPath, f.hosts, false))
	// TopDL carries every node's startup command, os, image, partition
	// and attributes, so one sensitive among them makes the file so.
	l.g.add(l.file(addrs.Resource{Type: contract.ConfigFile, Name: "topology"}, "topology.xml", f.topology, l.exp.Sensitive()))
}

// configFiles are the contents of the experiment-wide files.
type configFiles struct{ hosts, topology string }

// configFiles renders them. It reads the model and the lowerer's tables
// (ports, nodes) and changes nothing, so that it runs beside the rest of
// lowering.
func (l *lowerer) configFiles() configFiles {
	return configFiles{hosts: l.hostsFile(), topology: l.topologyFile()}
}

// file is a config_file resource. A sensitive content is marked, and the
// file says so (attribute sensitive), so that its provider writes it
// readable by root alone.
func (l *lowerer) file(addr addrs.Resource, path, content string, sensitive bool) *Resource {
	cfg := map[string]cty.Value{
		"path":    cty.StringVal(path),
		"content": cty.StringVal(content),
	}
	if sensitive {
		// Left out otherwise (null): files of earlier releases stay as
		// recorded.
		cfg["content"] = cfg["content"].Mark(model.Sensitive)
		cfg["sensitive"] = cty.True
	}
	return &Resource{
		Addr:      addr,
		Provider:  contract.ProviderOf(contract.ConfigFile, ""),
		Config:    cty.ObjectVal(cfg),
		DeclRange: l.exp.DeclRange,
	}
}

// hasRouteFile reports whether node n gets a route/<node> file: when it has
// routes of its own or the experiment computes routes.
func (l *lowerer) hasRouteFile(n *model.VNode) bool {
	return len(n.Routes) > 0 || len(l.topRoutes[n.Name]) > 0 || l.exp.Routing != ""
}

// hostsAddr and hostsPath are the experiment's hosts file, which every
// node sees as its /etc/hosts (the vnode's hosts_file).
var hostsAddr = addrs.Resource{Type: contract.ConfigFile, Name: "hosts"}

const hostsPath = "hosts"

// hostsFile renders the hosts file: the loopback names a system's
// /etc/hosts has, then every node's addresses, each as NODE-IFACE and the
// node's first also as NODE.
func (l *lowerer) hostsFile() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# hosts of experiment %q, written by benito\n", l.exp.Name)
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
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
				if n.Hostname != "" && n.Hostname != n.Name {
					b.WriteByte(' ')
					b.WriteString(n.Hostname)
				}
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
		Port: func(sw, node, iface string) int {
			if n := l.nodes[node]; n != nil {
				return l.ports[sw][nodePortKey(n.Addr, iface)]
			}
			return 0
		},
	}, topdl.FromOptions{})))
}
