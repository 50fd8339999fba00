package plan

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/zclconf/go-cty/cty"
)

// TestCompactIndentMatchesEncodingJSON checks that the hand-written
// resource encoding gives exactly what encoding/json gives for the same
// struct, for strings that need escaping too.
func TestCompactIndentMatchesEncodingJSON(t *testing.T) {
	ty := cty.Object(map[string]cty.Type{"s": cty.String, "l": cty.List(cty.String), "m": cty.Map(cty.Number), "e": cty.List(cty.String)})
	for i, key := range []string{"plain", `q"uote\back`, "<html>&amp;", "line\nbreak\ttab", "\u2028\u2029", "ünïcode", "\x01ctl", "bad\xffutf8"} {
		addr := addrs.Resource{Type: "config_file", Name: "x", Key: addrs.StringKey(key)}
		if i%2 == 1 {
			// Two keys: the index is an array.
			addr = addrs.Resource{Type: "route", Name: "h", Key: addrs.IntKey(i), Sub: addrs.StringKey(key)}
		}
		c := &Change{
			Addr:     addr,
			Provider: "config", Action: DeleteThenCreate, Reason: ReasonTainted, Type: ty,
			Before: cty.NullVal(ty),
			After: cty.ObjectVal(map[string]cty.Value{
				"s": cty.StringVal(key), "l": cty.ListVal([]cty.Value{cty.StringVal(key), cty.UnknownVal(cty.String)}),
				"m": cty.MapVal(map[string]cty.Value{key: cty.NumberFloatVal(1.5)}), "e": cty.ListValEmpty(cty.String),
			}),
			RequiresReplace: []cty.Path{cty.GetAttrPath("s")},
		}
		rc, err := jsonResource(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.SetIndent("    ", "  ")
		if err := enc.Encode(rc); err != nil {
			t.Fatal(err)
		}
		got := appendIndented(nil, rc.appendCompact(nil), "    ")
		if string(got) != string(bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Errorf("key %q:\n--- encoding/json\n%s\n--- hand-written\n%s", key, want.Bytes(), got)
		}
	}
}

// TestStateResourceCompactMatchesEncodingJSON does the same for the
// resources of planned_values and prior_state.
func TestStateResourceCompactMatchesEncodingJSON(t *testing.T) {
	p := planDocExample()
	p.Prior.Resources[addr("vnode", "a")].Sensitive = []string{"memory"}
	p.Prior.Resources[addr("vnode", "a")].Status = "tainted"
	var rs []jsonStateResource
	for _, a := range p.Prior.SortedAddrs() {
		r, err := priorResource(p.Prior.Resources[a])
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	for _, c := range planEverything().Changes {
		if isNull(c.After) || c.After.Type() == cty.NilType {
			continue
		}
		r, err := plannedResource(c)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	for _, r := range rs {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.SetIndent("    ", "  ")
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		got := appendIndented(nil, r.appendCompact(nil), "    ")
		if string(got) != string(bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Errorf("%s:\n--- encoding/json\n%s\n--- hand-written\n%s", r.Address, want.Bytes(), got)
		}
	}
}
