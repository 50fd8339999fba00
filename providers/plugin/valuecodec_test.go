package plugin

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/msgpackwalk"
	"github.com/zclconf/go-cty/cty"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"
)

// The codec must give exactly cty's bytes and values: random types and
// values (nested lists, sets, maps, objects and tuples, dynamic parts,
// nulls, plain and refined unknowns, numbers small, huge, fractional and
// infinite, strings ASCII, non-NFC and long), encoded both ways and
// decoded both ways.
func TestCodecMatchesCty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		ty := randType(r, 3)
		v := randValue(r, ty, 3)
		checkCodec(t, fmt.Sprint(i), v, ty)
	}
}

func TestCodecCases(t *testing.T) {
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
		"invalid utf-8": {cty.StringVal("a\xffb"), cty.String},
		"2^64+1":        {cty.MustParseNumberVal("18446744073709551617"), cty.Number},
		"min int64":     {cty.NumberIntVal(math.MinInt64), cty.Number},
		"-0.5":          {cty.NumberFloatVal(-0.5), cty.Number},
		"1/3":           {cty.NumberVal(new(big.Float).Quo(big.NewFloat(1), big.NewFloat(3))), cty.Number},
		"nested": {cty.ObjectVal(map[string]cty.Value{
			"set": cty.SetVal([]cty.Value{
				cty.ObjectVal(map[string]cty.Value{"n": cty.NumberIntVal(1), "s": cty.NullVal(cty.String)}),
				cty.ObjectVal(map[string]cty.Value{"n": cty.UnknownVal(cty.Number), "s": cty.StringVal("x")}),
			}),
			"map": cty.MapVal(map[string]cty.Value{
				"b": cty.ListVal([]cty.Value{cty.UnknownVal(cty.Map(cty.Bool)), cty.NullVal(cty.Map(cty.Bool))}),
				"a": cty.ListValEmpty(cty.Map(cty.Bool)),
			}),
			"obj": cty.ObjectVal(map[string]cty.Value{"inner": cty.UnknownVal(cty.Object(map[string]cty.Type{"x": cty.String}))}),
		}), cty.Object(map[string]cty.Type{
			"set": cty.Set(cty.Object(map[string]cty.Type{"n": cty.Number, "s": cty.String})),
			"map": cty.Map(cty.List(cty.Map(cty.Bool))),
			"obj": cty.Object(map[string]cty.Type{"inner": cty.Object(map[string]cty.Type{"x": cty.String})}),
		})},
	} {
		checkCodec(t, name, tc.v, tc.ty)
	}
}

// checkCodec checks that v against ty encodes to cty's bytes (or fails as
// cty does) and that those bytes decode to cty's value.
func checkCodec(t *testing.T, name string, v cty.Value, ty cty.Type) {
	t.Helper()
	c := codecOf(ty)
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

// Lengths read from the wire are checked against the bytes that follow
// before anything is allocated for them (cty's decoder allocates what a
// length claims): each input is 27 bytes, one of them a header claiming
// 3e9 entries or bytes, and decoding it must fail having allocated little.
func TestCodecBoundsLengths(t *testing.T) {
	const claim = 3_000_000_000
	u32 := func(code byte) []byte { return binary.BigEndian.AppendUint32([]byte{code}, claim) }
	pad := func(b []byte) []byte { return append(b, bytes.Repeat([]byte{0xa1, 'x'}, 27)...)[:27] }
	dynMap := append([]byte{0x92, 0xc4, 15}, `["map","string"]`[:15]...) // a dynamic value's [type, value]
	for name, tc := range map[string]struct {
		ty cty.Type
		b  []byte
	}{
		"map32":              {cty.Map(cty.String), pad(u32(0xdf))},
		"array32 list":       {cty.List(cty.String), pad(u32(0xdd))},
		"array32 set":        {cty.Set(cty.Number), pad(u32(0xdd))},
		"array32 tuple":      {cty.Tuple([]cty.Type{cty.String}), pad(u32(0xdd))},
		"map32 object":       {cty.Object(map[string]cty.Type{"a": cty.String}), pad(u32(0xdf))},
		"str32":              {cty.String, pad(u32(0xdb))},
		"str32 number":       {cty.Number, pad(u32(0xdb))},
		"ext32":              {cty.String, pad(u32(0xc9))},
		"map32 in an object": {cty.Object(map[string]cty.Type{"m": cty.Map(cty.String)}), pad(append([]byte{0x81, 0xa1, 'm'}, u32(0xdf)...))},
		"array32 in a list":  {cty.List(cty.List(cty.String)), pad(append([]byte{0x91}, u32(0xdd)...))},
		"map32 of dynamic":   {cty.Map(cty.DynamicPseudoType), pad(u32(0xdf))},
		"list of dynamic":    {cty.List(cty.DynamicPseudoType), pad(append([]byte{0x91}, u32(0xdd)...))},
		"dynamic map32":      {cty.DynamicPseudoType, pad(append(dynMap, u32(0xdf)...))},
		"dynamic bin32":      {cty.DynamicPseudoType, pad(append([]byte{0x92}, u32(0xc6)...))},
		"optional attrs":     {cty.ObjectWithOptionalAttrs(map[string]cty.Type{"m": cty.Map(cty.String)}, []string{"m"}), pad(append([]byte{0x81, 0xa1, 'm'}, u32(0xdf)...))},
	} {
		t.Run(name, func(t *testing.T) {
			if len(tc.b) != 27 {
				t.Fatalf("input of %d bytes", len(tc.b))
			}
			c := codecOf(tc.ty)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			v, err := c.Unmarshal(tc.b)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Errorf("decoding %x as %#v: no error, %#v", tc.b, tc.ty, v)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("decoding %x as %#v allocated %d bytes", tc.b, tc.ty, n)
			}
		})
	}
}

// Bytes on which cty's decoder panics (its constructors panic on
// inconsistent values) are an error: they come from the other process.
func TestCodecCtyPanicIsError(t *testing.T) {
	// A list of two dynamic values, a string and a number: cty.ListVal
	// panics on elements of different types.
	var b []byte
	b = append(b, 0x92)
	b = append(b, 0x92, 0xc4, 8)
	b = append(b, `"string"`...)
	b = append(b, 0xa1, 'a')
	b = append(b, 0x92, 0xc4, 8)
	b = append(b, `"number"`...)
	b = append(b, 0x01)
	ty := cty.List(cty.DynamicPseudoType)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("cty no longer panics on this input: find another for this test")
			}
		}()
		ctymsgpack.Unmarshal(b, ty)
	}()
	if v, err := codecOf(ty).Unmarshal(b); err == nil {
		t.Errorf("decoding %x: no error, %#v", b, v)
	}
}

// FuzzCodecDecode: whatever the bytes, the codec accepts what cty accepts,
// with the same value, and rejects what it rejects, never panicking; cty
// is asked only about inputs whose lengths fit in them (otherwise it
// allocates what they claim), and those the codec must reject.
func FuzzCodecDecode(f *testing.F) {
	types := []cty.Type{
		cty.Object(map[string]cty.Type{
			"s": cty.String, "n": cty.Number, "b": cty.Bool, "l": cty.List(cty.String),
			"m": cty.Map(cty.Number), "o": cty.Object(map[string]cty.Type{"x": cty.Set(cty.String)}), "d": cty.DynamicPseudoType,
		}),
		cty.Tuple([]cty.Type{cty.String, cty.List(cty.Object(map[string]cty.Type{"a": cty.Number, "b": cty.Bool}))}),
		cty.Map(cty.Set(cty.Number)),
		cty.List(cty.DynamicPseudoType),
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i, ty := range types {
		for range 20 {
			b, err := ctymsgpack.Marshal(randValue(r, ty, 3), ty)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(byte(i), b)
		}
	}
	// The lengths the fuzzer once found allocating gigabytes (a 27-byte
	// map32 header claiming 3e9 entries), and their kin.
	for _, code := range []byte{0xdf, 0xdd, 0xdb, 0xc6, 0xc9} {
		b := binary.BigEndian.AppendUint32([]byte{code}, 3_000_000_000)
		b = append(b, bytes.Repeat([]byte{0xa1, 'x'}, 11)...)[:27]
		for i := range types {
			f.Add(byte(i), b)
			f.Add(byte(i), append([]byte{0x91}, b[:26]...))
		}
	}
	codecs := make([]*typeCodec, len(types))
	for i, ty := range types {
		codecs[i] = codecOf(ty)
	}
	f.Fuzz(func(t *testing.T, which byte, b []byte) {
		ty, c := types[int(which)%len(types)], codecs[int(which)%len(types)]
		gv, gerr := c.Unmarshal(b)
		if _, ok := msgpackwalk.Skip(b, 0); !ok {
			if gerr == nil {
				t.Fatalf("decoding %x, malformed: got %#v", b, gv)
			}
			return
		}
		wv, werr := unmarshalCty(b, ty)
		if (werr != nil) != (gerr != nil) || (werr == nil && (!gv.RawEquals(wv) || !gv.Type().Equals(wv.Type()))) {
			t.Fatalf("decoding %x as %#v: got %#v, %v want %#v, %v", b, ty, gv, gerr, wv, werr)
		}
	})
}

// A typical resource value is encoded and decoded by the codec itself,
// not handed to cty's (slower) code.
func TestCodecTakesTypicalValues(t *testing.T) {
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
}

// BenchmarkCodec compares cty's msgpack with this codec, encoding and
// decoding apart, on two values: "resource", a typical ten-attribute
// resource value (strings, a number, a bool, a list, a map, an unknown),
// and "vnode", a process node as lowering makes it (every vnode attribute,
// the QEMU ones null, and two interfaces of fourteen).
//
//	go test ./providers/plugin -run XXX -bench Codec -benchmem
func BenchmarkCodec(b *testing.B) {
	for _, val := range benchValues() {
		enc, err := ctymsgpack.Marshal(val.v, val.ty)
		if err != nil {
			b.Fatal(err)
		}
		c := codecOf(val.ty)
		b.Run(val.name+"/encode/cty", func(b *testing.B) {
			for b.Loop() {
				if _, err := ctymsgpack.Marshal(val.v, val.ty); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(val.name+"/encode/codec", func(b *testing.B) {
			for b.Loop() {
				if _, err := c.Marshal(val.v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(val.name+"/decode/cty", func(b *testing.B) {
			for b.Loop() {
				if _, err := ctymsgpack.Unmarshal(enc, val.ty); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(val.name+"/decode/codec", func(b *testing.B) {
			for b.Loop() {
				if _, err := c.Unmarshal(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type benchValue struct {
	name string
	v    cty.Value
	ty   cty.Type
}

func benchValues() []benchValue {
	resTy := cty.Object(map[string]cty.Type{
		"name": cty.String, "id": cty.String, "path": cty.String, "content": cty.String, "mode": cty.String,
		"count": cty.Number, "up": cty.Bool, "ips": cty.List(cty.String), "tags": cty.Map(cty.String), "site": cty.String,
	})
	res := cty.ObjectVal(map[string]cty.Value{
		"name": cty.StringVal("node42"), "id": cty.UnknownVal(cty.String), "path": cty.StringVal("/var/lib/benito/experiments/x/node42.conf"),
		"content": cty.StringVal(strings.Repeat("key = value\n", 20)), "mode": cty.StringVal("0644"),
		"count": cty.NumberIntVal(3), "up": cty.True, "ips": cty.ListVal([]cty.Value{cty.StringVal("10.0.0.42")}),
		"tags": cty.MapVal(map[string]cty.Value{"role": cty.StringVal("router")}), "site": cty.NullVal(cty.String),
	})
	iface := func(i int) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{
			"name": cty.StringVal(fmt.Sprintf("eth%d", i)), "switch": cty.StringVal("sw17"), "switch_kind": cty.StringVal("vde"),
			"vde_socket": cty.StringVal("/run/benito/exp/sw17.ctl"), "vde_port": cty.NumberIntVal(int64(40 + i)),
			"bridge": cty.NullVal(cty.String), "host_device": cty.StringVal(fmt.Sprintf("bt3f2a9c%d", i)),
			"mac_address": cty.StringVal("02:00:0a:00:11:2a"), "ip4_address": cty.StringVal("10.0.17.42"),
			"ip4_netmask": cty.StringVal("255.255.255.0"), "mtu": cty.NumberIntVal(1500),
			"capacity": cty.NumberIntVal(100000000), "latency": cty.StringVal("5ms"), "loss": cty.NullVal(cty.Number),
		})
	}
	vnodeTy := contract.ObjectType(contract.VNode)
	attrs := map[string]cty.Value{}
	for name, ty := range vnodeTy.AttributeTypes() {
		attrs[name] = cty.NullVal(ty) // the QEMU node's attributes, unset
	}
	for name, v := range map[string]cty.Value{
		"name": cty.StringVal("n4242"), "type": cty.StringVal("process"), "os": cty.NullVal(cty.String),
		"image": cty.NullVal(cty.String), "partition": cty.NullVal(cty.String), "ghost": cty.False,
		"memory": cty.NumberIntVal(512), "cpus": cty.NumberIntVal(1),
		"attributes": cty.MapVal(map[string]cty.Value{"role": cty.StringVal("host")}),
		"interfaces": cty.ListVal([]cty.Value{iface(0), iface(1)}),
		"config_dir": cty.StringVal("/srv/benito/exp/config"), "run_dir": cty.StringVal("/run/benito/exp"),
		"hosts_file": cty.StringVal("/srv/benito/exp/config/hosts"), "mount_namespace": cty.True, "ip_forward": cty.True,
	} {
		attrs[name] = v
	}
	vnode := cty.ObjectVal(attrs)
	return []benchValue{{"resource", res, resTy}, {"vnode", vnode, vnodeTy}}
}
