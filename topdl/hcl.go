package topdl

import (
	"bytes"
	"fmt"
	"github.com/benito-net/benito/contract"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/benito-net/benito/internal/netmask"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// RoutingDefault is the routing of an experiment imported from TopDL whose
// file does not set benito:routing: "static", routes computed between all
// subnets, as DETER computed them.
const RoutingDefault = "static"

// HCLOptions tune ToHCL.
type HCLOptions struct {
	// Name is the experiment's name; empty leaves the experiment block out
	// (another file of the directory declares it, and its routing). The
	// experiment block ToHCL writes has the file's benito:routing, or
	// RoutingDefault.
	Name string
	// Source is the TopDL file's name, for the header comment.
	Source string
	// Unformatted leaves out hclwrite.Format (which spaces and aligns
	// each line), for a caller that only parses the result: hcl.Load, on
	// every plan of a directory that holds a TopDL file, where formatting
	// a 10,000-node file took three times as long as reading its XML. The
	// text has the same tokens and lines, indented but otherwise unspaced
	// (`type="qemu"`), and the same Lines.
	Unformatted bool
}

// HCL is a Topology written as an HCL experiment.
type HCL struct {
	Src []byte
	// Lines holds, for each line of Src (Lines[0] is line 1), the range
	// in the TopDL file it was made from, so that a diagnostic about the
	// HCL can point at the XML.
	Lines []hcl.Range
}

// Origin returns the TopDL range line (1-based) of Src was made from.
func (h *HCL) Origin(line int) (hcl.Range, bool) {
	if line < 1 || line > len(h.Lines) {
		return hcl.Range{}, false
	}
	return h.Lines[line-1], h.Lines[line-1].Filename != ""
}

// ToHCL maps t (as Read returns it, without errors) to a formatted (unless
// opts.Unformatted), commented HCL experiment. The diagnostics are errors
// (addresses that cannot be allocated) and warnings (what was dropped); on
// errors the result is nil.
func ToHCL(t *Topology, opts HCLOptions) (*HCL, hcl.Diagnostics) {
	g := &gen{format: !opts.Unformatted}
	addrs, diags := allocate(t)
	if diags.HasErrors() {
		return nil, diags
	}

	// Header and experiment.
	head := hclwrite.NewEmptyFile()
	hb := head.Body()
	src := opts.Source
	if src == "" {
		src = "a TopDL file"
	}
	comment(hb, fmt.Sprintf("Imported from %s by benito import topdl.", src))
	comment(hb, "TopDL rates are kbit/s and latencies ms; they are written here with units.")
	if opts.Name != "" {
		hb.AppendNewline()
		exp := hb.AppendNewBlock("experiment", []string{opts.Name})
		if a, ok := Attr(t.Attributes, "benito:routing"); ok {
			exp.Body().SetAttributeValue("routing", cty.StringVal(a.Value))
		} else {
			// DETER computed the routes of every experiment; a TopDL
			// file holds none, and without them only nodes on one link
			// reach each other.
			comment(exp.Body(), `DETER computed the routes between subnets, and so does benito; "none" keeps only the routes written.`)
			exp.Body().SetAttributeValue("routing", cty.StringVal(RoutingDefault))
		}
	}
	for _, a := range t.Attributes {
		if a.Name != "benito:routing" || opts.Name == "" {
			comment(hb, fmt.Sprintf("Topology attribute %s = %q (line %d) kept as a comment: benito has no use for it.", a.Name, a.Value, a.Range.Start.Line))
			diags = append(diags, warning(a.Range, "Topology attribute not imported", "The topology attribute %q has no meaning for benito; it is kept as a comment.", a.Name))
		}
	}
	if len(t.Dropped) > 0 {
		hb.AppendNewline()
	}
	for _, d := range t.Dropped {
		comment(hb, fmt.Sprintf("Skipped %s (line %d): benito has no use for it.", d.Path, d.Range.Start.Line))
		diags = append(diags, warning(d.Range, "Element not imported", "benito has no use for %s; it is noted in a comment of the imported file.", d.Path))
	}
	g.chunk(head, t.Range, nil)

	for _, s := range t.Substrates {
		f, sub := g.substrate(s, &diags)
		g.chunk(f, s.Range, sub)
	}
	for _, c := range t.Computers {
		f, sub := g.computer(c, addrs, &diags)
		g.chunk(f, c.Range, sub)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return &HCL{Src: g.out.Bytes(), Lines: g.lines}, diags
}

// warning and errorAt are how the package builds a diagnostic: a summary,
// a detail formatted as by fmt.Sprintf, and rng as its subject.
func warning(rng hcl.Range, summary, format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: rng.Ptr()}
}

func errorAt(rng hcl.Range, summary, format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: rng.Ptr()}
}

// comment appends a line comment. A newline inside text (from a name or
// value of the file, some written with %s) would end the comment and leave
// the rest of it as broken HCL, so it becomes a space.
func comment(b *hclwrite.Body, text string) {
	text = strings.ReplaceAll(text, "\n", " ")
	b.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte("# " + text + "\n")}})
}

// gen collects the top-level blocks and the origin of each line.
type gen struct {
	out    bytes.Buffer
	lines  []hcl.Range
	format bool
}

// chunk appends one top-level piece. sub maps "ATTR", "interface NAME"
// and "interface NAME/ATTR" to the ranges they came from; other lines map
// to def.
//
// The line map is read off hclwrite's tokens, which formatting does not
// change (it only respaces them): so both texts share it, and no line of
// text is scanned again.
func (g *gen) chunk(f *hclwrite.File, def hcl.Range, sub map[string]hcl.Range) {
	tokens := foldEmptyBlocks(f.BuildTokens(nil))
	if g.out.Len() > 0 {
		g.out.WriteByte('\n')
		g.lines = append(g.lines, def)
	}

	depth := 0  // brace depth at the start of the line
	iface := "" // the interface block the line is in
	var line hclwrite.Tokens
	end := func() {
		// Indent, as formatting would: hcl.Load cuts a large file
		// into pieces at the lines that are a lone "}", which must
		// be those that close top-level blocks.
		switch line[0].Type {
		case hclsyntax.TokenNewline: // a blank line stays empty
		case hclsyntax.TokenCBrace:
			line[0].SpacesBefore = max(0, 2*(depth-1))
		default:
			line[0].SpacesBefore = 2 * depth
		}
		rng := def
		key := ""
		if len(line) >= 2 && line[0].Type == hclsyntax.TokenIdent && line[1].Type == hclsyntax.TokenEqual {
			key = string(line[0].Bytes) // KEY = ...
		}
		if depth >= 1 && len(line) >= 5 && string(line[0].Bytes) == "interface" && line[1].Type == hclsyntax.TokenOQuote &&
			line[2].Type == hclsyntax.TokenQuotedLit && line[3].Type == hclsyntax.TokenCQuote && line[4].Type == hclsyntax.TokenOBrace {
			iface = string(line[2].Bytes) // interface "NAME" {
		}
		if iface != "" {
			if r, ok := sub["interface "+iface]; ok {
				rng = r
			}
			if r, ok := sub["interface "+iface+"/"+key]; ok && key != "" {
				rng = r
			}
		} else if r, ok := sub[key]; ok && key != "" {
			rng = r
		}
		for _, t := range line {
			switch t.Type {
			case hclsyntax.TokenOBrace:
				depth++
			case hclsyntax.TokenCBrace:
				depth--
			}
		}
		if iface != "" && depth == 1 && line[0].Type == hclsyntax.TokenCBrace {
			iface = "" // the line that closes the interface block
		}
		g.lines = append(g.lines, rng)
		line = line[:0]
	}
	for _, t := range tokens {
		line = append(line, t)
		// A newline ends a line, and so does a comment: hclwrite's line
		// comments hold theirs.
		if bytes.HasSuffix(t.Bytes, []byte("\n")) {
			end()
		}
	}
	if len(line) > 0 {
		end()
	}
	text := tokens.Bytes() // valid HCL, indented but unspaced: `  interface"eth0"{`
	if g.format {
		text = hclwrite.Format(text)
	}
	g.out.Write(text)
}

// foldEmptyBlocks writes a top-level block of one label whose body is
// empty, which hclwrite opens and closes on two lines, on one:
// `experiment "x" {}` reads better.
func foldEmptyBlocks(tokens hclwrite.Tokens) hclwrite.Tokens {
	out := tokens[:0:0]
	depth := 0
	for i := 0; i < len(tokens); i++ {
		if depth == 0 && (i == 0 || bytes.HasSuffix(tokens[i-1].Bytes, []byte("\n"))) { // at the start of a line
			if nl := emptyBlockNewline(tokens[i:]); nl > 0 {
				out = append(out, tokens[i:i+nl]...)
				i += nl // the newline is left out; the brace follows
				depth++ // the block's, which that brace closes
				continue
			}
		}
		switch tokens[i].Type {
		case hclsyntax.TokenOBrace:
			depth++
		case hclsyntax.TokenCBrace:
			depth--
		}
		out = append(out, tokens[i])
	}
	return out
}

// emptyBlockNewline returns the index of the newline inside a block that
// tokens start with: `TYPE "LABEL" {`, newline, `}`, end of line; or 0.
func emptyBlockNewline(tokens hclwrite.Tokens) int {
	i := 0
	next := func(t hclsyntax.TokenType) bool {
		if i < len(tokens) && tokens[i].Type == t {
			i++
			return true
		}
		return false
	}
	if !next(hclsyntax.TokenIdent) || !next(hclsyntax.TokenOQuote) {
		return 0
	}
	next(hclsyntax.TokenQuotedLit) // an empty label has none
	if !next(hclsyntax.TokenCQuote) || !next(hclsyntax.TokenOBrace) {
		return 0
	}
	nl := i
	if !next(hclsyntax.TokenNewline) || !next(hclsyntax.TokenCBrace) || i < len(tokens) && tokens[i].Type != hclsyntax.TokenNewline {
		return 0
	}
	return nl
}

func (g *gen) substrate(s *Substrate, diags *hcl.Diagnostics) (*hclwrite.File, map[string]hcl.Range) {
	f := hclwrite.NewEmptyFile()
	root := f.Body()
	sub := map[string]hcl.Range{}
	blk := root.AppendNewBlock("switch", []string{s.Name})
	b := blk.Body()
	g.shapingAttrs(b, s.Capacity, s.Latency, sub, "", s.Range)
	for _, a := range s.Attributes {
		switch a.Name {
		case "benito:switch_kind":
			b.SetAttributeValue("kind", cty.StringVal(a.Value))
			sub["kind"] = a.Range
		case "benito:subnet", "benito:loss", "benito:group", "benito:mode":
			name := strings.TrimPrefix(a.Name, "benito:")
			b.SetAttributeValue(name, cty.StringVal(a.Value))
			sub[name] = a.Range
		case "benito:ports":
			n, _ := strconv.Atoi(a.Value)
			b.SetAttributeValue("ports", cty.NumberIntVal(int64(n)))
			sub["ports"] = a.Range
		case AttrVDESwitch:
			comment(b, fmt.Sprintf("%s was %q: benito places the switch's socket itself.", a.Name, a.Value))
		default:
			comment(b, fmt.Sprintf("Attribute %s = %q (line %d) kept as a comment: switches have no attribute map.", a.Name, a.Value, a.Range.Start.Line))
			*diags = append(*diags, warning(a.Range, "Substrate attribute not imported",
				"Substrate %q has attribute %q, which benito's switches have no place for; it is kept as a comment.", s.Name, a.Name))
		}
	}
	return f, sub
}

// shapingAttrs writes capacity and latency. prefix is "" for a switch and
// "interface NAME/" for an interface, for the line map.
func (g *gen) shapingAttrs(b *hclwrite.Body, c *Capacity, l *Latency, sub map[string]hcl.Range, prefix string, rng hcl.Range) {
	if c != nil {
		if c.Kind == "average" {
			comment(b, "TopDL capacity kind \"average\": benito shapes to the rate as a maximum.")
		}
		if c.Rate == 0 {
			comment(b, "TopDL capacity 0: not shaped.")
		} else {
			b.SetAttributeValue("capacity", cty.StringVal(FormatRate(c.Rate)))
			sub[prefix+"capacity"] = rng
		}
	}
	if l != nil {
		if l.Kind == "average" {
			comment(b, "TopDL latency kind \"average\": benito delays every packet by this much.")
		}
		if l.Time > 0 {
			b.SetAttributeValue("latency", cty.StringVal(FormatLatency(l.Time)))
			sub[prefix+"latency"] = rng
		}
	}
}

// FormatRate writes a TopDL rate (kbit/s) with the largest unit that keeps
// it whole: 100000 → "100Mbit".
func FormatRate(kbits float64) string {
	bps := math.Round(kbits * 1000)
	for _, u := range []struct {
		f float64
		s string
	}{{1e12, "Tbit"}, {1e9, "Gbit"}, {1e6, "Mbit"}, {1e3, "kbit"}} {
		if q := bps / u.f; q >= 1 && q == math.Trunc(q) {
			return strconv.FormatFloat(q, 'f', -1, 64) + u.s
		}
	}
	return strconv.FormatFloat(bps, 'f', -1, 64) + "bit"
}

// FormatLatency writes a TopDL latency (ms) as a Go duration: 10 → "10ms".
func FormatLatency(ms float64) string {
	return time.Duration(math.Round(ms * float64(time.Millisecond))).String()
}

func (g *gen) computer(c *Computer, addrs map[*Interface]netip.Prefix, diags *hcl.Diagnostics) (*hclwrite.File, map[string]hcl.Range) {
	f := hclwrite.NewEmptyFile()
	root := f.Body()
	sub := map[string]hcl.Range{}
	if a, ok := Attr(c.Attributes, AttrNodeType); ok && a.Value == TypeEmbeddedPnode {
		comment(root, fmt.Sprintf("Computer %q (line %d) is an embedded_pnode: the physical host itself. benito creates nothing for it.", c.Name, c.Range.Start.Line))
		for _, ifc := range c.Interfaces {
			comment(root, fmt.Sprintf("Its interface %s on %s is not created either.", ifc.Name, ifc.Substrate))
		}
		return f, sub
	}
	blk := root.AppendNewBlock("vnode", []string{c.Name})
	b := blk.Body()
	attrs := map[string]string{} // the attributes map
	if _, ok := Attr(c.Attributes, AttrNodeType); !ok {
		comment(b, "No containers:node_type: the site's default_type applies (DETER's default was qemu).")
	}
	for _, a := range c.Attributes {
		switch a.Name {
		case AttrNodeType:
			b.SetAttributeValue("type", cty.StringVal(a.Value))
			sub["type"] = a.Range
		case AttrStartup:
			b.SetAttributeValue("startup", cty.StringVal(a.Value))
			sub["startup"] = a.Range
		case AttrPartition:
			comment(b, "containers:partition: the physical host the node is placed on (one host for now).")
			b.SetAttributeValue("partition", cty.StringVal(a.Value))
			sub["partition"] = a.Range
		case AttrGhost:
			if v, _ := ParseBool(a.Value); v {
				comment(b, "containers:ghost: the node is created but not started.")
				b.SetAttributeValue("ghost", cty.True)
				sub["ghost"] = a.Range
			}
		case AttrOpenVZTemplate, "benito:image":
			if a.Name == AttrOpenVZTemplate {
				comment(b, "containers:openvz_template: the node's template.")
			}
			b.SetAttributeValue("image", cty.StringVal(a.Value))
			sub["image"] = a.Range
		case AttrOpenVZDisk:
			// A size vzctl takes ("2G", bytes): the node's diskspace; anything
			// else stays an attribute, as DETER had it.
			n, err := contract.ParseDiskspace(a.Value)
			if err != nil || contract.CheckDiskspace(n) != nil {
				attrs[a.Name] = a.Value
				sub["attributes"] = a.Range
				break
			}
			comment(b, "containers:openvz_diskspace: the most the container may write.")
			b.SetAttributeValue("diskspace", cty.StringVal(a.Value))
			sub["diskspace"] = a.Range
		case "benito:memory", "benito:cpus":
			n, _ := strconv.Atoi(a.Value)
			name := strings.TrimPrefix(a.Name, "benito:")
			b.SetAttributeValue(name, cty.NumberIntVal(int64(n)))
			sub[name] = a.Range
		case "benito:route":
			// Routes become blocks below.
		default:
			if _, dup := attrs[a.Name]; dup {
				comment(b, fmt.Sprintf("A second attribute %s = %q (line %d) was dropped: the attributes map keeps the first.", a.Name, a.Value, a.Range.Start.Line))
				*diags = append(*diags, warning(a.Range, "Repeated attribute", "Computer %q sets %q more than once; the first value is kept.", c.Name, a.Name))
				continue
			}
			attrs[a.Name] = a.Value
			sub["attributes"] = a.Range
		}
	}
	for i, o := range c.OS {
		if i > 0 {
			comment(b, fmt.Sprintf("A further os %q was dropped: a node runs one.", o.Name))
			continue
		}
		if o.Name != "" {
			b.SetAttributeValue("os", cty.StringVal(o.Name))
		}
		for k, v := range map[string]string{"os.version": o.Version, "os.distribution": o.Distribution, "os.distributionversion": o.DistributionVersion} {
			if v != "" {
				attrs[k] = v
			}
		}
	}
	for i, s := range c.Software {
		attrs[fmt.Sprintf("software.%d.location", i)] = s.Location
		if s.Install != "" {
			attrs[fmt.Sprintf("software.%d.install", i)] = s.Install
		}
	}
	for _, ifc := range c.Interfaces {
		for _, a := range ifc.Attributes {
			switch a.Name {
			case AttrIP4Address, AttrIP4Netmask, AttrMAC, AttrVDESwitch, AttrVDEPort, "benito:mtu", "benito:loss":
			default:
				attrs["interface."+ifc.Name+"."+a.Name] = a.Value
			}
		}
	}
	if len(attrs) > 0 {
		m := map[string]cty.Value{}
		for k, v := range attrs {
			m[k] = cty.StringVal(v)
		}
		comment(b, "Attributes benito does not interpret, carried through to the node's provider.")
		b.SetAttributeValue("attributes", cty.MapVal(m))
	}
	for _, ifc := range c.Interfaces {
		b.AppendNewline()
		ib := b.AppendNewBlock("interface", []string{ifc.Name}).Body()
		key := "interface " + ifc.Name
		sub[key] = ifc.Range
		ib.SetAttributeTraversal("switch", hcl.Traversal{hcl.TraverseRoot{Name: "switch"}, hcl.TraverseAttr{Name: ifc.Substrate}})
		addr, hasAddr := Attr(ifc.Attributes, AttrIP4Address)
		mask, hasMask := Attr(ifc.Attributes, AttrIP4Netmask)
		switch {
		case hasAddr && hasMask:
			ib.SetAttributeValue("ip4_address", cty.StringVal(addr.Value))
			ib.SetAttributeValue("ip4_netmask", cty.StringVal(mask.Value))
			sub[key+"/ip4_address"], sub[key+"/ip4_netmask"] = addr.Range, mask.Range
		case hasAddr:
			comment(ib, "The file gives no ip4_netmask: /24 is assumed.")
			ib.SetAttributeValue("ip4_address", cty.StringVal(addrs[ifc].String()))
			sub[key+"/ip4_address"] = addr.Range
		default:
			if p, ok := addrs[ifc]; ok {
				comment(ib, "Allocated by the importer: the file gives no address.")
				ib.SetAttributeValue("ip4_address", cty.StringVal(p.String()))
			}
		}
		if a, ok := Attr(ifc.Attributes, AttrMAC); ok {
			ib.SetAttributeValue("mac_address", cty.StringVal(a.Value))
			sub[key+"/mac_address"] = a.Range
		}
		if a, ok := Attr(ifc.Attributes, "benito:mtu"); ok {
			n, _ := strconv.Atoi(a.Value)
			ib.SetAttributeValue("mtu", cty.NumberIntVal(int64(n)))
			sub[key+"/mtu"] = a.Range
		}
		g.shapingAttrs(ib, ifc.Capacity, ifc.Latency, sub, key+"/", ifc.Range)
		if a, ok := Attr(ifc.Attributes, "benito:loss"); ok {
			ib.SetAttributeValue("loss", cty.StringVal(a.Value))
			sub[key+"/loss"] = a.Range
		}
		var was []string
		for _, n := range []string{AttrVDESwitch, AttrVDEPort} {
			if a, ok := Attr(ifc.Attributes, n); ok {
				was = append(was, fmt.Sprintf("%s %s", n, a.Value))
			}
		}
		if len(was) > 0 {
			comment(ib, fmt.Sprintf("Was %s: benito places sockets and numbers ports itself, keeping them stable across plans.", strings.Join(was, ", ")))
		}
	}
	for _, a := range c.Attributes {
		if a.Name != "benito:route" {
			continue
		}
		dest, gw, dev, metric, err := ParseRoute(a.Value)
		if err != nil {
			*diags = append(*diags, errorAt(a.Range, "Invalid benito:route", "Computer %q: %s. Write routes as DEST [via GATEWAY] [dev IFACE] [metric N].", c.Name, err))
			continue
		}
		b.AppendNewline()
		rb := b.AppendNewBlock("route", nil).Body()
		rb.SetAttributeValue("destination", cty.StringVal(dest.String()))
		if gw.IsValid() {
			rb.SetAttributeValue("gateway", cty.StringVal(gw.String()))
		}
		if dev != "" {
			rb.SetAttributeValue("device", cty.StringVal(dev))
		}
		if metric != 0 {
			rb.SetAttributeValue("metric", cty.NumberIntVal(int64(metric)))
		}
	}
	return f, sub
}

// allocate gives every interface of a created node an address: the one the
// file gives (with /24 when it gives no netmask), or one allocated per
// substrate. A substrate whose nodes have some addresses fills the others
// from the first one's subnet; otherwise it takes the next /24 from
// 10.0.1.0 on that no address of the file overlaps. Hosts are numbered in
// file order, so the result is deterministic.
func allocate(t *Topology) (map[*Interface]netip.Prefix, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	out := map[*Interface]netip.Prefix{}
	members := map[string][]*Interface{}
	var used []netip.Prefix
	taken := map[netip.Addr]bool{}
	for _, c := range t.Computers {
		if a, ok := Attr(c.Attributes, AttrNodeType); ok && a.Value == TypeEmbeddedPnode {
			continue
		}
		for _, ifc := range c.Interfaces {
			members[ifc.Substrate] = append(members[ifc.Substrate], ifc)
			a, ok := Attr(ifc.Attributes, AttrIP4Address)
			if !ok {
				continue
			}
			addr, err := netip.ParseAddr(a.Value)
			if err != nil {
				continue // Read reported it
			}
			bits := 24
			if m, ok := Attr(ifc.Attributes, AttrIP4Netmask); ok {
				bits, _ = netmask.Parse(m.Value) // Read reported an invalid one
			}
			p := netip.PrefixFrom(addr, bits)
			out[ifc] = p
			used = append(used, p.Masked())
			taken[addr] = true
		}
	}
	overlaps := func(p netip.Prefix) bool {
		for _, u := range used {
			if u.Overlaps(p) {
				return true
			}
		}
		return false
	}
	next := 1 // 10.0.1.0/24 first
	for _, s := range t.Substrates {
		var base netip.Prefix
		for _, ifc := range members[s.Name] {
			if p, ok := out[ifc]; ok {
				base = p.Masked()
				break
			}
		}
		for _, ifc := range members[s.Name] {
			if _, ok := out[ifc]; ok {
				continue
			}
			if !base.IsValid() {
				for ; next < 1<<16; next++ {
					p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(next >> 8), byte(next), 0}), 24)
					if !overlaps(p) {
						base = p
						used = append(used, p)
						next++
						break
					}
				}
				if !base.IsValid() {
					diags = append(diags, errorAt(s.Range, "No subnet left", "No free /24 in 10.0.0.0/8 is left for substrate %q. Give its interfaces addresses in the file.", s.Name))
					return nil, diags
				}
			}
			addr, ok := freeHost(base, taken)
			if !ok {
				diags = append(diags, errorAt(ifc.Range, "No address left",
					"Substrate %q has no free address left in %s for interface %q. Give it an address in the file, or widen the netmask.", s.Name, base, ifc.Name))
				return nil, diags
			}
			taken[addr] = true
			out[ifc] = netip.PrefixFrom(addr, base.Bits())
		}
	}
	return out, diags
}

// freeHost returns the lowest host address of p not yet taken (not the
// network or broadcast address, for prefixes that have them).
func freeHost(p netip.Prefix, taken map[netip.Addr]bool) (netip.Addr, bool) {
	first := p.Masked().Addr()
	size := uint64(1) << (32 - p.Bits())
	lo, hi := uint64(0), size-1
	if p.Bits() < 31 {
		lo, hi = 1, size-2
	}
	b := first.As4()
	base := uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
	for i := lo; i <= hi && i < lo+1<<16; i++ {
		v := base + i
		a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		if !taken[a] {
			return a, true
		}
	}
	return netip.Addr{}, false
}
