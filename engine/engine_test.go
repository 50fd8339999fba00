package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/plan"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/providertest"
	"github.com/benito-net/benito/state"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// memJournal is a journal that keeps entries in memory.
type memJournal struct {
	mu      sync.Mutex
	entries []string
	st      map[addrs.Resource]*state.Resource
}

func newMemJournal() *memJournal { return &memJournal{st: map[addrs.Resource]*state.Resource{}} }

func (j *memJournal) Put(r *state.Resource) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, "put "+r.Addr.String()+" "+string(r.Status))
	c := *r
	j.st[r.Addr] = &c
	return nil
}

func (j *memJournal) Remove(a addrs.Resource) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, "rm "+a.String())
	delete(j.st, a)
	return nil
}

func testSchema() providers.Schema {
	return providers.Schema{ResourceTypes: map[string]*providers.ResourceSchema{
		"switch": {Attributes: map[string]*providers.Attribute{
			"name": {Type: cty.String, Required: true, ForceNew: true},
			"id":   {Type: cty.String, Computed: true},
		}},
		"vnode": {Attributes: map[string]*providers.Attribute{
			"name":    {Type: cty.String, Required: true, ForceNew: true},
			"memory":  {Type: cty.Number, Optional: true, ForceNew: true},
			"latency": {Type: cty.String, Optional: true},
			"id":      {Type: cty.String, Computed: true},
		}},
	}}
}

func mustAddr(t *testing.T, s string) addrs.Resource {
	t.Helper()
	a, err := addrs.ParseResource(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type node struct {
	addr  string
	attrs map[string]cty.Value
	deps  []string
}

func graphOf(t *testing.T, nodes ...node) *lower.Graph {
	t.Helper()
	var rs []*lower.Resource
	for _, n := range nodes {
		r := &lower.Resource{Addr: mustAddr(t, n.addr), Provider: "fake", Config: cty.ObjectVal(n.attrs)}
		for _, d := range n.deps {
			r.DependsOn = append(r.DependsOn, mustAddr(t, d))
		}
		rs = append(rs, r)
	}
	return lower.NewGraph("test", nil, rs)
}

func twoNodes(latency string, memory int64) *lower.Graph {
	return lower.NewGraph("test", nil, []*lower.Resource{
		{Addr: addrs.Resource{Type: "switch", Name: "lan0"}, Provider: "fake", Config: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("lan0")})},
		{Addr: addrs.Resource{Type: "vnode", Name: "a"}, Provider: "fake", Config: cty.ObjectVal(map[string]cty.Value{
			"name": cty.StringVal("a"), "memory": cty.NumberIntVal(memory), "latency": cty.StringVal(latency),
		}), DependsOn: []addrs.Resource{{Type: "switch", Name: "lan0"}}},
		{Addr: addrs.Resource{Type: "vnode", Name: "b"}, Provider: "fake", Config: cty.ObjectVal(map[string]cty.Value{
			"name": cty.StringVal("b"),
		}), DependsOn: []addrs.Resource{{Type: "switch", Name: "lan0"}}},
	})
}

func newEngine(t *testing.T, p *providertest.Provider) *Engine {
	t.Helper()
	e, diags := New(context.Background(), map[string]providers.Factory{"fake": func() (providers.Provider, error) { return p, nil }}, nil, []string{"fake"}, "test", nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return e
}

func actions(p *plan.Plan) map[string]string {
	out := map[string]string{}
	for _, c := range p.Changes {
		out[c.Addr.String()] = c.Action.String()
	}
	return out
}

// planApply plans g against st and applies it, failing the test on errors.
func planApply(t *testing.T, e *Engine, g *lower.Graph, st *state.State, opts PlanOptions) (*plan.Plan, *state.State, *Result) {
	t.Helper()
	p, diags := e.Plan(context.Background(), g, st, opts)
	if diags.HasErrors() {
		t.Fatalf("plan: %v", diags)
	}
	next, res, diags := e.Apply(context.Background(), p, st, newMemJournal(), ApplyOptions{})
	if diags.HasErrors() {
		t.Fatalf("apply: %v", diags)
	}
	return p, next, res
}

func TestCreateInDependencyOrderThenConverge(t *testing.T) {
	fp := providertest.New(testSchema())
	e := newEngine(t, fp)
	st := state.New("test")
	p, st, res := planApply(t, e, twoNodes("10ms", 512), st, PlanOptions{})
	if d := cmp.Diff(map[string]string{"switch.lan0": "create", "vnode.a": "create", "vnode.b": "create"}, actions(p)); d != "" {
		t.Errorf("actions (-want +got):\n%s", d)
	}
	if fp.Applied[0] != "create switch.lan0" {
		t.Errorf("switch must be created first, got order %v", fp.Applied)
	}
	if res.Added != 3 {
		t.Errorf("added = %d, want 3", res.Added)
	}
	if got := st.Resources[addrs.Resource{Type: "vnode", Name: "a"}]; got == nil || got.Status != state.Ready || !strings.Contains(string(got.Attributes), `"id":"id-vnode.a"`) {
		t.Errorf("vnode.a recorded as %+v", got)
	}

	p2, diags := e.Plan(context.Background(), twoNodes("10ms", 512), st, PlanOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if p2.HasChanges() {
		t.Errorf("second plan has changes: %v", actions(p2))
	}
}

func TestUpdateInPlaceVersusReplace(t *testing.T) {
	fp := providertest.New(testSchema())
	e := newEngine(t, fp)
	_, st, _ := planApply(t, e, twoNodes("10ms", 512), state.New("test"), PlanOptions{})

	p, diags := e.Plan(context.Background(), twoNodes("50ms", 512), st, PlanOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := actions(p)["vnode.a"]; got != "update" {
		t.Errorf("latency change: got %s, want update", got)
	}

	p, diags = e.Plan(context.Background(), twoNodes("10ms", 1024), st, PlanOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var c *plan.Change
	for _, x := range p.Changes {
		if x.Addr.String() == "vnode.a" {
			c = x
		}
	}
	if c.Action != plan.DeleteThenCreate || c.Reason != plan.ReasonRequiresReplace {
		t.Fatalf("memory change: got %s (%s), want delete-then-create", c.Action, c.Reason)
	}
	if d := cmp.Diff([]cty.Path{cty.GetAttrPath("memory")}, c.RequiresReplace, cmp.Comparer(func(a, b cty.Path) bool { return a.Equals(b) })); d != "" {
		t.Errorf("replace paths (-want +got):\n%s", d)
	}
	if c.After.GetAttr("id").IsKnown() {
		t.Errorf("a replaced resource's computed id must be unknown, got %#v", c.After.GetAttr("id"))
	}
}

func TestDestroyInReverseOrder(t *testing.T) {
	fp := providertest.New(testSchema())
	e := newEngine(t, fp)
	_, st, _ := planApply(t, e, twoNodes("10ms", 512), state.New("test"), PlanOptions{})
	fp.Applied = nil
	if _, diags := e.Plan(context.Background(), twoNodes("10ms", 512), st, PlanOptions{}); diags.HasErrors() || fp.Calls["ReadResources existence only"] != 0 {
		t.Fatalf("a plan's refresh asked for existence only (%d), or: %v", fp.Calls["ReadResources existence only"], diags)
	}
	p, st, res := planApply(t, e, twoNodes("10ms", 512), st, PlanOptions{Destroy: true})
	if fp.Calls["ReadResources existence only"] != 1 {
		t.Errorf("a destroy's refresh asked for existence only %d times, want once", fp.Calls["ReadResources existence only"])
	}
	for _, c := range p.Changes {
		if c.Action != plan.Delete {
			t.Errorf("%s: %s, want delete", c.Addr, c.Action)
		}
	}
	if last := fp.Applied[len(fp.Applied)-1]; last != "delete switch.lan0" {
		t.Errorf("switch must be destroyed last, got order %v", fp.Applied)
	}
	if len(st.Resources) != 0 || res.Destroyed != 3 {
		t.Errorf("after destroy: %d resources in state, %d destroyed", len(st.Resources), res.Destroyed)
	}
}

func TestFailedCreateTaintsAndSkipsDependents(t *testing.T) {
	fp := providertest.New(testSchema())
	fp.ApplyFn = func(ctx context.Context, req providers.ApplyResourceRequest) providers.ApplyResourceResponse {
		if req.Address == "switch.lan0" {
			// Half-made: the provider returns what exists.
			resp := fp.DefaultApply(req)
			resp.Diagnostics = providers.Errorf(req.Address, "vde_switch exited")
			return resp
		}
		return fp.DefaultApply(req)
	}
	e := newEngine(t, fp)
	st := state.New("test")
	p, diags := e.Plan(context.Background(), twoNodes("10ms", 512), st, PlanOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	next, res, diags := e.Apply(context.Background(), p, st, newMemJournal(), ApplyOptions{})
	if !diags.HasErrors() {
		t.Fatal("want an error")
	}
	sw := addrs.Resource{Type: "switch", Name: "lan0"}
	if next.Resources[sw] == nil || next.Resources[sw].Status != state.Tainted {
		t.Errorf("switch.lan0 should be tainted, got %+v", next.Resources[sw])
	}
	wantSkipped := map[addrs.Resource]addrs.Resource{{Type: "vnode", Name: "a"}: sw, {Type: "vnode", Name: "b"}: sw}
	if d := cmp.Diff(wantSkipped, res.Skipped); d != "" {
		t.Errorf("skipped (-want +got):\n%s", d)
	}

	fp.ApplyFn = nil
	p2, diags := e.Plan(context.Background(), twoNodes("10ms", 512), next, PlanOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, c := range p2.Changes {
		if c.Addr == sw && (c.Action != plan.DeleteThenCreate || c.Reason != plan.ReasonTainted) {
			t.Errorf("tainted switch: got %s (%s), want a replace because tainted", c.Action, c.Reason)
		}
	}
}

func TestDriftIsDetectedAndRepaired(t *testing.T) {
	fp := providertest.New(testSchema())
	e := newEngine(t, fp)
	_, st, _ := planApply(t, e, twoNodes("10ms", 512), state.New("test"), PlanOptions{})
	fp.Delete("vnode.b")
	p, diags := e.Plan(context.Background(), twoNodes("10ms", 512), st, PlanOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(p.Drift) != 1 || p.Drift[0].Addr.String() != "vnode.b" || !p.Drift[0].After.IsNull() {
		t.Fatalf("drift: %+v", p.Drift)
	}
	if got := actions(p)["vnode.b"]; got != "create" {
		t.Errorf("deleted vnode.b: got %s, want create", got)
	}
	if fp.CallCount("ReadResources") != 1 {
		t.Errorf("refresh must be one batched read, got %d calls", fp.CallCount("ReadResources"))
	}
}

// TestPendingCreateIsKeptAsTainted: a create interrupted before its outcome
// was recorded is replaced, whether its provider reads it back or not: a
// create that made part of its object (a process started whose pid it
// never returned) must not be created anew over what it left.
func TestPendingCreateIsKeptAsTainted(t *testing.T) {
	fp := providertest.New(testSchema())
	e := newEngine(t, fp)
	st := state.New("test")
	// As a killed apply leaves it: two pending creates, one of which the
	// provider had finished.
	fp.Objects["vnode.a"] = cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("a"), "memory": cty.NumberIntVal(512), "latency": cty.StringVal("10ms"), "id": cty.StringVal("x")})
	for _, n := range []string{"a", "b"} {
		st.Resources[addrs.Resource{Type: "vnode", Name: n}] = &state.Resource{
			Addr: addrs.Resource{Type: "vnode", Name: n}, Provider: "fake", Status: state.Pending,
			Attributes: []byte(`{"name":"` + n + `","memory":null,"latency":null,"id":null}`),
		}
	}
	p, diags := e.Plan(context.Background(), twoNodes("10ms", 512), st, PlanOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got := actions(p)
	if got["vnode.a"] != "delete-then-create" || got["vnode.b"] != "delete-then-create" {
		t.Errorf("after an interrupted apply: %v", got)
	}
	for _, c := range p.Changes {
		if c.Addr.Type == "vnode" && c.Reason != plan.ReasonTainted {
			t.Errorf("%s is replaced for %v, want as tainted", c.Addr, c.Reason)
		}
	}
	if len(p.Drift) != 0 {
		t.Errorf("pending resources are not drift: %+v", p.Drift)
	}
}

func TestTargetsIncludeDependencies(t *testing.T) {
	fp := providertest.New(testSchema())
	e := newEngine(t, fp)
	p, diags := e.Plan(context.Background(), twoNodes("10ms", 512), state.New("test"), PlanOptions{Targets: []addrs.Resource{{Type: "vnode", Name: "a"}}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if d := cmp.Diff(map[string]string{"switch.lan0": "create", "vnode.a": "create"}, actions(p)); d != "" {
		t.Errorf("targeted plan (-want +got):\n%s", d)
	}
	_, diags = e.Plan(context.Background(), twoNodes("10ms", 512), state.New("test"), PlanOptions{Targets: []addrs.Resource{{Type: "vnode", Name: "zz"}}})
	if !diags.HasErrors() {
		t.Error("a target naming nothing must be an error")
	}
}

func TestStopStartsNothingNew(t *testing.T) {
	fp := providertest.New(testSchema())
	stop := make(chan struct{})
	var once sync.Once
	fp.ApplyFn = func(ctx context.Context, req providers.ApplyResourceRequest) providers.ApplyResourceResponse {
		once.Do(func() { close(stop) })
		return fp.DefaultApply(req)
	}
	e := newEngine(t, fp)
	st := state.New("test")
	p, _ := e.Plan(context.Background(), twoNodes("10ms", 512), st, PlanOptions{})
	next, res, _ := e.Apply(context.Background(), p, st, newMemJournal(), ApplyOptions{Stop: stop, Parallelism: 1})
	if len(next.Resources) != 1 {
		t.Errorf("after stop: %d resources, want the one in flight", len(next.Resources))
	}
	sort.Slice(res.NotStarted, func(i, j int) bool { return res.NotStarted[i].Less(res.NotStarted[j]) })
	if len(res.NotStarted) != 2 {
		t.Errorf("not started: %v", res.NotStarted)
	}
}

func TestStillReportsSlowChanges(t *testing.T) {
	fp := providertest.New(testSchema())
	fp.ApplyFn = func(ctx context.Context, req providers.ApplyResourceRequest) providers.ApplyResourceResponse {
		time.Sleep(30 * time.Millisecond)
		return fp.DefaultApply(req)
	}
	e := newEngine(t, fp)
	h := &recHooks{}
	st := state.New("test")
	p, _ := e.Plan(context.Background(), graphOf(t, node{addr: "switch.s", attrs: map[string]cty.Value{"name": cty.StringVal("s")}}), st, PlanOptions{})
	_, _, diags := e.Apply(context.Background(), p, st, newMemJournal(), ApplyOptions{Hooks: h, StillEvery: 10 * time.Millisecond})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if h.started != 1 || h.finished != 1 || h.still == 0 {
		t.Errorf("hooks: started %d, still %d, finished %d", h.started, h.still, h.finished)
	}
}

type recHooks struct {
	mu                       sync.Mutex
	started, still, finished int
}

func (h *recHooks) Started(addrs.Resource, plan.Action) { h.mu.Lock(); h.started++; h.mu.Unlock() }
func (h *recHooks) Still(addrs.Resource, plan.Action, time.Duration) {
	h.mu.Lock()
	h.still++
	h.mu.Unlock()
}
func (h *recHooks) Finished(addrs.Resource, plan.Action, time.Duration, error) {
	h.mu.Lock()
	h.finished++
	h.mu.Unlock()
}

func TestUnknownProviderIsAnError(t *testing.T) {
	_, diags := New(context.Background(), nil, nil, []string{"qemu"}, "test", nil)
	if !diags.HasErrors() || !strings.Contains(diags.Error(), `"qemu"`) {
		t.Errorf("got %v", diags)
	}
}

func TestDestroyTargetsTakeTheirDependents(t *testing.T) {
	fp := providertest.New(testSchema())
	e := newEngine(t, fp)
	_, st, _ := planApply(t, e, twoNodes("10ms", 512), state.New("test"), PlanOptions{})

	p, diags := e.Plan(context.Background(), twoNodes("10ms", 512), st, PlanOptions{Destroy: true, Targets: []addrs.Resource{{Type: "vnode", Name: "a"}}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if d := cmp.Diff(map[string]string{"vnode.a": "delete"}, actions(p)); d != "" {
		t.Errorf("destroying a leaf (-want +got):\n%s", d)
	}

	p, diags = e.Plan(context.Background(), twoNodes("10ms", 512), st, PlanOptions{Destroy: true, Targets: []addrs.Resource{{Type: "switch", Name: "lan0"}}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := map[string]string{"switch.lan0": "delete", "vnode.a": "delete", "vnode.b": "delete"}
	if d := cmp.Diff(want, actions(p)); d != "" {
		t.Errorf("destroying the switch takes what depends on it (-want +got):\n%s", d)
	}
}

func TestResourcesInsideAReplacedNodeAreReplaced(t *testing.T) {
	schema := testSchema()
	schema.ResourceTypes["route"] = &providers.ResourceSchema{Attributes: map[string]*providers.Attribute{
		"node": {Type: cty.String, Required: true, ForceNew: true},
		"id":   {Type: cty.String, Computed: true},
	}}
	fp := providertest.New(schema)
	e := newEngine(t, fp)
	withRoute := func(memory int64) *lower.Graph {
		g := twoNodes("10ms", memory)
		route := &lower.Resource{
			Addr:      mustAddr(t, `route.a["10.0.0.0/8"]`),
			Provider:  "fake",
			Config:    cty.ObjectVal(map[string]cty.Value{"node": cty.StringVal("a")}),
			DependsOn: []addrs.Resource{{Type: "vnode", Name: "a"}},
			Container: addrs.Resource{Type: "vnode", Name: "a"},
		}
		return lower.NewGraph("test", nil, append(g.Resources, route))
	}
	_, st, _ := planApply(t, e, withRoute(512), state.New("test"), PlanOptions{})

	// A change the node takes in place leaves the route alone.
	p, diags := e.Plan(context.Background(), withRoute(512), st, PlanOptions{})
	if diags.HasErrors() || p.HasChanges() {
		t.Fatalf("unchanged plan: %v %v", diags, actions(p))
	}
	// Replacing the node replaces the route that lived in it.
	fp.Applied = nil
	p, st, _ = planApply(t, e, withRoute(1024), st, PlanOptions{})
	want := map[string]string{"switch.lan0": "no-op", "vnode.a": "delete-then-create", `route.a["10.0.0.0/8"]`: "delete-then-create", "vnode.b": "no-op"}
	if d := cmp.Diff(want, actions(p)); d != "" {
		t.Errorf("actions (-want +got):\n%s", d)
	}
	for _, c := range p.Changes {
		if c.Addr.Type == "route" && c.Reason != plan.ReasonContainerReplaced {
			t.Errorf("route replaced for %s, want %s", c.Reason, plan.ReasonContainerReplaced)
		}
	}
	want2 := []string{`delete route.a["10.0.0.0/8"]`, "delete vnode.a", "create vnode.a", `create route.a["10.0.0.0/8"]`}
	if d := cmp.Diff(want2, fp.Applied); d != "" {
		t.Errorf("apply order (-want +got):\n%s", d)
	}
	if p, _ := e.Plan(context.Background(), withRoute(1024), st, PlanOptions{}); p.HasChanges() {
		t.Errorf("after the replace the plan must be empty: %v", actions(p))
	}
}

// TestGroup checks that New starts the providers of a group with one call,
// with only the names it needs, and the others with their factories.
func TestGroup(t *testing.T) {
	var calls [][]string
	var mu sync.Mutex
	g := Group{Names: []string{"a", "b", "c"}, Start: func(names []string) (map[string]providers.Provider, error) {
		mu.Lock()
		calls = append(calls, names)
		mu.Unlock()
		out := map[string]providers.Provider{}
		for _, n := range names {
			out[n] = providertest.New(testSchema())
		}
		return out, nil
	}}
	single := 0
	fs := map[string]providers.Factory{
		"a": func() (providers.Provider, error) {
			t.Error("a started alone")
			return providertest.New(testSchema()), nil
		},
		"d": func() (providers.Provider, error) { single++; return providertest.New(testSchema()), nil },
	}
	e, diags := New(context.Background(), fs, []Group{g}, []string{"d", "c", "a"}, "test", nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	defer e.Close()
	if len(calls) != 1 || strings.Join(calls[0], ",") != "a,c" || single != 1 {
		t.Errorf("group calls %v, single starts %d", calls, single)
	}
	if len(e.providers) != 3 {
		t.Errorf("providers %v", e.providers)
	}
	_, diags = New(context.Background(), fs, []Group{{Names: []string{"x"}, Start: func([]string) (map[string]providers.Provider, error) {
		return nil, fmt.Errorf("no such binary")
	}}}, []string{"x"}, "test", nil)
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "no such binary") {
		t.Errorf("a group that fails to start: %v", diags)
	}
}

func TestReplaceByRequest(t *testing.T) {
	schema := testSchema()
	schema.ResourceTypes["route"] = &providers.ResourceSchema{Attributes: map[string]*providers.Attribute{
		"node": {Type: cty.String, Required: true, ForceNew: true},
		"id":   {Type: cty.String, Computed: true},
	}}
	fp := providertest.New(schema)
	e := newEngine(t, fp)
	h0 := mustAddr(t, `vnode.h[0]`)
	g := graphOf(t,
		node{addr: `switch.lan0`, attrs: map[string]cty.Value{"name": cty.StringVal("lan0")}},
		node{addr: `vnode.h[0]`, attrs: map[string]cty.Value{"name": cty.StringVal("h-0")}, deps: []string{`switch.lan0`}},
		node{addr: `vnode.h[1]`, attrs: map[string]cty.Value{"name": cty.StringVal("h-1")}, deps: []string{`switch.lan0`}},
	)
	route := &lower.Resource{
		Addr: mustAddr(t, `route.h[0]["10.0.0.0/8"]`), Provider: "fake",
		Config:    cty.ObjectVal(map[string]cty.Value{"node": cty.StringVal("h-0")}),
		DependsOn: []addrs.Resource{h0}, Container: h0,
	}
	g = lower.NewGraph("test", nil, append(g.Resources, route))
	_, st, _ := planApply(t, e, g, state.New("test"), PlanOptions{})

	for _, tc := range []struct {
		name    string
		opts    PlanOptions
		actions map[string]string
		reasons map[string]plan.Reason
		diags   []string // summaries, in order
	}{
		{
			name: "a node and what lives in it",
			opts: PlanOptions{Replace: []addrs.Resource{h0}},
			actions: map[string]string{"switch.lan0": "no-op", "vnode.h[0]": "delete-then-create", "vnode.h[1]": "no-op",
				`route.h[0]["10.0.0.0/8"]`: "delete-then-create"},
			reasons: map[string]plan.Reason{"vnode.h[0]": plan.ReasonReplaceByRequest, `route.h[0]["10.0.0.0/8"]`: plan.ReasonContainerReplaced},
		},
		{
			name:    "two, with a target",
			opts:    PlanOptions{Replace: []addrs.Resource{h0, mustAddr(t, `switch.lan0`)}, Targets: []addrs.Resource{h0}},
			actions: map[string]string{"switch.lan0": "delete-then-create", "vnode.h[0]": "delete-then-create"},
			reasons: map[string]plan.Reason{"switch.lan0": plan.ReasonReplaceByRequest, "vnode.h[0]": plan.ReasonReplaceByRequest},
			diags:   []string{"Resource targeting is in effect"},
		},
		{
			name:  "not found",
			opts:  PlanOptions{Replace: []addrs.Resource{mustAddr(t, `vnode.h-0`)}},
			diags: []string{"Resource to replace not found"},
		},
		{
			name:  "not targeted",
			opts:  PlanOptions{Replace: []addrs.Resource{mustAddr(t, `vnode.h[1]`)}, Targets: []addrs.Resource{h0}},
			diags: []string{"Resource targeting is in effect", "Resource to replace not targeted"},
		},
		{
			name:  "with destroy",
			opts:  PlanOptions{Replace: []addrs.Resource{h0}, Destroy: true},
			diags: []string{"Invalid -replace with a destroy"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, diags := e.Plan(context.Background(), g, st, tc.opts)
			var got []string
			for _, d := range diags {
				got = append(got, d.Summary)
			}
			if d := cmp.Diff(tc.diags, got); d != "" {
				t.Fatalf("diagnostics (-want +got):\n%s\n%v", d, diags)
			}
			if diags.HasErrors() {
				return
			}
			if d := cmp.Diff(tc.actions, actions(p)); d != "" {
				t.Errorf("actions (-want +got):\n%s", d)
			}
			for _, c := range p.Changes {
				if want, ok := tc.reasons[c.Addr.String()]; ok && c.Reason != want {
					t.Errorf("%s replaced for %s, want %s", c.Addr, c.Reason, want)
				}
			}
		})
	}

	// A typo gets the address it was probably meant to be.
	_, diags := e.Plan(context.Background(), g, st, PlanOptions{Replace: []addrs.Resource{mustAddr(t, `vnode.h-0`)}})
	if len(diags) != 1 || !strings.Contains(diags[0].Detail, "-replace=vnode.h-0 names no resource") || !strings.Contains(diags[0].Detail, "Did you mean vnode.h[0]?") {
		t.Errorf("got %v", diags)
	}

	// Applying the replace leaves nothing to do.
	fp.Applied = nil
	_, st, _ = planApply(t, e, g, st, PlanOptions{Replace: []addrs.Resource{h0}})
	want := []string{`delete route.h[0]["10.0.0.0/8"]`, "delete vnode.h[0]", "create vnode.h[0]", `create route.h[0]["10.0.0.0/8"]`}
	if d := cmp.Diff(want, fp.Applied); d != "" {
		t.Errorf("apply order (-want +got):\n%s", d)
	}
	if p, _ := e.Plan(context.Background(), g, st, PlanOptions{}); p.HasChanges() {
		t.Errorf("after the replace the plan must be empty: %v", actions(p))
	}

	// A resource in the state only is destroyed anyway: a warning says so.
	small := lower.NewGraph("test", nil, g.Resources[:1])
	p, diags := e.Plan(context.Background(), small, st, PlanOptions{Replace: []addrs.Resource{h0}})
	if diags.HasErrors() || len(diags) != 1 || diags[0].Summary != "Replacement of a resource that is destroyed" || actions(p)["vnode.h[0]"] != "delete" {
		t.Errorf("got %v, %v", diags, actions(p))
	}
}

func TestTargetingWarns(t *testing.T) {
	fp := providertest.New(testSchema())
	e := newEngine(t, fp)
	a := addrs.Resource{Type: "vnode", Name: "a"}
	for _, opts := range []PlanOptions{{Targets: []addrs.Resource{a}}, {Targets: []addrs.Resource{a}, Destroy: true}} {
		_, diags := e.Plan(context.Background(), twoNodes("10ms", 512), state.New("test"), opts)
		if len(diags) != 1 || diags[0].Severity != hcl.DiagWarning || diags[0].Summary != "Resource targeting is in effect" ||
			!strings.Contains(diags[0].Detail, "may not represent all of the changes") || !strings.Contains(diags[0].Detail, "not for routine use") {
			t.Errorf("destroy=%v: got %v", opts.Destroy, diags)
		}
	}
	if _, diags := e.Plan(context.Background(), twoNodes("10ms", 512), state.New("test"), PlanOptions{}); len(diags) != 0 {
		t.Errorf("an untargeted plan warns: %v", diags)
	}
}
