package msgpackwalk

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"
)

// u32 is a header code followed by a 32-bit length.
func u32(code byte, n uint32) []byte { return binary.BigEndian.AppendUint32([]byte{code}, n) }

// pad fills b with one-byte strings to 27 bytes: whatever a header claims
// beyond that is more than there is.
func pad(b []byte) []byte { return append(b, bytes.Repeat([]byte{0xa1, 'x'}, 27)...)[:27] }

func TestCheck(t *testing.T) {
	const claim = 3_000_000_000
	deep := func(n int) []byte { return append(bytes.Repeat([]byte{0x91}, n), 0xc0) }
	for _, tc := range []struct {
		name string
		b    []byte
		want string // the error, "" for none
	}{
		{"nil", []byte{0xc0}, ""},
		{"fixint", []byte{0x7f}, ""},
		{"negative fixint", []byte{0xe0}, ""},
		{"fixstr", []byte{0xa2, 'h', 'i'}, ""},
		{"str8", []byte{0xd9, 1, 'x'}, ""},
		{"bin16", []byte{0xc5, 0, 2, 1, 2}, ""},
		{"float64", append([]byte{0xcb}, make([]byte, 8)...), ""},
		{"fixext1", []byte{0xd4, 0, 0}, ""},
		{"ext8", []byte{0xc7, 2, 5, 1, 2}, ""},
		{"fixmap", []byte{0x81, 0xa1, 'k', 0x01}, ""},
		{"map16", []byte{0xde, 0, 1, 0xa1, 'k', 0xc0}, ""},
		{"array32", append(u32(0xdd, 2), 0x01, 0x02), ""},
		{"nested to the limit", deep(MaxDepth), ""},

		{"empty", nil, ErrTruncated.Error()},
		{"never used code", []byte{0xc1}, "invalid msgpack"},
		{"trailing data", []byte{0xc0, 0xc0}, "trailing data after msgpack value"},
		{"nested beyond the limit", deep(MaxDepth + 1), "msgpack value nests too deeply"},
		{"fixstr cut short", []byte{0xa3, 'h', 'i'}, ErrTruncated.Error()},
		{"uint32 cut short", []byte{0xce, 0, 0, 0}, ErrTruncated.Error()},
		{"fixext16 cut short", append([]byte{0xd8, 0}, make([]byte, 15)...), ErrTruncated.Error()},
		{"ext8 without its type", []byte{0xc7, 0}, ErrTruncated.Error()},
		{"fixarray cut short", []byte{0x92, 0xc0}, ErrTruncated.Error()},
		{"fixmap without a value", []byte{0x81, 0xa1, 'k'}, ErrTruncated.Error()},
		{"str8 header cut short", []byte{0xd9}, ErrTruncated.Error()},
		{"str16 header cut short", []byte{0xda, 0}, ErrTruncated.Error()},
		{"str32 header cut short", []byte{0xdb, 0, 0, 0}, ErrTruncated.Error()},
		{"bin32 header cut short", []byte{0xc6, 0, 0}, ErrTruncated.Error()},
		{"ext32 header cut short", []byte{0xc9, 0, 0, 0, 0}, ErrTruncated.Error()},
		{"array16 header cut short", []byte{0xdc, 0}, ErrTruncated.Error()},
		{"array32 header cut short", []byte{0xdd, 0, 0, 0}, ErrTruncated.Error()},
		{"map16 header cut short", []byte{0xde}, ErrTruncated.Error()},
		{"map32 header cut short", []byte{0xdf, 0, 0, 0}, ErrTruncated.Error()},
		{"map32 claiming 3e9", pad(u32(0xdf, claim)), ErrTruncated.Error()},
		{"array32 claiming 3e9", pad(u32(0xdd, claim)), ErrTruncated.Error()},
		{"str32 claiming 3e9", pad(u32(0xdb, claim)), ErrTruncated.Error()},
		{"bin32 claiming 3e9", pad(u32(0xc6, claim)), ErrTruncated.Error()},
		{"ext32 claiming 3e9", pad(u32(0xc9, claim)), ErrTruncated.Error()},
		{"map32 claiming 3e9 in an array", pad(append([]byte{0x91}, u32(0xdf, claim)...)), ErrTruncated.Error()},
		{"arrays claiming more than the bytes together", []byte{0x92, 0x93, 0x01, 0x02, 0x03, 0x94}, ErrTruncated.Error()},
		{"map claiming entries of half the bytes", append(u32(0xdf, 3), 1, 2, 3, 4, 5, 6), ""},
		{"map claiming more entries than half the bytes", append(u32(0xdf, 4), 1, 2, 3, 4, 5, 6), ErrTruncated.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err := Check(tc.b)
			runtime.ReadMemStats(&after)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Check(%x) error (-want +got):\n%s", tc.b, diff)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("Check(%x) allocated %d bytes", tc.b, n)
			}
			end, ok := Skip(tc.b, 0)
			if wantOK := tc.want == "" || tc.name == "trailing data"; ok != wantOK {
				t.Errorf("Skip(%x, 0) ok = %v, want %v", tc.b, ok, wantOK)
			} else if ok && tc.want == "" && end != len(tc.b) {
				t.Errorf("Skip(%x, 0) = %d, want %d", tc.b, end, len(tc.b))
			}
		})
	}
}

// Whatever cty encodes, Check accepts, and Skip finds its end inside
// other bytes.
func TestWalksCtyEncodings(t *testing.T) {
	for _, v := range []cty.Value{
		cty.ObjectVal(map[string]cty.Value{
			"s": cty.StringVal("x"), "n": cty.MustParseNumberVal("-1e300"), "b": cty.True,
			"l": cty.ListVal([]cty.Value{cty.StringVal(string(bytes.Repeat([]byte("x"), 70000)))}),
			"m": cty.MapVal(map[string]cty.Value{"k": cty.NumberIntVal(1 << 40)}),
			"u": cty.UnknownVal(cty.String).Refine().StringPrefix("x").NewValue(),
			"z": cty.NullVal(cty.Set(cty.String)),
		}),
		cty.TupleVal([]cty.Value{cty.NumberFloatVal(0.5), cty.UnknownVal(cty.Number)}),
	} {
		b, err := ctymsgpack.Marshal(v, cty.DynamicPseudoType)
		if err != nil {
			t.Fatal(err)
		}
		if err := Check(b); err != nil {
			t.Errorf("Check(%#v): %v", v, err)
		}
		if err := Check(b[:len(b)-1]); err == nil {
			t.Errorf("Check accepted %#v cut short", v)
		}
		in := append(append([]byte{0xc3}, b...), 0xc0)
		if end, ok := Skip(in, 1); !ok || end != len(in)-1 {
			t.Errorf("Skip(%#v inside other bytes) = %d, %v, want %d", v, end, ok, len(in)-1)
		}
	}
}

func TestHeaders(t *testing.T) {
	str := func(b []byte, p int) header {
		if s, e, ok := Str(b, p); ok {
			return header{e - s, e, ok}
		}
		return header{}
	}
	for _, tc := range []struct {
		name string
		read func(b []byte, p int) header
		b    []byte
		p    int
		want header
	}{
		{"Str fixstr", str, []byte{0xc0, 0xa2, 'h', 'i'}, 1, header{2, 4, true}},
		{"Str str16", str, []byte{0xda, 0, 1, 'x'}, 0, header{1, 4, true}},
		{"Str str32 claiming 3e9", str, pad(u32(0xdb, 3_000_000_000)), 0, header{}},
		{"Str past the end", str, []byte{0xa0}, 1, header{}},
		{"Str of a number", str, []byte{0x01}, 0, header{}},
		{"ArrayLen fixarray", wrap(ArrayLen), []byte{0x92, 1, 2}, 0, header{2, 1, true}},
		{"ArrayLen fixarray claiming more", wrap(ArrayLen), []byte{0x93, 1, 2}, 0, header{0, 0, false}},
		{"ArrayLen array16", wrap(ArrayLen), []byte{0xdc, 0, 1, 0xc0}, 0, header{1, 3, true}},
		{"ArrayLen array32 claiming 3e9", wrap(ArrayLen), pad(u32(0xdd, 3_000_000_000)), 0, header{}},
		{"ArrayLen of a map", wrap(ArrayLen), []byte{0x80}, 0, header{}},
		{"MapLen fixmap", wrap(MapLen), []byte{0x81, 0xa0, 0xc0}, 0, header{1, 1, true}},
		{"MapLen map32 claiming 3e9", wrap(MapLen), pad(u32(0xdf, 3_000_000_000)), 0, header{}},
		{"MapLen past the end", wrap(MapLen), nil, 0, header{}},
		{"Ext fixext1", wrap(Ext), []byte{0xd4, 0, 0}, 0, header{1, 3, true}},
		{"Ext ext16", wrap(Ext), []byte{0xc8, 0, 2, 7, 1, 2}, 0, header{2, 6, true}},
		{"Ext ext32 claiming 3e9", wrap(Ext), pad(u32(0xc9, 3_000_000_000)), 0, header{}},
		{"Ext of a string", wrap(Ext), []byte{0xa0}, 0, header{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.read(tc.b, tc.p)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// header is what a header reader returned, all zero where it failed
// (its other results then mean nothing).
type header struct {
	N, End int
	OK     bool
}

// wrap adapts ArrayLen, MapLen and Ext to TestHeaders' table.
func wrap(f func([]byte, int) (int, int, bool)) func([]byte, int) header {
	return func(b []byte, p int) header {
		n, end, ok := f(b, p)
		if !ok {
			n, end = 0, 0
		}
		return header{n, end, ok}
	}
}
