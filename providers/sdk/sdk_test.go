package sdk

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// memory is a provider whose "thing" resources live in a map, with hooks
// to make a callback fail or panic.
func memory(t *testing.T, withUpdate bool, failCreate error, panicRead bool) (providers.Provider, map[string]string) {
	t.Helper()
	store := map[string]string{}
	res := &Resource{
		Attributes: map[string]*Attribute{
			"key":   {Type: String, Required: true, ForceNew: true},
			"value": {Type: String, Optional: true, Default: "none"},
			"id":    {Type: String, Computed: true},
		},
		Create: func(_ context.Context, d *ResourceData) error {
			if failCreate != nil {
				return failCreate
			}
			store[d.GetString("key")] = d.GetString("value")
			return d.Set("id", "id-"+d.GetString("key"))
		},
		Read: func(_ context.Context, d *ResourceData) error {
			if panicRead {
				panic("read exploded")
			}
			v, ok := store[d.GetString("key")]
			if !ok {
				d.SetGone()
				return nil
			}
			return d.Set("value", v)
		},
		Delete: func(_ context.Context, d *ResourceData) error {
			delete(store, d.GetString("key"))
			return nil
		},
	}
	if withUpdate {
		res.Update = func(_ context.Context, d *ResourceData) error {
			store[d.GetString("key")] = d.GetString("value")
			return nil
		}
	}
	p, err := InProcess(&Provider{Name: "mem", Version: "1.0.0", Resources: map[string]*Resource{"mem_thing": res}})
	if err != nil {
		t.Fatal(err)
	}
	return p, store
}

func config(key string, value cty.Value) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(key), "value": value})
}

func planOne(t *testing.T, p providers.Provider, prior, proposed cty.Value) providers.PlannedChange {
	t.Helper()
	resp := p.PlanResources(context.Background(), providers.PlanResourcesRequest{Changes: []providers.PlanChange{{Address: "mem_thing.a", Type: "mem_thing", Prior: prior, Proposed: proposed}}})
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics)
	}
	return resp.Changes[0]
}

func TestDefaultsUnknownsAndLifecycle(t *testing.T) {
	p, store := memory(t, true, nil, false)
	ty := p.GetSchema(context.Background()).Schema.ResourceTypes["mem_thing"].ImpliedType()
	pc := planOne(t, p, cty.NullVal(ty), config("a", cty.NullVal(cty.String)))
	if got := pc.Planned.GetAttr("value"); !got.RawEquals(cty.StringVal("none")) {
		t.Errorf("default: planned value = %#v", got)
	}
	if pc.Planned.GetAttr("id").IsKnown() {
		t.Error("a computed attribute must be unknown when creating")
	}
	ar := p.ApplyResource(context.Background(), providers.ApplyResourceRequest{Address: "mem_thing.a", Type: "mem_thing", Prior: cty.NullVal(ty), Planned: pc.Planned})
	if ar.Diagnostics.HasErrors() || store["a"] != "none" || ar.New.GetAttr("id").AsString() != "id-a" {
		t.Fatalf("create: %v, store %v, new %#v", ar.Diagnostics, store, ar.New)
	}
	// A change of an attribute without ForceNew updates in place.
	pc = planOne(t, p, ar.New, config("a", cty.StringVal("x")))
	if len(pc.RequiresReplace) != 0 || !pc.Planned.GetAttr("id").RawEquals(cty.StringVal("id-a")) {
		t.Errorf("update: replace %v, planned %#v", pc.RequiresReplace, pc.Planned)
	}
	// Drift: deleted behind the provider's back reads as gone.
	delete(store, "a")
	rr := p.ReadResources(context.Background(), providers.ReadResourcesRequest{Resources: []providers.ReadResource{{Address: "mem_thing.a", Type: "mem_thing", Current: ar.New}}})
	if !rr.Resources[0].New.IsNull() {
		t.Errorf("a deleted thing must read as null, got %#v", rr.Resources[0].New)
	}
}

func TestWithoutUpdateEveryChangeReplaces(t *testing.T) {
	p, _ := memory(t, false, nil, false)
	prior := cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal("a"), "value": cty.StringVal("v"), "id": cty.StringVal("id-a")})
	pc := planOne(t, p, prior, config("a", cty.StringVal("w")))
	if len(pc.RequiresReplace) != 1 || !pc.RequiresReplace[0].Equals(cty.GetAttrPath("value")) {
		t.Errorf("requires replace = %v, want [value]", pc.RequiresReplace)
	}
}

func TestCallbackErrorsAndPanicsBecomeDiagnostics(t *testing.T) {
	p, _ := memory(t, true, errors.New("disk full"), true)
	ty := p.GetSchema(context.Background()).Schema.ResourceTypes["mem_thing"].ImpliedType()
	pc := planOne(t, p, cty.NullVal(ty), config("a", cty.StringVal("v")))
	ar := p.ApplyResource(context.Background(), providers.ApplyResourceRequest{Address: "mem_thing.a", Type: "mem_thing", Prior: cty.NullVal(ty), Planned: pc.Planned})
	if !ar.Diagnostics.HasErrors() || ar.Diagnostics[0].Address != "mem_thing.a" || !strings.Contains(ar.Diagnostics.Err().Error(), "disk full") {
		t.Errorf("create error: %v", ar.Diagnostics)
	}
	cur := cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal("a"), "value": cty.StringVal("v"), "id": cty.StringVal("id-a")})
	rr := p.ReadResources(context.Background(), providers.ReadResourcesRequest{Resources: []providers.ReadResource{{Address: "mem_thing.a", Type: "mem_thing", Current: cur}}})
	if !rr.Diagnostics.HasErrors() || !strings.Contains(rr.Diagnostics.Err().Error(), "read exploded") || len(rr.Resources) != 1 {
		t.Errorf("a panicking Read must become a diagnostic, got %v (%d answers)", rr.Diagnostics, len(rr.Resources))
	}
}

func TestDeclarationMistakesAreRefused(t *testing.T) {
	_, err := InProcess(&Provider{Name: "bad", Resources: map[string]*Resource{"bad_thing": {Attributes: map[string]*Attribute{"x": {Type: String, Required: true}}}}})
	if err == nil {
		t.Error("a resource without Create, Read and Delete must be refused")
	}
}

// TestRunTimeAndGenerated: the attributes' RunTime and Generated reach the
// schema benito sees, and are refused where they cannot mean anything.
func TestRunTimeAndGenerated(t *testing.T) {
	noop := func(context.Context, *ResourceData) error { return nil }
	res := func(attrs map[string]*Attribute) *Provider {
		return &Provider{Name: "acme", Version: "0.1.0", Resources: map[string]*Resource{"acme_file": {Attributes: attrs, Create: noop, Read: noop, Delete: noop}}}
	}
	p := res(map[string]*Attribute{
		"path":       {Type: String, Required: true},
		"content":    {Type: String, Required: true, Generated: true},
		"writer_pid": {Type: Number, Computed: true, RunTime: true},
	})
	if _, err := p.check(); err != nil {
		t.Fatal(err)
	}
	rs := p.schema().ResourceTypes["acme_file"]
	if got := rs.RunTimeNames(); len(got) != 1 || got[0] != "writer_pid" {
		t.Errorf("run-time attributes %v, want [writer_pid]", got)
	}
	if got := rs.GeneratedNames(); len(got) != 1 || got[0] != "content" {
		t.Errorf("generated attributes %v, want [content]", got)
	}
	for name, a := range map[string]*Attribute{
		"configurable run-time": {Type: Number, Optional: true, Computed: true, RunTime: true},
		"required run-time":     {Type: Number, Required: true, RunTime: true},
		"generated number":      {Type: Number, Required: true, Generated: true},
	} {
		if _, err := res(map[string]*Attribute{"x": a}).check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Each call's context is released when the call returns (so that Stop does
// not hold on to one registration per call made), and Stop still cancels
// the context of a call in flight.
func TestCallContextReleasedAndStopped(t *testing.T) {
	var seen []context.Context
	inRead := make(chan struct{})
	stopped := make(chan error, 1)
	res := &Resource{
		Attributes: map[string]*Attribute{"key": {Type: String, Required: true}},
		Create:     func(context.Context, *ResourceData) error { return nil },
		Delete:     func(context.Context, *ResourceData) error { return nil },
		Read: func(ctx context.Context, d *ResourceData) error {
			seen = append(seen, ctx)
			if d.GetString("key") == "wait" {
				close(inRead)
				<-ctx.Done()
				stopped <- ctx.Err()
			}
			return nil
		},
	}
	p, err := InProcess(&Provider{Name: "ctx", Resources: map[string]*Resource{"ctx_thing": res}})
	if err != nil {
		t.Fatal(err)
	}
	read := func(key string) {
		cur := cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(key)})
		p.ReadResources(context.Background(), providers.ReadResourcesRequest{Resources: []providers.ReadResource{{Address: "ctx_thing.a", Type: "ctx_thing", Current: cur}}})
	}
	read("a")
	if len(seen) != 1 || seen[0].Err() == nil {
		t.Fatalf("the context of a finished call must be released (cancelled), got %v", seen)
	}
	go read("wait")
	<-inRead
	if err := p.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Errorf("Stop must cancel a call in flight, got %v", err)
	}
}
