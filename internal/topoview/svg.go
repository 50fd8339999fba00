package topoview

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Colours of the picture: (stroke, fill) by action; None is a picture
// without a plan.
var colours = map[Action][2]string{
	None:    {"#1f4e9c", "#dbe8fb"},
	Create:  {"#1a7f37", "#d5f5dd"},
	Update:  {"#9a6700", "#fff3b8"},
	Replace: {"#8250df", "#efe2ff"},
	Destroy: {"#cf222e", "#ffe0de"},
	NoOp:    {"#6e7781", "#f2f4f6"},
}

// css styles the picture; the same rules in the SVG and the page.
func css() string {
	var b strings.Builder
	b.WriteString(`.topo text{font-family:sans-serif;fill:#1f2328}` +
		`.topo .label{font-size:11px;text-anchor:middle;paint-order:stroke;stroke:#fff;stroke-width:3px}` +
		`.topo .swlabel{font-size:13px;font-weight:bold;text-anchor:middle;paint-order:stroke;stroke:#fff;stroke-width:3px}` +
		`.topo .detail{font-size:8px;fill:#57606a;text-anchor:middle;paint-order:stroke;stroke:#fff;stroke-width:2px}` +
		`.topo .shaping{fill:#953800}` +
		`.topo .link line{stroke-width:1.5px}` +
		`.topo .link.shaped line{stroke-width:2.5px;stroke-dasharray:7 3}` +
		`.topo .shape{stroke-width:2px}` +
		`.topo .a-destroy .shape{stroke-dasharray:3 2}` +
		`.topo .a-destroy line{stroke-dasharray:2 3}` +
		`.topo .switch .shape{stroke-width:2.5px}` +
		`.topo.far .detail{display:none}` +
		`.topo.farther .label{display:none}`)
	for _, a := range append([]Action{None}, Actions...) {
		c := colours[a]
		fmt.Fprintf(&b, `.topo .%s .shape{stroke:%s;fill:%s}.topo .link.%s line{stroke:%s}`, class(a), c[0], c[1], class(a), c[0])
	}
	return b.String()
}

func class(a Action) string {
	if a == None {
		return "a-none"
	}
	return "a-" + string(a)
}

// words says what a plan does, for tooltips.
func words(a Action) string {
	switch a {
	case Create:
		return "will be created"
	case Update:
		return "will be updated in place"
	case Replace:
		return "will be replaced"
	case Destroy:
		return "will be destroyed"
	case NoOp:
		return "no change"
	}
	return ""
}

// esc escapes s for SVG and HTML text and attribute values. A character
// XML does not allow at all (a control character, a byte that is not
// UTF-8) becomes U+FFFD, so that the SVG stays well-formed whatever a
// for_each key holds.
func esc(s string) string {
	return html.EscapeString(strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD && r != utf8.RuneError,
			r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s))
}

// num writes a coordinate, to a tenth.
func f1(x float64) string { return strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64) }

// shape writes a node's symbol: a circle for a process node, a square for
// a QEMU machine, a diamond for an OpenVZ container, a hexagon for
// another platform's node.
func shape(w *bufio.Writer, typ string, p Point, r float64) {
	x, y := p.X, p.Y
	switch typ {
	case "process":
		fmt.Fprintf(w, `<circle class="shape" cx="%s" cy="%s" r="%s"/>`, f1(x), f1(y), f1(r))
	case "qemu":
		fmt.Fprintf(w, `<rect class="shape" x="%s" y="%s" width="%s" height="%s" rx="2"/>`, f1(x-r), f1(y-r), f1(2*r), f1(2*r))
	case "openvz":
		d := r * 1.25
		fmt.Fprintf(w, `<polygon class="shape" points="%s,%s %s,%s %s,%s %s,%s"/>`, f1(x), f1(y-d), f1(x+d), f1(y), f1(x), f1(y+d), f1(x-d), f1(y))
	default:
		fmt.Fprintf(w, `<polygon class="shape" points="`)
		for i := 0; i < 6; i++ {
			a := math.Pi / 3 * float64(i)
			if i > 0 {
				w.WriteByte(' ')
			}
			fmt.Fprintf(w, "%s,%s", f1(x+r*1.1*math.Cos(a)), f1(y+r*1.1*math.Sin(a)))
		}
		w.WriteString(`"/>`)
	}
}

// switchShape writes a switch's symbol: a rectangle for a VDE switch, a
// rounded one for a bridge.
func switchShape(w *bufio.Writer, kind string, p Point, hw, hh float64) {
	rx := "3"
	if kind == "bridge" {
		rx = f1(hh)
	}
	fmt.Fprintf(w, `<rect class="shape" x="%s" y="%s" width="%s" height="%s" rx="%s"/>`, f1(p.X-hw), f1(p.Y-hh), f1(2*hw), f1(2*hh), rx)
}

// drawing writes the picture's elements, without the svg element around
// them.
func drawing(w *bufio.Writer, m *Model, l *Layout) {
	sw := make(map[string]Point, len(m.Switches))
	for i, s := range m.Switches {
		sw[s.Name] = l.Switches[i]
	}
	// Links first, under everything.
	w.WriteString(`<g class="links">`)
	for ni, n := range m.Nodes {
		p := l.Nodes[ni]
		for _, i := range n.Interfaces {
			q, ok := sw[i.Switch]
			if !ok {
				continue // a switch the model lacks: FromGraph and FromPlan add them all
			}
			cls := "link " + class(i.Action)
			if i.Shaped() {
				cls += " shaped"
			}
			fmt.Fprintf(w, "\n"+`<g class="%s" data-node="%s" data-interface="%s" data-switch="%s">`, cls, esc(n.Name), esc(i.Name), esc(i.Switch))
			fmt.Fprintf(w, `<title>%s</title>`, esc(linkTitle(n, i)))
			fmt.Fprintf(w, `<line x1="%s" y1="%s" x2="%s" y2="%s"/>`, f1(p.X), f1(p.Y), f1(q.X), f1(q.Y))
			// The interface and its address near the node, beside the
			// line; the shaping half-way.
			lbl := i.Name
			if i.Address != "" {
				lbl += " " + i.Address
			}
			linkLabel(w, "detail", lbl, p, q, NodeRadius+4, 0, false)
			if s := i.Shaping(); s != "" {
				linkLabel(w, "detail shaping", s, p, q, 0, 0.5, true)
			}
			w.WriteString(`</g>`)
		}
	}
	w.WriteString("\n</g>\n<g class=\"switches\">")
	for si, s := range m.Switches {
		p := l.Switches[si]
		fmt.Fprintf(w, "\n"+`<g class="switch %s" data-address="%s" data-name="%s" data-kind="%s">`, class(s.Action), esc(s.Address), esc(s.Name), esc(s.Kind))
		fmt.Fprintf(w, `<title>%s</title>`, esc(switchTitle(s)))
		switchShape(w, s.Kind, p, SwitchRadius, SwitchRadius*0.65)
		fmt.Fprintf(w, `<text class="swlabel" x="%s" y="%s">%s</text>`, f1(p.X), f1(p.Y-SwitchRadius*0.65-5), esc(s.Name))
		var info []string
		if s.Kind != "" {
			info = append(info, s.Kind)
		}
		if s.Subnet != "" {
			info = append(info, s.Subnet)
		}
		if len(info) > 0 {
			fmt.Fprintf(w, `<text class="detail" x="%s" y="%s">%s</text>`, f1(p.X), f1(p.Y+SwitchRadius*0.65+10), esc(strings.Join(info, " ")))
		}
		w.WriteString(`</g>`)
	}
	w.WriteString("\n</g>\n<g class=\"nodes\">")
	for ni, n := range m.Nodes {
		p := l.Nodes[ni]
		var ips []string
		for _, i := range n.Interfaces {
			if i.Address != "" {
				ips = append(ips, i.Address)
			}
		}
		fmt.Fprintf(w, "\n"+`<g class="node %s" data-address="%s" data-name="%s" data-type="%s" data-ip="%s">`, class(n.Action), esc(n.Address), esc(n.Name), esc(n.Type), esc(strings.Join(ips, " ")))
		fmt.Fprintf(w, `<title>%s</title>`, esc(nodeTitle(n)))
		shape(w, n.Type, p, NodeRadius)
		fmt.Fprintf(w, `<text class="label" x="%s" y="%s">%s</text>`, f1(p.X), f1(p.Y+NodeRadius+12), esc(n.Name))
		w.WriteString(`</g>`)
	}
	w.WriteString("\n</g>")
}

// linkLabel writes text beside the line from p to q: beginning gap past p
// (or, with gap 0, centred at the fraction at of the way), above a line
// that is more across than up (below with other), beside one more up
// than across on the side it leans away from (the other side with
// other).
func linkLabel(w *bufio.Writer, class, text string, p, q Point, gap, at float64, other bool) {
	dx, dy := q.X-p.X, q.Y-p.Y
	d := math.Hypot(dx, dy)
	if d == 0 {
		d = 1
	}
	ux, uy := dx/d, dy/d
	width := 4.7 * float64(len([]rune(text))) // at 8px
	var x, y float64
	anchor := "middle"
	if math.Abs(dx) >= math.Abs(dy) {
		t := d * at
		if gap > 0 {
			t = math.Min(gap+width/2/math.Max(math.Abs(ux), 0.5), d/2)
		}
		x, y = p.X+ux*t, p.Y+uy*t-4
		if other {
			y += 13
		}
	} else {
		t := d * at
		if gap > 0 {
			t = math.Min(gap+30, d/2) // past the node's name, under it
		}
		// On the side the line leans away from, off the lines of the
		// node's neighbours on a fan around one switch.
		right := ux <= 0.01
		if other {
			right = !right
		}
		x, y, anchor = p.X+ux*t+5, p.Y+uy*t+3, "start"
		if !right {
			x, anchor = x-10, "end"
		}
	}
	fmt.Fprintf(w, `<text class="%s" x="%s" y="%s"`, class, f1(x), f1(y))
	if anchor != "middle" {
		fmt.Fprintf(w, ` style="text-anchor:%s"`, anchor) // over the class's middle
	}
	fmt.Fprintf(w, `>%s</text>`, esc(text))
}

func nodeTitle(n *Node) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s)", n.Address, n.Type)
	if s := words(n.Action); s != "" {
		b.WriteString(" " + s)
	}
	for _, i := range n.Interfaces {
		fmt.Fprintf(&b, "\n%s", i.Name)
		if i.Address != "" {
			b.WriteString(" " + i.Address)
		}
		b.WriteString(" on " + i.Switch)
		if s := i.Shaping(); s != "" {
			b.WriteString(", " + s)
		}
	}
	return b.String()
}

func switchTitle(s *Switch) string {
	t := s.Address
	if t == "" {
		t = s.Name
	}
	if s.Kind != "" {
		t += " (" + s.Kind + ")"
	}
	if s.Subnet != "" {
		t += " " + s.Subnet
	}
	if w := words(s.Action); w != "" {
		t += " " + w
	}
	return t
}

func linkTitle(n *Node, i *Interface) string {
	t := n.Name + " " + i.Name
	if i.Address != "" {
		t += " " + i.Address
	}
	t += " — " + i.Switch
	if s := i.Shaping(); s != "" {
		t += ": " + s
	}
	if w := words(i.Action); w != "" {
		t += " (" + w + ")"
	}
	return t
}

// legend writes the legend at (x, y): the node types and switch kinds the
// model has, shaped links if any, and with a plan each action with the
// number of nodes and switches it touches. It returns its size.
func legend(w *bufio.Writer, m *Model, x, y float64) (width, height float64) {
	const row = 20
	yy := y + 12
	line := func(draw func(p Point), text string) {
		draw(Point{x + 10, yy})
		fmt.Fprintf(w, `<text x="%s" y="%s" font-size="12">%s</text>`, f1(x+26), f1(yy+4), esc(text))
		yy += row
	}
	w.WriteString(`<g class="legend">`)
	types := map[string]bool{}
	for _, n := range m.Nodes {
		types[n.Type] = true
	}
	for _, t := range []struct{ typ, text string }{{"process", "process node"}, {"qemu", "QEMU machine"}, {"openvz", "OpenVZ container"}} {
		if types[t.typ] {
			delete(types, t.typ)
			line(func(p Point) {
				fmt.Fprintf(w, `<g class="%s">`, class(None))
				shape(w, t.typ, p, 6)
				w.WriteString(`</g>`)
			}, t.text)
		}
	}
	if len(types) > 0 {
		line(func(p Point) {
			fmt.Fprintf(w, `<g class="%s">`, class(None))
			shape(w, "", p, 6)
			w.WriteString(`</g>`)
		}, "node of another type")
	}
	kinds := map[string]bool{}
	shaped := false
	for _, s := range m.Switches {
		kinds[s.Kind] = true
	}
	for _, n := range m.Nodes {
		for _, i := range n.Interfaces {
			shaped = shaped || i.Shaped()
		}
	}
	for _, k := range []struct{ kind, text string }{{"vde", "VDE switch"}, {"bridge", "bridge"}} {
		if kinds[k.kind] {
			line(func(p Point) {
				fmt.Fprintf(w, `<g class="switch %s">`, class(None))
				switchShape(w, k.kind, p, 9, 6)
				w.WriteString(`</g>`)
			}, k.text)
		}
	}
	if shaped {
		line(func(p Point) {
			fmt.Fprintf(w, `<g class="link shaped %s"><line x1="%s" y1="%s" x2="%s" y2="%s"/></g>`, class(None), f1(p.X-9), f1(p.Y), f1(p.X+9), f1(p.Y))
		}, "shaped link")
	}
	if m.Planned {
		count := map[Action]int{}
		for _, n := range m.Nodes {
			count[n.Action]++
		}
		for _, s := range m.Switches {
			count[s.Action]++
		}
		for _, a := range Actions {
			line(func(p Point) {
				fmt.Fprintf(w, `<g class="%s"><rect class="shape" x="%s" y="%s" width="14" height="10" rx="2"/></g>`, class(a), f1(p.X-7), f1(p.Y-5))
			}, fmt.Sprintf("%s (%d)", a, count[a]))
		}
	}
	w.WriteString(`</g>`)
	return 180, yy - y - 4
}

// WriteSVG writes the picture as a standalone SVG document, its legend at
// the top left.
func WriteSVG(out io.Writer, m *Model, l *Layout) error {
	w := bufio.NewWriter(out)
	var lg strings.Builder
	lw := bufio.NewWriter(&lg)
	width, height := legend(lw, m, 10, 10)
	lw.Flush()
	width += 20
	W, H := l.Width+width, math.Max(l.Height, height+20)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<svg xmlns="http://www.w3.org/2000/svg" class="topo" width="%s" height="%s" viewBox="0 0 %s %s">`+"\n", f1(W), f1(H), f1(W), f1(H))
	fmt.Fprintf(w, "<title>%s</title>\n<style>%s</style>\n", esc("experiment "+m.Experiment), css())
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	w.WriteString(lg.String())
	fmt.Fprintf(w, "\n<g transform=\"translate(%s 0)\">\n", f1(width))
	drawing(w, m, l)
	w.WriteString("\n</g>\n</svg>\n")
	return w.Flush()
}
