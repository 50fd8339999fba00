package hcl

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/contract"
)

// Block types of the top level.
const (
	kindExperiment = "experiment"
	kindSite       = "site"
	kindVariable   = "variable"
	kindLocals     = "locals"
	kindLocal      = "local" // one attribute of a locals block
	kindOutput     = "output"
	kindSwitch     = "switch"
	kindBridge     = "bridge"
	kindVNode      = "vnode"
	kindTap        = "tap"
	kindRoute      = "route"
)

// rootS is the top level: the blocks of the language (language.go).
var rootS = compile((&BlockSpec{Blocks: language}).schema())

// block is one node of the dependency graph: a top-level block, one local
// value or one variable.
type block struct {
	kind  string
	name  string // label or local name; empty for experiment and site
	addr  string // how messages name it: var.n, local.a, vnode.a, site
	order int    // declaration order, files sorted by name
	def   hcl.Range
	body  *hclsyntax.Body // nil for a local
	expr  hcl.Expression  // a local's expression
	label hcl.Range       // the label, for name errors
	v     *variable       // for a variable
	rtype string          // a resource block's type

	// counted and forEach say which meta-argument the block has, so that
	// references to count and each can be checked before evaluation.
	counted, forEach bool

	deps   []dep
	depSet map[*block]bool // dedupes deps once there are many
	refs   []ref
	level  int // 1 + the highest level of its dependencies

	// used is set when another block refers to this one: only then is its
	// reference value worth building.
	used   bool
	failed bool
	value  cty.Value
	// insts maps instance keys ("" alone, "0", "1" for count, the key for
	// for_each) to instances, for depends_on.
	insts map[string]addrs.Instance
	// instOrder lists the instances in index or key order.
	instOrder []addrs.Instance
}

// dep is an edge of the dependency graph, with the reference that made it.
type dep struct {
	to  *block
	rng hcl.Range
}

// ref is a reference found in a block's expressions. target is nil when it
// names nothing, in which case evaluation sees an unknown value and stays
// quiet, since the reference was reported already.
type ref struct {
	root, name string
	target     *block
}

// decls gathers the declarations of every file before anything is evaluated.
type decls struct {
	blocks     []*block          // declaration order
	byAddr     map[string]*block // var.n, local.a, switch.lan0, output.x, route.r
	labels     map[string][]string
	variables  []*variable // sorted by name
	experiment *block
	site       *block
	// resourceTypes are the types of the resource blocks, which
	// references may start with.
	resourceTypes map[string]bool
}

func (d *decls) add(b *block) {
	b.order = len(d.blocks)
	b.value = cty.DynamicVal
	d.blocks = append(d.blocks, b)
	if d.byAddr == nil {
		d.byAddr = map[string]*block{}
		d.labels = map[string][]string{}
	}
	if b.name != "" {
		d.byAddr[b.addr] = b
		d.labels[b.kind] = append(d.labels[b.kind], b.name)
	}
}

// collect adds the declarations of one file.
func (d *decls) collect(body *hclsyntax.Body) hcl.Diagnostics {
	content, diags := rootS.decode(body)
	for _, hb := range content.blocks {
		sb := hb.Body
		switch hb.Type {
		case kindExperiment:
			if d.experiment != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate experiment block",
					Detail: fmt.Sprintf("An experiment block was already declared at %s. A configuration describes exactly one experiment: "+
						"remove this block, or move it to a directory of its own.", rangeString(d.experiment.def)),
					Subject: hb.DefRange().Ptr(),
				})
				continue
			}
			b := &block{kind: kindExperiment, name: hb.Labels[0], addr: "experiment", def: hb.DefRange(), body: sb, label: hb.LabelRanges[0]}
			diags = append(diags, checkName("experiment", b.name, b.label)...)
			d.experiment = b
			d.add(b)
		case kindSite:
			if d.site != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate site block",
					Detail: fmt.Sprintf("A site block was already declared at %s. Put every site setting in that one block.",
						rangeString(d.site.def)),
					Subject: hb.DefRange().Ptr(),
				})
				continue
			}
			d.site = &block{kind: kindSite, addr: "site", def: hb.DefRange(), body: sb}
			d.add(d.site)
		case kindLocals:
			attrs, adiags := sb.JustAttributes()
			diags = append(diags, adiags...)
			for _, a := range sortedAttrs(attrs) {
				addr := "local." + a.Name
				if prev := d.byAddr[addr]; prev != nil {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  fmt.Sprintf("Duplicate local value %q", a.Name),
						Detail: fmt.Sprintf("A local value named %q was already declared at %s. Local value names must be unique "+
							"across all locals blocks: rename or remove one of them.", a.Name, rangeString(prev.def)),
						Subject: a.NameRange.Ptr(),
					})
					continue
				}
				d.add(&block{kind: kindLocal, name: a.Name, addr: addr, def: a.Range, expr: a.Expr, label: a.NameRange})
			}
		case kindResource:
			diags = append(diags, d.collectResource(hb)...)
		default:
			name := hb.Labels[0]
			addr := hb.Type + "." + name
			if hb.Type == kindVariable {
				addr = "var." + name
			}
			if prev := d.byAddr[addr]; prev != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  fmt.Sprintf("Duplicate %s %q", hb.Type, name),
					Detail: fmt.Sprintf("A %s named %q was already declared at %s. Labels of one block type must be unique: "+
						"rename or remove one of them.", hb.Type, name, rangeString(prev.def)),
					Subject: hb.LabelRanges[0].Ptr(),
				})
				continue
			}
			b := &block{kind: hb.Type, name: name, addr: addr, def: hb.DefRange(), body: sb, label: hb.LabelRanges[0]}
			if hb.Type == kindVariable {
				if !hclsyntax.ValidIdentifier(name) {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  "Invalid variable name",
						Detail: fmt.Sprintf("%q cannot be referred to as var.%s: a variable name must start with a letter or "+
							"underscore and hold only letters, digits, underscores and dashes.", name, name),
						Subject: b.label.Ptr(),
					})
				}
				b.v = &variable{block: b}
				d.variables = append(d.variables, b.v)
			} else {
				diags = append(diags, checkName(hb.Type, name, b.label)...)
			}
			_, b.counted = sb.Attributes["count"]
			_, b.forEach = sb.Attributes["for_each"]
			d.add(b)
		}
	}
	return diags
}

// finish checks what only the whole configuration can tell.
func (d *decls) finish(dir string) hcl.Diagnostics {
	sort.Slice(d.variables, func(i, j int) bool { return d.variables[i].name() < d.variables[j].name() })
	if d.experiment == nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Missing experiment block",
			Detail: fmt.Sprintf("No .hcl file of %s declares the experiment. Add exactly one block naming it, for example\n\n"+
				"  experiment \"demo\" {}\n\nThe name keeps experiments on one host apart.", dir),
		}}
	}
	return nil
}

// checkName reports a label that is not a valid benito name.
func checkName(what, name string, rng hcl.Range) hcl.Diagnostics {
	if addrs.ValidName(name) {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Invalid %s name %q", what, name),
		Detail: fmt.Sprintf("A %s name may only hold letters, digits, '_' and '-', since it becomes part of host device, "+
			"file and resource names. Rename it, for example to %q.", what, suggestName(name)),
		Subject: rng.Ptr(),
	}}
}

// checkInterfaceName reports an interface label that is not a valid
// benito name or that the node could not have as a device name
// (contract.CheckInterfaceName: too long, beginning with '-', "lo", ...).
func checkInterfaceName(name string, rng hcl.Range) hcl.Diagnostics {
	if d := checkName("interface", name, rng); d != nil {
		return d
	}
	if err := contract.CheckInterfaceName(name); err != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Invalid interface name %q", name),
			Detail:   fmt.Sprintf("The interface becomes a device of that name inside the node: %v. Rename it, for example to \"eth0\".", err),
			Subject:  rng.Ptr(),
		}}
	}
	return nil
}

// suggestName turns an invalid name into a valid one, for messages.
func suggestName(s string) string {
	out := []byte(s)
	for i, c := range out {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			out[i] = '-'
		}
	}
	if len(out) == 0 {
		return "x"
	}
	return string(out)
}

// sortedAttrs returns attributes in source order.
func sortedAttrs(attrs hcl.Attributes) []*hcl.Attribute {
	list := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		list = append(list, a)
	}
	sort.Slice(list, func(i, j int) bool { return rangeLess(list[i].Range, list[j].Range) })
	return list
}

func rangeLess(a, b hcl.Range) bool {
	if a.Filename != b.Filename {
		return a.Filename < b.Filename
	}
	return a.Start.Byte < b.Start.Byte
}

// rangeString names a source position the way people read it: file:line,col.
func rangeString(r hcl.Range) string {
	return fmt.Sprintf("%s:%d,%d", r.Filename, r.Start.Line, r.Start.Column)
}
