package topdl

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/netmask"
	"github.com/hashicorp/hcl/v2"
)

// Options tune Read.
type Options struct {
	// Types are node types served beyond KnownTypes: third-party
	// platforms, such as the providers an experiment's required_providers
	// names (package hcl passes those).
	Types []string
	// AnyType accepts every node type, with a warning for one beyond
	// KnownTypes and Types rather than an error: for `benito import`,
	// whose output can name its providers only after it is written (a
	// type no provider serves is reported by validate and plan).
	AnyType bool
}

// serviceBug matches fedd's unclosed service end tag.
var serviceBug = regexp.MustCompile(`</service(\s*)<`)

// maxDepth bounds element nesting: TopDL needs five levels, and a bound
// keeps hostile input from costing more than its size.
const maxDepth = 64

// node is one XML element of the raw tree.
type node struct {
	name       string
	text       strings.Builder
	children   []*node
	start, end int // byte offsets of the start tag and just past the end tag
}

func (n *node) value() string { return strings.TrimSpace(n.text.String()) }

// child returns the first child called name.
func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// reader holds the state of one Read.
type reader struct {
	filename string
	src      []byte
	lines    []int // byte offsets of line starts
	types    map[string]bool
	anyType  bool
	diags    hcl.Diagnostics
	skipped  []Dropped // elements benito has no use for, in file order
	root     string    // the root element's name, for paths
}

// Read parses a TopDL document. filename is used in diagnostics only. The
// Topology is nil when the diagnostics hold errors; warnings (a typo that
// was accepted, elements that were skipped) may come with a Topology.
func Read(filename string, src []byte, opts Options) (*Topology, hcl.Diagnostics) {
	r := &reader{filename: filename, types: map[string]bool{}, anyType: opts.AnyType}
	for _, t := range KnownTypes {
		r.types[t] = true
	}
	for _, t := range opts.Types {
		r.types[t] = true
	}
	// fedd's writer closes service elements with "</service" and no '>':
	// mend that known bug (no line is added, so lines stay right).
	r.src, r.lines = src, lineStarts(src)
	if loc := serviceBug.FindIndex(src); loc != nil {
		at := r.rng(loc[0], loc[0]+len("</service"))
		src = serviceBug.ReplaceAll(src, []byte("</service>$1<"))
		r.warn(at, "Mended a malformed service end tag",
			"The file closes a service element with \"</service\" and no '>', a known bug of fedd's TopDL writer. It was read as \"</service>\".")
		// Mending moved bytes, never lines: the line starts are found
		// again, only then (it is a pass over the whole file).
		r.src, r.lines = src, lineStarts(src)
	}
	root := r.parse()
	if root == nil || r.diags.HasErrors() {
		return nil, r.diags
	}
	t := r.topology(root)
	if r.diags.HasErrors() {
		return nil, r.diags
	}
	return t, r.diags
}

func lineStarts(src []byte) []int {
	starts := []int{0}
	for i, c := range src {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// pos converts a byte offset into a position (columns count bytes).
func (r *reader) pos(off int) hcl.Pos {
	off = max(0, min(off, len(r.src)))
	i := sort.Search(len(r.lines), func(i int) bool { return r.lines[i] > off }) - 1
	return hcl.Pos{Line: i + 1, Column: off - r.lines[i] + 1, Byte: off}
}

func (r *reader) rng(start, end int) hcl.Range {
	if end < start {
		end = start
	}
	// The subject is the start tag's line: a whole computer would underline
	// the rest of the file in one-line documents.
	if nl := bytes.IndexByte(r.src[min(start, len(r.src)):min(end, len(r.src))], '>'); nl >= 0 {
		end = start + nl + 1
	}
	return hcl.Range{Filename: r.filename, Start: r.pos(start), End: r.pos(end)}
}

func (r *reader) errorf(rng hcl.Range, summary, format string, args ...any) {
	r.diags = append(r.diags, errorAt(rng, summary, format, args...))
}

func (r *reader) warn(rng hcl.Range, summary, format string, args ...any) {
	r.diags = append(r.diags, warning(rng, summary, format, args...))
}

// parse builds the raw element tree.
func (r *reader) parse() *node {
	dec := xml.NewDecoder(bytes.NewReader(r.src))
	dec.Strict = true
	var root *node
	var stack []*node
	for {
		off := int(dec.InputOffset())
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			r.syntaxError(err, off, int(dec.InputOffset()), stack)
			return nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 && root != nil {
				r.errorf(r.rng(off, off), "Malformed XML", "The file has a second root element <%s>; a TopDL file holds exactly one <experiment>.", t.Name.Local)
				return nil
			}
			if len(stack) >= maxDepth {
				r.errorf(r.rng(off, off), "Malformed XML", "Elements are nested more than %d deep; TopDL needs a handful of levels.", maxDepth)
				return nil
			}
			n := &node{name: t.Name.Local, start: off}
			if len(stack) == 0 {
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) > 0 {
				stack[len(stack)-1].end = int(dec.InputOffset())
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				r.errorf(r.rng(off, off), "Malformed XML", "Text outside the root element.")
				return nil
			}
		}
	}
	if root == nil {
		// Said where the file ends: an element was looked for up to there.
		r.errorf(r.span(len(r.src), len(r.src)), "Not a TopDL file", "The file holds no XML element. A TopDL file starts with <experiment> (or <topology>).")
	}
	return root
}

// syntaxError reports the decoder's err on the token that began at byte
// off, the decoder having read up to end; open is the stack of elements
// not yet closed. A file that ends too soon is reported where it ends,
// naming the innermost element left open: a truncated copy is the usual
// cause, and the first line says nothing about it.
func (r *reader) syntaxError(err error, off, end int, open []*node) {
	var se *xml.SyntaxError
	if !errors.As(err, &se) {
		r.errorf(r.span(end, end), "Malformed XML", "The file is not well-formed XML: %s. Fix the file (or re-export it from DETER) and try again.", err)
		return
	}
	if se.Msg == "unexpected EOF" {
		eof := len(r.src)
		detail := "The file ends inside "
		switch {
		case len(open) > 0:
			n := open[len(open)-1]
			detail += fmt.Sprintf("<%s> (opened at line %d)", n.name, r.pos(n.start).Line)
		default:
			detail += "its first tag"
		}
		if off < eof && r.pos(off).Line != r.pos(eof).Line {
			// A comment, CDATA section or tag that never ends: say where it
			// began, the end of the file is rarely near it.
			detail += fmt.Sprintf(", inside markup that begins at line %d", r.pos(off).Line)
		}
		r.errorf(r.span(eof, eof), "Truncated XML", "%s, so it looks cut short. Copy it again (or re-export it from DETER) and try again.", detail)
		return
	}
	// The decoder names the line it stopped on; the token it was reading
	// began at off, maybe on an earlier line (after a newline inside a
	// tag), in which case the subject starts at the line's beginning.
	start := off
	if se.Line >= 1 && se.Line <= len(r.lines) && r.pos(off).Line != se.Line {
		start = r.lines[se.Line-1]
	}
	r.errorf(r.span(start, max(start, end)), "Malformed XML", "The file is not well-formed XML: %s. Fix the file (or re-export it from DETER) and try again.", se.Msg)
}

// span is the range of bytes [start, end), cut at the end of start's line
// so that the subject stays one line.
func (r *reader) span(start, end int) hcl.Range {
	if nl := bytes.IndexByte(r.src[min(start, len(r.src)):min(end, len(r.src))], '\n'); nl >= 0 {
		end = start + nl
	}
	return hcl.Range{Filename: r.filename, Start: r.pos(start), End: r.pos(end)}
}

// topology interprets the raw tree.
func (r *reader) topology(root *node) *Topology {
	t := &Topology{Range: r.rng(root.start, root.end)}
	if root.name != "experiment" && root.name != "topology" {
		r.errorf(t.Range, "Not a TopDL file", "The root element is <%s>; a TopDL file's root is <experiment> (or <topology>).", root.name)
		return nil
	}
	path := root.name
	r.root = root.name
	for _, c := range root.children {
		switch c.name {
		case "version":
			t.Version = c.value()
		case "attribute":
			t.Attributes = r.attribute(t.Attributes, c, path)
		case "substrates", "substrate":
			// Usually a wrapper that is itself the substrate; accept a list
			// of <substrate> children too.
			if inner := childrenNamed(c, "substrate"); c.name == "substrates" && len(inner) > 0 {
				for _, s := range inner {
					t.Substrates = append(t.Substrates, r.substrate(s, path+"/substrates/substrate"))
				}
			} else {
				t.Substrates = append(t.Substrates, r.substrate(c, path+"/"+c.name))
			}
		case "elements":
			for _, e := range c.children {
				epath := path + "/elements/" + e.name
				if e.name == "computer" {
					t.Computers = append(t.Computers, r.computer(e, epath))
					continue
				}
				if n := e.child("name"); n != nil {
					epath += fmt.Sprintf(" %q", n.value())
				}
				r.skipped = append(r.skipped, Dropped{Path: epath, Range: r.rng(e.start, e.end)})
			}
		default:
			r.dropped(c, path)
		}
	}
	t.Dropped = r.skipped
	if t.Version != "" && t.Version != "1.0" {
		r.warn(t.Range, "Unknown TopDL version", "The file says version %q; benito reads TopDL 1.0 and will try.", t.Version)
	}
	r.check(t)
	return t
}

func childrenNamed(n *node, name string) []*node {
	var out []*node
	for _, c := range n.children {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

func (r *reader) name(n *node, path, what string) string {
	nn := n.child("name")
	if nn == nil || nn.value() == "" {
		r.errorf(r.rng(n.start, n.end), fmt.Sprintf("%s without a name", what), "The %s at %s has no <name>. Give it one.", what, path)
		return ""
	}
	return r.checkName(nn, path, what)
}

// checkName returns the value of the <name> element nn, reporting a name
// benito cannot use.
func (r *reader) checkName(nn *node, path, what string) string {
	name := nn.value()
	if !addrs.ValidName(name) {
		r.errorf(r.rng(nn.start, nn.end), fmt.Sprintf("Invalid %s name %q", what, name),
			"At %s: names may only hold letters, digits, '_' and '-' (DETER's rule, and benito's, since names become device and file names). Rename it.", path)
	}
	return name
}

func (r *reader) substrate(n *node, path string) *Substrate {
	s := &Substrate{Range: r.rng(n.start, n.end)}
	s.Name = r.name(n, path, "substrate")
	path += fmt.Sprintf(" %q", s.Name)
	for _, c := range n.children {
		if c.name != "name" {
			r.linkChild(c, path, &s.Capacity, &s.Latency, &s.Attributes)
		}
	}
	return s
}

// linkChild reads one child element of a substrate or an interface, the
// two elements that carry shaping: capacity, latency and attributes are
// kept, anything else is recorded as dropped.
func (r *reader) linkChild(c *node, path string, capacity **Capacity, latency **Latency, attrs *[]Attribute) {
	switch c.name {
	case "capacity":
		*capacity = r.capacity(c, path)
	case "latency":
		*latency = r.latency(c, path)
	case "attribute":
		*attrs = r.attribute(*attrs, c, path)
	default:
		r.dropped(c, path)
	}
}

// dropped records an element benito skips; ToHCL notes each in a comment.
func (r *reader) dropped(c *node, path string) {
	r.skipped = append(r.skipped, Dropped{Path: path + "/" + c.name, Range: r.rng(c.start, c.end)})
}

func (r *reader) computer(n *node, path string) *Computer {
	cm := &Computer{Range: r.rng(n.start, n.end)}
	cm.Name = r.name(n, path, "computer")
	path += fmt.Sprintf(" %q", cm.Name)
	for _, c := range n.children {
		switch c.name {
		case "name":
		case "interface":
			ifc := r.iface(c, path+"/interface", len(cm.Interfaces))
			cm.Interfaces = append(cm.Interfaces, ifc)
		case "attribute":
			cm.Attributes = r.attribute(cm.Attributes, c, path)
		case "os":
			o := OS{}
			for _, f := range c.children {
				switch f.name {
				case "name":
					o.Name = f.value()
				case "version":
					o.Version = f.value()
				case "distribution":
					o.Distribution = f.value()
				case "distributionversion":
					o.DistributionVersion = f.value()
				default:
					r.dropped(f, path+"/os")
				}
			}
			cm.OS = append(cm.OS, o)
		case "software":
			sw := Software{}
			if l := c.child("location"); l != nil {
				sw.Location = l.value()
			}
			if i := c.child("install"); i != nil {
				sw.Install = i.value()
			}
			cm.Software = append(cm.Software, sw)
		default:
			r.dropped(c, path)
		}
	}
	return cm
}

func (r *reader) iface(n *node, path string, index int) *Interface {
	ifc := &Interface{Range: r.rng(n.start, n.end)}
	if nn := n.child("name"); nn != nil && nn.value() != "" {
		ifc.Name = r.checkName(nn, path, "interface")
		if err := contract.CheckInterfaceName(ifc.Name); addrs.ValidName(ifc.Name) && err != nil {
			r.errorf(r.rng(nn.start, nn.end), fmt.Sprintf("Invalid interface name %q", ifc.Name),
				"At %s: the interface becomes a device of that name inside the node: %v. Rename it, for example to \"inf000\".", path, err)
		}
	} else {
		ifc.Name = fmt.Sprintf("inf%03d", index) // fedd's rule
	}
	path += fmt.Sprintf(" %q", ifc.Name)
	subs := childrenNamed(n, "substrate")
	switch len(subs) {
	case 0:
		r.errorf(ifc.Range, "Interface on no substrate", "The interface at %s names no <substrate>. Add the link it is on.", path)
	case 1:
		ifc.Substrate = subs[0].value()
	default:
		r.errorf(r.rng(subs[1].start, subs[1].end), "Interface on several substrates",
			"The interface at %s names %d substrates; benito plugs an interface into exactly one switch. Give the node one interface per link.", path, len(subs))
	}
	for _, c := range n.children {
		if c.name != "name" && c.name != "substrate" {
			r.linkChild(c, path, &ifc.Capacity, &ifc.Latency, &ifc.Attributes)
		}
	}
	return ifc
}

func (r *reader) attribute(list []Attribute, n *node, path string) []Attribute {
	name, value := n.child("attribute"), n.child("value")
	rng := r.rng(n.start, n.end)
	if name == nil || name.value() == "" {
		r.errorf(rng, "Attribute without a name", "The attribute at %s has no inner <attribute> naming it. Write <attribute><attribute>NAME</attribute><value>V</value></attribute>.", path)
		return list
	}
	a := Attribute{Name: name.value(), Range: rng}
	if value != nil {
		a.Value = value.value()
	}
	if rest, ok := strings.CutPrefix(a.Name, "container:"); ok {
		r.warn(rng, fmt.Sprintf("Read %q as %q", a.Name, "containers:"+rest),
			"At %s: %q is a known typo in DETER experiments (the prefix is \"containers:\"). It was accepted; fix the file to silence this warning.", path, a.Name)
		a.Name = "containers:" + rest
	}
	return append(list, a)
}

func (r *reader) capacity(n *node, path string) *Capacity {
	c := &Capacity{Kind: "max"}
	c.Rate = r.number(n, "rate", path+"/capacity")
	if k := n.child("kind"); k != nil {
		c.Kind = r.kind(k, path+"/capacity")
	}
	return c
}

func (r *reader) latency(n *node, path string) *Latency {
	l := &Latency{Kind: "max"}
	l.Time = r.number(n, "time", path+"/latency")
	if l.Time > 1e9 {
		r.errorf(r.rng(n.start, n.end), "Invalid time", "At %s: a latency of %g ms is more than eleven days.", path+"/latency", l.Time)
		l.Time = 0
	}
	if k := n.child("kind"); k != nil {
		l.Kind = r.kind(k, path+"/latency")
	}
	return l
}

func (r *reader) number(n *node, field, path string) float64 {
	f := n.child(field)
	if f == nil {
		r.errorf(r.rng(n.start, n.end), fmt.Sprintf("Missing %s", field), "The element at %s has no <%s>.", path, field)
		return 0
	}
	v, err := strconv.ParseFloat(f.value(), 64)
	if err != nil || v < 0 || v > 1e15 {
		r.errorf(r.rng(f.start, f.end), fmt.Sprintf("Invalid %s", field), "At %s: %q is not a non-negative number.", path, f.value())
		return 0
	}
	return v
}

func (r *reader) kind(k *node, path string) string {
	switch v := k.value(); v {
	case "max", "average":
		return v
	default:
		r.errorf(r.rng(k.start, k.end), "Invalid kind", "At %s: kind is \"max\" or \"average\", not %q.", path, v)
		return "max"
	}
}

// check validates the references and values of a parsed topology.
func (r *reader) check(t *Topology) {
	subs := map[string]*Substrate{}
	for _, s := range t.Substrates {
		if s.Name == "" {
			continue
		}
		if o := subs[s.Name]; o != nil {
			r.errorf(s.Range, fmt.Sprintf("Duplicate substrate %q", s.Name),
				"At %s/substrates %q: substrate %q is declared twice, at line %d and line %d. Rename or remove one of them.",
				r.root, s.Name, s.Name, o.Range.Start.Line, s.Range.Start.Line)
			continue
		}
		subs[s.Name] = s
		for _, a := range s.Attributes {
			r.checkAttr(a, fmt.Sprintf("%s/substrates %q", r.root, s.Name))
		}
	}
	comps := map[string]*Computer{}
	for _, c := range t.Computers {
		if c.Name == "" {
			continue
		}
		where := fmt.Sprintf("%s/elements/computer %q", r.root, c.Name)
		if o := comps[c.Name]; o != nil {
			r.errorf(c.Range, fmt.Sprintf("Duplicate computer %q", c.Name),
				"At %s: computer %q is declared twice, at line %d and line %d. Rename or remove one of them.", where, c.Name, o.Range.Start.Line, c.Range.Start.Line)
			continue
		}
		comps[c.Name] = c
		if a, ok := Attr(c.Attributes, AttrNodeType); ok && !r.types[a.Value] {
			r.unknownType(a, where, c.Name)
		}
		for _, a := range c.Attributes {
			r.checkAttr(a, where)
		}
		seen := map[string]*Interface{}
		for _, ifc := range c.Interfaces {
			iwhere := fmt.Sprintf("%s/interface %q", where, ifc.Name)
			if o := seen[ifc.Name]; o != nil {
				r.errorf(ifc.Range, fmt.Sprintf("Duplicate interface %q", ifc.Name),
					"At %s: computer %q has two interfaces called %q (lines %d and %d). Rename one.", iwhere, c.Name, ifc.Name, o.Range.Start.Line, ifc.Range.Start.Line)
			}
			seen[ifc.Name] = ifc
			if ifc.Substrate != "" && subs[ifc.Substrate] == nil {
				r.errorf(ifc.Range, fmt.Sprintf("Unknown substrate %q", ifc.Substrate),
					"At %s: the interface is on substrate %q, which the file does not declare. Add a <substrates> element for it or fix the name.", iwhere, ifc.Substrate)
			}
			for _, a := range ifc.Attributes {
				r.checkAttr(a, iwhere)
			}
		}
	}
}

// unknownType reports a node type beyond KnownTypes and Options.Types.
func (r *reader) unknownType(a Attribute, where, computer string) {
	known := make([]string, 0, len(r.types))
	for k := range r.types {
		known = append(known, k)
	}
	slices.Sort(known)
	if r.anyType {
		r.warn(a.Range, fmt.Sprintf("Third-party node type %q", a.Value),
			"At %s: computer %q asks for node type %q, which is not one of %s. It was imported as it is: name the provider that serves it in the experiment's required_providers.",
			where, computer, a.Value, strings.Join(known, ", "))
		return
	}
	r.errorf(a.Range, fmt.Sprintf("Unknown node type %q", a.Value),
		"At %s: computer %q asks for node type %q, which no platform serves. Known types: %s. Change the type, or name the provider that serves it in the experiment's required_providers (in a .hcl file next to this one).",
		where, computer, a.Value, strings.Join(known, ", "))
}

// checkAttr checks the values of the attributes benito interprets.
func (r *reader) checkAttr(a Attribute, where string) {
	bad := func(want string) {
		r.errorf(a.Range, fmt.Sprintf("Invalid %s", a.Name), "At %s: %s is %q; %s.", where, a.Name, a.Value, want)
	}
	switch a.Name {
	case AttrIP4Address:
		if p, err := netip.ParseAddr(a.Value); err != nil || !p.Is4() {
			bad("it must be an IPv4 address such as 10.0.0.1 (benito's experiments are IPv4)")
		}
	case AttrIP4Netmask:
		if _, err := netmask.Parse(a.Value); err != nil {
			bad("it must be a dotted IPv4 netmask such as 255.255.255.0")
		}
	case AttrMAC:
		if m, err := net.ParseMAC(a.Value); err != nil || len(m) != 6 {
			bad("it must be a MAC address such as 02:00:00:00:00:01")
		}
	case AttrVDEPort, "benito:memory", "benito:cpus", "benito:mtu", "benito:ports":
		if n, err := strconv.Atoi(a.Value); err != nil || n < 0 {
			bad("it must be a whole number")
		}
	case AttrGhost:
		if _, ok := ParseBool(a.Value); !ok {
			bad("it must be true or false")
		}
	case "benito:route":
		if _, _, _, _, err := ParseRoute(a.Value); err != nil {
			bad(fmt.Sprintf("it must be a route such as \"10.0.2.0/24 via 10.0.1.1\" (%s)", err))
		}
	case "benito:switch_kind":
		if a.Value != "vde" && a.Value != "bridge" {
			bad("it must be vde or bridge")
		}
	case "benito:subnet":
		if p, err := netip.ParsePrefix(a.Value); err != nil || !p.Addr().Is4() {
			bad("it must be an IPv4 prefix such as 10.0.1.0/24")
		}
	}
}

// ParseBool reads the booleans DETER's tools write: true/false, 1/0,
// yes/no, on/off (any case, surrounding spaces ignored), and "" (an
// attribute with no value) as false.
func ParseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on":
		return true, true
	case "false", "0", "no", "off", "":
		return false, true
	}
	return false, false
}
