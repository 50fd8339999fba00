package plan

import (
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
)

// This file renders cty values and the differences between two of them in
// the nested +/~/- layout. Indentation follows one rule throughout: an entry
// of a block whose closing brace sits at column ind is written as ind+2
// spaces, its marker, a space and the entry; its own nested entries form a
// block whose closing brace sits at ind+4.

type keyKind uint8

const (
	noKey    keyKind = iota // a list or set element
	attrKey                 // an object attribute or output name: bare when it is an identifier
	mapKey                  // a map key: always quoted
	blockKey                // a list element named by its "name": label "name" {
)

// key is what precedes " = " on an entry line, padded to width so that the
// "=" of sibling entries line up. A blockKey is written label "name", with
// no " = ".
type key struct {
	kind  keyKind
	name  string
	width int
	label string
}

func (r *human) keyWidth(kind keyKind, name string) int {
	if kind == attrKey && isIdent(name) {
		return len(name)
	}
	r.scratch = appendQuoted(r.scratch[:0], name)
	return utf8.RuneCount(r.scratch)
}

// lineStart writes the start of an entry line, up to and including the
// " = " after its key.
func (r *human) lineStart(ind int, m byte, k key) {
	r.indent(ind + 2)
	r.mark(m)
	r.buf = append(r.buf, ' ')
	switch k.kind {
	case noKey:
		return
	case blockKey:
		r.buf = append(r.buf, k.label...)
		r.buf = append(r.buf, ' ')
		r.buf = appendQuoted(r.buf, k.name)
		r.buf = append(r.buf, ' ')
		return
	}
	start := len(r.buf)
	if k.kind == attrKey && isIdent(k.name) {
		r.buf = append(r.buf, k.name...)
	} else {
		r.buf = appendQuoted(r.buf, k.name)
	}
	if pad := k.width - utf8.RuneCount(r.buf[start:]); pad > 0 {
		r.indent(pad)
	}
	r.buf = append(r.buf, " = "...)
}

// entry writes a whole value as one entry whose nested entries all carry
// the marker m: a create (m '+') or a delete (m '-'). suffix ends the entry
// (" -> null" where a deletion starts); comma marks a list element.
func (r *human) entry(ind int, m byte, k key, v cty.Value, comma bool, suffix string) {
	r.lineStart(ind, m, k)
	if !r.namedList(ind, m, k, v) {
		r.value(ind, m, v)
	}
	if comma {
		r.buf = append(r.buf, ',')
	}
	r.str(suffix)
	r.endLine()
}

// value writes v in full from the current position: scalars inline,
// collections as a block of entries marked m.
func (r *human) value(ind int, m byte, v cty.Value) {
	switch {
	case isNull(v):
		r.str("null")
		return
	case !v.IsKnown():
		r.str("(known after apply)")
		return
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		if s := v.AsString(); isMultiline(s) {
			r.heredoc(ind, s)
			return
		}
		r.buf = appendQuoted(r.buf, v.AsString())
	case ty == cty.Number:
		r.buf = appendNumber(r.buf, v)
	case ty == cty.Bool:
		r.buf = strconv.AppendBool(r.buf, v.True())
	case ty.IsObjectType(), ty.IsMapType():
		start := len(r.pairs)
		width := r.collect(v, nil)
		if len(r.pairs) == start {
			r.str("{}")
			return
		}
		r.open('{')
		r.entries(ind+4, m, start, width, "", nil)
		r.close(ind+4, '}')
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		if v.LengthInt() == 0 {
			r.str("[]")
			return
		}
		r.open('[')
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			r.entry(ind+4, m, key{}, e, true, "")
		}
		r.close(ind+4, ']')
	default:
		// Capsule types have no literal form.
		r.str("(" + ty.FriendlyName() + ")")
	}
}

// namedList writes v, the value of attribute k, when it is a list of
// objects named by their "name" (elementNames), each element labelled as
// in a diff (+ interface "eth0" {), and reports whether it did.
func (r *human) namedList(ind int, m byte, k key, v cty.Value) bool {
	if k.kind != attrKey || isNull(v) || !v.IsKnown() || !isSequence(v.Type()) || v.LengthInt() == 0 {
		return false
	}
	if ty := v.Type(); ty.IsListType() && !(ty.ElementType().IsObjectType() && ty.ElementType().HasAttribute("name")) {
		return false
	}
	es := v.AsValueSlice()
	names, ok := elementNames(es)
	if !ok {
		return false
	}
	label := elementLabel(k)
	r.open('[')
	for i, e := range es {
		r.entry(ind+4, m, key{kind: blockKey, name: names[i].AsString(), label: label}, e, true, "")
	}
	r.close(ind+4, ']')
	return true
}

func (r *human) open(bracket byte) {
	r.buf = append(r.buf, bracket)
	r.endLine()
}

func (r *human) close(ind int, bracket byte) {
	r.indent(ind)
	r.buf = append(r.buf, bracket)
}

func (r *human) hidden(ind int, n int, what string) {
	if n == 0 {
		return
	}
	r.indent(ind + 4)
	r.str("# (")
	r.buf = strconv.AppendInt(r.buf, int64(n), 10)
	r.str(" unchanged ")
	r.str(what)
	if n != 1 {
		r.buf = append(r.buf, 's')
	}
	r.str(" hidden)\n")
}

// objectEntries writes the non-null attributes of v, in name order, as
// entries marked m; suffix ends each one. ro, for a resource's own
// attributes, leaves out its run-time ones and summarises its generated
// ones.
func (r *human) objectEntries(ind int, m byte, v cty.Value, suffix string, ro *roles) {
	if isNull(v) || !v.IsKnown() || !v.Type().IsObjectType() {
		return
	}
	start := len(r.pairs)
	width := r.collect(v, ro)
	r.entries(ind, m, start, width, suffix, ro)
}

// roles are the attributes of a resource that its text plan treats apart,
// named by its schema (Change.RunTime, Change.Generated; sorted).
type roles struct {
	runTime   []string
	generated []string
	// rr are the resource's RequiresReplace paths: a run-time attribute
	// that forces the replacement is shown, as its reason.
	rr []cty.Path
}

// hides reports whether the attribute name is left out: a run-time one
// that does not force a replacement.
func (ro *roles) hides(name string) bool {
	if ro == nil || len(ro.runTime) == 0 {
		return false
	}
	_, found := slices.BinarySearch(ro.runTime, name)
	return found && len(attrTails(ro.rr, name)) == 0
}

// summarises reports whether the attribute name's value, a known string,
// is a generated file's content, shown as its line count.
func (ro *roles) summarises(name string, v cty.Value) bool {
	if ro == nil || len(ro.generated) == 0 || isNull(v) || !v.IsKnown() || v.Type() != cty.String {
		return false
	}
	_, found := slices.BinarySearch(ro.generated, name)
	return found
}

// pair is an attribute or map entry waiting to be written. The renderer
// keeps them on one stack, r.pairs, so that measuring the keys before
// writing them costs no allocation and no second lookup.
type pair struct {
	kind keyKind
	name string
	v    cty.Value
}

// collect pushes the entries of an object (non-null attributes, sorted,
// but those ro hides) or a map (all entries, sorted) onto r.pairs and
// returns the width of their keys.
func (r *human) collect(v cty.Value, ro *roles) (width int) {
	if v.Type().IsObjectType() {
		for _, n := range r.attrNames(v.Type()) {
			if a := v.GetAttr(n); !isNull(a) && !ro.hides(n) {
				r.pairs = append(r.pairs, pair{attrKey, n, a})
				width = max(width, r.keyWidth(attrKey, n))
			}
		}
		return width
	}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		n := k.AsString()
		r.pairs = append(r.pairs, pair{mapKey, n, e})
		width = max(width, r.keyWidth(mapKey, n))
	}
	return width
}

// entries writes and pops the pairs above start.
func (r *human) entries(ind int, m byte, start, width int, suffix string, ro *roles) {
	for i := start; i < len(r.pairs); i++ {
		p := r.pairs[i] // r.pairs may grow while p is written
		k := key{kind: p.kind, name: p.name, width: width}
		if p.kind == attrKey && ro.summarises(p.name, p.v) {
			r.generatedEntry(ind, m, k, p.v.AsString(), suffix)
			continue
		}
		r.entry(ind, m, k, p.v, false, suffix)
	}
	clear(r.pairs[start:])
	r.pairs = r.pairs[:start]
}

// diff writes the change of one entry from before to after, which the
// caller has found to differ. rr holds what is left of the RequiresReplace
// paths that lead to this entry.
func (r *human) diff(ind int, k key, before, after cty.Value, rr []cty.Path, comma bool) {
	switch {
	case isNull(before):
		r.note = len(rr) > 0
		r.entry(ind, '+', k, after, comma, "")
		return
	case isNull(after):
		r.note = len(rr) > 0
		r.entry(ind, '-', k, before, comma, " -> null")
		return
	case !before.IsKnown() || !after.IsKnown():
		r.wholeDiff(ind, k, before, after, rr, comma)
		return
	}
	if isHidden(before) && isHidden(after) {
		// Terraform's form: the change is there, its values are not.
		r.note = len(rr) > 0
		r.lineStart(ind, '~', k)
		r.value(ind, '~', after)
		if comma {
			r.buf = append(r.buf, ',')
		}
		r.endLine()
		return
	}

	bt, at := before.Type(), after.Type()
	if bt == cty.String && at == cty.String && (isMultiline(before.AsString()) || isMultiline(after.AsString())) {
		r.note = len(rr) > 0
		r.lineStart(ind, '~', k)
		r.heredocDiff(ind, before.AsString(), after.AsString(), "", heredocContext, 0)
		if comma {
			r.buf = append(r.buf, ',')
		}
		r.endLine()
		return
	}
	var bracket byte
	switch {
	case bt.IsObjectType() && at.IsObjectType():
		bracket = '}'
	case bt.IsMapType() && at.IsMapType():
		bracket = '}'
	case isSequence(bt) && isSequence(at), bt.IsSetType() && at.IsSetType():
		bracket = ']'
	default:
		// Scalars, or a value whose type changed (dynamic attributes).
		r.wholeDiff(ind, k, before, after, rr, comma)
		return
	}

	// A structural diff: the entries inside carry their own annotations, so
	// the opening line is annotated only when the path ends here.
	r.note = hasEmpty(rr)
	r.lineStart(ind, '~', k)
	if bracket == '}' {
		r.open('{')
	} else {
		r.open('[')
	}
	switch {
	case bt.IsObjectType():
		r.objectDiff(ind+4, before, after, rr, nil)
	case bt.IsMapType():
		r.mapDiff(ind+4, before, after, rr)
	case bt.IsSetType():
		r.setDiff(ind+4, before, after, rr)
	default:
		r.listDiff(ind+4, before, after, rr, elementLabel(k))
	}
	r.close(ind+4, bracket)
	if comma {
		r.buf = append(r.buf, ',')
	}
	r.endLine()
}

// wholeDiff writes a change as both values in full: "before -> after".
func (r *human) wholeDiff(ind int, k key, before, after cty.Value, rr []cty.Path, comma bool) {
	r.note = len(rr) > 0
	r.lineStart(ind, '~', k)
	r.value(ind, '-', before)
	r.str(" -> ")
	r.value(ind, '+', after)
	if comma {
		r.buf = append(r.buf, ',')
	}
	r.endLine()
}

// objectDiff writes the changed attributes of an object and a count of the
// unchanged ones. ro, for a resource's own attributes, leaves out its
// run-time ones (neither shown nor counted) and summarises its generated
// ones.
func (r *human) objectDiff(ind int, before, after cty.Value, rr []cty.Path, ro *roles) {
	bObj := !isNull(before) && before.Type().IsObjectType()
	aObj := !isNull(after) && after.Type().IsObjectType()
	var names []string
	switch {
	case !bObj && !aObj:
		return
	case !bObj:
		names = r.attrNames(after.Type())
	case !aObj || before.Type().Equals(after.Type()):
		names = r.attrNames(before.Type())
	default:
		names = mergeSorted(r.attrNames(before.Type()), r.attrNames(after.Type()))
	}
	width := 0
	for _, n := range names {
		if b, a := attrOf(before, n), attrOf(after, n); (!isNull(b) || !isNull(a)) && !ro.hides(n) {
			width = max(width, r.keyWidth(attrKey, n))
		}
	}
	unchanged := 0
	for _, n := range names {
		b, a := attrOf(before, n), attrOf(after, n)
		if isNull(b) && isNull(a) || ro.hides(n) {
			continue
		}
		if same(b, a) {
			unchanged++
			continue
		}
		k := key{kind: attrKey, name: n, width: width}
		if bg, ag := ro.summarises(n, b), ro.summarises(n, a); bg || ag {
			switch tails := attrTails(rr, n); {
			case bg && ag:
				r.generatedDiff(ind, k, b.AsString(), a.AsString(), tails)
				continue
			case ag && isNull(b):
				r.note = len(tails) > 0
				r.generatedEntry(ind, '+', k, a.AsString(), "")
				continue
			case bg && isNull(a):
				r.note = len(tails) > 0
				r.generatedEntry(ind, '-', k, b.AsString(), " -> null")
				continue
			}
		}
		r.diff(ind, k, b, a, attrTails(rr, n), false)
	}
	r.hidden(ind, unchanged, "attribute")
}

func (r *human) mapDiff(ind int, before, after cty.Value, rr []cty.Path) {
	bm, am := before.AsValueMap(), after.AsValueMap()
	keys := sortedKeys(bm)
	for k := range am {
		if _, ok := bm[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	width := 0
	for _, k := range keys {
		width = max(width, r.keyWidth(mapKey, k))
	}
	unchanged := 0
	for _, k := range keys {
		// A missing key reads as cty.NilVal, which diff shows as an entry
		// added or removed; a null entry appearing or vanishing is no change.
		b, a := bm[k], am[k]
		if same(b, a) {
			unchanged++
			continue
		}
		r.diff(ind, key{kind: mapKey, name: k, width: width}, b, a, indexTails(rr, cty.StringVal(k)), false)
	}
	r.hidden(ind, unchanged, "element")
}

// listDiff aligns the two lists on their longest common subsequence: the
// elements outside it are shown removed and added, except that a removed
// and an added object at the same place are shown as one object changed.
// Lists of objects named by a "name" attribute (a node's interfaces) are
// aligned by name instead (keyedListDiff).
func (r *human) listDiff(ind int, before, after cty.Value, rr []cty.Path, label string) {
	bs, as := before.AsValueSlice(), after.AsValueSlice()
	if bn, ok := elementNames(bs); ok {
		if an, ok := elementNames(as); ok {
			r.keyedListDiff(ind, bs, as, bn, an, rr, label)
			return
		}
	}
	ops := diffSeq(bs, as)
	unchanged := 0
	for i := 0; i < len(ops); {
		if ops[i].kind == opKeep {
			unchanged++
			i++
			continue
		}
		var dels, adds []seqOp
		for ; i < len(ops) && ops[i].kind != opKeep; i++ {
			if ops[i].kind == opDel {
				dels = append(dels, ops[i])
			} else {
				adds = append(adds, ops[i])
			}
		}
		pair := len(dels) > 0 && len(adds) > 0
		for j := 0; pair && j < min(len(dels), len(adds)); j++ {
			pair = pairable(bs[dels[j].b], as[adds[j].a])
		}
		n := 0
		if pair {
			n = min(len(dels), len(adds))
			for j := 0; j < n; j++ {
				a := adds[j].a
				r.diff(ind, key{}, bs[dels[j].b], as[a], indexTails(rr, cty.NumberIntVal(int64(a))), true)
			}
		}
		for _, d := range dels[n:] {
			r.entry(ind, '-', key{}, bs[d.b], true, "")
		}
		for _, ad := range adds[n:] {
			r.note = len(indexTails(rr, cty.NumberIntVal(int64(ad.a)))) > 0
			r.entry(ind, '+', key{}, as[ad.a], true, "")
		}
	}
	r.hidden(ind, unchanged, "element")
}

// elementNames returns the "name" of each element of a list of objects
// that all have one (a known string, no two alike), or false.
func elementNames(vs []cty.Value) ([]cty.Value, bool) {
	if len(vs) > 0 && (isNull(vs[0]) || !vs[0].Type().IsObjectType() || !vs[0].Type().HasAttribute("name")) {
		return nil, false // the common case of other lists, without allocating
	}
	names := make([]cty.Value, len(vs))
	seen := make(map[string]bool, len(vs))
	for i, v := range vs {
		if isNull(v) || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute("name") {
			return nil, false
		}
		n := v.GetAttr("name")
		if isNull(n) || !n.IsKnown() || n.Type() != cty.String || seen[n.AsString()] {
			return nil, false
		}
		seen[n.AsString()] = true
		names[i] = n
	}
	return names, true
}

// elementLabel is what names an element of the list attribute k in a
// diff: the attribute's name made singular ("interfaces": interface
// "eth1").
func elementLabel(k key) string {
	if k.kind != attrKey || !isIdent(k.name) {
		return "element"
	}
	if l := strings.TrimSuffix(k.name, "s"); l != "" {
		return l
	}
	return k.name
}

// keyedListDiff is listDiff for lists whose elements are named (bn, an:
// elementNames): an element is the same element before and after when its
// name is, wherever it stands, so that inserting eth0 before eth1 shows
// eth0 added and eth1 unchanged. Each element shown is labelled by its
// name: ~ interface "eth1" {.
func (r *human) keyedListDiff(ind int, bs, as, bn, an []cty.Value, rr []cty.Path, label string) {
	before := make(map[string]int, len(bn))
	for i, n := range bn {
		before[n.AsString()] = i
	}
	inAfter := make(map[string]bool, len(an))
	for _, n := range an {
		inAfter[n.AsString()] = true
	}
	unchanged := 0
	for _, op := range diffSeq(bn, an) {
		switch op.kind {
		case opDel:
			name := bn[op.b].AsString()
			if inAfter[name] {
				continue // moved: shown where it now stands
			}
			r.entry(ind, '-', key{kind: blockKey, name: name, label: label}, bs[op.b], true, "")
		default:
			name := an[op.a].AsString()
			tails := indexTails(rr, cty.NumberIntVal(int64(op.a)))
			k := key{kind: blockKey, name: name, label: label}
			b, ok := before[name]
			switch {
			case !ok:
				r.note = len(tails) > 0
				r.entry(ind, '+', k, as[op.a], true, "")
			case same(bs[b], as[op.a]):
				unchanged++
			default:
				r.diff(ind, k, bs[b], as[op.a], tails, true)
			}
		}
	}
	r.hidden(ind, unchanged, "element")
}

// setDiff shows the elements only in before as removed and those only in
// after as added; set elements have no identity beyond their value.
func (r *human) setDiff(ind int, before, after cty.Value, rr []cty.Path) {
	bs, as := before.AsValueSlice(), after.AsValueSlice()
	kept := make([]bool, len(as))
	var removed []cty.Value
	unchanged := 0
outer:
	for _, b := range bs {
		for j, a := range as {
			if !kept[j] && same(b, a) {
				kept[j] = true
				unchanged++
				continue outer
			}
		}
		removed = append(removed, b)
	}
	for _, b := range removed {
		r.entry(ind, '-', key{}, b, true, "")
	}
	for j, a := range as {
		if !kept[j] {
			r.note = len(rr) > 0 && a.IsWhollyKnown() && len(indexTails(rr, a)) > 0
			r.entry(ind, '+', key{}, a, true, "")
		}
	}
	r.hidden(ind, unchanged, "element")
}

type opKind uint8

const (
	opKeep opKind = iota
	opDel
	opAdd
	opCut // not shown: past heredocDiff's limit
)

type seqOp struct {
	kind opKind
	b, a int // indices into before and after
}

// maxLCSCells bounds the dynamic-programming table: lists beyond it are
// shown as the old middle removed and the new one added.
const maxLCSCells = 1 << 20

func diffSeq(bs, as []cty.Value) []seqOp {
	pre := 0
	for pre < len(bs) && pre < len(as) && same(bs[pre], as[pre]) {
		pre++
	}
	suf := 0
	for suf < len(bs)-pre && suf < len(as)-pre && same(bs[len(bs)-1-suf], as[len(as)-1-suf]) {
		suf++
	}
	ops := make([]seqOp, 0, len(bs)+len(as))
	for i := 0; i < pre; i++ {
		ops = append(ops, seqOp{opKeep, i, i})
	}
	mb, ma := bs[pre:len(bs)-suf], as[pre:len(as)-suf]
	n, m := len(mb), len(ma)
	if n*m <= maxLCSCells && n > 0 && m > 0 {
		// lcs[i*(m+1)+j] is the LCS length of mb[i:] and ma[j:].
		lcs := make([]int32, (n+1)*(m+1))
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if same(mb[i], ma[j]) {
					lcs[i*(m+1)+j] = lcs[(i+1)*(m+1)+j+1] + 1
				} else {
					lcs[i*(m+1)+j] = max(lcs[(i+1)*(m+1)+j], lcs[i*(m+1)+j+1])
				}
			}
		}
		i, j := 0, 0
		for i < n && j < m {
			switch {
			case same(mb[i], ma[j]):
				ops = append(ops, seqOp{opKeep, pre + i, pre + j})
				i++
				j++
			case lcs[(i+1)*(m+1)+j] >= lcs[i*(m+1)+j+1]:
				ops = append(ops, seqOp{opDel, pre + i, -1})
				i++
			default:
				ops = append(ops, seqOp{opAdd, -1, pre + j})
				j++
			}
		}
		for ; i < n; i++ {
			ops = append(ops, seqOp{opDel, pre + i, -1})
		}
		for ; j < m; j++ {
			ops = append(ops, seqOp{opAdd, -1, pre + j})
		}
	} else {
		for i := range mb {
			ops = append(ops, seqOp{opDel, pre + i, -1})
		}
		for j := range ma {
			ops = append(ops, seqOp{opAdd, -1, pre + j})
		}
	}
	for i := 0; i < suf; i++ {
		ops = append(ops, seqOp{opKeep, len(bs) - suf + i, len(as) - suf + i})
	}
	return ops
}

// pairable reports whether a removed and an added list element read better
// as one element changed: both known structures of the same kind.
func pairable(b, a cty.Value) bool {
	if isNull(b) || isNull(a) || !b.IsKnown() || !a.IsKnown() {
		return false
	}
	bt, at := b.Type(), a.Type()
	return bt.IsObjectType() && at.IsObjectType() || bt.IsMapType() && at.IsMapType()
}

func isSequence(t cty.Type) bool { return t.IsListType() || t.IsTupleType() }

// isNull treats cty.NilVal, which a plan built by hand may hold, as null.
func isNull(v cty.Value) bool { return v.Type() == cty.NilType || v.IsNull() }

// same reports whether an entry is unchanged. Unknown values are never the
// same as anything: apply will decide them.
func same(b, a cty.Value) bool {
	bn, an := isNull(b), isNull(a)
	if bn || an {
		return bn && an
	}
	return b.IsWhollyKnown() && a.IsWhollyKnown() && b.RawEquals(a)
}

func attrOf(v cty.Value, name string) cty.Value {
	if isNull(v) || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
		return cty.NilVal
	}
	return v.GetAttr(name)
}

// attrTails returns what follows name in the paths that start with it.
func attrTails(rr []cty.Path, name string) []cty.Path {
	if len(rr) == 0 {
		return nil
	}
	var out []cty.Path
	for _, p := range rr {
		if len(p) > 0 {
			if s, ok := p[0].(cty.GetAttrStep); ok && s.Name == name {
				out = append(out, p[1:])
			}
		}
	}
	return out
}

// indexTails returns what follows the index k in the paths that start
// with it.
func indexTails(rr []cty.Path, k cty.Value) []cty.Path {
	if len(rr) == 0 {
		return nil
	}
	var out []cty.Path
	for _, p := range rr {
		if len(p) > 0 {
			if s, ok := p[0].(cty.IndexStep); ok && !isNull(s.Key) && s.Key.IsWhollyKnown() && s.Key.RawEquals(k) {
				out = append(out, p[1:])
			}
		}
	}
	return out
}

func hasEmpty(rr []cty.Path) bool {
	for _, p := range rr {
		if len(p) == 0 {
			return true
		}
	}
	return false
}

// attrList caches the sorted attribute names of one object type: a large
// plan holds many resources of few types, and sorting each one's names
// would dominate the cost of rendering it.
type attrList struct {
	ty    cty.Type
	names []string
}

const maxCachedTypes = 64

func (r *human) attrNames(ty cty.Type) []string {
	if r.lastHit < len(r.names) && r.names[r.lastHit].ty.Equals(ty) {
		return r.names[r.lastHit].names
	}
	for i := range r.names {
		if r.names[i].ty.Equals(ty) {
			r.lastHit = i
			return r.names[i].names
		}
	}
	atys := ty.AttributeTypes()
	names := make([]string, 0, len(atys))
	for n := range atys {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(r.names) < maxCachedTypes {
		r.names = append(r.names, attrList{ty, names})
		r.lastHit = len(r.names) - 1
	}
	return names
}

func mergeSorted(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			out = append(out, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

func sortedKeys(m map[string]cty.Value) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// isIdent reports whether an attribute name can be shown unquoted, as HCL
// would accept it.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && (c >= '0' && c <= '9' || c == '-')) {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789abcdef"

// appendQuoted appends s as an HCL string literal. Everything that could
// disturb a terminal or hide from a reviewer — control characters, invisible
// and bidirectional formatting characters, invalid UTF-8 — is escaped, so a
// value read back from the host can neither recolour the screen nor
// masquerade as another value. "${" and "%{" are doubled as HCL requires.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			case (c == '$' || c == '%') && i+1 < len(s) && s[i+1] == '{':
				b = append(b, c, c)
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		case unicode.IsPrint(r):
			b = append(b, s[i:i+size]...)
		case r <= 0xffff:
			b = append(b, '\\', 'u')
			for shift := 12; shift >= 0; shift -= 4 {
				b = append(b, hexDigits[r>>shift&0xf])
			}
		default:
			b = append(b, '\\', 'U')
			for shift := 28; shift >= 0; shift -= 4 {
				b = append(b, hexDigits[r>>shift&0xf])
			}
		}
		i += size
	}
	return append(b, '"')
}

// appendNumber appends the exact decimal form of a known number; integers,
// the common case, avoid big.Float's formatting.
func appendNumber(b []byte, v cty.Value) []byte {
	f := v.AsBigFloat()
	if f.IsInt() {
		if i, acc := f.Int64(); acc == big.Exact {
			return strconv.AppendInt(b, i, 10)
		}
	}
	return f.Append(b, 'f', -1)
}

// isMultiline reports whether s reads better as a heredoc: text of more
// than one line, ending with a newline, as files are.
func isMultiline(s string) bool {
	n := strings.IndexByte(s, '\n')
	return n >= 0 && n < len(s)-1 && strings.HasSuffix(s, "\n")
}

// heredoc writes a multi-line string as Terraform does:
//
//	content = <<-EOT
//	    line one
//	EOT
//
// the lines at ind+8, the closing EOT at ind+4.
func (r *human) heredoc(ind int, s string) {
	r.str("<<-EOT")
	r.endLine()
	for _, line := range strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n") {
		r.heredocLine(ind+8, strings.TrimSuffix(line, "\n"))
	}
	r.indent(ind + 4)
	r.str("EOT")
}

func (r *human) heredocLine(col int, line string) {
	if line != "" {
		r.indent(col)
		r.str(line)
	}
	r.endLine()
}

// heredocChange writes a removed or added line of a heredoc diff: the
// marker m at col, then the line. Unlike heredocLine, an empty line keeps
// its indent and marker, which show that a blank line went or came.
func (r *human) heredocChange(col int, m byte, line string) {
	r.indent(col)
	r.mark(m)
	r.buf = append(r.buf, ' ')
	r.str(line)
	r.endLine()
}

// heredocContext is how many unchanged lines are shown around a change.
const heredocContext = 3

// A generated file's diff shows generatedContext unchanged lines around a
// change, and at most generatedChanges changed lines: it says what changed
// (plan -json holds the whole file).
const (
	generatedContext = 2
	generatedChanges = 20
)

// lineCount is the number of lines of a file's content: a last line
// without a newline counts.
func lineCount(s string) int {
	n := strings.Count(s, "\n")
	if s != "" && !strings.HasSuffix(s, "\n") {
		n++
	}
	return n
}

func appendLines(b []byte, n int) []byte {
	b = strconv.AppendInt(b, int64(n), 10)
	if n == 1 {
		return append(b, " line"...)
	}
	return append(b, " lines"...)
}

// generatedEntry writes a generated file's content, created (m '+') or
// deleted (m '-'), as its line count: (generated, 176 lines).
func (r *human) generatedEntry(ind int, m byte, k key, s string, suffix string) {
	r.lineStart(ind, m, k)
	r.str("(generated, ")
	r.buf = appendLines(r.buf, lineCount(s))
	r.str(")")
	r.str(suffix)
	r.endLine()
}

// generatedDiff writes the change of a generated file's content as a
// short line diff, its line counts in a comment:
//
//	~ content = <<-EOT # generated, 176 -> 178 lines
//	      # (40 unchanged lines hidden)
//	      ...
//	  EOT
func (r *human) generatedDiff(ind int, k key, before, after string, rr []cty.Path) {
	r.note = len(rr) > 0
	r.lineStart(ind, '~', k)
	nb, na := lineCount(before), lineCount(after)
	comment := make([]byte, 0, 40)
	comment = append(comment, " # generated, "...)
	if nb != na {
		comment = strconv.AppendInt(comment, int64(nb), 10)
		comment = append(comment, " -> "...)
	}
	comment = appendLines(comment, na)
	r.heredocDiff(ind, before, after, string(comment), generatedContext, generatedChanges)
	r.endLine()
}

// heredocDiff writes the line-by-line difference of two multi-line
// strings, hiding unchanged lines farther than context from any change;
// comment follows the opening <<-EOT. With limit > 0, at most limit
// changed lines are shown, and a last line counts what is left.
func (r *human) heredocDiff(ind int, before, after, comment string, context, limit int) {
	toValues := func(s string) []cty.Value {
		if s == "" {
			return nil // no line at all, not one empty line
		}
		lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
		out := make([]cty.Value, len(lines))
		for i, l := range lines {
			out[i] = cty.StringVal(l)
		}
		return out
	}
	bs, as := toValues(before), toValues(after)
	ops := diffSeq(bs, as)
	// near[i]: op i is within context of a changed line.
	near := make([]bool, len(ops))
	for i, op := range ops {
		if op.kind == opKeep {
			continue
		}
		for j := max(0, i-context); j <= min(len(ops)-1, i+context); j++ {
			near[j] = true
		}
	}
	r.str("<<-EOT")
	r.str(comment)
	r.endLine()
	hidden := 0
	flush := func() {
		if hidden > 0 {
			r.indent(ind + 8)
			r.str("# (" + strconv.Itoa(hidden) + " unchanged lines hidden)")
			r.endLine()
			hidden = 0
		}
	}
	// With a limit, the changed lines shown are the first of each run of
	// removed and added lines, the budget shared between the two, until it
	// is spent; then the rest is counted.
	if limit > 0 {
		budget := limit
		for i := 0; i < len(ops); {
			if ops[i].kind == opKeep {
				i++
				continue
			}
			j, dels := i, 0
			for ; j < len(ops) && ops[j].kind != opKeep; j++ {
				if ops[j].kind == opDel {
					dels++
				}
			}
			adds := j - i - dels
			if dels+adds > budget {
				keepDels := min(dels, max(budget/2, budget-adds))
				keepAdds := budget - keepDels
				for k, d, a := i, 0, 0; k < j; k++ {
					switch {
					case ops[k].kind == opDel && d < keepDels:
						d++
					case ops[k].kind == opAdd && a < keepAdds:
						a++
					default:
						ops[k].kind = opCut
					}
				}
				for k := j; k < len(ops); k++ {
					ops[k].kind = opCut
				}
				break
			}
			budget -= dels + adds
			i = j
		}
	}
	cut, cutKept := 0, 0
	for i, op := range ops {
		if op.kind == opCut {
			if op.b >= 0 && op.a >= 0 {
				cutKept++
			} else {
				cut++
			}
			continue
		}
		switch op.kind {
		case opKeep:
			if !near[i] {
				hidden++
				continue
			}
			flush()
			r.heredocLine(ind+8, as[op.a].AsString())
		case opDel:
			flush()
			r.heredocChange(ind+6, '-', bs[op.b].AsString())
		case opAdd:
			flush()
			r.heredocChange(ind+6, '+', as[op.a].AsString())
		}
	}
	flush()
	if cut+cutKept > 0 {
		r.indent(ind + 8)
		r.str("# (" + strconv.Itoa(cut) + " more changed")
		if cutKept > 0 {
			r.str(" and " + strconv.Itoa(cutKept) + " unchanged")
		}
		r.str(" lines hidden)")
		r.endLine()
	}
	r.indent(ind + 4)
	r.str("EOT")
}
