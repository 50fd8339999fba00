package engine

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/benito-net/benito/model"
	"github.com/benito-net/benito/plan"
	"github.com/benito-net/benito/providers/providertest"
	"github.com/benito-net/benito/state"
	"github.com/zclconf/go-cty/cty"
)

// TestSensitiveAttributes: a configuration value marked sensitive reaches
// the provider plain, is recorded as sensitive in the plan and the state,
// and no rendering of the create, of a change, or of the destroy shows it.
func TestSensitiveAttributes(t *testing.T) {
	const secret, secret2 = "s3cret-a41", "s3cret-b72"
	fp := providertest.New(testSchema())
	e := newEngine(t, fp)
	g := func(s string) []node {
		return []node{{addr: "vnode.a", attrs: map[string]cty.Value{
			"name": cty.StringVal("a"), "latency": cty.StringVal(s).Mark(model.Sensitive),
		}}}
	}
	render := func(p *plan.Plan) string {
		t.Helper()
		var h, j bytes.Buffer
		if err := plan.RenderHuman(&h, p, plan.RenderOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := plan.RenderJSON(&j, p); err != nil {
			t.Fatal(err)
		}
		return h.String() + j.String()
	}
	check := func(what string, p *plan.Plan, secrets ...string) {
		t.Helper()
		out := render(p)
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s: the plan shows the secret %q:\n%s", what, s, out)
			}
		}
		if !strings.Contains(out, "(sensitive value)") || !strings.Contains(out, `"after_sensitive"`) && !strings.Contains(out, `"before_sensitive"`) {
			t.Errorf("%s: the plan does not say what it hides:\n%s", what, out)
		}
	}

	p, st, _ := planApply(t, e, graphOf(t, g(secret)...), state.New("test"), PlanOptions{})
	check("create", p, secret)
	if v := fp.Object("vnode.a"); v.IsMarked() || v.IsNull() || v.GetAttr("latency").AsString() != secret {
		t.Errorf("the provider holds %#v, want the plain value", v)
	}
	if r := st.Resources[mustAddr(t, "vnode.a")]; r == nil || len(r.Sensitive) != 1 || r.Sensitive[0] != "latency" {
		t.Errorf("the state does not record latency as sensitive: %+v", r)
	}
	p, st, _ = planApply(t, e, graphOf(t, g(secret2)...), st, PlanOptions{})
	check("update", p, secret, secret2)
	// Destroy: the configuration is not read; the state says what to hide.
	p, diags := e.Plan(context.Background(), graphOf(t), st, PlanOptions{Destroy: true})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	check("destroy", p, secret2)
}
