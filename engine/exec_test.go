package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/providertest"
	"github.com/benito-net/benito/state"
	"github.com/zclconf/go-cty/cty"
)

// Exec reaches the provider only for a type whose schema declares it,
// with the recorded value decoded against the schema.
func TestExec(t *testing.T) {
	p := providertest.New(testSchema())
	var got providers.ExecRequest
	p.ExecFn = func(_ context.Context, req providers.ExecRequest) providers.ExecResponse {
		got = req
		return providers.ExecResponse{ExitCode: 4}
	}
	e := newEngine(t, p)
	a := addrs.Resource{Type: "vnode", Name: "a"}
	r := &state.Resource{Addr: a, Provider: "fake", Private: []byte("p"),
		Attributes: []byte(`{"name":"a","memory":512,"latency":null,"id":"x"}`)}
	_, diags := e.Exec(context.Background(), r, providers.ExecRequest{Args: []string{"true"}})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), `vnode.a is a resource of type "vnode" of provider "fake", which does not run commands inside resources of that type`) || p.CallCount("Exec") != 0 {
		t.Errorf("a type without exec: %v (%d calls)", diags, p.CallCount("Exec"))
	}
	e.Schema("fake", "vnode").Exec = true
	resp, diags := e.Exec(context.Background(), r, providers.ExecRequest{Args: []string{"true"}})
	if diags.HasErrors() || resp.ExitCode != 4 {
		t.Fatalf("exec: %d %v", resp.ExitCode, diags)
	}
	if got.Address != "vnode.a" || got.Type != "vnode" || string(got.Private) != "p" || got.Args[0] != "true" ||
		!got.Value.GetAttr("memory").RawEquals(cty.NumberIntVal(512)) {
		t.Errorf("the request the provider got: %+v", got)
	}
}

// Import records what the provider read, with the configuration's
// dependencies; no object, or one with unknowns, is an error.
func TestImport(t *testing.T) {
	p := providertest.New(testSchema())
	e := newEngine(t, p)
	r := &lower.Resource{Addr: addrs.Resource{Type: "switch", Name: "s"}, Provider: "fake",
		DependsOn: []addrs.Resource{{Type: "bridge", Name: "b"}}}
	ty := testSchema().ResourceTypes["switch"].ImpliedType()
	for _, tc := range []struct {
		value cty.Value
		want  string
	}{
		{cty.NullVal(ty), `Provider "fake" found no object with id "sw0" to import as switch.s.`},
		{cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("s"), "id": cty.UnknownVal(cty.String)}), "values it does not know"},
		{cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("s"), "id": cty.StringVal("sw0")}), ""},
	} {
		p.ImportFn = func(req providers.ImportResourceRequest) providers.ImportResourceResponse {
			return providers.ImportResourceResponse{New: tc.value, Private: []byte(req.ID)}
		}
		rec, diags := e.Import(context.Background(), r, "sw0")
		if tc.want != "" {
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.want) {
				t.Errorf("import of %#v: %v", tc.value, diags)
			}
			continue
		}
		if diags.HasErrors() || rec.Provider != "fake" || string(rec.Attributes) != `{"id":"sw0","name":"s"}` ||
			string(rec.Private) != "sw0" || len(rec.Dependencies) != 1 || rec.Status != state.Ready {
			t.Errorf("import: %+v %v", rec, diags)
		}
	}
}
