package plugin

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"

	"github.com/benito-net/benito/internal/msgpackwalk"
	"github.com/zclconf/go-cty/cty"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"
)

// This file encodes and decodes values in cty's msgpack format
// (github.com/zclconf/go-cty/cty/msgpack), byte for byte, so that a
// provider built with cty's own code interoperates, through cty's public
// API only. A codec is compiled once per value type: attribute names
// sorted and their encodings precomputed, and no reflection (cty's
// encoder goes through vmihailenco/msgpack's). It takes on what values of
// a schema's types hold in practice: known and wholly unknown values,
// nulls, strings, numbers, bools, lists, sets, maps, objects and tuples.
// The rest (a refined unknown, a dynamically typed part, an object type
// with optional attributes, a value not exactly of the type, bytes it
// does not expect) goes to cty's own code: that part alone where its bytes
// are self-contained, otherwise the whole value. So this codec changes
// speed, never results, and errors are cty's but for one kind: every
// length read from the wire is checked against the bytes left before
// anything is allocated for it, and bytes go to cty's decoder only once a
// walk over them (msgpackwalk.Skip) found every length within the input,
// since cty allocates what a length claims (and that walk also refuses
// what nests deeper than msgpackwalk.MaxDepth). Headers are read with
// msgpackwalk's readers, which bound the lengths they return.

type nodeKind uint8

const (
	kOther nodeKind = iota // delegated to cty
	kString
	kNumber
	kBool
	kList
	kSet
	kMap
	kObject
	kTuple
)

// codecNode encodes and decodes values of one type.
type codecNode struct {
	ty    cty.Type
	kind  nodeKind
	elem  *codecNode   // list, set, map
	elems []*codecNode // tuple elements; object attributes in name order
	names []string     // object attribute names, sorted (cty's order)
	keys  [][]byte     // the names msgpack-encoded
	index map[string]int
}

// typeCodec is a compiled codec for one value type.
type typeCodec struct{ root *codecNode }

// codecOf compiles the codec of ty. Callers keep it as long as the type
// (newTypes: once per resource type when a schema is loaded).
func codecOf(ty cty.Type) *typeCodec { return &typeCodec{root: compileNode(ty)} }

func compileNode(ty cty.Type) *codecNode {
	n := &codecNode{ty: ty}
	switch {
	case ty == cty.String:
		n.kind = kString
	case ty == cty.Number:
		n.kind = kNumber
	case ty == cty.Bool:
		n.kind = kBool
	case ty.HasDynamicTypes():
		// Collections of dynamic elements can hold elements of several
		// types; objects and tuples are typed per part and stay fast.
		if ty.IsObjectType() && len(ty.OptionalAttributes()) == 0 {
			compileObject(n)
		} else if ty.IsTupleType() {
			compileTuple(n)
		}
	case ty.IsListType():
		n.kind, n.elem = kList, compileNode(ty.ElementType())
	case ty.IsSetType():
		n.kind, n.elem = kSet, compileNode(ty.ElementType())
	case ty.IsMapType():
		n.kind, n.elem = kMap, compileNode(ty.ElementType())
	case ty.IsObjectType():
		if len(ty.OptionalAttributes()) == 0 {
			compileObject(n)
		}
	case ty.IsTupleType():
		compileTuple(n)
	}
	return n
}

func compileObject(n *codecNode) {
	atys := n.ty.AttributeTypes()
	n.kind = kObject
	n.names = make([]string, 0, len(atys))
	for name := range atys {
		n.names = append(n.names, name)
	}
	sort.Strings(n.names)
	n.index = make(map[string]int, len(atys))
	for i, name := range n.names {
		n.elems = append(n.elems, compileNode(atys[name]))
		n.keys = append(n.keys, appendStr(nil, name))
		n.index[name] = i
	}
}

func compileTuple(n *codecNode) {
	n.kind = kTuple
	for _, ety := range n.ty.TupleElementTypes() {
		n.elems = append(n.elems, compileNode(ety))
	}
}

// Marshal encodes v as ctymsgpack.Marshal(v, ty) does.
func (c *typeCodec) Marshal(v cty.Value) ([]byte, error) {
	if b, ok := c.root.encode(make([]byte, 0, 256), v); ok {
		return b, nil
	}
	return ctymsgpack.Marshal(v, c.root.ty)
}

// Unmarshal decodes b as ctymsgpack.Unmarshal(b, ty) does, except that
// bytes with a length longer than what follows it are an error here
// before cty would allocate for them.
func (c *typeCodec) Unmarshal(b []byte) (cty.Value, error) {
	if v, _, ok := c.root.decode(b, 0); ok {
		return v, nil
	}
	if _, ok := msgpackwalk.Skip(b, 0); !ok {
		return cty.NilVal, errMalformed
	}
	return unmarshalCty(b, c.root.ty)
}

var errMalformed = errors.New("malformed msgpack: truncated, or a length longer than the bytes that follow it")

// unmarshalCty is ctymsgpack.Unmarshal, its panics (cty's constructors
// panic on some inconsistent input) turned into errors: the bytes come
// from the other process.
func unmarshalCty(b []byte, ty cty.Type) (v cty.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = cty.NilVal, fmt.Errorf("malformed msgpack for %s: %v", ty.FriendlyName(), r)
		}
	}()
	return ctymsgpack.Unmarshal(b, ty)
}

// --- encoding ---

func (n *codecNode) encode(b []byte, v cty.Value) ([]byte, bool) {
	if v.IsMarked() {
		return b, false
	}
	if n.kind == kOther {
		return n.delegate(b, v)
	}
	if !v.IsKnown() {
		if !v.Type().Equals(n.ty) {
			return b, false
		}
		if !plainUnknown(v) {
			return n.delegate(b, v)
		}
		return append(b, 0xd4, 0, 0), true
	}
	if v.IsNull() {
		if !v.Type().Equals(n.ty) {
			return b, false
		}
		return append(b, 0xc0), true
	}
	switch n.kind {
	case kString:
		if v.Type() != cty.String {
			return b, false
		}
		return appendStr(b, v.AsString()), true
	case kNumber:
		if v.Type() != cty.Number {
			return b, false
		}
		return appendNumber(b, v.AsBigFloat()), true
	case kBool:
		if v.Type() != cty.Bool {
			return b, false
		}
		if v.True() {
			return append(b, 0xc3), true
		}
		return append(b, 0xc2), true
	case kList, kSet, kMap:
		vt := v.Type()
		switch {
		case n.kind == kList && !vt.IsListType(),
			n.kind == kSet && !vt.IsSetType(),
			n.kind == kMap && !vt.IsMapType():
			return b, false
		}
		l := v.LengthInt()
		if l == 0 && !vt.Equals(n.ty) {
			return b, false
		}
		if n.kind == kMap {
			b = appendMapLen(b, l)
		} else {
			b = appendArrayLen(b, l)
		}
		ok := true
		for it := v.ElementIterator(); ok && it.Next(); {
			k, e := it.Element()
			if n.kind == kMap {
				b = appendStr(b, k.AsString())
			}
			b, ok = n.elem.encode(b, e)
		}
		return b, ok
	case kObject:
		vt := v.Type()
		if !vt.IsObjectType() {
			return b, false
		}
		atys := vt.AttributeTypes()
		if len(atys) != len(n.names) {
			return b, false
		}
		b = appendMapLen(b, len(n.names))
		for i, name := range n.names {
			if _, ok := atys[name]; !ok {
				return b, false
			}
			b = append(b, n.keys[i]...)
			var ok bool
			if b, ok = n.elems[i].encode(b, v.GetAttr(name)); !ok {
				return b, false
			}
		}
		return b, true
	case kTuple:
		vt := v.Type()
		if !vt.IsTupleType() || len(vt.TupleElementTypes()) != len(n.elems) {
			return b, false
		}
		b = appendArrayLen(b, len(n.elems))
		for i, e := range v.AsValueSlice() {
			var ok bool
			if b, ok = n.elems[i].encode(b, e); !ok {
				return b, false
			}
		}
		return b, true
	}
	return b, false
}

// delegate appends cty's encoding of v: a msgpack value is the same bytes
// alone or inside another.
func (n *codecNode) delegate(b []byte, v cty.Value) ([]byte, bool) {
	enc, err := ctymsgpack.Marshal(v, n.ty)
	if err != nil {
		return b, false // the whole value again, for cty's error
	}
	return append(b, enc...), true
}

// plainUnknown says whether cty encodes the unknown v as the bare unknown
// (no refinements). Numbers are left to cty.
func plainUnknown(v cty.Value) bool {
	rng := v.Range()
	tc := rng.TypeConstraint()
	if tc == cty.DynamicPseudoType {
		return true
	}
	if rng.DefinitelyNotNull() || tc == cty.Number {
		return false
	}
	switch {
	case tc == cty.String:
		return rng.StringPrefix() == ""
	case tc.IsCollectionType():
		return rng.LengthLowerBound() == 0 && rng.LengthUpperBound() == math.MaxInt
	}
	return true
}

func appendNumber(b []byte, bf *big.Float) []byte {
	if bf.IsInf() {
		if bf.Sign() > 0 {
			return appendFloat(b, math.Inf(1))
		}
		return appendFloat(b, math.Inf(-1))
	}
	if iv, acc := bf.Int64(); acc == big.Exact {
		return appendInt(b, iv)
	}
	if fv, acc := bf.Float64(); acc == big.Exact && !bf.IsInt() {
		return appendFloat(b, fv)
	}
	return appendStr(b, bf.Text('f', -1))
}

// appendInt is vmihailenco/msgpack's EncodeInt with compact ints, as cty
// uses it.
func appendInt(b []byte, n int64) []byte {
	if n >= 0 {
		u := uint64(n)
		switch {
		case u <= math.MaxInt8:
			return append(b, byte(u))
		case u <= math.MaxUint8:
			return append(b, 0xcc, byte(u))
		case u <= math.MaxUint16:
			return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(u))
		case u <= math.MaxUint32:
			return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(u))
		}
		return binary.BigEndian.AppendUint64(append(b, 0xcf), u)
	}
	switch {
	case n >= -32:
		return append(b, byte(n))
	case n >= math.MinInt8:
		return append(b, 0xd0, byte(n))
	case n >= math.MinInt16:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(n))
	case n >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
}

func appendFloat(b []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(append(b, 0xcb), math.Float64bits(f))
}

func appendStr(b []byte, s string) []byte {
	switch l := len(s); {
	case l < 32:
		b = append(b, 0xa0|byte(l))
	case l < 256:
		b = append(b, 0xd9, byte(l))
	case l <= math.MaxUint16:
		b = binary.BigEndian.AppendUint16(append(b, 0xda), uint16(l))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(l))
	}
	return append(b, s...)
}

func appendArrayLen(b []byte, l int) []byte {
	switch {
	case l < 16:
		return append(b, 0x90|byte(l))
	case l <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, 0xdc), uint16(l))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xdd), uint32(l))
}

func appendMapLen(b []byte, l int) []byte {
	switch {
	case l < 16:
		return append(b, 0x80|byte(l))
	case l <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, 0xde), uint16(l))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xdf), uint32(l))
}

// --- decoding ---

// decode decodes the value at b[p:], returning it and where it ends; !ok
// when it cannot (the caller then asks cty for the whole value, for its
// error or its result). Lengths are checked against the bytes left before
// anything is allocated for them (msgpackwalk's readers do).
func (n *codecNode) decode(b []byte, p int) (cty.Value, int, bool) {
	if p >= len(b) {
		return cty.NilVal, p, false
	}
	c := b[p]
	if msgpackwalk.IsExt(c) {
		body, end, ok := msgpackwalk.Ext(b, p)
		if !ok {
			return cty.NilVal, p, false
		}
		if body <= 1 {
			return cty.UnknownVal(n.ty), end, true
		}
		return n.undelegate(b, p, end)
	}
	if n.kind == kOther {
		end, ok := msgpackwalk.Skip(b, p)
		if !ok {
			return cty.NilVal, p, false
		}
		return n.undelegate(b, p, end)
	}
	if c == 0xc0 {
		return cty.NullVal(n.ty), p + 1, true
	}
	switch n.kind {
	case kString:
		s, end, ok := readStr(b, p)
		if !ok {
			return cty.NilVal, p, false
		}
		return cty.StringVal(s), end, true
	case kNumber:
		return decodeNumber(b, p)
	case kBool:
		switch c {
		case 0xc2:
			return cty.False, p + 1, true
		case 0xc3:
			return cty.True, p + 1, true
		}
		return cty.NilVal, p, false
	case kList, kSet:
		l, q, ok := msgpackwalk.ArrayLen(b, p)
		if !ok {
			return cty.NilVal, p, false
		}
		ety := n.elem.ty
		if l == 0 {
			if n.kind == kList {
				return cty.ListValEmpty(ety), q, true
			}
			return cty.SetValEmpty(ety), q, true
		}
		vals := make([]cty.Value, l)
		for i := range vals {
			if vals[i], q, ok = n.elem.decode(b, q); !ok {
				return cty.NilVal, p, false
			}
		}
		if n.kind == kList {
			return cty.ListVal(vals), q, true
		}
		return cty.SetVal(vals), q, true
	case kMap:
		l, q, ok := msgpackwalk.MapLen(b, p)
		if !ok {
			return cty.NilVal, p, false
		}
		if l == 0 {
			return cty.MapValEmpty(n.elem.ty), q, true
		}
		vals := make(map[string]cty.Value, l)
		for range l {
			var k string
			if k, q, ok = readStr(b, q); !ok {
				return cty.NilVal, p, false
			}
			var v cty.Value
			if v, q, ok = n.elem.decode(b, q); !ok {
				return cty.NilVal, p, false
			}
			vals[k] = v
		}
		return cty.MapVal(vals), q, true
	case kObject:
		return n.decodeObject(b, p)
	case kTuple:
		l, q, ok := msgpackwalk.ArrayLen(b, p)
		if !ok || l != len(n.elems) || l == 0 {
			return cty.NilVal, p, false
		}
		vals := make([]cty.Value, l)
		for i, e := range n.elems {
			if vals[i], q, ok = e.decode(b, q); !ok {
				return cty.NilVal, p, false
			}
		}
		return cty.TupleVal(vals), q, true
	}
	return cty.NilVal, p, false
}

func (n *codecNode) decodeObject(b []byte, p int) (cty.Value, int, bool) {
	l, q, ok := msgpackwalk.MapLen(b, p)
	if !ok || l != len(n.names) || l == 0 {
		return cty.NilVal, p, false
	}
	attrs := make(map[string]cty.Value, l)
	for range l {
		var ks, ke int
		if ks, ke, ok = msgpackwalk.Str(b, q); !ok {
			return cty.NilVal, p, false
		}
		i, found := n.index[string(b[ks:ke])]
		if !found {
			return cty.NilVal, p, false // cty's error
		}
		name := n.names[i]
		if _, dup := attrs[name]; dup {
			return cty.NilVal, p, false // cty's odd result
		}
		var v cty.Value
		if v, q, ok = n.elems[i].decode(b, ke); !ok {
			return cty.NilVal, p, false
		}
		attrs[name] = v
	}
	return cty.ObjectVal(attrs), q, true
}

// undelegate decodes b[p:end] with cty; the caller has checked its
// lengths (msgpackwalk.Skip or Ext).
func (n *codecNode) undelegate(b []byte, p, end int) (cty.Value, int, bool) {
	v, err := unmarshalCty(b[p:end], n.ty)
	if err != nil {
		return cty.NilVal, p, false
	}
	return v, end, true
}

func decodeNumber(b []byte, p int) (cty.Value, int, bool) {
	c := b[p]
	switch {
	case c <= 0x7f:
		return cty.NumberIntVal(int64(c)), p + 1, true
	case c >= 0xe0:
		return cty.NumberIntVal(int64(int8(c))), p + 1, true
	}
	var size int
	switch c {
	case 0xcc, 0xd0:
		size = 1
	case 0xcd, 0xd1:
		size = 2
	case 0xce, 0xd2:
		size = 4
	case 0xcf, 0xd3, 0xcb:
		size = 8
	}
	if size == 0 {
		s, end, ok := readStr(b, p)
		if !ok {
			return cty.NilVal, p, false
		}
		v, err := cty.ParseNumberVal(s)
		if err != nil {
			return cty.NilVal, p, false
		}
		return v, end, true
	}
	if len(b)-p-1 < size {
		return cty.NilVal, p, false
	}
	d, end := b[p+1:p+1+size], p+1+size
	switch c {
	case 0xcc:
		return cty.NumberUIntVal(uint64(d[0])), end, true
	case 0xcd:
		return cty.NumberUIntVal(uint64(binary.BigEndian.Uint16(d))), end, true
	case 0xce:
		return cty.NumberUIntVal(uint64(binary.BigEndian.Uint32(d))), end, true
	case 0xcf:
		return cty.NumberUIntVal(binary.BigEndian.Uint64(d)), end, true
	case 0xd0:
		return cty.NumberIntVal(int64(int8(d[0]))), end, true
	case 0xd1:
		return cty.NumberIntVal(int64(int16(binary.BigEndian.Uint16(d)))), end, true
	case 0xd2:
		return cty.NumberIntVal(int64(int32(binary.BigEndian.Uint32(d)))), end, true
	case 0xd3:
		return cty.NumberIntVal(int64(binary.BigEndian.Uint64(d))), end, true
	}
	f := math.Float64frombits(binary.BigEndian.Uint64(d))
	if math.IsNaN(f) {
		return cty.NilVal, p, false
	}
	return cty.NumberFloatVal(f), end, true
}

func readStr(b []byte, p int) (string, int, bool) {
	s, e, ok := msgpackwalk.Str(b, p)
	if !ok {
		return "", p, false
	}
	return string(b[s:e]), e, true
}
