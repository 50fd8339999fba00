package plugin_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/benito-net/benito/engine"
	"github.com/benito-net/benito/internal/benchexp"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/configdir"
	"github.com/benito-net/benito/providers/plugin"
	"github.com/benito-net/benito/workdir"
	"github.com/zclconf/go-cty/cty"
)

// benchNodes makes the generated experiment about 10,000 resources.
const benchNodes = 1000

// BenchmarkPlugin plans and applies the same experiment of about 10,000
// resources twice from empty state, once with the providers in process and
// once with the same providers served by this test binary through the
// plugin, and reports both times and their ratio. The providers: the
// config directory's (real files) and, for the host types, providertest's
// in-memory provider (so that the plugin's overhead is measured against
// benito's own work, not hidden behind netlink and processes).
//
//	go test ./providers/plugin -run XXX -bench Plugin -benchtime 3x
func BenchmarkPlugin(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	inProcess := map[string]engine.Factory{}
	viaPlugin := map[string]engine.Factory{}
	for _, name := range []string{lower.ConfigProvider, lower.HostNetProvider, "process"} {
		mode := "memory"
		mk := func() providers.Provider { return memoryProvider() }
		if name == lower.ConfigProvider {
			mode, mk = "config", func() providers.Provider { return configdir.New() }
		}
		inProcess[name] = func() (providers.Provider, error) { return mk(), nil }
		viaPlugin[name] = func() (providers.Provider, error) {
			return plugin.Start(context.Background(), plugin.Config{Name: name, Path: exe, Env: []string{envServe + "=" + mode}})
		}
	}
	var planIn, planPlug, applyIn, applyPlug time.Duration
	for i := 0; i < b.N; i++ {
		p, a := planApply(b, inProcess)
		planIn, applyIn = planIn+p, applyIn+a
		p, a = planApply(b, viaPlugin)
		planPlug, applyPlug = planPlug+p, applyPlug+a
	}
	n := float64(b.N)
	b.ReportMetric(planIn.Seconds()/n, "plan-inproc-s")
	b.ReportMetric(planPlug.Seconds()/n, "plan-plugin-s")
	b.ReportMetric(planPlug.Seconds()/planIn.Seconds(), "plan-ratio")
	b.ReportMetric(applyIn.Seconds()/n, "apply-inproc-s")
	b.ReportMetric(applyPlug.Seconds()/n, "apply-plugin-s")
	b.ReportMetric(applyPlug.Seconds()/applyIn.Seconds(), "apply-ratio")
	b.ReportMetric((planPlug+applyPlug).Seconds()/(planIn+applyIn).Seconds(), "total-ratio")
}

// planApply plans and applies the experiment into a fresh directory, as
// benito apply does (providers started once, for both), and returns the
// time of each: the plan's includes starting the providers.
func planApply(b *testing.B, fs map[string]engine.Factory) (plan, apply time.Duration) {
	b.Helper()
	b.StopTimer()
	dir := b.TempDir()
	if err := benchexp.Write(dir, benchNodes, filepath.Join(dir, "config")); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	ctx := context.Background()
	t0 := time.Now()
	w, diags := workdir.Open(workdir.Options{Dir: dir, Factories: fs})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	if err := w.Lock(ctx, "apply"); err != nil {
		b.Fatal(err)
	}
	defer w.Unlock()
	st, err := w.LoadState()
	if err != nil {
		b.Fatal(err)
	}
	p, e, diags := w.Plan(ctx, st, workdir.PlanOptions{})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	defer e.Close()
	if len(p.Changes) < 10*benchNodes {
		b.Fatalf("only %d resources", len(p.Changes))
	}
	t1 := time.Now()
	res, diags := w.Apply(ctx, e, p, st, engine.ApplyOptions{})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	if len(res.Failed) > 0 || res.Added != len(p.Changes) {
		b.Fatalf("apply: %d added of %d, %d failed", res.Added, len(p.Changes), len(res.Failed))
	}
	return t1.Sub(t0), time.Since(t1)
}

// BenchmarkPluginCall measures one ApplyResource call of a small value,
// in process and through the plugin, one caller at a time and with the
// engine's default parallelism of 10 callers. The provider (echo) does
// nothing but answer, so the difference is the plugin's cost per call.
func BenchmarkPluginCall(b *testing.B) {
	ctx := context.Background()
	ty := echoSchema.ResourceTypes["thing"].ImpliedType()
	req := providers.ApplyResourceRequest{Address: "thing.x", Type: "thing", Prior: cty.NullVal(ty), Planned: thingVal()}
	for _, tc := range []struct {
		name string
		p    providers.Provider
	}{
		{"inproc", &echo{stop: make(chan struct{})}},
		{"plugin", start(b, "echo", "echo", 0)},
	} {
		tc.p.GetSchema(ctx)
		b.Run(tc.name+"/serial", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if r := tc.p.ApplyResource(ctx, req); r.Diagnostics.HasErrors() {
					b.Fatal(r.Diagnostics)
				}
			}
		})
		b.Run(tc.name+"/parallel10", func(b *testing.B) {
			b.SetParallelism(5) // 5 per core: 10 on a 2-core machine
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					tc.p.ApplyResource(ctx, req)
				}
			})
		})
	}
}
