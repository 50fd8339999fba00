package plugin_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/plugin"
	"github.com/benito-net/benito/providers/sdk"
	"github.com/zclconf/go-cty/cty"
)

// defaulter is echo planning "thing" resources as a DefaultPlanner, each
// by its address: thing.known* sets id (and on: a known null), thing.unknown*
// sets nested to a value with an unknown part and tags to unknown,
// thing.whole* is built by the provider (crossing whole), thing.extra*
// adds a replacement path DefaultPlan did not find, and thing.dynamic*
// sets the dynamically typed attribute. Others plan as DefaultPlan does.
type defaulter struct{ *echo }

func (d defaulter) PlanResources(ctx context.Context, req providers.PlanResourcesRequest) providers.PlanResourcesResponse {
	return d.PlanDefaults(ctx, req).Built(&echoSchema, req)
}

func (d defaulter) PlanDefaults(_ context.Context, req providers.PlanResourcesRequest) providers.PlanDefaultsResponse {
	resp := providers.PlanEachDefault("defaults", &echoSchema, req, func(c providers.PlanChange) map[string]cty.Value {
		switch a := c.Address; {
		case strings.HasPrefix(a, "thing.known"):
			return map[string]cty.Value{"id": cty.StringVal("id of " + a), "on": cty.NullVal(cty.Bool)}
		case strings.HasPrefix(a, "thing.unknown"):
			return map[string]cty.Value{
				"nested": cty.ObjectVal(map[string]cty.Value{"a": cty.UnknownVal(cty.String), "b": cty.ListVal([]cty.Value{cty.True})}),
				"tags":   cty.UnknownVal(cty.Map(cty.String)),
			}
		case strings.HasPrefix(a, "thing.dynamic"):
			return map[string]cty.Value{"anytype": cty.TupleVal([]cty.Value{cty.StringVal("x"), cty.NumberIntVal(1)})}
		}
		return nil
	})
	for i, c := range req.Changes {
		pd := &resp.Changes[i]
		switch {
		case strings.HasPrefix(c.Address, "thing.whole"):
			pd.Build(echoSchema.ResourceTypes[c.Type], c)
		case strings.HasPrefix(c.Address, "thing.extra"):
			pd.RequiresReplace = append(pd.RequiresReplace, cty.GetAttrPath("count"))
		}
	}
	return resp
}

// TestPlannedByDefault: a DefaultPlanner's plans through the plugin, where
// benito builds most planned values from the change it sent, are its plans
// in process: values (unknown and null parts, numbers, every collection
// kind), replacement paths and private data alike.
func TestPlannedByDefault(t *testing.T) {
	ty := echoSchema.ResourceTypes["thing"].ImpliedType()
	thing := func(name string, count int64, on cty.Value) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{
			"name":    cty.StringVal(name),
			"count":   cty.NumberIntVal(count),
			"tags":    cty.MapVal(map[string]cty.Value{"k": cty.StringVal("v"), "é": cty.StringVal("ü")}),
			"ports":   cty.ListVal([]cty.Value{cty.NumberFloatVal(1.5), cty.NumberIntVal(2)}),
			"groups":  cty.SetVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
			"nested":  cty.NullVal(cty.Object(map[string]cty.Type{"a": cty.String, "b": cty.List(cty.Bool)})),
			"anytype": cty.StringVal("dyn"),
			"on":      on,
		})
	}
	config := thing
	prior := func(name string, count int64) cty.Value {
		m := thing(name, count, cty.True).AsValueMap()
		m["id"] = cty.StringVal("prior id")
		return cty.ObjectVal(m)
	}
	var changes []providers.PlanChange
	for _, a := range []string{"thing.plain", "thing.known", "thing.unknown", "thing.whole", "thing.extra", "thing.dynamic"} {
		changes = append(changes,
			// create
			providers.PlanChange{Address: a + "-create", Type: "thing", Prior: cty.NullVal(ty), Proposed: config("n", 1, cty.NullVal(cty.Bool))},
			// update in place, the computed attributes kept
			providers.PlanChange{Address: a + "-update", Type: "thing", Prior: prior("n", 1), PriorPrivate: []byte("p"), Proposed: config("n", 2, cty.NullVal(cty.Bool))},
			// replace (name is ForceNew): the computed attributes unknown
			providers.PlanChange{Address: a + "-replace", Type: "thing", Prior: prior("n", 1), PriorPrivate: []byte("p"), Proposed: config("m", 1, cty.False)},
		)
	}
	// The proposed values are of the configuration type, as the engine
	// sends them.
	cfgTy := echoSchema.ResourceTypes["thing"].ConfigType()
	for i, c := range changes {
		if !c.Proposed.IsNull() {
			m := c.Proposed.AsValueMap()
			for name := range m {
				if !cfgTy.HasAttribute(name) {
					delete(m, name)
				}
			}
			changes[i].Proposed = cty.ObjectVal(m)
		}
	}
	req := providers.PlanResourcesRequest{Changes: changes}
	ctx := context.Background()
	want := defaulter{&echo{stop: make(chan struct{})}}.PlanResources(ctx, req)
	if want.Diagnostics.HasErrors() {
		t.Fatal(want.Diagnostics.Err())
	}
	p := start(t, "defaults", "defaults", 10*time.Second)
	got := providers.ValidateAndPlan(ctx, p, req)
	if got.Diagnostics.HasErrors() {
		t.Fatal(got.Diagnostics.Err())
	}
	if len(got.Changes) != len(want.Changes) {
		t.Fatalf("%d changes, want %d", len(got.Changes), len(want.Changes))
	}
	for i, c := range changes {
		g, w := got.Changes[i], want.Changes[i]
		if !g.Planned.RawEquals(w.Planned) {
			t.Errorf("%s: planned\n%#v\nwant\n%#v", c.Address, g.Planned, w.Planned)
		}
		if !slices.EqualFunc(g.RequiresReplace, w.RequiresReplace, cty.Path.Equals) {
			t.Errorf("%s: requires replace %#v, want %#v", c.Address, g.RequiresReplace, w.RequiresReplace)
		}
		if string(g.PlannedPrivate) != string(w.PlannedPrivate) {
			t.Errorf("%s: private %q, want %q", c.Address, g.PlannedPrivate, w.PlannedPrivate)
		}
	}
	// Every change but the values built whole.
	if n, want := plugin.BuiltByDefault(p), int64(len(changes)-3); n != want {
		t.Errorf("benito built %d planned values, want %d", n, want)
	}
}

// sdkProvider serves "sdk_thing" (a ForceNew path, an optional greeting
// with a default, a computed id) and "sdk_custom" (the same, its id planned
// by CustomizePlan).
func sdkProvider() *sdk.Provider {
	res := func(customize bool) *sdk.Resource {
		r := &sdk.Resource{
			Attributes: map[string]*sdk.Attribute{
				"path":     {Type: sdk.String, Required: true, ForceNew: true},
				"greeting": {Type: sdk.String, Optional: true, Default: "Hello"},
				"count":    {Type: sdk.Number, Optional: true},
				"id":       {Type: sdk.String, Computed: true},
			},
			Create: func(context.Context, *sdk.ResourceData) error { return nil },
			Update: func(context.Context, *sdk.ResourceData) error { return nil },
			Read:   func(context.Context, *sdk.ResourceData) error { return nil },
			Delete: func(context.Context, *sdk.ResourceData) error { return nil },
		}
		if customize {
			r.CustomizePlan = func(_ context.Context, d *sdk.PlanData) error { return d.Set("id", "id of "+d.GetString("path")) }
		}
		return r
	}
	return &sdk.Provider{Name: "sdk", Version: "0.1.0", Resources: map[string]*sdk.Resource{"sdk_thing": res(false), "sdk_custom": res(true)}}
}

// TestSDKPlannedByDefault: an SDK provider's plans through the plugin are
// its plans in process; those of a type without CustomizePlan are built by
// benito.
func TestSDKPlannedByDefault(t *testing.T) {
	inProcess, err := sdk.InProcess(sdkProvider())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	schema := inProcess.GetSchema(ctx).Schema
	var changes []providers.PlanChange
	for _, typ := range []string{"sdk_thing", "sdk_custom"} {
		rs := schema.ResourceTypes[typ]
		cfg := func(path string, greeting cty.Value) cty.Value {
			return cty.ObjectVal(map[string]cty.Value{"path": cty.StringVal(path), "greeting": greeting, "count": cty.NumberFloatVal(0.1)})
		}
		prior := cty.ObjectVal(map[string]cty.Value{"path": cty.StringVal("/a"), "greeting": cty.StringVal("Hi"), "count": cty.NumberFloatVal(0.1), "id": cty.StringVal("old")})
		changes = append(changes,
			providers.PlanChange{Address: typ + ".create", Type: typ, Prior: cty.NullVal(rs.ImpliedType()), Proposed: cfg("/a", cty.NullVal(cty.String))},
			providers.PlanChange{Address: typ + ".update", Type: typ, Prior: prior, Proposed: cfg("/a", cty.NullVal(cty.String))},
			providers.PlanChange{Address: typ + ".same", Type: typ, Prior: prior, Proposed: cfg("/a", cty.StringVal("Hi"))},
			providers.PlanChange{Address: typ + ".replace", Type: typ, Prior: prior, PriorPrivate: []byte("p"), Proposed: cfg("/b", cty.StringVal("Hi"))},
		)
	}
	req := providers.PlanResourcesRequest{Changes: changes}
	want := inProcess.PlanResources(ctx, req)
	p := start(t, "sdk", "sdk", 10*time.Second)
	got := p.PlanResources(ctx, req)
	if want.Diagnostics.HasErrors() || got.Diagnostics.HasErrors() || len(got.Changes) != len(want.Changes) {
		t.Fatalf("in process: %v; through the plugin: %v, %d changes", want.Diagnostics.Err(), got.Diagnostics.Err(), len(got.Changes))
	}
	for i, c := range changes {
		g, w := got.Changes[i], want.Changes[i]
		if !g.Planned.RawEquals(w.Planned) || !slices.EqualFunc(g.RequiresReplace, w.RequiresReplace, cty.Path.Equals) || string(g.PlannedPrivate) != string(w.PlannedPrivate) {
			t.Errorf("%s: through the plugin %#v %#v %q, in process %#v %#v %q", c.Address, g.Planned, g.RequiresReplace, g.PlannedPrivate, w.Planned, w.RequiresReplace, w.PlannedPrivate)
		}
	}
	if n := plugin.BuiltByDefault(p); n != 4 {
		t.Errorf("benito built %d planned values, want the 4 of sdk_thing", n)
	}
}
