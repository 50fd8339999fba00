package plugin_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/syncbuf"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/plugin"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"
)

// thingVal is a full value of echo's thing type, with unknowns and nulls
// inside.
func thingVal() cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"name":    cty.StringVal("a"),
		"count":   cty.NumberIntVal(3),
		"on":      cty.UnknownVal(cty.Bool),
		"id":      cty.UnknownVal(cty.String),
		"tags":    cty.MapVal(map[string]cty.Value{"k": cty.StringVal("v"), "u": cty.UnknownVal(cty.String)}),
		"ports":   cty.ListVal([]cty.Value{cty.NumberIntVal(1), cty.NullVal(cty.Number), cty.NumberFloatVal(2.5)}),
		"groups":  cty.SetVal([]cty.Value{cty.StringVal("x"), cty.StringVal("y")}),
		"nested":  cty.NullVal(cty.Object(map[string]cty.Type{"a": cty.String, "b": cty.List(cty.Bool)})),
		"anytype": cty.TupleVal([]cty.Value{cty.StringVal("t"), cty.True, cty.UnknownVal(cty.DynamicPseudoType)}),
	})
}

// thingConfig is a configuration of a thing (no computed-only id).
func thingConfig() cty.Value {
	m := thingVal().AsValueMap()
	delete(m, "id")
	m["nested"] = cty.ObjectVal(map[string]cty.Value{"a": cty.NullVal(cty.String), "b": cty.ListValEmpty(cty.Bool)})
	m["anytype"] = cty.NullVal(cty.DynamicPseudoType)
	return cty.ObjectVal(m)
}

func TestSchemaRoundTrip(t *testing.T) {
	p := start(t, "echo", "echo", 0)
	resp := p.GetSchema(context.Background())
	if resp.Info != (providers.Info{Name: "echo", Version: "1.2.3"}) {
		t.Errorf("info: %+v", resp.Info)
	}
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Summary != "schema warning" || resp.Diagnostics[0].Severity != providers.Warning {
		t.Errorf("diagnostics: %+v", resp.Diagnostics)
	}
	if diff := cmp.Diff(describe(&echoSchema), describe(&resp.Schema)); diff != "" {
		t.Errorf("schema (-sent +received):\n%s", diff)
	}
	for _, name := range echoSchema.TypeNames() {
		want, got := echoSchema.ResourceTypes[name], resp.Schema.ResourceTypes[name]
		if !got.ImpliedType().Equals(want.ImpliedType()) || !got.ConfigType().Equals(want.ConfigType()) {
			t.Errorf("%s: types differ", name)
		}
		if !slices.Equal(got.RunTimeNames(), want.RunTimeNames()) || !slices.Equal(got.GeneratedNames(), want.GeneratedNames()) {
			t.Errorf("%s: run-time %v, generated %v; sent %v, %v", name, got.RunTimeNames(), got.GeneratedNames(), want.RunTimeNames(), want.GeneratedNames())
		}
	}
}

// TestSchemaRolesRoundTrip: the schema's run-time and generated
// attributes reach benito through the plugin (the protocol's run_time and
// generated fields, additions to version 1: an older peer ignores them).
func TestSchemaRolesRoundTrip(t *testing.T) {
	p := start(t, "roles", "roles", 0)
	resp := p.GetSchema(context.Background())
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics)
	}
	if diff := cmp.Diff(describe(&rolesSchema), describe(&resp.Schema)); diff != "" {
		t.Errorf("schema (-sent +received):\n%s", diff)
	}
	got := resp.Schema.ResourceTypes["file"]
	if got == nil {
		t.Fatal("no file type")
	}
	if !slices.Equal(got.RunTimeNames(), []string{"writer_pid"}) || !slices.Equal(got.GeneratedNames(), []string{"content"}) {
		t.Errorf("run-time %v, generated %v; want [writer_pid], [content]", got.RunTimeNames(), got.GeneratedNames())
	}
}

// describe flattens a schema to comparable strings.
func describe(s *providers.Schema) []string {
	var out []string
	for _, name := range s.TypeNames() {
		rs := s.ResourceTypes[name]
		out = append(out, name+" v"+cty.NumberIntVal(rs.Version).AsBigFloat().String()+" "+rs.Description+" "+flag(rs.Exec, "exec"))
		for _, an := range rs.AttributeNames() {
			a := rs.Attributes[an]
			ty, _ := a.Type.MarshalJSON()
			out = append(out, strings.Join([]string{name, an, string(ty), a.Description,
				flag(a.Required, "required"), flag(a.Optional, "optional"), flag(a.Computed, "computed"), flag(a.ForceNew, "force_new"),
				flag(a.RunTime, "run_time"), flag(a.Generated, "generated")}, " "))
		}
	}
	return out
}

func flag(b bool, s string) string {
	if b {
		return s
	}
	return "-"
}

func TestCallsRoundTrip(t *testing.T) {
	ctx := context.Background()
	p := start(t, "echo", "echo", 0)
	thingType := echoSchema.ResourceTypes["thing"].ImpliedType()

	cr := p.Configure(ctx, providers.ConfigureRequest{Experiment: "exp", Site: map[string]string{"b": "2", "a": "1"}})
	if len(cr.Diagnostics) != 1 || cr.Diagnostics[0].Summary != "exp" || cr.Diagnostics[0].Detail != "[a=1 b=2]" {
		t.Errorf("configure: %+v", cr.Diagnostics)
	}

	t.Run("validate", func(t *testing.T) {
		cfgs := []cty.Value{thingConfig(), cty.NullVal(echoSchema.ResourceTypes["thing"].ConfigType()), cty.UnknownVal(echoSchema.ResourceTypes["thing"].ConfigType())}
		req := providers.ValidateResourcesRequest{}
		var want providers.Diagnostics
		for i, c := range cfgs {
			addr := "thing.v" + string(rune('0'+i))
			req.Resources = append(req.Resources, providers.ValidateResource{Address: addr, Type: "thing", Config: c})
			want = append(want, providers.Diagnostic{Severity: providers.Warning, Summary: "thing", Detail: c.GoString(), Address: addr, Attribute: echoPaths[i]})
		}
		got := p.ValidateResources(ctx, req).Diagnostics
		if diff := cmp.Diff(want, got, cmpPaths); diff != "" {
			t.Errorf("validate diagnostics (-want +got):\n%s", diff)
		}
	})

	t.Run("plan", func(t *testing.T) {
		req := providers.PlanResourcesRequest{Changes: []providers.PlanChange{
			{Address: "thing.a", Type: "thing", Prior: thingVal(), PriorPrivate: []byte{0, 1, 2}, Proposed: thingConfig()},
			{Address: "thing.b", Type: "thing", Prior: cty.NullVal(thingType), Proposed: cty.NullVal(echoSchema.ResourceTypes["thing"].ConfigType())},
			{Address: "other.c", Type: "other", Prior: cty.NilVal, Proposed: cty.ObjectVal(map[string]cty.Value{"x": cty.UnknownVal(cty.String)})},
		}}
		resp := p.PlanResources(ctx, req)
		if len(resp.Diagnostics) != 0 || len(resp.Changes) != 3 {
			t.Fatalf("plan: %+v", resp)
		}
		for i, c := range req.Changes {
			got := resp.Changes[i]
			if !sameValue(got.Planned, c.Prior) {
				t.Errorf("%s: planned %#v, want %#v", c.Address, got.Planned, c.Prior)
			}
			if want := string(c.PriorPrivate) + " " + c.Proposed.GoString(); string(got.PlannedPrivate) != want {
				t.Errorf("%s: private %q, want %q", c.Address, got.PlannedPrivate, want)
			}
			if diff := cmp.Diff(echoPaths, got.RequiresReplace, cmpPaths); diff != "" {
				t.Errorf("%s: requires replace (-want +got):\n%s", c.Address, diff)
			}
		}
	})

	t.Run("apply", func(t *testing.T) {
		for _, tc := range []struct{ prior, planned cty.Value }{
			{cty.NullVal(thingType), thingVal()},
			{thingVal(), cty.NullVal(thingType)},
			{thingVal(), thingVal()},
		} {
			resp := p.ApplyResource(ctx, providers.ApplyResourceRequest{Address: "thing.x", Type: "thing", Prior: tc.prior, Planned: tc.planned, PlannedPrivate: []byte("secret\x00")})
			if !sameValue(resp.New, tc.planned) || string(resp.Private) != "secret\x00" {
				t.Errorf("apply: new %#v private %q", resp.New, resp.Private)
			}
			want := providers.Diagnostics{{Severity: providers.Warning, Summary: "prior", Detail: tc.prior.GoString(), Address: "thing.x"}}
			if diff := cmp.Diff(want, resp.Diagnostics, cmpPaths); diff != "" {
				t.Errorf("apply diagnostics (-want +got):\n%s", diff)
			}
		}
	})

	t.Run("read", func(t *testing.T) {
		req := providers.ReadResourcesRequest{Resources: []providers.ReadResource{
			{Address: "thing.a", Type: "thing", Current: thingVal(), Private: []byte("p")},
			{Address: "thing.b", Type: "thing", Current: cty.NullVal(thingType)},
		}}
		resp := p.ReadResources(ctx, req)
		if len(resp.Resources) != 2 || len(resp.Diagnostics) != 0 {
			t.Fatalf("read: %+v", resp)
		}
		for i, r := range req.Resources {
			if got := resp.Resources[i]; !sameValue(got.New, r.Current) || !bytes.Equal(got.Private, r.Private) {
				t.Errorf("%s: read %#v %q", r.Address, got.New, got.Private)
			}
		}
	})

	t.Run("import", func(t *testing.T) {
		resp := p.ImportResource(ctx, providers.ImportResourceRequest{Address: "other.i", Type: "other", ID: "dev0"})
		if want := cty.ObjectVal(map[string]cty.Value{"x": cty.StringVal("dev0")}); !sameValue(resp.New, want) || string(resp.Private) != "other.i" {
			t.Errorf("import: %#v %q %v", resp.New, resp.Private, resp.Diagnostics)
		}
		resp = p.ImportResource(ctx, providers.ImportResourceRequest{Address: "other.i", Type: "other", ID: "missing"})
		if resp.New == cty.NilVal || !resp.New.IsNull() {
			t.Errorf("import of a missing object: %#v", resp.New)
		}
	})

	t.Run("unknown type", func(t *testing.T) {
		resp := p.ApplyResource(ctx, providers.ApplyResourceRequest{Address: "nope.x", Type: "nope", Prior: cty.NullVal(cty.EmptyObject), Planned: cty.EmptyObjectVal})
		if err := resp.Diagnostics.Err(); err == nil || !strings.Contains(err.Error(), `resource type "nope" is not in the provider's schema`) || resp.Diagnostics[0].Address != "nope.x" {
			t.Errorf("diagnostics: %+v", resp.Diagnostics)
		}
	})
}

// sameValue is exact equality of values that may hold unknowns, telling a
// null value from no value.
func sameValue(a, b cty.Value) bool {
	if a == cty.NilVal || b == cty.NilVal {
		return a == b
	}
	return a.RawEquals(b)
}

var cmpPaths = cmp.Comparer(func(a, b cty.Path) bool { return a.Equals(b) })

func TestWrongProtocolVersion(t *testing.T) {
	exe, _ := os.Executable()
	_, err := plugin.Start(context.Background(), plugin.Config{Name: "old", Path: exe, Env: []string{envServe + "=v7"}})
	if err == nil {
		t.Fatal("a provider speaking protocol 7 started")
	}
	want := `provider "old" (` + exe + `) speaks protocol 7; this benito speaks 1: upgrade the provider or benito so that they match`
	if err.Error() != want {
		t.Errorf("error:\n%s\nwant:\n%s", err, want)
	}
}

func TestNotAProvider(t *testing.T) {
	_, err := plugin.Start(context.Background(), plugin.Config{Name: "bad", Path: "/bin/sh", Args: []string{"-c", "echo oops >&2; echo not a provider"}})
	if err == nil || !strings.Contains(err.Error(), `starting provider "bad" (/bin/sh)`) || !strings.Contains(err.Error(), "oops") {
		t.Errorf("error: %v", err)
	}
}

func TestCrashMidApply(t *testing.T) {
	ctx := context.Background()
	log := &syncbuf.Buffer{}
	exe, _ := os.Executable()
	p, err := plugin.Start(ctx, plugin.Config{
		Name: "echo", Path: exe, Env: []string{envServe + "=echo"},
		Logger: hclog.New(&hclog.LoggerOptions{Output: log, Level: hclog.Debug}),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	thingType := echoSchema.ResourceTypes["thing"].ImpliedType()
	resp := p.ApplyResource(ctx, providers.ApplyResourceRequest{Address: "thing.crash", Type: "thing", Prior: cty.NullVal(thingType), Planned: thingVal()})
	if len(resp.Diagnostics) != 1 {
		t.Fatalf("diagnostics: %+v", resp.Diagnostics)
	}
	d := resp.Diagnostics[0]
	if d.Severity != providers.Error || d.Address != "thing.crash" || d.Summary != `Provider "echo" (`+testExe(t)+`) crashed` ||
		!strings.Contains(d.Detail, "panic: boom: crashing on purpose in thing.crash") || !strings.Contains(d.Detail, "run benito plan to see what remains") ||
		!strings.Contains(d.Detail, "In flight when it ended (benito does not know whether it was done):\n  creating thing.crash\n") {
		t.Errorf("diagnostic:\n%s\n%s", d.Summary, d.Detail)
	}
	if d.Ended == nil || d.Ended.Summary != d.Summary || d.Ended.Detail != d.Detail || d.NotSent {
		t.Errorf("the end: %+v, not sent %v", d.Ended, d.NotSent)
	}

	// Every later call fails at once pointing to the same end, unsent.
	start := time.Now()
	again := p.ApplyResource(ctx, providers.ApplyResourceRequest{Address: "thing.next", Type: "thing", Prior: cty.NullVal(thingType), Planned: thingVal()})
	if len(again.Diagnostics) != 1 || again.Diagnostics[0].Summary != d.Summary || again.Diagnostics[0].Address != "thing.next" ||
		again.Diagnostics[0].Detail != "benito did not send this call: the provider had already ended." ||
		again.Diagnostics[0].Ended != d.Ended || !again.Diagnostics[0].NotSent {
		t.Errorf("later call: %+v", again.Diagnostics)
	}
	read := p.ReadResources(ctx, providers.ReadResourcesRequest{Resources: []providers.ReadResource{{Address: "thing.a", Type: "thing", Current: thingVal()}}})
	if !read.Diagnostics.HasErrors() || read.Diagnostics[0].Summary != d.Summary || read.Diagnostics[0].Ended != d.Ended {
		t.Errorf("later read: %+v", read.Diagnostics)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("later calls took %s", el)
	}
	if err := p.Stop(ctx); err != nil {
		t.Errorf("Stop after the crash: %v", err)
	}
	// The provider's stderr is in the log, tagged with its name.
	if !strings.Contains(log.String(), "echo: panic: boom") {
		t.Errorf("log:\n%s", log.String())
	}
}

func TestHangTimesOut(t *testing.T) {
	ctx := context.Background()
	p := start(t, "echo", "echo", 500*time.Millisecond)
	thingType := echoSchema.ResourceTypes["thing"].ImpliedType()
	t0 := time.Now()
	resp := p.ApplyResource(ctx, providers.ApplyResourceRequest{Address: "thing.hang", Type: "thing", Prior: cty.NullVal(thingType), Planned: thingVal()})
	el := time.Since(t0)
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Summary != `Provider "echo" (`+testExe(t)+`) did not answer within 500ms while creating thing.hang` ||
		!strings.Contains(resp.Diagnostics[0].Detail, "benito stopped the provider process. BENITO_PROVIDER_TIMEOUT sets the time limit per call.") {
		t.Errorf("diagnostics: %+v", resp.Diagnostics)
	}
	if el > 5*time.Second {
		t.Errorf("took %s", el)
	}
	again := p.ReadResources(ctx, providers.ReadResourcesRequest{})
	if !again.Diagnostics.HasErrors() || again.Diagnostics[0].Summary != resp.Diagnostics[0].Summary {
		t.Errorf("later call: %+v", again.Diagnostics)
	}
}

func TestStopCrossesTheWire(t *testing.T) {
	ctx := context.Background()
	p := start(t, "echo", "echo", 0)
	thingType := echoSchema.ResourceTypes["thing"].ImpliedType()
	done := make(chan providers.ApplyResourceResponse)
	go func() {
		done <- p.ApplyResource(ctx, providers.ApplyResourceRequest{Address: "thing.block", Type: "thing", Prior: cty.NullVal(thingType), Planned: thingVal()})
	}()
	time.Sleep(100 * time.Millisecond)
	if err := p.Stop(ctx); err == nil || err.Error() != `provider "echo": stopped on request` {
		t.Errorf("Stop: %v", err)
	}
	select {
	case resp := <-done:
		if err := resp.Diagnostics.Err(); err == nil || err.Error() != "stopped by Stop" {
			t.Errorf("blocked apply: %+v", resp.Diagnostics)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the blocked apply did not end after Stop")
	}
}

func TestCancelledCall(t *testing.T) {
	p := start(t, "echo", "echo", 0)
	thingType := echoSchema.ResourceTypes["thing"].ImpliedType()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	resp := p.ApplyResource(ctx, providers.ApplyResourceRequest{Address: "thing.block", Type: "thing", Prior: cty.NullVal(thingType), Planned: thingVal()})
	if err := resp.Diagnostics.Err(); err == nil || !strings.Contains(err.Error(), "creating thing.block was cancelled") {
		t.Errorf("diagnostics: %+v", resp.Diagnostics)
	}
	// The provider lives on.
	if r := p.ReadResources(context.Background(), providers.ReadResourcesRequest{}); r.Diagnostics.HasErrors() {
		t.Errorf("after a cancelled call: %+v", r.Diagnostics)
	}
}

// TestSet checks providers served together by one process: each call
// reaches the provider it names, closing one leaves the others working,
// and a crash ends them all with a message that says so.
func TestSet(t *testing.T) {
	ctx := context.Background()
	exe, _ := os.Executable()
	ps, err := plugin.StartSet(ctx, plugin.Config{Name: "the set", Path: exe, Env: []string{envServe + "=set"}}, []string{"echo", "config"})
	if err != nil {
		t.Fatal(err)
	}
	echoP, configP := ps["echo"], ps["config"]
	defer echoP.Close()
	defer configP.Close()
	if s := echoP.GetSchema(ctx); s.Diagnostics.HasErrors() || s.Schema.ResourceTypes["thing"] == nil {
		t.Fatalf("echo's schema: %+v", s)
	}
	if s := configP.GetSchema(ctx); s.Diagnostics.HasErrors() || s.Schema.ResourceTypes[contract.ConfigFile] == nil || s.Schema.ResourceTypes["thing"] != nil {
		t.Fatalf("config's schema: %+v", s)
	}
	thingType := echoSchema.ResourceTypes["thing"].ImpliedType()
	if r := echoP.ApplyResource(ctx, providers.ApplyResourceRequest{Address: "thing.a", Type: "thing", Prior: cty.NullVal(thingType), Planned: thingVal()}); r.Diagnostics.HasErrors() {
		t.Fatalf("apply through the set: %v", r.Diagnostics)
	}
	resp := echoP.ApplyResource(ctx, providers.ApplyResourceRequest{Address: "thing.crash", Type: "thing", Prior: cty.NullVal(thingType), Planned: thingVal()})
	// The process's end names all it served (which of them crashed, benito
	// cannot tell), and each call in flight with its provider.
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Summary != `Providers "config" and "echo" (one process: `+exe+`) crashed` ||
		!strings.Contains(resp.Diagnostics[0].Detail, "\n  echo: creating thing.crash\n") {
		t.Fatalf("crash: %+v", resp.Diagnostics)
	}
	r := configP.ReadResources(ctx, providers.ReadResourcesRequest{Resources: []providers.ReadResource{{Address: "config_file.x", Type: contract.ConfigFile, Current: cty.NullVal(cty.DynamicPseudoType)}}})
	if !r.Diagnostics.HasErrors() || r.Diagnostics[0].Summary != resp.Diagnostics[0].Summary || r.Diagnostics[0].Ended != resp.Diagnostics[0].Ended || !r.Diagnostics[0].NotSent {
		t.Errorf("a call to the other provider after the crash: %+v", r.Diagnostics)
	}
}

// TestSetCloseOne checks that closing one provider of a set leaves the
// process serving the others, and closing the last ends it (its socket
// directory goes).
func TestSetCloseOne(t *testing.T) {
	// A temporary directory of this test's own: other packages' tests
	// start providers meanwhile.
	t.Setenv("TMPDIR", t.TempDir())
	ctx := context.Background()
	exe, _ := os.Executable()
	before := socketDirs(t)
	ps, err := plugin.StartSet(ctx, plugin.Config{Name: "the set", Path: exe, Env: []string{envServe + "=set"}}, []string{"echo", "config"})
	if err != nil {
		t.Fatal(err)
	}
	ps["config"].Close()
	ps["config"].Close() // twice: no harm
	if s := ps["echo"].GetSchema(ctx); s.Diagnostics.HasErrors() {
		t.Fatalf("echo after config closed: %v", s.Diagnostics)
	}
	if len(socketDirs(t)) != len(before)+1 {
		t.Errorf("the process's socket directory is gone while echo is open")
	}
	ps["echo"].Close()
	if after := socketDirs(t); len(after) != len(before) {
		t.Errorf("socket directories before %v, after %v", before, after)
	}
}

// TestProviderRemovesItsSocketDir checks that a provider process closed
// by benito removes its socket directory itself: benito removes it too once
// the process has ended, but a benito killed just then would leave it.
func TestProviderRemovesItsSocketDir(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	plugin.SetLeaveSocketDir(true)
	defer plugin.SetLeaveSocketDir(false)
	exe, _ := os.Executable()
	ps, err := plugin.StartSet(context.Background(), plugin.Config{Name: "the set", Path: exe, Env: []string{envServe + "=set"}}, []string{"echo", "config"})
	if err != nil {
		t.Fatal(err)
	}
	if len(socketDirs(t)) != 1 {
		t.Fatalf("socket directories while the provider runs: %v", socketDirs(t))
	}
	for _, p := range ps {
		p.Close()
	}
	if left := socketDirs(t); len(left) != 0 {
		t.Errorf("the provider process ended and left %v", left)
	}
}

func socketDirs(t *testing.T) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(os.TempDir(), "benito-provider-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestReadExistenceOnly checks that a read's ExistenceOnly reaches the
// provider.
func TestReadExistenceOnly(t *testing.T) {
	p := start(t, "echo", "echo", 0)
	ctx := context.Background()
	for _, only := range []bool{false, true} {
		r := p.ReadResources(ctx, providers.ReadResourcesRequest{ExistenceOnly: only, Resources: []providers.ReadResource{{Address: "thing.a", Type: "thing", Current: thingVal(), Private: []byte("p")}}})
		if r.Diagnostics.HasErrors() || len(r.Resources) != 1 {
			t.Fatalf("read: %+v", r)
		}
		if got := string(r.Resources[0].Private) == "existence only"; got != only {
			t.Errorf("ExistenceOnly %v arrived as %v", only, got)
		}
	}
}

// TestSweepCrossesTheWire: Sweep's request and answer cross the wire
// unchanged, also through a process serving several providers.
func TestSweepCrossesTheWire(t *testing.T) {
	ctx := context.Background()
	exe, _ := os.Executable()
	ps, err := plugin.StartSet(ctx, plugin.Config{Name: "the set", Path: exe, Env: []string{envServe + "=set"}}, []string{"echo", "config"})
	if err != nil {
		t.Fatal(err)
	}
	defer ps["echo"].Close()
	defer ps["config"].Close()
	for _, p := range []providers.Provider{start(t, "echo", "echo", 0), ps["echo"]} {
		objs := []providers.HostObject{
			{Type: "thing", KeyAttribute: "name", Key: "a", Description: "thing a: 2 processes"},
			{Type: "", KeyAttribute: "", Key: "", Description: "the experiment's directory"},
		}
		resp := p.Sweep(ctx, providers.SweepRequest{Remove: objs})
		if d := cmp.Diff(objs, resp.Objects); d != "" {
			t.Errorf("objects (-want +got):\n%s", d)
		}
		if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Summary != "2 to remove" {
			t.Errorf("diagnostics: %+v", resp.Diagnostics)
		}
	}
	// configdir, unconfigured, holds nothing.
	if resp := ps["config"].Sweep(ctx, providers.SweepRequest{}); len(resp.Objects) != 0 || resp.Diagnostics.HasErrors() {
		t.Errorf("config's sweep: %+v", resp)
	}
}

// TestOneProviderChangesTheHost: a provider process of an experiment
// changes nothing while another one of the same experiment, which has
// changed something, lives (one left by a killed benito finishing its
// calls); it goes on once that one has ended.
func TestOneProviderChangesTheHost(t *testing.T) {
	ctx := context.Background()
	exp := fmt.Sprintf("lock-%d", time.Now().UnixNano())
	thingType := echoSchema.ResourceTypes["thing"].ImpliedType()
	apply := func(p providers.Provider) providers.ApplyResourceResponse {
		return p.ApplyResource(ctx, providers.ApplyResourceRequest{Address: "thing.a", Type: "thing", Prior: cty.NullVal(thingType), Planned: thingVal()})
	}
	old, next, other := start(t, "echo", "echo", 0), start(t, "echo", "echo", 0), start(t, "echo", "echo", 0)
	for _, p := range []providers.Provider{old, next} {
		p.Configure(ctx, providers.ConfigureRequest{Experiment: exp, Site: map[string]string{"run_root": "/run/x"}})
	}
	other.Configure(ctx, providers.ConfigureRequest{Experiment: exp + "-other", Site: map[string]string{"run_root": "/run/x"}})
	if r := apply(old); r.Diagnostics.HasErrors() {
		t.Fatal(r.Diagnostics.Err())
	}
	// Another experiment's provider is not held up.
	if r := apply(other); r.Diagnostics.HasErrors() {
		t.Fatal(r.Diagnostics.Err())
	}
	done := make(chan providers.ApplyResourceResponse)
	go func() { done <- apply(next) }()
	select {
	case r := <-done:
		t.Fatalf("the second provider applied while the first lived: %+v", r.Diagnostics)
	case <-time.After(300 * time.Millisecond):
	}
	old.Close()
	select {
	case r := <-done:
		if r.Diagnostics.HasErrors() {
			t.Errorf("once the first ended: %v", r.Diagnostics.Err())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second provider still waits after the first ended")
	}
}

// TestSetProvidersLockApart: two providers of one process whose schemas
// carry the same name (as any two of a set may) take their experiment's
// provider locks apart; they shared one, and the second waited for the
// first, which never lets go, on every call.
func TestSetProvidersLockApart(t *testing.T) {
	ctx := context.Background()
	exe, _ := os.Executable()
	ps, err := plugin.StartSet(ctx, plugin.Config{Name: "the set", Path: exe, Env: []string{envServe + "=benchset"}}, []string{contract.HostNetProvider, "process"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{contract.HostNetProvider, "process"} {
		defer ps[name].Close()
		if d := ps[name].Configure(ctx, providers.ConfigureRequest{Experiment: fmt.Sprintf("lock-%d", os.Getpid())}).Diagnostics; d.HasErrors() {
			t.Fatal(d)
		}
	}
	for _, name := range []string{contract.HostNetProvider, "process"} {
		start := time.Now()
		resp := ps[name].Sweep(ctx, providers.SweepRequest{})
		if resp.Diagnostics.HasErrors() {
			t.Errorf("%s: %v", name, resp.Diagnostics)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s's first call waited %s for the provider lock", name, d)
		}
	}
}
