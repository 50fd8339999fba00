package hcl

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/benito-net/benito/dag"
	"github.com/benito-net/benito/internal/parallel"
	"github.com/benito-net/benito/internal/suggest"
)

// roots maps the names an expression may start with to the block kinds they
// refer to; count and each are per instance and belong to no block.
var roots = map[string]string{
	"var":      kindVariable,
	"local":    kindLocal,
	kindSwitch: kindSwitch,
	kindBridge: kindBridge,
	kindVNode:  kindVNode,
	kindTap:    kindTap,
}

var rootNames = []string{"bridge", "count", "each", "local", "switch", "tap", "var", "vnode"}

// link finds every block's references and turns them into dependency
// edges. References to nothing are reported here, once, with a suggestion.
// Blocks are linked in parallel: linking reads the declarations and writes
// only the block's own fields.
func (d *decls) link() hcl.Diagnostics {
	parts := parallel.Map(len(d.blocks), chunkMin, func(lo, hi int) hcl.Diagnostics {
		var diags hcl.Diagnostics
		for _, b := range d.blocks[lo:hi] {
			switch {
			case b.kind == kindVariable:
				// A default is a constant; HCL reports references in it.
			case b.expr != nil:
				diags = append(diags, d.linkExpr(b, b.expr, "")...)
			case b.body != nil:
				diags = append(diags, d.linkBody(b, b.body)...)
			}
			if (b.kind == kindSwitch || b.kind == kindVNode) && d.site != nil {
				// Defaults for kind and type come from the site block.
				addDep(b, d.site, b.def)
			}
			if b.kind == kindVNode {
				d.linkSwitchNames(b)
			}
		}
		return diags
	})
	var diags hcl.Diagnostics
	for _, p := range parts {
		diags = append(diags, p...)
	}
	for _, b := range d.blocks {
		b.depSet = nil
		for _, e := range b.deps {
			e.to.used = true
		}
	}
	return diags
}

// chunkMin is the fewest blocks worth a goroutine of their own: with fewer,
// splitting the work costs more than it saves.
const chunkMin = 256

func (d *decls) linkBody(b *block, body *hclsyntax.Body) hcl.Diagnostics {
	var diags hcl.Diagnostics
	attrs := make([]*hclsyntax.Attribute, 0, len(body.Attributes))
	for _, a := range body.Attributes {
		attrs = append(attrs, a)
	}
	// Source order, so that edges and hence messages are deterministic.
	slices.SortFunc(attrs, func(a, b *hclsyntax.Attribute) int { return a.SrcRange.Start.Byte - b.SrcRange.Start.Byte })
	for _, a := range attrs {
		meta := ""
		if body == b.body && (a.Name == "count" || a.Name == "for_each") {
			meta = a.Name
		}
		diags = append(diags, d.linkExpr(b, a.Expr, meta)...)
	}
	for _, nb := range body.Blocks {
		diags = append(diags, d.linkBody(b, nb.Body)...)
	}
	return diags
}

// linkExpr handles the references of one expression. meta names the
// meta-argument the expression belongs to, if any: count and for_each
// cannot use the values they define.
func (d *decls) linkExpr(b *block, expr hcl.Expression, meta string) hcl.Diagnostics {
	if _, ok := literal(expr); ok {
		return nil
	}
	if x, ok := expr.(*hclsyntax.ScopeTraversalExpr); ok {
		// The common reference, switch = switch.lan0, without a walk.
		if diag := d.linkTraversal(b, x.Traversal, meta); diag != nil {
			return hcl.Diagnostics{diag}
		}
		return nil
	}
	var diags hcl.Diagnostics
	for _, t := range expr.Variables() {
		if diag := d.linkTraversal(b, t, meta); diag != nil {
			diags = append(diags, diag)
		}
	}
	return diags
}

func (d *decls) linkTraversal(b *block, t hcl.Traversal, meta string) *hcl.Diagnostic {
	root := t.RootName()
	rng := t.SourceRange()
	attr := ""
	if len(t) > 1 {
		if ta, ok := t[1].(hcl.TraverseAttr); ok {
			attr = ta.Name
		}
	}
	switch root {
	case "count", "each":
		b.refs = append(b.refs, ref{root: root})
		want, has := "count", b.counted
		if root == "each" {
			want, has = "for_each", b.forEach
		}
		switch {
		case meta != "":
			return &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Reference to %q in %s", root, meta),
				Detail: fmt.Sprintf("%s is what %s defines, so it cannot be used to compute %s. Use a variable or a local value instead.",
					root, meta, meta),
				Subject: rng.Ptr(),
			}
		case !has:
			fix := fmt.Sprintf("Add %s to %s, or remove the reference.", want, b.addr)
			if b.body == nil || b.kind == kindOutput || b.kind == kindExperiment || b.kind == kindSite {
				fix = fmt.Sprintf("A %s cannot have %s: remove the reference.", kindWord(b.kind), want)
			}
			return &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Reference to %q in a block without %s", root, want),
				Detail:   fmt.Sprintf("%s is only defined inside a block that sets %s. %s", root, want, fix),
				Subject:  rng.Ptr(),
			}
		case root == "count" && attr != "index":
			return &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid count reference",
				Detail:   "count has only the attribute index: write count.index.",
				Subject:  rng.Ptr(),
			}
		case root == "each" && attr != "key" && attr != "value":
			return &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid each reference",
				Detail:   "each has only the attributes key and value: write each.key or each.value.",
				Subject:  rng.Ptr(),
			}
		}
		return nil
	}
	kind, ok := roots[root]
	if !ok && d.resourceTypes[root] {
		kind, ok = kindResource, true
	}
	if !ok {
		b.refs = append(b.refs, ref{root: root})
		detail := fmt.Sprintf("There is no value named %q. References start with %s.", root, strings.Join(rootNames, ", "))
		if s := suggest.Nearest(root, rootNames); s != "" {
			detail = fmt.Sprintf("There is no value named %q. Did you mean %q?", root, s)
		}
		if root == kindRoute || root == kindOutput || root == kindSite || root == kindExperiment {
			detail = fmt.Sprintf("%s blocks cannot be referred to; only %s can.", root, strings.Join(rootNames, ", "))
		}
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Unknown name %q", root), Detail: detail, Subject: rng.Ptr()}
	}
	if attr == "" {
		b.refs = append(b.refs, ref{root: root})
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid reference",
			Detail:   fmt.Sprintf("%s must be followed by the name of a %s, as in %s.NAME.", root, kindWord(kind), root),
			Subject:  rng.Ptr(),
		}
	}
	target := d.byAddr[root+"."+attr]
	if kind == kindVariable {
		target = d.byAddr["var."+attr]
	}
	b.refs = append(b.refs, ref{root: root, name: attr, target: target})
	if target == nil {
		detail := fmt.Sprintf("No %s named %q is declared.", kindWord(kind), attr)
		if s := suggest.Nearest(attr, d.labels[kind]); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		} else {
			decl := fmt.Sprintf("%s %q { ... }", kind, attr)
			switch kind {
			case kindVariable:
				decl = fmt.Sprintf("variable %q {}", attr)
			case kindLocal:
				decl = fmt.Sprintf("locals { %s = ... }", attr)
			}
			detail += fmt.Sprintf(" Declare it with %s, or fix the reference.", decl)
		}
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Reference to undeclared %s %q", kindWord(kind), attr),
			Detail:   detail,
			Subject:  rng.Ptr(),
		}
	}
	addDep(b, target, rng)
	return nil
}

// linkSwitchNames adds edges for interfaces that name their switch with a
// constant string rather than a reference, so that the switch, and with it
// the subnet an address may take its prefix length from, is evaluated first.
// Any switch block that could make the instance is a dependency: a
// counted lan makes lan-0, lan-1, ...
func (d *decls) linkSwitchNames(b *block) {
	for _, nb := range b.body.Blocks {
		if nb.Type != "interface" {
			continue
		}
		a := nb.Body.Attributes["switch"]
		if a == nil {
			continue
		}
		v, ok := literal(a.Expr)
		if !ok || v.IsNull() || v.Type() != cty.String {
			continue
		}
		s := v.AsString()
		if t := d.byAddr["switch."+s]; t != nil && !t.counted && !t.forEach {
			addDep(b, t, a.Expr.Range())
		}
		for i := 0; i < len(s); i++ {
			if s[i] != '-' {
				continue
			}
			if t := d.byAddr["switch."+s[:i]]; t != nil && (t.counted || t.forEach) {
				addDep(b, t, a.Expr.Range())
			}
		}
	}
}

// addDep adds an edge from b to target unless there is one already. Most
// blocks refer to a few others, for which a scan is cheapest.
func addDep(b, target *block, rng hcl.Range) {
	if b.depSet != nil {
		if b.depSet[target] {
			return
		}
		b.depSet[target] = true
	} else {
		for _, e := range b.deps {
			if e.to == target {
				return
			}
		}
		if len(b.deps) == 16 {
			b.depSet = make(map[*block]bool, 32)
			for _, e := range b.deps {
				b.depSet[e.to] = true
			}
			b.depSet[target] = true
		}
	}
	b.deps = append(b.deps, dep{to: target, rng: rng})
}

// kindWord is how messages name a kind of block.
func kindWord(kind string) string {
	switch kind {
	case kindLocal:
		return "local value"
	case kindVNode:
		return "vnode"
	}
	return kind
}

// order returns the blocks as strongly connected components, each after
// every component it depends on, and the cycles among them by the block
// each starts at: the shortest way from the first-declared block of a
// component back to itself, and each block that refers to itself. A
// component with a cycle cannot be evaluated.
func order(blocks []*block) (comps [][]*block, cycles map[*block][][]*block) {
	g := dag.NewSized(func(a, b *block) bool { return a.order < b.order }, len(blocks))
	for _, b := range blocks {
		g.Add(b)
	}
	for _, b := range blocks {
		for _, e := range b.deps {
			g.Connect(b, e.to)
		}
	}
	for _, c := range g.Cycles() {
		if cycles == nil {
			cycles = map[*block][][]*block{}
		}
		cycles[c[0]] = append(cycles[c[0]], c)
	}
	return g.Components(), cycles
}

// cycleDiagnostic describes a cycle: each block of it refers to the next,
// and the last to the first.
func cycleDiagnostic(cycle []*block) *hcl.Diagnostic {
	start := cycle[0]
	names := make([]string, 0, len(cycle)+1)
	why := make([]string, 0, len(cycle))
	for i, b := range cycle {
		next := cycle[(i+1)%len(cycle)]
		names = append(names, b.addr)
		// The first reference to next in b, in source order.
		var rng hcl.Range
		for _, e := range b.deps {
			if e.to == next {
				rng = e.rng
				break
			}
		}
		why = append(why, fmt.Sprintf("%s refers to %s at %s", b.addr, next.addr, rangeString(rng)))
	}
	names = append(names, start.addr)
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Dependency cycle: " + strings.Join(names, " → "),
		Detail: fmt.Sprintf("%s. A block is evaluated after every block it refers to, so blocks cannot refer to each other "+
			"in a circle: remove one of these references, or compute the value from variables or locals instead.",
			strings.Join(why, "; ")),
		Subject: start.def.Ptr(),
	}
}
