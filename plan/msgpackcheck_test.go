package plan

import (
	"bytes"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/msgpack"
)

func TestCheckMsgpack(t *testing.T) {
	for _, v := range []cty.Value{
		planEverything().Changes[len(planEverything().Changes)-2].After,
		vnodeA(),
		cty.UnknownVal(cty.String).Refine().StringPrefix("x").NewValue(),
		cty.MustParseNumberVal("-1e300"),
		cty.StringVal(string(bytes.Repeat([]byte("x"), 70000))),
	} {
		b, err := msgpack.Marshal(v, cty.DynamicPseudoType)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkMsgpack(b); err != nil {
			t.Errorf("checkMsgpack(%#v): %v", v, err)
		}
		if err := checkMsgpack(b[:len(b)-1]); err == nil {
			t.Errorf("checkMsgpack accepted %#v cut short", v)
		}
		if err := checkMsgpack(append(b, 0xc0)); err == nil {
			t.Errorf("checkMsgpack accepted %#v with trailing data", v)
		}
	}

	// A dynamic value, [type, value], whose value claims 2^28 entries.
	typ := []byte(`["map","string"]`)
	huge := append([]byte{0x92, 0xc4, byte(len(typ))}, typ...)
	huge = append(huge, 0xdf, 0x10, 0, 0, 0)
	if err := checkMsgpack(huge); err == nil {
		t.Error("checkMsgpack accepted a map declaring 2^28 entries")
	}
	if _, err := decodeValue(append([]byte{dynamicValue}, huge...), cty.NilType); err == nil {
		t.Error("decodeValue accepted a map declaring 2^28 entries")
	}

	deep := append(bytes.Repeat([]byte{0x91}, maxMsgpackDepth+1), 0xc0)
	if err := checkMsgpack(deep); err == nil {
		t.Error("checkMsgpack accepted arrays nested beyond the limit")
	}
	if err := checkMsgpack(deep[1:]); err != nil {
		t.Errorf("checkMsgpack refused arrays nested to the limit: %v", err)
	}
}
