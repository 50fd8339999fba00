package ctydecode

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

func TestMatchesCtyJSON(t *testing.T) {
	iface := cty.Object(map[string]cty.Type{"name": cty.String, "port": cty.Number, "up": cty.Bool})
	ty := cty.Object(map[string]cty.Type{
		"s": cty.String, "n": cty.Number, "b": cty.Bool,
		"l": cty.List(iface), "set": cty.Set(cty.String), "m": cty.Map(cty.String),
		"t": cty.Tuple([]cty.Type{cty.String, cty.Number}), "null": cty.String,
	})
	v := cty.ObjectVal(map[string]cty.Value{
		"s": cty.StringVal("ü \"q\" \n"), "n": cty.MustParseNumberVal("12345678901234567890.5"), "b": cty.True,
		"l": cty.ListVal([]cty.Value{
			cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("eth0"), "port": cty.NumberIntVal(3), "up": cty.NullVal(cty.Bool)}),
		}),
		"set":  cty.SetVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
		"m":    cty.MapValEmpty(cty.String),
		"t":    cty.TupleVal([]cty.Value{cty.StringVal("x"), cty.NumberFloatVal(0.25)}),
		"null": cty.NullVal(cty.String),
	})
	data, err := ctyjson.Marshal(v, ty)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ctyjson.Unmarshal(data, ty)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FromJSON(data, ty)
	if err != nil {
		t.Fatal(err)
	}
	if !got.RawEquals(want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
}

func TestErrors(t *testing.T) {
	ty := cty.Object(map[string]cty.Type{"a": cty.Number})
	for _, in := range []string{`{"a":"x"}`, `{"b":1}`, `[1]`, `{`} {
		if _, err := FromJSON([]byte(in), ty); err == nil {
			t.Errorf("%s: want an error", in)
		}
		if _, err := ctyjson.Unmarshal([]byte(in), ty); err == nil {
			t.Errorf("%s: cty/json accepts it, so should we", in)
		}
	}
	// Stricter than cty/json, which ignores what follows the value.
	if _, err := FromJSON([]byte(`{"a":1} {}`), ty); err == nil {
		t.Error("trailing data: want an error")
	}
}

func BenchmarkFromJSON(b *testing.B) {
	ty := cty.Object(map[string]cty.Type{"name": cty.String, "type": cty.String, "n": cty.Number, "l": cty.List(cty.Object(map[string]cty.Type{"a": cty.String, "b": cty.Number}))})
	data := []byte(`{"name":"a","type":"process","n":3,"l":[{"a":"x","b":1},{"a":"y","b":2}]}`)
	b.Run("ctydecode", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			FromJSON(data, ty)
		}
	})
	b.Run("cty/json", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ctyjson.Unmarshal(data, ty)
		}
	})
}
