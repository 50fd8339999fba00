package engine

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/plan"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/providertest"
	"github.com/benito-net/benito/state"
	"github.com/zclconf/go-cty/cty"
)

// runTimeSchema: a node whose pid and start time are run-time attributes,
// and a file whose content is generated.
func runTimeSchema() providers.Schema {
	return providers.Schema{ResourceTypes: map[string]*providers.ResourceSchema{
		"vnode": {Attributes: map[string]*providers.Attribute{
			"name":       {Type: cty.String, Required: true, ForceNew: true},
			"latency":    {Type: cty.String, Optional: true},
			"id":         {Type: cty.String, Computed: true},
			"pid":        {Type: cty.Number, Computed: true, RunTime: true},
			"start_time": {Type: cty.Number, Computed: true, RunTime: true},
		}},
		"config_file": {Attributes: map[string]*providers.Attribute{
			"path":    {Type: cty.String, Required: true},
			"content": {Type: cty.String, Required: true, Generated: true},
		}},
	}}
}

func runTimeGraph(latency string) *lower.Graph {
	return lower.NewGraph("test", nil, []*lower.Resource{
		{Addr: addrs.Resource{Type: "vnode", Name: "a"}, Provider: "fake", Config: cty.ObjectVal(map[string]cty.Value{
			"name": cty.StringVal("a"), "latency": cty.StringVal(latency),
		})},
		{Addr: addrs.Resource{Type: "config_file", Name: "hosts"}, Provider: "fake", Config: cty.ObjectVal(map[string]cty.Value{
			"path": cty.StringVal("hosts"), "content": cty.StringVal("127.0.0.1 localhost\n"),
		})},
	})
}

// restarted changes what the fake host holds for addr: the given
// attributes replaced.
func restarted(fp *providertest.Provider, addr string, attrs map[string]cty.Value) {
	m := fp.Object(addr).AsValueMap()
	for k, v := range attrs {
		m[k] = v
	}
	fp.Objects[addr] = cty.ObjectVal(m) // no call in flight
}

// TestRunTimeDifferencesAreNotDrift: a refresh that reads back a new pid
// and start time (the node's process restarted) records them but reports
// no drift and plans no change; a difference in anything else beside them
// is drift, and a node that is gone is still found gone: it is the diff
// that looks past run-time attributes, not the provider's read.
func TestRunTimeDifferencesAreNotDrift(t *testing.T) {
	fp := providertest.New(runTimeSchema())
	e := newEngine(t, fp)
	p, st, _ := planApply(t, e, runTimeGraph("10ms"), state.New("test"), PlanOptions{})
	for _, c := range p.Changes {
		want := map[string][]string{"vnode.a": {"pid", "start_time"}, "config_file.hosts": nil}[c.Addr.String()]
		if !slices.Equal(c.RunTime, want) {
			t.Errorf("%s: RunTime %v, want %v", c.Addr, c.RunTime, want)
		}
	}
	a := addrs.Resource{Type: "vnode", Name: "a"}

	restarted(fp, "vnode.a", map[string]cty.Value{"pid": cty.NumberIntVal(4242), "start_time": cty.NumberIntVal(99)})
	p, diags := e.Plan(context.Background(), runTimeGraph("10ms"), st, PlanOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(p.Drift) != 0 {
		t.Errorf("a new pid is reported as drift: %+v", p.Drift[0])
	}
	if p.HasChanges() {
		t.Errorf("a new pid plans changes: %v", actions(p))
	}
	if got := string(p.Prior.Resources[a].Attributes); !strings.Contains(got, `"pid":4242`) {
		t.Errorf("the refreshed pid is not recorded: %s", got)
	}

	// Beside a run-time difference, any other is drift.
	restarted(fp, "vnode.a", map[string]cty.Value{"pid": cty.NumberIntVal(5000), "latency": cty.StringVal("99ms")})
	p, diags = e.Plan(context.Background(), runTimeGraph("10ms"), st, PlanOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(p.Drift) != 1 || p.Drift[0].Addr != a || !slices.Equal(p.Drift[0].RunTime, []string{"pid", "start_time"}) {
		t.Fatalf("drift: %+v", p.Drift)
	}
	if got := actions(p)["vnode.a"]; got != "update" {
		t.Errorf("latency changed outside benito: %s, want update", got)
	}
	var text strings.Builder
	if err := plan.RenderHuman(&text, p, plan.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "pid") || !strings.Contains(text.String(), `~ latency = "10ms" -> "99ms"`) {
		t.Errorf("the drift shows the pid, or not the latency:\n%s", text.String())
	}

	// Gone is gone, whatever the run-time attributes.
	fp.Delete("vnode.a")
	p, diags = e.Plan(context.Background(), runTimeGraph("10ms"), st, PlanOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(p.Drift) != 1 || !p.Drift[0].After.IsNull() || actions(p)["vnode.a"] != "create" {
		t.Errorf("a node gone: drift %+v, action %s", p.Drift, actions(p)["vnode.a"])
	}
}

// TestRunTimeOnlyUpdateIsNoOp: a provider that plans a new value for a
// run-time attribute alone plans nothing to apply; with another change
// beside it, the update stands.
func TestRunTimeOnlyUpdateIsNoOp(t *testing.T) {
	fp := providertest.New(runTimeSchema())
	e := newEngine(t, fp)
	_, st, _ := planApply(t, e, runTimeGraph("10ms"), state.New("test"), PlanOptions{})
	fp.PlanFn = func(c providers.PlanChange) providers.PlannedChange {
		planned, replace := providers.DefaultPlan(fp.Schema.ResourceTypes[c.Type], c.Prior, c.Proposed, nil)
		if c.Type == "vnode" && !c.Prior.IsNull() {
			m := planned.AsValueMap()
			m["pid"] = cty.NumberIntVal(7)
			planned = cty.ObjectVal(m)
		}
		return providers.PlannedChange{Planned: planned, RequiresReplace: replace}
	}
	p, diags := e.Plan(context.Background(), runTimeGraph("10ms"), st, PlanOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := actions(p)["vnode.a"]; got != "no-op" || p.HasChanges() {
		t.Errorf("a pid alone: %s, want no-op", got)
	}
	p, diags = e.Plan(context.Background(), runTimeGraph("20ms"), st, PlanOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := actions(p)["vnode.a"]; got != "update" {
		t.Errorf("a pid and a latency: %s, want update", got)
	}
}
