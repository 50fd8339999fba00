package hcl

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/internal/parallel"
)

// The configuration as Terraform's JSON configuration representation
// shows it (the "configuration" of a JSON plan, docs/json-plan.md): the
// resource blocks with their expressions, outputs and variables. An
// expression is recorded as its references, unwrapped step by step as
// Terraform does (vnode.b.interface["eth0"].ip4_address, ...,
// vnode.b.interface, vnode.b), or, when it refers to nothing and is a
// constant, as its constant_value. Nested blocks are lists of such maps,
// a labelled one (interface "eth0") with its labels as constants under
// their names (name).

type configJSON struct {
	RootModule configModuleJSON `json:"root_module"`
}

type configModuleJSON struct {
	Outputs   map[string]*configOutputJSON   `json:"outputs,omitempty"`
	Resources []*configResourceJSON          `json:"resources,omitempty"`
	Variables map[string]*configVariableJSON `json:"variables,omitempty"`
}

type configResourceJSON struct {
	Address           string         `json:"address"`
	Mode              string         `json:"mode"`
	Type              string         `json:"type"`
	Name              string         `json:"name"`
	Expressions       map[string]any `json:"expressions,omitempty"`
	SchemaVersion     int            `json:"schema_version"`
	CountExpression   *exprJSON      `json:"count_expression,omitempty"`
	ForEachExpression *exprJSON      `json:"for_each_expression,omitempty"`
	DependsOn         []string       `json:"depends_on,omitempty"`
}

type configOutputJSON struct {
	Sensitive   bool      `json:"sensitive,omitempty"`
	Expression  *exprJSON `json:"expression,omitempty"`
	Description string    `json:"description,omitempty"`
	DependsOn   []string  `json:"depends_on,omitempty"`
}

type configVariableJSON struct {
	Default     json.RawMessage `json:"default,omitempty"`
	Description string          `json:"description,omitempty"`
	Sensitive   bool            `json:"sensitive,omitempty"`
}

type exprJSON struct {
	ConstantValue json.RawMessage `json:"constant_value,omitempty"`
	References    []string        `json:"references,omitempty"`
}

// resourceKinds are the blocks the configuration lists as resources.
var resourceKinds = map[string]bool{
	kindSwitch: true, kindBridge: true, kindTap: true, kindVNode: true, kindRoute: true, kindResource: true,
}

// configuration returns the configuration of d as compact JSON. The
// declarations must have loaded without errors.
func configuration(d *decls) []byte {
	var blocks []*block
	for _, b := range d.blocks {
		if resourceKinds[b.kind] {
			blocks = append(blocks, b)
		}
	}
	c := configJSON{}
	c.RootModule.Resources = make([]*configResourceJSON, len(blocks))
	parallel.Ranges(len(blocks), chunkMin, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			c.RootModule.Resources[i] = configResource(blocks[i])
		}
	})
	slices.SortFunc(c.RootModule.Resources, func(a, b *configResourceJSON) int { return strings.Compare(a.Address, b.Address) })
	for _, b := range d.blocks {
		switch {
		case b.kind == kindOutput:
			if c.RootModule.Outputs == nil {
				c.RootModule.Outputs = map[string]*configOutputJSON{}
			}
			o := &configOutputJSON{}
			if a := b.body.Attributes["value"]; a != nil {
				o.Expression = expression(a.Expr)
			}
			if a := b.body.Attributes["depends_on"]; a != nil {
				o.DependsOn = dependsOn(a.Expr)
			}
			o.Sensitive = constantBool(b.body.Attributes["sensitive"])
			o.Description = constantString(b.body.Attributes["description"])
			c.RootModule.Outputs[b.name] = o
		case b.kind == kindVariable && b.v != nil:
			if c.RootModule.Variables == nil {
				c.RootModule.Variables = map[string]*configVariableJSON{}
			}
			v := &configVariableJSON{Description: b.v.description, Sensitive: b.v.sensitive}
			// A sensitive variable's default is not shown.
			if b.v.def != cty.NilVal && !b.v.sensitive {
				v.Default, _ = constantJSON(b.v.def)
			}
			c.RootModule.Variables[b.name] = v
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		// Every value in it was encoded once already: cannot happen.
		panic("hcl: encoding the configuration: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// configResource is the configuration of one resource block.
func configResource(b *block) *configResourceJSON {
	r := &configResourceJSON{Address: b.addr, Mode: "managed", Type: b.kind, Name: b.name}
	if b.kind == kindResource {
		r.Type = b.rtype
	}
	for name, a := range b.body.Attributes {
		switch name {
		case "count":
			r.CountExpression = expression(a.Expr)
		case "for_each":
			r.ForEachExpression = expression(a.Expr)
		case "depends_on":
			r.DependsOn = dependsOn(a.Expr)
		}
	}
	r.Expressions = bodyExpressions(b.body, specOf(b.kind), true)
	return r
}

// bodyExpressions maps a body's attributes to their expressions and its
// nested block types to lists of their bodies' maps, in source order.
// At the top of a resource block, the meta-arguments are left out.
func bodyExpressions(body *hclsyntax.Body, spec *BlockSpec, top bool) map[string]any {
	m := map[string]any{}
	for name, a := range body.Attributes {
		if top && (name == "count" || name == "for_each" || name == "depends_on") {
			continue
		}
		m[name] = expression(a.Expr)
	}
	for _, nb := range body.Blocks {
		nspec := nestedSpec(spec, nb.Type)
		inner := bodyExpressions(nb.Body, nspec, false)
		if nspec != nil {
			for i, label := range nb.Labels {
				if i < len(nspec.Labels) {
					if _, taken := inner[nspec.Labels[i]]; !taken {
						js, _ := constantJSON(cty.StringVal(label))
						inner[nspec.Labels[i]] = &exprJSON{ConstantValue: js}
					}
				}
			}
		}
		list, _ := m[nb.Type].([]map[string]any)
		m[nb.Type] = append(list, inner)
	}
	if len(m) == 0 {
		return nil
	}
	return m
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

// expression is Terraform's representation of one expression: its
// references, or its value when it has none and is a constant.
func expression(expr hcl.Expression) *exprJSON {
	e := &exprJSON{}
	vars := expr.Variables()
	for _, t := range vars {
		e.References = append(e.References, references(t)...)
	}
	if len(vars) > 0 {
		return e
	}
	if v, diags := expr.Value(nil); !diags.HasErrors() && v.IsWhollyKnown() {
		e.ConstantValue, _ = constantJSON(v)
	}
	return e
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
	var out []string
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

// constantJSON is v as plain JSON: numbers exact, <, > and & as they are.
func constantJSON(v cty.Value) (json.RawMessage, bool) {
	v, _ = v.UnmarkDeep()
	raw, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return nil, false
	}
	// cty's JSON escapes <, > and &: decoded and written again without.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, false
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		return nil, false
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), true
}
