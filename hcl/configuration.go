package hcl

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/internal/parallel"
)

// The configuration as Terraform's JSON configuration representation
// shows it (the "configuration" of a JSON plan, docs/json-plan.md):
//
//	{"root_module": {"outputs": {...}, "resources": [...], "variables": {...}}}
//
// Each resource block is {"address", "mode", "type", "name",
// "expressions", "schema_version", "count_expression",
// "for_each_expression", "depends_on"}. An expression is recorded as its
// references, unwrapped step by step as Terraform does
// (vnode.b.interface["eth0"].ip4_address, ..., vnode.b.interface,
// vnode.b), or, when it refers to nothing and is a constant, as its
// constant_value. A nested block type maps to a list of such maps, in
// source order, a labelled block (interface "eth0") with its labels as
// constants under their names (name).
//
// It is written directly, object keys sorted as encoding/json sorts a
// map's, without HTML escaping: a large experiment has as many resource
// blocks as nodes, and building maps for encoding/json to sort and walk
// cost more than loading them.

// resourceKinds are the blocks the configuration lists as resources.
var resourceKinds = map[string]bool{
	kindSwitch: true, kindBridge: true, kindTap: true, kindVNode: true, kindRoute: true, kindResource: true,
}

// configuration returns the configuration of d as compact JSON. The
// declarations must have loaded without errors.
func configuration(d *decls) []byte {
	var blocks, outputs, variables []*block
	for _, b := range d.blocks {
		switch {
		case resourceKinds[b.kind]:
			blocks = append(blocks, b)
		case b.kind == kindOutput:
			outputs = append(outputs, b)
		case b.kind == kindVariable && b.v != nil:
			variables = append(variables, b)
		}
	}
	byAddr := func(a, b *block) int { return strings.Compare(a.addr, b.addr) }
	slices.SortFunc(blocks, byAddr)
	slices.SortFunc(outputs, func(a, b *block) int { return strings.Compare(a.name, b.name) })
	slices.SortFunc(variables, func(a, b *block) int { return strings.Compare(a.name, b.name) })

	// Resource blocks are written independently, in parallel.
	parts := parallel.Map(len(blocks), chunkMin, func(lo, hi int) []byte {
		w := newConfigWriter()
		for i := lo; i < hi; i++ {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.resource(blocks[i])
		}
		return w.b
	})

	w := newConfigWriter()
	w.b = append(w.b, `{"root_module":{`...)
	sep := ""
	if len(outputs) > 0 {
		w.b = append(w.b, `"outputs":{`...)
		for i, b := range outputs {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.str(b.name)
			w.b = append(w.b, ':')
			w.output(b)
		}
		w.b = append(w.b, '}')
		sep = ","
	}
	if len(blocks) > 0 {
		w.b = append(w.b, sep...)
		w.b = append(w.b, `"resources":[`...)
		for _, p := range parts {
			w.b = append(w.b, p...)
		}
		w.b = append(w.b, ']')
		sep = ","
	}
	if len(variables) > 0 {
		w.b = append(w.b, sep...)
		w.b = append(w.b, `"variables":{`...)
		for i, b := range variables {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.str(b.name)
			w.b = append(w.b, ':')
			w.variable(b.v)
		}
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, "}}"...)
	return w.b
}

// configWriter appends the configuration's JSON to b. Strings go through
// encoding/json (without HTML escaping), by way of buf.
type configWriter struct {
	b   []byte
	buf bytes.Buffer
	enc *json.Encoder
}

func newConfigWriter() *configWriter {
	w := &configWriter{}
	w.enc = json.NewEncoder(&w.buf)
	w.enc.SetEscapeHTML(false)
	return w
}

// str appends s as a JSON string.
func (w *configWriter) str(s string) {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		plain = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\'
	}
	if plain {
		// Nothing to escape.
		w.b = append(w.b, '"')
		w.b = append(w.b, s...)
		w.b = append(w.b, '"')
		return
	}
	w.buf.Reset()
	_ = w.enc.Encode(s) // a string always encodes
	w.b = append(w.b, bytes.TrimSuffix(w.buf.Bytes(), []byte("\n"))...)
}

func (w *configWriter) key(first *bool, name string) {
	if !*first {
		w.b = append(w.b, ',')
	}
	*first = false
	w.str(name)
	w.b = append(w.b, ':')
}

func (w *configWriter) strings(ss []string) {
	w.b = append(w.b, '[')
	for i, s := range ss {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.str(s)
	}
	w.b = append(w.b, ']')
}

// resource appends one resource block, its keys in sorted order.
func (w *configWriter) resource(b *block) {
	typ := b.kind
	if b.kind == kindResource {
		typ = b.rtype
	}
	first := true
	w.b = append(w.b, '{')
	w.key(&first, "address")
	w.str(b.addr)
	if a := b.body.Attributes["count"]; a != nil {
		w.key(&first, "count_expression")
		w.expression(a.Expr)
	}
	if a := b.body.Attributes["depends_on"]; a != nil {
		w.key(&first, "depends_on")
		w.strings(dependsOn(a.Expr))
	}
	if len(b.body.Attributes) > 0 || len(b.body.Blocks) > 0 {
		mark, wasFirst := len(w.b), first
		w.key(&first, "expressions")
		if !w.body(b.body, specOf(b.kind), true, nil) {
			// Only meta-arguments: no expressions.
			w.b, first = w.b[:mark], wasFirst
		}
	}
	if a := b.body.Attributes["for_each"]; a != nil {
		w.key(&first, "for_each_expression")
		w.expression(a.Expr)
	}
	w.key(&first, "mode")
	w.str("managed")
	w.key(&first, "name")
	w.str(b.name)
	w.key(&first, "schema_version")
	w.b = append(w.b, '0')
	w.key(&first, "type")
	w.str(typ)
	w.b = append(w.b, '}')
}

// body appends the expressions of a body: its attributes, each nested
// block type as a list, and labels (for a nested block) as constants;
// at the top of a resource block, the meta-arguments are left out. It
// reports whether it wrote anything besides {}.
func (w *configWriter) body(body *hclsyntax.Body, spec *BlockSpec, top bool, labels []label) bool {
	type entry struct {
		name  string
		attr  *hclsyntax.Attribute
		label *label
		typ   *BlockSpec
		nbs   []*hclsyntax.Block
	}
	entries := make([]entry, 0, len(body.Attributes)+len(labels)+len(body.Blocks))
	for name, a := range body.Attributes {
		if top && (name == "count" || name == "for_each" || name == "depends_on") {
			continue
		}
		entries = append(entries, entry{name: name, attr: a})
	}
	for i, l := range labels {
		if _, taken := body.Attributes[l.name]; !taken {
			entries = append(entries, entry{name: l.name, label: &labels[i]})
		}
	}
	for _, nb := range body.Blocks {
		i := slices.IndexFunc(entries, func(e entry) bool { return e.nbs != nil && e.name == nb.Type })
		if i < 0 {
			if _, taken := body.Attributes[nb.Type]; taken {
				continue // cannot be: the decoder refuses both
			}
			entries = append(entries, entry{name: nb.Type, typ: nestedSpec(spec, nb.Type)})
			i = len(entries) - 1
		}
		entries[i].nbs = append(entries[i].nbs, nb)
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	w.b = append(w.b, '{')
	first := true
	for _, e := range entries {
		w.key(&first, e.name)
		switch {
		case e.attr != nil:
			w.expression(e.attr.Expr)
		case e.label != nil:
			w.b = append(w.b, `{"constant_value":`...)
			w.str(e.label.value)
			w.b = append(w.b, '}')
		default:
			w.b = append(w.b, '[')
			for i, nb := range e.nbs {
				if i > 0 {
					w.b = append(w.b, ',')
				}
				var labels []label
				if e.typ != nil {
					for j, l := range nb.Labels {
						if j < len(e.typ.Labels) {
							labels = append(labels, label{e.typ.Labels[j], l})
						}
					}
				}
				w.body(nb.Body, e.typ, false, labels)
			}
			w.b = append(w.b, ']')
		}
	}
	w.b = append(w.b, '}')
	return !first
}

// label is a nested block's label: the label's name in the block's spec
// and its value.
type label struct{ name, value string }

// output appends an output block's configuration.
func (w *configWriter) output(b *block) {
	first := true
	w.b = append(w.b, '{')
	if a := b.body.Attributes["depends_on"]; a != nil {
		w.key(&first, "depends_on")
		w.strings(dependsOn(a.Expr))
	}
	if s := constantString(b.body.Attributes["description"]); s != "" {
		w.key(&first, "description")
		w.str(s)
	}
	if a := b.body.Attributes["value"]; a != nil {
		w.key(&first, "expression")
		w.expression(a.Expr)
	}
	if constantBool(b.body.Attributes["sensitive"]) {
		w.key(&first, "sensitive")
		w.b = append(w.b, "true"...)
	}
	w.b = append(w.b, '}')
}

// variable appends a variable's configuration: its default (not for a
// sensitive variable), description and sensitivity.
func (w *configWriter) variable(v *variable) {
	first := true
	w.b = append(w.b, '{')
	if v.def != cty.NilVal && !v.sensitive {
		if js, ok := w.constant(v.def); ok {
			w.key(&first, "default")
			w.b = append(w.b, js...)
		}
	}
	if v.description != "" {
		w.key(&first, "description")
		w.str(v.description)
	}
	if v.sensitive {
		w.key(&first, "sensitive")
		w.b = append(w.b, "true"...)
	}
	w.b = append(w.b, '}')
}

// expression appends Terraform's representation of one expression: its
// references, or its value when it has none and is a constant, or {}.
func (w *configWriter) expression(expr hcl.Expression) {
	var vars []hcl.Traversal
	if x, ok := expr.(*hclsyntax.ScopeTraversalExpr); ok {
		vars = []hcl.Traversal{x.Traversal}
	} else if _, ok := literal(expr); !ok {
		vars = expr.Variables()
	}
	if len(vars) > 0 {
		w.b = append(w.b, `{"references":[`...)
		for i, t := range vars {
			for j, r := range references(t) {
				if i > 0 || j > 0 {
					w.b = append(w.b, ',')
				}
				w.str(r)
			}
		}
		w.b = append(w.b, "]}"...)
		return
	}
	v, ok := literal(expr)
	if !ok {
		var diags hcl.Diagnostics
		v, diags = expr.Value(nil)
		ok = !diags.HasErrors() && v.IsWhollyKnown()
	}
	if ok {
		if js, ok := w.constant(v); ok {
			w.b = append(w.b, `{"constant_value":`...)
			w.b = append(w.b, js...)
			w.b = append(w.b, '}')
			return
		}
	}
	w.b = append(w.b, "{}"...)
}

// constant returns v as plain JSON: numbers exact, <, > and & as they
// are.
func (w *configWriter) constant(v cty.Value) ([]byte, bool) {
	v, _ = v.UnmarkDeep()
	switch {
	case !v.IsWhollyKnown():
		return nil, false
	case v.IsNull():
		return []byte("null"), true
	case v.Type() == cty.String:
		mark := len(w.b)
		w.str(v.AsString())
		js := slices.Clone(w.b[mark:])
		w.b = w.b[:mark]
		return js, true
	case v.Type() == cty.Number:
		f := v.AsBigFloat()
		if f.IsInf() {
			return nil, false
		}
		return []byte(f.Text('f', -1)), true
	case v.Type() == cty.Bool:
		return strconv.AppendBool(nil, v.True()), true
	}
	// Collections and structures: cty's JSON, which escapes <, > and &,
	// decoded and written again without.
	raw, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, false
	}
	w.buf.Reset()
	if err := w.enc.Encode(x); err != nil {
		return nil, false
	}
	return slices.Clone(bytes.TrimSuffix(w.buf.Bytes(), []byte("\n"))), true
}

// specOf returns the spec of a top-level block kind.
func specOf(kind string) *BlockSpec {
	for _, s := range language {
		if s.Type == kind {
			return s
		}
	}
	return nil
}

func nestedSpec(spec *BlockSpec, typ string) *BlockSpec {
	if spec == nil {
		return nil
	}
	for _, s := range spec.Blocks {
		if s.Type == typ {
			return s
		}
	}
	return nil
}

// references unwraps a traversal as Terraform does: the whole of it, then
// each shorter prefix down to the object it refers to (var.x, local.x,
// count.index, each.value, switch.lan, switch.lan[0]), then, for an
// instance of count or for_each, the block.
func references(t hcl.Traversal) []string {
	subject := min(2, len(t))
	keyed := false
	switch t.RootName() {
	case "var", "local", "count", "each":
	default:
		if len(t) > 2 {
			if _, ok := t[2].(hcl.TraverseIndex); ok {
				subject, keyed = 3, true
			}
		}
	}
	out := make([]string, 0, len(t)-subject+2)
	for n := len(t); n > subject; n-- {
		out = append(out, traversalString(t[:n]))
	}
	out = append(out, traversalString(t[:subject]))
	if keyed {
		out = append(out, traversalString(t[:2]))
	}
	return out
}

// traversalString writes a traversal as in the source: switch.lan[0],
// vnode.b.interface["eth0"].
func traversalString(t hcl.Traversal) string {
	var b []byte
	for _, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			b = append(b, s.Name...)
		case hcl.TraverseAttr:
			b = append(b, '.')
			b = append(b, s.Name...)
		case hcl.TraverseIndex:
			b = append(b, keyString(s.Key)...)
		default:
			b = append(b, "[*]"...)
		}
	}
	return string(b)
}

// keyString is an index step as an address writes it: [0], ["east"].
func keyString(k cty.Value) string {
	switch {
	case !k.IsKnown() || k.IsNull():
	case k.Type() == cty.String:
		return addrs.StringKey(k.AsString()).String()
	case k.Type() == cty.Number:
		if f := k.AsBigFloat(); f.IsInt() {
			if i, acc := f.Int64(); acc == 0 {
				return addrs.IntKey(i).String()
			}
		}
		return "[" + k.AsBigFloat().Text('f', -1) + "]"
	}
	return "[...]"
}

// dependsOn lists the references of a depends_on list.
func dependsOn(expr hcl.Expression) []string {
	var out []string
	for _, t := range expr.Variables() {
		out = append(out, traversalString(t))
	}
	return out
}

func constantBool(a *hclsyntax.Attribute) bool {
	if a == nil {
		return false
	}
	v, diags := a.Expr.Value(nil)
	return !diags.HasErrors() && v.Type() == cty.Bool && v.IsKnown() && !v.IsNull() && v.True()
}

func constantString(a *hclsyntax.Attribute) string {
	if a == nil {
		return ""
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || v.Type() != cty.String || !v.IsKnown() || v.IsNull() {
		return ""
	}
	return v.AsString()
}
