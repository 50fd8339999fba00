package plan

import (
	"bytes"
	"testing"

	"github.com/benito-net/benito/internal/msgpackwalk"
	"github.com/zclconf/go-cty/cty"
)

// A stored value is checked (msgpackwalk.Check) before cty decodes it:
// values cut short, followed by more bytes, claiming more than they hold
// or nesting too deeply are refused.
func TestDecodeValueChecksMsgpack(t *testing.T) {
	for _, v := range []cty.Value{
		planEverything().Changes[len(planEverything().Changes)-2].After,
		vnodeA(),
		cty.UnknownVal(cty.String).Refine().StringPrefix("x").NewValue(),
		cty.MustParseNumberVal("-1e300"),
		cty.StringVal(string(bytes.Repeat([]byte("x"), 70000))),
	} {
		b, err := encodeValue(v, cty.DynamicPseudoType)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeValue(b, cty.NilType); err != nil {
			t.Errorf("decodeValue(%#v): %v", v, err)
		}
		if _, err := decodeValue(b[:len(b)-1], cty.NilType); err == nil {
			t.Errorf("decodeValue accepted %#v cut short", v)
		}
		if _, err := decodeValue(append(b, 0xc0), cty.NilType); err == nil {
			t.Errorf("decodeValue accepted %#v with trailing data", v)
		}
	}

	// A dynamic value, [type, value], whose value claims 2^28 entries.
	typ := []byte(`["map","string"]`)
	huge := append([]byte{dynamicValue, 0x92, 0xc4, byte(len(typ))}, typ...)
	huge = append(huge, 0xdf, 0x10, 0, 0, 0)
	if _, err := decodeValue(huge, cty.NilType); err == nil {
		t.Error("decodeValue accepted a map declaring 2^28 entries")
	}

	// One-element tuples nested depth deep around a null string.
	nested := func(depth int) []byte {
		return append(append([]byte{typedValue}, bytes.Repeat([]byte{0x91}, depth)...), 0xc0)
	}
	if _, err := decodeValue(nested(msgpackwalk.MaxDepth+1), deepTuple(msgpackwalk.MaxDepth+1)); err == nil {
		t.Error("decodeValue accepted tuples nested beyond the limit")
	}
	if _, err := decodeValue(nested(msgpackwalk.MaxDepth), deepTuple(msgpackwalk.MaxDepth)); err != nil {
		t.Errorf("decodeValue refused tuples nested to the limit: %v", err)
	}
}

func deepTuple(depth int) cty.Type {
	ty := cty.String
	for range depth {
		ty = cty.Tuple([]cty.Type{ty})
	}
	return ty
}
