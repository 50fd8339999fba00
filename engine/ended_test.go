package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/providertest"
	"github.com/benito-net/benito/state"
	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

// TestProviderEndReportedOnce: a provider that ends (crashes) mid-apply
// is one error, not one per change: the change in flight is failed, the
// changes of that provider not yet sent are not sent (Unsent), those
// depending on a failed or unsent change are skipped, and the changes of
// another provider go on. What was applied before is in the state.
func TestProviderEndReportedOnce(t *testing.T) {
	const n = 30
	crashAt := addrs.Resource{Type: "vnode", Name: "n05"}
	end := &providers.Ended{Summary: `Provider "fake" (/bin/fake) crashed`, Detail: "The provider process exited unexpectedly."}

	fp := providertest.New(testSchema())
	var mu sync.Mutex
	ended, afterEnd := false, []string{}
	// As the plugin client answers: the call that meets the end carries
	// it; every later call is not sent.
	fp.ApplyFn = func(ctx context.Context, req providers.ApplyResourceRequest) providers.ApplyResourceResponse {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case ended:
			afterEnd = append(afterEnd, req.Address)
			return providers.ApplyResourceResponse{Diagnostics: providers.Diagnostics{{Severity: providers.Error, Summary: end.Summary, Address: req.Address, Ended: end, NotSent: true}}}
		case req.Address == crashAt.String():
			ended = true
			return providers.ApplyResourceResponse{Diagnostics: providers.Diagnostics{{Severity: providers.Error, Summary: end.Summary, Detail: end.Detail, Address: req.Address, Ended: end}}}
		}
		return fp.DefaultApply(req)
	}
	other := providertest.New(testSchema())

	sw := addrs.Resource{Type: "switch", Name: "lan0"}
	rs := []*lower.Resource{{Addr: sw, Provider: "fake", Config: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("lan0")})}}
	for i := range n {
		name := fmt.Sprintf("n%02d", i)
		rs = append(rs, &lower.Resource{Addr: addrs.Resource{Type: "vnode", Name: name}, Provider: "fake",
			Config: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(name)}), DependsOn: []addrs.Resource{sw}})
	}
	afterCrash := addrs.Resource{Type: "vnode", Name: "after_crash"} // depends on the change in flight
	afterLast := addrs.Resource{Type: "vnode", Name: "after_last"}   // on one not sent
	last := addrs.Resource{Type: "vnode", Name: fmt.Sprintf("n%02d", n-1)}
	otherSw := addrs.Resource{Type: "switch", Name: "other"}
	rs = append(rs,
		&lower.Resource{Addr: afterCrash, Provider: "fake", Config: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("x")}), DependsOn: []addrs.Resource{crashAt}},
		&lower.Resource{Addr: afterLast, Provider: "fake", Config: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("y")}), DependsOn: []addrs.Resource{last}},
		&lower.Resource{Addr: otherSw, Provider: "other", Config: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("other")})},
	)
	g := lower.NewGraph("test", nil, rs)

	e, diags := New(context.Background(), map[string]providers.Factory{
		"fake":  func() (providers.Provider, error) { return fp, nil },
		"other": func() (providers.Provider, error) { return other, nil },
	}, nil, []string{"fake", "other"}, "test", nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p, diags := e.Plan(context.Background(), g, state.New("test"), PlanOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	// One at a time, so that nothing but the crashing change is in flight
	// and every later change of the provider is one benito must not send.
	next, res, diags := e.Apply(context.Background(), p, state.New("test"), newMemJournal(), ApplyOptions{Parallelism: 1})

	if len(diags) != 1 || diags[0].Summary != end.Summary {
		var b strings.Builder
		for _, d := range diags {
			fmt.Fprintf(&b, "\n%s: %s", d.Summary, d.Detail)
		}
		t.Fatalf("want one error, the provider's end; got %d:%s", len(diags), b.String())
	}
	if len(afterEnd) != 0 {
		t.Errorf("benito sent the ended provider %v", afterEnd)
	}
	if d := cmp.Diff([]addrs.Resource{crashAt}, keys(res.Failed)); d != "" {
		t.Errorf("failed (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[addrs.Resource]addrs.Resource{afterCrash: crashAt, afterLast: last}, res.Skipped); d != "" {
		t.Errorf("skipped (-want +got):\n%s", d)
	}
	for a, prov := range res.Unsent {
		if prov != "fake" || next.Resources[a] != nil {
			t.Errorf("%s unsent (provider %q) and in the state %v", a, prov, next.Resources[a] != nil)
		}
	}
	if want := fmt.Sprintf("%d of its changes were not attempted", len(res.Unsent)); len(res.Unsent) == 0 || !strings.Contains(diags[0].Detail, want) {
		t.Errorf("%d unsent; the error's detail lacks %q:\n%s", len(res.Unsent), want, diags[0].Detail)
	}
	// Every change is accounted for once: applied (in the state), failed,
	// skipped or not sent. The create in flight when the provider ended
	// failed, and stays in the state pending: what the provider made of it
	// is unknown, and the next plan replaces it.
	for _, c := range p.Changes {
		seen := 0
		if r := next.Resources[c.Addr]; r != nil && r.Status != state.Pending {
			seen++
		}
		if _, ok := res.Failed[c.Addr]; ok {
			seen++
		}
		if _, ok := res.Skipped[c.Addr]; ok {
			seen++
		}
		if _, ok := res.Unsent[c.Addr]; ok {
			seen++
		}
		if seen != 1 {
			t.Errorf("%s is accounted for %d times", c.Addr, seen)
		}
	}
	if next.Resources[sw] == nil || next.Resources[otherSw] == nil || next.Resources[crashAt] == nil || next.Resources[crashAt].Status != state.Pending {
		t.Errorf("state: switch %v, the other provider's switch %v, the crashed change %v (want it pending)",
			next.Resources[sw] != nil, next.Resources[otherSw] != nil, next.Resources[crashAt])
	}
}

func keys[V any](m map[addrs.Resource]V) []addrs.Resource {
	out := make([]addrs.Resource, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	return out
}
