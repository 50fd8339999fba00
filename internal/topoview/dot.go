package topoview

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// dotQuote quotes s as a DOT string: a backslash and a double quote
// escaped, a line break made DOT's \n.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", ``)
	return `"` + r.Replace(s) + `"`
}

// dotShapes are Graphviz's shapes for the node types' symbols.
var dotShapes = map[string]string{"process": "circle", "qemu": "square", "openvz": "diamond"}

// WriteDOT writes the picture in Graphviz's DOT language: an undirected
// graph of switches and nodes, an edge per link labelled with the
// interface, its address and its shaping, coloured as the SVG is, with
// the layout's positions (in points) pinned, so that neato (the graph's
// layout) draws the same picture: neato -n2 -Tsvg.
func WriteDOT(out io.Writer, m *Model, l *Layout) error {
	w := bufio.NewWriter(out)
	fmt.Fprintf(w, "graph %s {\n", dotQuote(m.Experiment))
	w.WriteString("\tgraph [layout = \"neato\", overlap = \"false\", outputorder = \"edgesfirst\", fontname = \"sans-serif\"];\n")
	w.WriteString("\tnode [fontname = \"sans-serif\", fontsize = 10, style = \"filled\", width = 0.3, fixedsize = \"false\"];\n")
	w.WriteString("\tedge [fontname = \"sans-serif\", fontsize = 8];\n")
	pos := func(p Point) string { return dotQuote(f1(p.X) + "," + f1(l.Height-p.Y) + "!") }
	for si, s := range m.Switches {
		c := colours[s.Action]
		label := s.Name
		if info := strings.TrimSpace(s.Kind + " " + s.Subnet); info != "" {
			label += "\n" + info
		}
		style := "filled"
		if s.Kind == "bridge" {
			style = "filled,rounded"
		}
		fmt.Fprintf(w, "\t%s [shape = \"box\", style = %s, label = %s, color = %s, fillcolor = %s, penwidth = 2, tooltip = %s, pos = %s];\n",
			dotQuote(id(s.Address, "switch."+s.Name)), dotQuote(style), dotQuote(label), dotQuote(c[0]), dotQuote(c[1]), dotQuote(switchTitle(s)), pos(l.Switches[si]))
	}
	for ni, n := range m.Nodes {
		c := colours[n.Action]
		sh := dotShapes[n.Type]
		if sh == "" {
			sh = "hexagon"
		}
		style := "filled"
		if n.Action == Destroy {
			style = "filled,dashed"
		}
		fmt.Fprintf(w, "\t%s [shape = %s, style = %s, label = %s, xlabel = %s, color = %s, fillcolor = %s, tooltip = %s, pos = %s];\n",
			dotQuote(id(n.Address, "vnode."+n.Name)), dotQuote(sh), dotQuote(style), dotQuote(""), dotQuote(n.Name), dotQuote(c[0]), dotQuote(c[1]), dotQuote(nodeTitle(n)), pos(l.Nodes[ni]))
	}
	sw := make(map[string]*Switch, len(m.Switches))
	for _, s := range m.Switches {
		sw[s.Name] = s
	}
	for _, n := range m.Nodes {
		for _, i := range n.Interfaces {
			label := i.Name
			if i.Address != "" {
				label += " " + i.Address
			}
			if s := i.Shaping(); s != "" {
				label += "\n" + s
			}
			style := "solid"
			switch {
			case i.Action == Destroy:
				style = "dotted"
			case i.Shaped():
				style = "dashed"
			}
			s := sw[i.Switch]
			if s == nil {
				continue // a switch the model lacks: FromGraph and FromPlan add them all
			}
			fmt.Fprintf(w, "\t%s -- %s [label = %s, color = %s, style = %s];\n",
				dotQuote(id(n.Address, "vnode."+n.Name)), dotQuote(id(s.Address, "switch."+s.Name)), dotQuote(label), dotQuote(colours[i.Action][0]), dotQuote(style))
		}
	}
	w.WriteString("}\n")
	return w.Flush()
}

// id is a node's DOT identifier: the resource's address, or for a switch
// only interfaces name, its name.
func id(addr, fallback string) string {
	if addr != "" {
		return addr
	}
	return fallback
}
