package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/providertest"
	"github.com/benito-net/benito/state"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// TestStateOfAnEarlierSchema: a value recorded under an earlier schema of
// its provider (an attribute since removed, one since added, one whose
// type changed) is conformed to the schema for the provider to read back,
// with one warning per provider and type; a value that is not an object
// at all stays unreadable.
func TestStateOfAnEarlierSchema(t *testing.T) {
	fp := providertest.New(testSchema())
	var read []cty.Value
	fp.ReadFn = func(r providers.ReadResource) providers.ReadResult {
		read = append(read, r.Current)
		return providers.ReadResult{} // what the provider does not recognise is gone
	}
	e := newEngine(t, fp)
	st := state.New("test")
	for addr, js := range map[string]string{
		"vnode.a":  `{"name":"a","memory":"lots","pid":41,"id":"x"}`, // memory no number, pid gone, latency new
		"vnode.b":  `{"name":"b","memory":64,"latency":null,"pid":42,"id":"y"}`,
		"switch.s": `{"name":"s","id":"z"}`, // today's schema
	} {
		a := mustAddr(t, addr)
		st.Resources[a] = &state.Resource{Addr: a, Provider: "fake", Attributes: []byte(js)}
	}
	_, _, diags := e.Refresh(context.Background(), st)
	if diags.HasErrors() {
		t.Fatalf("refresh: %v", diags)
	}
	var warnings []string
	for _, d := range diags {
		if d.Severity == hcl.DiagWarning {
			warnings = append(warnings, d.Summary+": "+d.Detail)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], `2 vnode resource(s) (vnode.a, vnode.b)`) || !strings.Contains(warnings[0], "(memory, pid)") {
		t.Errorf("warnings: %q", warnings)
	}
	want := cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("a"), "memory": cty.NullVal(cty.Number), "latency": cty.NullVal(cty.String), "id": cty.StringVal("x")})
	found := false
	for _, v := range read {
		if v.RawEquals(want) {
			found = true
		}
	}
	if !found {
		t.Errorf("the provider did not read vnode.a conformed to its schema: %#v", read)
	}

	a := mustAddr(t, "vnode.c")
	st.Resources[a] = &state.Resource{Addr: a, Provider: "fake", Attributes: []byte(`["not", "an", "object"]`)}
	if _, _, diags := e.Refresh(context.Background(), st); !diags.HasErrors() || !strings.Contains(diags.Error(), "Unreadable state") {
		t.Errorf("a value that is no object: %v", diags)
	}
}
