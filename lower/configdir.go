package lower

import (
	"encoding/xml"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/model"
	"github.com/zclconf/go-cty/cty"
)

// lowerConfigFiles adds the experiment-wide files of DETER's config
// directory layout: hosts (every node's addresses) and topology.xml (the
// experiment as TopDL, with what benito assigned: MACs, switch sockets,
// ports). Each node's route/<node> file is lowered with the node.
func (l *lowerer) lowerConfigFiles() {
	l.g.add(l.file(addrs.Resource{Type: TypeConfigFile, Name: "hosts"}, "hosts", l.hostsFile()))
	l.g.add(l.file(addrs.Resource{Type: TypeConfigFile, Name: "topology"}, "topology.xml", l.topologyFile()))
}

func (l *lowerer) file(addr addrs.Resource, path, content string) *Resource {
	return &Resource{
		Addr:     addr,
		Provider: providerOf(TypeConfigFile, ""),
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
		b.WriteString(r.Destination.String())
		if r.Gateway.IsValid() {
			b.WriteString(" via ")
			b.WriteString(r.Gateway.String())
		}
		if r.Device != "" {
			b.WriteString(" dev ")
			b.WriteString(r.Device)
		}
		if r.Metric != 0 {
			b.WriteString(" metric ")
			b.WriteString(strconv.Itoa(r.Metric))
		}
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
// (and fedd's reader) use.
func (l *lowerer) topologyFile() string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<experiment>\n  <version>1.0</version>\n")
	for _, sw := range l.exp.Switches {
		b.WriteString("  <substrates>\n")
		xmlElem(&b, 4, "name", sw.Name)
		if sw.Shaping.Capacity > 0 {
			// TopDL rates are kbit/s (fedd writes ns2's 100Mb as 100000.000000).
			fmt.Fprintf(&b, "    <capacity>\n      <rate>%s</rate>\n      <kind>max</kind>\n    </capacity>\n",
				strconv.FormatFloat(float64(sw.Shaping.Capacity)/1000, 'f', 6, 64))
		}
		if sw.Shaping.Latency > 0 {
			fmt.Fprintf(&b, "    <latency>\n      <time>%s</time>\n      <kind>max</kind>\n    </latency>\n",
				strconv.FormatFloat(sw.Shaping.Latency.Seconds()*1000, 'f', 6, 64))
		}
		xmlAttr(&b, 4, "benito:switch_kind", sw.Kind)
		if sw.Kind == model.KindVDE {
			xmlAttr(&b, 4, "benito:vde_switch", l.switchSocket(sw.Name))
		}
		b.WriteString("  </substrates>\n")
	}
	for _, n := range l.exp.VNodes {
		b.WriteString("  <elements>\n    <computer>\n")
		xmlElem(&b, 6, "name", n.Name)
		for _, ifc := range n.Interfaces {
			b.WriteString("      <interface>\n")
			xmlElem(&b, 8, "substrate", ifc.Switch)
			xmlElem(&b, 8, "name", ifc.Name)
			if ifc.Address.IsValid() {
				xmlAttr(&b, 8, "ip4_address", ifc.Address.Addr().String())
				xmlAttr(&b, 8, "ip4_netmask", netmask(ifc.Address.Bits()))
			}
			mac := ifc.MAC
			if mac == nil {
				mac = model.DeriveMAC(l.exp.Name, n.Name, ifc.Name)
			}
			xmlAttr(&b, 8, "benito:mac_address", mac.String())
			if sw := l.switches[ifc.Switch]; sw != nil && sw.Kind == model.KindVDE {
				xmlAttr(&b, 8, "benito:vde_switch", l.switchSocket(sw.Name))
				xmlAttr(&b, 8, "benito:vde_port", strconv.Itoa(l.ports[sw.Name][portKey(n.Name, ifc.Name)]))
			}
			b.WriteString("      </interface>\n")
		}
		xmlAttr(&b, 6, "containers:node_type", n.Type)
		if n.Partition != "" {
			xmlAttr(&b, 6, "containers:partition", n.Partition)
		}
		if n.Startup != "" {
			xmlAttr(&b, 6, "startup", n.Startup)
		}
		if n.Ghost {
			xmlAttr(&b, 6, "containers:ghost", "true")
		}
		b.WriteString("    </computer>\n  </elements>\n")
	}
	b.WriteString("</experiment>\n")
	return b.String()
}

func xmlElem(b *strings.Builder, indent int, name, value string) {
	b.WriteString(strings.Repeat(" ", indent))
	b.WriteString("<" + name + ">")
	_ = xml.EscapeText(b, []byte(value))
	b.WriteString("</" + name + ">\n")
}

func xmlAttr(b *strings.Builder, indent int, name, value string) {
	pad := strings.Repeat(" ", indent)
	b.WriteString(pad + "<attribute>\n")
	xmlElem(b, indent+2, "attribute", name)
	xmlElem(b, indent+2, "value", value)
	b.WriteString(pad + "</attribute>\n")
}
