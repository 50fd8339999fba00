package hcl

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/internal/parallel"
	"github.com/benito-net/benito/model"
)

// maxInstances bounds count and for_each, so that a typo such as
// count = 1e9 ends in a message rather than in the kernel's OOM killer.
const maxInstances = 1_000_000

// evaluator turns linked declarations into a model.Experiment.
type evaluator struct {
	d     *decls
	diags hcl.Diagnostics
	// root holds the functions; every block's context is a child of it that
	// holds only the values the block refers to, so building a context costs
	// what the block references, not what the configuration holds.
	root *hcl.EvalContext
	exp  *model.Experiment
	site map[string]string

	// switches finds a switch instance by name, for subnets; the first of
	// duplicate names wins (duplicates are reported).
	switches map[string]*model.Switch
	ctxs     map[string]*hcl.EvalContext // see ctx

	// What the checks after evaluation need, in evaluation order.
	insts  map[string][]instRec // by block kind
	ifaces []*ifaceRec
	// forwards are every node's forward blocks, for the experiment-wide
	// check that no two bind one host port.
	forwards []*forwardRec
	// ctids are the nodes that set a ctid, for the experiment-wide check
	// that no two have one.
	ctids  []*ctidRec
	routes []*routeRec
	taps   []*tapRec
}

// instRec is one instance of a block, for the uniqueness of host names.
type instRec struct {
	name string // host name
	addr addrs.Instance
	b    *block
	idx  int
}

// instance is one instance of a block being evaluated.
type instance struct {
	addr addrs.Instance // h, h[0], h["east"]
	name string         // its host name: model.HostName(addr)
	key  string         // "" for a block without count or for_each
	ctx  *hcl.EvalContext
}

// newInstance makes the instance of b with key k (nil for a block without
// count or for_each); key is k as depends_on and references spell it.
func newInstance(b *block, k addrs.Key, key string, ctx *hcl.EvalContext) instance {
	a := addrs.Instance{Name: b.name, Key: k}
	return instance{addr: a, name: model.HostName(a), key: key, ctx: ctx}
}

func evaluate(d *decls) (*model.Experiment, hcl.Diagnostics) {
	e := &evaluator{
		d:        d,
		root:     &hcl.EvalContext{Functions: functions()},
		exp:      &model.Experiment{},
		site:     map[string]string{},
		switches: map[string]*model.Switch{},
		ctxs:     map[string]*hcl.EvalContext{},
		insts:    map[string][]instRec{},
	}
	for k, v := range model.SiteDefaults {
		e.site[k] = v
	}
	if d.experiment != nil {
		// Known before anything is evaluated: DeriveMAC needs it.
		e.exp.Name = d.experiment.name
		e.exp.DeclRange = d.experiment.def
	}
	e.diags = d.link()
	comps, cycles := order(d.blocks)
	for _, level := range levels(comps) {
		// Blocks of one level do not refer to each other. The vnodes among
		// them, usually nearly all blocks, are evaluated in parallel once
		// the rest of the level, which they cannot depend on, is done.
		var vnodes []*block
		for _, scc := range level {
			b := scc[0]
			switch {
			case len(cycles) > 0 && inCycle(scc, cycles):
				for _, b := range scc {
					for _, c := range cycles[b] {
						e.diags = append(e.diags, cycleDiagnostic(c))
					}
				}
				for _, b := range scc {
					b.failed = true
					b.value = cty.DynamicVal
				}
			case b.kind == kindVNode:
				vnodes = append(vnodes, b)
			default:
				e.eval(b)
			}
		}
		e.evalVNodes(vnodes)
	}
	e.exp.Site = e.site
	e.check()
	return e.exp, dedupe(e.diags)
}

// inCycle reports whether a cycle starts in a component: then it is one.
func inCycle(scc []*block, cycles map[*block][][]*block) bool {
	for _, b := range scc {
		if len(cycles[b]) > 0 {
			return true
		}
	}
	return false
}

// levels groups strongly connected components, given in dependency order,
// by level: a component's level is one more than the highest level of what
// it depends on.
func levels(sccs [][]*block) [][][]*block {
	var out [][][]*block
	for _, scc := range sccs {
		lvl := 0
		for _, b := range scc {
			for _, e := range b.deps {
				lvl = max(lvl, e.to.level+1)
			}
		}
		for _, b := range scc {
			b.level = lvl
		}
		for len(out) <= lvl {
			out = append(out, nil)
		}
		out[lvl] = append(out[lvl], scc)
	}
	return out
}

// evalVNodes evaluates vnode blocks that do not depend on each other, on
// all processors when there are many. Each worker evaluates a contiguous
// run of blocks with an evaluator of its own, and the workers' results are
// joined in block order, so the outcome does not depend on scheduling.
// Evaluating a vnode reads the switches, the site and the blocks it refers
// to, all final by now, and writes only its own block and its evaluator.
func (e *evaluator) evalVNodes(bs []*block) {
	if len(bs) < 2*chunkMin {
		for _, b := range bs {
			e.evalVNode(b)
		}
		return
	}
	workers := parallel.Map(len(bs), chunkMin, func(lo, hi int) *evaluator {
		w := &evaluator{
			d: e.d, root: e.root, site: e.site, switches: e.switches,
			exp:   &model.Experiment{Name: e.exp.Name},
			ctxs:  map[string]*hcl.EvalContext{},
			insts: map[string][]instRec{},
		}
		for _, b := range bs[lo:hi] {
			w.evalVNode(b)
		}
		return w
	})
	for _, w := range workers {
		e.diags = append(e.diags, w.diags...)
		e.exp.VNodes = append(e.exp.VNodes, w.exp.VNodes...)
		e.insts[kindVNode] = append(e.insts[kindVNode], w.insts[kindVNode]...)
		e.ifaces = append(e.ifaces, w.ifaces...)
		e.forwards = append(e.forwards, w.forwards...)
		e.ctids = append(e.ctids, w.ctids...)
		e.routes = append(e.routes, w.routes...)
	}
}

func (e *evaluator) eval(b *block) {
	switch b.kind {
	case kindVariable:
		// Given their values before evaluation starts.
	case kindLocal:
		v, diags := b.expr.Value(e.ctx(b))
		e.diags = append(e.diags, diags...)
		b.value = v
		b.failed = diags.HasErrors()
	case kindExperiment:
		e.evalExperiment(b)
	case kindSite:
		e.evalSite(b)
	case kindOutput:
		e.evalOutput(b)
	case kindSwitch:
		e.evalSwitch(b)
	case kindBridge:
		e.evalBridge(b)
	case kindVNode:
		e.evalVNode(b)
	case kindTap:
		e.evalTap(b)
	case kindRoute:
		e.evalRoute(b)
	case kindResource:
		e.evalResource(b)
	}
}

// ctx builds a block's evaluation context from the values it refers to.
// A reference to something missing or failed sees an unknown value, so
// that the one real error is not followed by a cascade of echoes.
//
// Blocks that refer to the same things share a context: generated
// configurations have thousands of blocks that all name the same switches.
// Sharing is sound because a block is evaluated after everything it refers
// to, whose values are then final.
func (e *evaluator) ctx(b *block) *hcl.EvalContext {
	if len(b.refs) == 0 {
		return e.root
	}
	var key strings.Builder
	for _, r := range b.refs {
		key.WriteString(r.root)
		key.WriteByte('.')
		key.WriteString(r.name)
		key.WriteByte(0)
	}
	if ctx := e.ctxs[key.String()]; ctx != nil {
		return ctx
	}
	ctx := e.root.NewChild()
	e.ctxs[key.String()] = ctx
	vars := map[string]cty.Value{}
	objs := map[string]map[string]cty.Value{}
	for _, r := range b.refs {
		switch {
		case r.name == "":
			// count and each are set per instance, and shadow this.
			vars[r.root] = cty.DynamicVal
		default:
			m := objs[r.root]
			if m == nil {
				m = map[string]cty.Value{}
				objs[r.root] = m
			}
			v := cty.DynamicVal
			if r.target != nil && !r.target.failed {
				v = r.target.value
			}
			m[r.name] = v
		}
	}
	for root, m := range objs {
		if _, poisoned := vars[root]; !poisoned {
			vars[root] = cty.ObjectVal(m)
		}
	}
	ctx.Variables = vars
	return ctx
}

// expand makes a block's instances from its count or for_each, evaluated in
// the block's context. ok is false when they cannot be known: the reason has
// been reported, and the block is marked failed, so that the blocks that
// refer to it see an unknown value rather than echo the error.
func (e *evaluator) expand(b *block, content content) ([]instance, bool) {
	insts, ok := e.instances(b, content, e.ctx(b))
	if !ok {
		b.failed = true
	}
	return insts, ok
}

// instances does the work of expand: the instances that count or for_each
// make, or the one instance of a block without them. ok is false when they
// cannot be known; the reason has been reported.
func (e *evaluator) instances(b *block, content content, ctx *hcl.EvalContext) ([]instance, bool) {
	countA, eachA := content.attrs["count"], content.attrs["for_each"]
	switch {
	case countA != nil && eachA != nil:
		e.errorf(eachA.NameRange, "Both count and for_each",
			"A block makes its instances with count or with for_each, not both. Remove one of them.")
		return nil, false
	case countA != nil:
		v, ok := e.value(ctx, countA.Expr)
		if !ok {
			return nil, false
		}
		if marked(v) {
			e.refuseSensitive(countA.Expr.Range(), "count")
			return nil, false
		}
		cv, err := convert.Convert(v, cty.Number)
		n, whole := int64(0), false
		if err == nil && !cv.IsNull() {
			n, whole = wholeNumber(cv)
		}
		if !whole || n < 0 || n > maxInstances {
			e.errorf(countA.Expr.Range(), "Invalid count",
				"count must be a whole number from 0 to %d, not %s.", maxInstances, show(v))
			return nil, false
		}
		insts := make([]instance, n)
		for i := range insts {
			key := strconv.Itoa(i)
			ictx := ctx.NewChild()
			ictx.Variables = map[string]cty.Value{
				"count": cty.ObjectVal(map[string]cty.Value{"index": cty.NumberIntVal(int64(i))}),
			}
			insts[i] = newInstance(b, addrs.IntKey(i), key, ictx)
		}
		return insts, true
	case eachA != nil:
		v, ok := e.value(ctx, eachA.Expr)
		if !ok {
			return nil, false
		}
		if v.IsMarked() || v.Type().IsSetType() && v.ContainsMarked() {
			// Its keys become addresses and host names. The values of a
			// map may be sensitive, as in Terraform: each.value keeps
			// their marks.
			e.refuseSensitive(eachA.Expr.Range(), "for_each")
			return nil, false
		}
		ty := v.Type()
		isSet := ty.IsSetType() && ty.ElementType() == cty.String
		if v.IsNull() || !(ty.IsMapType() || ty.IsObjectType() || isSet) {
			hint := ""
			if ty.IsListType() || ty.IsTupleType() || ty.IsSetType() {
				hint = " For a list of strings, write toset(...): its elements become the keys."
			}
			e.errorf(eachA.Expr.Range(), "Invalid for_each",
				"for_each must be a map, an object or a set of strings, not %s.%s", show(v), hint)
			return nil, false
		}
		if v.LengthInt() > maxInstances {
			e.errorf(eachA.Expr.Range(), "Invalid for_each", "for_each makes at most %d instances.", maxInstances)
			return nil, false
		}
		var insts []instance
		for it := v.ElementIterator(); it.Next(); {
			k, val := it.Element()
			if k.IsNull() {
				continue // a null in a set has no name
			}
			key := k.AsString()
			if isSet {
				val = k
			}
			if !addrs.ValidName(key) {
				e.errorf(eachA.Expr.Range(), "Invalid for_each key",
					"The key %q would make the host name %q, but names may only hold letters, digits, '_' and '-'. "+
						"Change the key, for example to %q.", key, b.name+"-"+key, suggestName(key))
				continue
			}
			ictx := ctx.NewChild()
			ictx.Variables = map[string]cty.Value{
				"each": cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(key), "value": val}),
			}
			insts = append(insts, newInstance(b, addrs.StringKey(key), key, ictx))
		}
		return insts, true
	}
	return []instance{newInstance(b, nil, "", ctx)}, true
}

// record notes a block's instances: for uniqueness checks, and, when other
// blocks refer to it, for depends_on and its reference value.
func (e *evaluator) record(b *block, insts []instance, vals []cty.Value) {
	for i, in := range insts {
		e.insts[b.kind] = append(e.insts[b.kind], instRec{name: in.name, addr: in.addr, b: b, idx: i})
	}
	if !b.used {
		return
	}
	b.insts = make(map[string]addrs.Instance, len(insts))
	for _, in := range insts {
		b.insts[in.key] = in.addr
		b.instOrder = append(b.instOrder, in.addr)
	}
	switch {
	case b.counted:
		if len(vals) == 0 {
			b.value = cty.EmptyTupleVal
		} else {
			b.value = cty.TupleVal(vals)
		}
	case b.forEach:
		m := make(map[string]cty.Value, len(vals))
		for i, in := range insts {
			m[in.key] = vals[i]
		}
		b.value = cty.ObjectVal(m)
	case len(vals) == 1:
		b.value = vals[0]
	}
}

// value evaluates an expression. ok is false when evaluation failed, which
// has been reported, or when the value is not wholly known, which happens
// only downstream of a reported error.
func (e *evaluator) value(ctx *hcl.EvalContext, expr hcl.Expression) (cty.Value, bool) {
	v, ok := e.shallow(ctx, expr)
	if !ok || !v.Type().IsPrimitiveType() && !v.IsWhollyKnown() {
		return cty.NilVal, false
	}
	return v, true
}

// shallow is value for callers that look into the value themselves and
// check what they find: walking a whole object to see that it is known
// costs more than the rest of reading a switch reference.
func (e *evaluator) shallow(ctx *hcl.EvalContext, expr hcl.Expression) (cty.Value, bool) {
	if v, ok := literal(expr); ok {
		return v, true
	}
	v, diags := expr.Value(ctx)
	e.diags = append(e.diags, diags...)
	if diags.HasErrors() || !v.IsKnown() {
		return cty.NilVal, false
	}
	return v, true
}

// get evaluates an attribute and converts it to ty (unless ty is
// cty.DynamicPseudoType). ok is false when the attribute is absent or null,
// which means "unset", or when it failed, which has been reported. A value
// derived from a sensitive variable is refused (see refuseSensitive); the
// few attributes that may hold one are read with secret.
func (e *evaluator) get(ctx *hcl.EvalContext, attrs map[string]*hclsyntax.Attribute, name string, ty cty.Type) (cty.Value, *hclsyntax.Attribute, bool) {
	v, a, ok := e.getMarked(ctx, attrs, name, ty)
	if ok && marked(v) {
		e.refuseSensitive(a.Expr.Range(), name)
		return cty.NilVal, a, false
	}
	return v, a, ok
}

// secret reads an attribute that may hold a sensitive value (one of the
// model.Attr* a vnode's Sensitive names) and returns it without its marks,
// and whether it had the Sensitive mark anywhere inside.
func (e *evaluator) secret(ctx *hcl.EvalContext, attrs map[string]*hclsyntax.Attribute, name string, ty cty.Type) (v cty.Value, sensitive, ok bool) {
	v, _, ok = e.getMarked(ctx, attrs, name, ty)
	if !ok {
		return cty.NilVal, false, false
	}
	if !marked(v) {
		return v, false, true
	}
	v, marks := v.UnmarkDeep()
	_, sensitive = marks[model.Sensitive]
	return v, sensitive, true
}

// marked reports whether v carries a mark anywhere inside. Nearly every
// value read is a plain string or number, for which it costs no walk.
func marked(v cty.Value) bool {
	if v.Type().IsPrimitiveType() {
		return v.IsMarked()
	}
	return v.ContainsMarked()
}

// refuseSensitive reports a value derived from a sensitive variable where
// none may go: names, addresses, paths and the like end up in device names,
// file names and messages, which nothing could keep secret.
func (e *evaluator) refuseSensitive(rng hcl.Range, what string) {
	e.errorf(rng, "Sensitive value not allowed",
		"%s cannot take a value derived from a sensitive variable: it becomes part of names, addresses, paths or "+
			"the shape of the experiment, which plans and messages show. Only a vnode's startup, os, image, partition "+
			"and attributes, a resource block's attributes and the value of an output declared sensitive may hold one.", what)
}

// getMarked is get for a value that may carry marks.
func (e *evaluator) getMarked(ctx *hcl.EvalContext, attrs map[string]*hclsyntax.Attribute, name string, ty cty.Type) (cty.Value, *hclsyntax.Attribute, bool) {
	a := attrs[name]
	if a == nil {
		return cty.NilVal, nil, false
	}
	v, ok := e.value(ctx, a.Expr)
	if !ok || v.IsNull() {
		return cty.NilVal, a, false
	}
	if ty == cty.DynamicPseudoType {
		return v, a, true
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		e.errorf(a.Expr.Range(), "Incorrect attribute value type",
			"Inappropriate value for attribute %q: %s.", name, err)
		return cty.NilVal, a, false
	}
	return cv, a, true
}

func (e *evaluator) str(ctx *hcl.EvalContext, attrs map[string]*hclsyntax.Attribute, name string) (string, *hclsyntax.Attribute, bool) {
	v, a, ok := e.get(ctx, attrs, name, cty.String)
	if !ok {
		return "", a, false
	}
	return v.AsString(), a, true
}

func (e *evaluator) boolean(ctx *hcl.EvalContext, attrs map[string]*hclsyntax.Attribute, name string) (bool, bool) {
	v, _, ok := e.get(ctx, attrs, name, cty.Bool)
	return ok && v.True(), ok
}

// integer reads a whole number within [lo, hi].
func (e *evaluator) integer(ctx *hcl.EvalContext, attrs map[string]*hclsyntax.Attribute, name string, lo, hi int64) (int64, bool) {
	v, a, ok := e.get(ctx, attrs, name, cty.Number)
	if !ok {
		return 0, false
	}
	n, whole := wholeNumber(v)
	if !whole || n < lo || n > hi {
		e.errorf(a.Expr.Range(), fmt.Sprintf("Invalid %s", name), "%s must be a whole number from %d to %d, not %s.",
			name, lo, hi, show(v))
		return 0, false
	}
	return n, true
}

// name reads an attribute that must be a valid benito name.
func (e *evaluator) name(ctx *hcl.EvalContext, attrs map[string]*hclsyntax.Attribute, attr string) (string, bool) {
	s, a, ok := e.str(ctx, attrs, attr)
	if !ok {
		return "", false
	}
	if !addrs.ValidName(s) {
		e.errorf(a.Expr.Range(), fmt.Sprintf("Invalid %s", attr),
			"%q is not a valid name: use only letters, digits, '_' and '-', for example %q.", s, suggestName(s))
		return "", false
	}
	return s, true
}

// shapingSet says which shaping attributes a block sets, so that an
// interface can take the others from its switch, an explicit zero included.
type shapingSet struct{ capacity, latency, loss bool }

// shaping reads capacity, latency and loss.
func (e *evaluator) shaping(ctx *hcl.EvalContext, attrs map[string]*hclsyntax.Attribute) (model.Shaping, shapingSet) {
	var s model.Shaping
	var set shapingSet
	if v, a, ok := e.get(ctx, attrs, "capacity", cty.DynamicPseudoType); ok {
		c, err := parseCapacity(v)
		if err != nil {
			e.errorf(a.Expr.Range(), "Invalid capacity", "%s.", err)
		}
		s.Capacity, set.capacity = c, true
	}
	if v, a, ok := e.get(ctx, attrs, "latency", cty.DynamicPseudoType); ok {
		d, err := parseLatency(v)
		if err != nil {
			e.errorf(a.Expr.Range(), "Invalid latency", "%s.", err)
		}
		s.Latency, set.latency = d, true
	}
	if v, a, ok := e.get(ctx, attrs, "loss", cty.DynamicPseudoType); ok {
		l, err := parseLoss(v)
		if err != nil {
			e.errorf(a.Expr.Range(), "Invalid loss", "%s.", err)
		}
		s.Loss, set.loss = l, true
	}
	return s, set
}

// errors counts the errors reported so far.
func (e *evaluator) errors() int {
	n := 0
	for _, d := range e.diags {
		if d.Severity == hcl.DiagError {
			n++
		}
	}
	return n
}

func (e *evaluator) errorf(rng hcl.Range, summary, format string, args ...any) {
	e.diags = append(e.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  rng.Ptr(),
	})
}

// dedupe drops repeated diagnostics: an error in a block with count is
// found once per instance but is one mistake.
func dedupe(diags hcl.Diagnostics) hcl.Diagnostics {
	type key struct {
		sev             hcl.DiagnosticSeverity
		summary, detail string
		rng             hcl.Range
	}
	seen := make(map[key]bool, len(diags))
	out := diags[:0]
	for _, d := range diags {
		k := key{sev: d.Severity, summary: d.Summary, detail: d.Detail}
		if d.Subject != nil {
			k.rng = *d.Subject
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	return out
}

// literal returns the value of a constant expression without evaluating it:
// most attributes of a generated configuration are quoted strings, and
// evaluating a template builds its string afresh.
func literal(expr hcl.Expression) (cty.Value, bool) {
	switch x := expr.(type) {
	case *hclsyntax.LiteralValueExpr:
		return x.Val, true
	case *hclsyntax.TemplateExpr:
		if len(x.Parts) == 1 {
			if l, ok := x.Parts[0].(*hclsyntax.LiteralValueExpr); ok && l.Val.Type() == cty.String {
				return l.Val, true
			}
		}
	}
	return cty.NilVal, false
}
