package plugin

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"
)

// The fast codec must give exactly cty's bytes and values: random types and
// values, encoded both ways and decoded both ways.
func TestFastCodecMatchesCty(t *testing.T) {
	if !valueLayoutOK {
		t.Error("cty.Value's layout changed: the fast codec uses cty's constructors (slower); update valueRep")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		ty := randType(r, 3)
		v := randValue(r, ty, 3)
		checkCodec(t, fmt.Sprint(i), v, ty)
	}
}

func TestFastCodecCases(t *testing.T) {
	obj := cty.Object(map[string]cty.Type{"a": cty.String, "b": cty.Number, "c": cty.List(cty.String), "d": cty.DynamicPseudoType})
	for name, tc := range map[string]struct {
		v  cty.Value
		ty cty.Type
	}{
		"ascii":          {cty.StringVal("hello"), cty.String},
		"not NFC":        {cty.StringVal("e\u0301"), cty.String},
		"long":           {cty.StringVal(strings.Repeat("x", 70000)), cty.String},
		"str8":           {cty.StringVal(strings.Repeat("x", 200)), cty.String},
		"int":            {cty.NumberIntVal(-1 << 40), cty.Number},
		"uint":           {cty.NumberUIntVal(1 << 63), cty.Number},
		"fraction":       {cty.NumberFloatVal(0.1), cty.Number},
		"big":            {cty.MustParseNumberVal("1e400"), cty.Number},
		"precise":        {cty.MustParseNumberVal("0.1000000000000000000000000001"), cty.Number},
		"inf":            {cty.PositiveInfinity, cty.Number},
		"-inf":           {cty.NegativeInfinity, cty.Number},
		"unknown":        {cty.UnknownVal(obj), obj},
		"refined":        {cty.UnknownVal(cty.String).Refine().NotNull().StringPrefix("ab").NewValue(), cty.String},
		"unknown number": {cty.UnknownVal(cty.Number).Refine().NumberRangeLowerBound(cty.Zero, true).NewValue(), cty.Number},
		"unknown list":   {cty.UnknownVal(cty.List(cty.String)).Refine().CollectionLengthLowerBound(1).NewValue(), cty.List(cty.String)},
		"null object":    {cty.NullVal(obj), obj},
		"object": {cty.ObjectVal(map[string]cty.Value{
			"a": cty.StringVal("x"), "b": cty.NumberIntVal(3), "c": cty.ListValEmpty(cty.String), "d": cty.True,
		}), obj},
		"dynamic":       {cty.StringVal("x"), cty.DynamicPseudoType},
		"conversion":    {cty.StringVal("12"), cty.Number},
		"marked":        {cty.StringVal("x").Mark("secret"), cty.String},
		"wrong type":    {cty.True, cty.String},
		"optional attr": {cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x")}), cty.ObjectWithOptionalAttrs(map[string]cty.Type{"a": cty.String}, []string{"a"})},
		"set":           {cty.SetVal([]cty.Value{cty.StringVal("b"), cty.StringVal("a")}), cty.Set(cty.String)},
		"map":           {cty.MapVal(map[string]cty.Value{"z": cty.True, "a": cty.False}), cty.Map(cty.Bool)},
		"tuple":         {cty.TupleVal([]cty.Value{cty.True, cty.StringVal("x")}), cty.Tuple([]cty.Type{cty.Bool, cty.String})},
		"list dynamic":  {cty.ListVal([]cty.Value{cty.True}), cty.List(cty.DynamicPseudoType)},
	} {
		checkCodec(t, name, tc.v, tc.ty)
	}
}

// checkCodec checks that v against ty encodes to cty's bytes (or fails as
// cty does) and that those bytes decode to cty's value.
func checkCodec(t *testing.T, name string, v cty.Value, ty cty.Type) {
	t.Helper()
	c := compileCodec(ty)
	want, werr := ctymsgpack.Marshal(v, ty)
	got, gerr := c.Marshal(v)
	if (werr != nil) != (gerr != nil) || !bytes.Equal(got, want) {
		t.Fatalf("%s: encoding %#v as %#v:\n got %x, %v\nwant %x, %v", name, v, ty, got, gerr, want, werr)
	}
	if werr != nil {
		return
	}
	wv, werr := ctymsgpack.Unmarshal(want, ty)
	gv, gerr := c.Unmarshal(want)
	if (werr != nil) != (gerr != nil) || (werr == nil && (!gv.RawEquals(wv) || !gv.Type().Equals(wv.Type()))) {
		t.Fatalf("%s: decoding %x as %#v:\n got %#v, %v\nwant %#v, %v", name, want, ty, gv, gerr, wv, werr)
	}
	// Encoding the decoded value gives the same bytes again.
	if again, err := c.Marshal(gv); err != nil || !bytes.Equal(again, want) {
		t.Fatalf("%s: re-encoding %#v: got %x, %v want %x", name, gv, again, err, want)
	}
}

func randType(r *rand.Rand, depth int) cty.Type {
	n := 3
	if depth > 0 {
		n = 9
	}
	switch r.IntN(n) {
	case 0:
		return cty.String
	case 1:
		return cty.Number
	case 2:
		return cty.Bool
	case 3:
		return cty.List(randType(r, depth-1))
	case 4:
		return cty.Set(randType(r, depth-1))
	case 5:
		return cty.Map(randType(r, depth-1))
	case 6:
		if r.IntN(8) == 0 {
			return cty.DynamicPseudoType
		}
		fallthrough
	case 7:
		atys := map[string]cty.Type{}
		for i := range r.IntN(20) {
			atys[fmt.Sprintf("attr_%d", i)] = randType(r, depth-1)
		}
		return cty.Object(atys)
	default:
		var etys []cty.Type
		for range 1 + r.IntN(3) {
			etys = append(etys, randType(r, depth-1))
		}
		return cty.Tuple(etys)
	}
}

func randValue(r *rand.Rand, ty cty.Type, depth int) cty.Value {
	switch r.IntN(12) {
	case 0:
		return cty.NullVal(ty)
	case 1:
		return cty.UnknownVal(ty)
	case 2:
		if ty == cty.String {
			return cty.UnknownVal(ty).Refine().NotNull().StringPrefix("pre").NewValue()
		}
	}
	switch {
	case ty == cty.DynamicPseudoType:
		return randValue(r, randType(r, 1), depth-1)
	case ty == cty.String:
		return cty.StringVal([]string{"", "a", "hello, world", "e\u0301", "über", strings.Repeat("y", 40), strings.Repeat("z", 300)}[r.IntN(7)])
	case ty == cty.Number:
		switch r.IntN(6) {
		case 0:
			return cty.NumberIntVal(r.Int64N(256) - 128)
		case 1:
			return cty.NumberIntVal(r.Int64() >> r.IntN(64) * int64(1-2*r.IntN(2)))
		case 2:
			return cty.NumberUIntVal(r.Uint64())
		case 3:
			return cty.NumberFloatVal(r.Float64() * 1e6)
		case 4:
			return cty.MustParseNumberVal([]string{"1e400", "-123456789012345678901234567890", "0.3", "1.00000000000000000001"}[r.IntN(4)])
		default:
			return []cty.Value{cty.PositiveInfinity, cty.NegativeInfinity, cty.Zero}[r.IntN(3)]
		}
	case ty == cty.Bool:
		return cty.BoolVal(r.IntN(2) == 0)
	case ty.IsListType(), ty.IsSetType():
		var vals []cty.Value
		for range r.IntN(4) {
			vals = append(vals, randValue(r, ty.ElementType(), depth-1))
		}
		if ty.ElementType().HasDynamicTypes() && len(vals) > 0 {
			vals = vals[:1] // all elements of one type
		}
		switch {
		case len(vals) == 0 && ty.IsListType():
			return cty.ListValEmpty(ty.ElementType())
		case len(vals) == 0:
			return cty.SetValEmpty(ty.ElementType())
		case ty.IsListType():
			return cty.ListVal(vals)
		}
		return cty.SetVal(vals)
	case ty.IsMapType():
		vals := map[string]cty.Value{}
		for i := range r.IntN(4) {
			vals[fmt.Sprintf("k%d", i)] = randValue(r, ty.ElementType(), depth-1)
			if ty.ElementType().HasDynamicTypes() {
				break
			}
		}
		if len(vals) == 0 {
			return cty.MapValEmpty(ty.ElementType())
		}
		return cty.MapVal(vals)
	case ty.IsObjectType():
		vals := map[string]cty.Value{}
		for name, aty := range ty.AttributeTypes() {
			vals[name] = randValue(r, aty, depth-1)
		}
		return cty.ObjectVal(vals)
	case ty.IsTupleType():
		var vals []cty.Value
		for _, ety := range ty.TupleElementTypes() {
			vals = append(vals, randValue(r, ety, depth-1))
		}
		return cty.TupleVal(vals)
	}
	panic(ty.GoString())
}

// FuzzFastDecode: whatever the bytes, the fast decoder accepts what cty
// accepts, with the same value, and rejects what it rejects.
func FuzzFastDecode(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	ty := cty.Object(map[string]cty.Type{
		"s": cty.String, "n": cty.Number, "b": cty.Bool, "l": cty.List(cty.String),
		"m": cty.Map(cty.Number), "o": cty.Object(map[string]cty.Type{"x": cty.Set(cty.String)}), "d": cty.DynamicPseudoType,
	})
	for range 50 {
		b, err := ctymsgpack.Marshal(randValue(r, ty, 3), ty)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	c := compileCodec(ty)
	f.Fuzz(func(t *testing.T, b []byte) {
		wv, werr := func() (v cty.Value, err error) {
			defer func() {
				if recover() != nil {
					err = fmt.Errorf("panic")
				}
			}()
			return ctymsgpack.Unmarshal(b, ty)
		}()
		if werr != nil {
			return // cty's error or panic: the fast path falls back to it
		}
		gv, gerr := c.Unmarshal(b)
		if gerr != nil || !gv.RawEquals(wv) || !gv.Type().Equals(wv.Type()) {
			t.Fatalf("decoding %x: got %#v, %v want %#v", b, gv, gerr, wv)
		}
	})
}

// A typical resource value takes the fast path both ways, not cty's.
func TestFastCodecIsFast(t *testing.T) {
	ty := cty.Object(map[string]cty.Type{
		"name": cty.String, "id": cty.String, "count": cty.Number, "up": cty.Bool,
		"tags": cty.Map(cty.String), "ports": cty.List(cty.Object(map[string]cty.Type{"n": cty.Number, "ip": cty.String})),
	})
	v := cty.ObjectVal(map[string]cty.Value{
		"name": cty.StringVal("n1"), "id": cty.UnknownVal(cty.String), "count": cty.NumberIntVal(3), "up": cty.NullVal(cty.Bool),
		"tags":  cty.MapVal(map[string]cty.Value{"a": cty.StringVal("b")}),
		"ports": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"n": cty.NumberFloatVal(1.5), "ip": cty.StringVal("10.0.0.1")})}),
	})
	c := codecOf(ty)
	b, ok := c.root.encode(nil, v)
	if !ok {
		t.Fatal("encoding took cty's path")
	}
	got, end, ok := c.root.decode(b, 0)
	if !ok || end != len(b) || !got.RawEquals(v) {
		t.Fatalf("decoding: ok %v, end %d of %d, %#v", ok, end, len(b), got)
	}
	if codecOf(ty) != c {
		t.Error("the codec of an object type is not cached")
	}
}

// BenchmarkCodec compares cty's msgpack with the fast codec on a typical
// resource value (ten attributes: strings, a number, a bool, a list, a map,
// an unknown), one encode and one decode per op.
//
//	go test ./providers/plugin -run XXX -bench Codec
func BenchmarkCodec(b *testing.B) {
	ty := cty.Object(map[string]cty.Type{
		"name": cty.String, "id": cty.String, "path": cty.String, "content": cty.String, "mode": cty.String,
		"count": cty.Number, "up": cty.Bool, "ips": cty.List(cty.String), "tags": cty.Map(cty.String), "site": cty.String,
	})
	v := cty.ObjectVal(map[string]cty.Value{
		"name": cty.StringVal("node42"), "id": cty.UnknownVal(cty.String), "path": cty.StringVal("/var/lib/benito/experiments/x/node42.conf"),
		"content": cty.StringVal(strings.Repeat("key = value\n", 20)), "mode": cty.StringVal("0644"),
		"count": cty.NumberIntVal(3), "up": cty.True, "ips": cty.ListVal([]cty.Value{cty.StringVal("10.0.0.42")}),
		"tags": cty.MapVal(map[string]cty.Value{"role": cty.StringVal("router")}), "site": cty.NullVal(cty.String),
	})
	b.Run("cty", func(b *testing.B) {
		for b.Loop() {
			enc, err := ctymsgpack.Marshal(v, ty)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ctymsgpack.Unmarshal(enc, ty); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fast", func(b *testing.B) {
		c := codecOf(ty)
		for b.Loop() {
			enc, err := c.Marshal(v)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.Unmarshal(enc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
