package plan

import (
	"math/big"
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
	noKey   keyKind = iota // a list or set element
	attrKey                // an object attribute or output name: bare when it is an identifier
	mapKey                 // a map key: always quoted
)

// key is what precedes " = " on an entry line, padded to width so that the
// "=" of sibling entries line up.
type key struct {
	kind  keyKind
	name  string
	width int
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
	if k.kind == noKey {
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
	r.value(ind, m, v)
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
		width := r.collect(v)
		if len(r.pairs) == start {
			r.str("{}")
			return
		}
		r.open('{')
		r.entries(ind+4, m, start, width, "")
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
// entries marked m; suffix ends each one.
func (r *human) objectEntries(ind int, m byte, v cty.Value, suffix string) {
	if isNull(v) || !v.IsKnown() || !v.Type().IsObjectType() {
		return
	}
	start := len(r.pairs)
	width := r.collect(v)
	r.entries(ind, m, start, width, suffix)
}

// pair is an attribute or map entry waiting to be written. The renderer
// keeps them on one stack, r.pairs, so that measuring the keys before
// writing them costs no allocation and no second lookup.
type pair struct {
	kind keyKind
	name string
	v    cty.Value
}

// collect pushes the entries of an object (non-null attributes, sorted) or
// a map (all entries, sorted) onto r.pairs and returns the width of their
// keys.
func (r *human) collect(v cty.Value) (width int) {
	if v.Type().IsObjectType() {
		for _, n := range r.attrNames(v.Type()) {
			if a := v.GetAttr(n); !isNull(a) {
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
func (r *human) entries(ind int, m byte, start, width int, suffix string) {
	for i := start; i < len(r.pairs); i++ {
		p := r.pairs[i] // r.pairs may grow while p is written
		r.entry(ind, m, key{kind: p.kind, name: p.name, width: width}, p.v, false, suffix)
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
		r.heredocDiff(ind, before.AsString(), after.AsString())
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
		r.objectDiff(ind+4, before, after, rr)
	case bt.IsMapType():
		r.mapDiff(ind+4, before, after, rr)
	case bt.IsSetType():
		r.setDiff(ind+4, before, after, rr)
	default:
		r.listDiff(ind+4, before, after, rr)
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
// unchanged ones.
func (r *human) objectDiff(ind int, before, after cty.Value, rr []cty.Path) {
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
		if b, a := attrOf(before, n), attrOf(after, n); !isNull(b) || !isNull(a) {
			width = max(width, r.keyWidth(attrKey, n))
		}
	}
	unchanged := 0
	for _, n := range names {
		b, a := attrOf(before, n), attrOf(after, n)
		if isNull(b) && isNull(a) {
			continue
		}
		if same(b, a) {
			unchanged++
			continue
		}
		r.diff(ind, key{kind: attrKey, name: n, width: width}, b, a, attrTails(rr, n), false)
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
func (r *human) listDiff(ind int, before, after cty.Value, rr []cty.Path) {
	bs, as := before.AsValueSlice(), after.AsValueSlice()
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

// heredocDiff writes the line-by-line difference of two multi-line
// strings, hiding unchanged lines far from any change.
func (r *human) heredocDiff(ind int, before, after string) {
	toValues := func(s string) []cty.Value {
		lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
		out := make([]cty.Value, len(lines))
		for i, l := range lines {
			out[i] = cty.StringVal(l)
		}
		return out
	}
	bs, as := toValues(before), toValues(after)
	ops := diffSeq(bs, as)
	// near[i]: op i is within heredocContext of a changed line.
	near := make([]bool, len(ops))
	for i, op := range ops {
		if op.kind == opKeep {
			continue
		}
		for j := max(0, i-heredocContext); j <= min(len(ops)-1, i+heredocContext); j++ {
			near[j] = true
		}
	}
	r.str("<<-EOT")
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
	for i, op := range ops {
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
	r.indent(ind + 4)
	r.str("EOT")
}
