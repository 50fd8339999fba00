package plugin_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/engine"
	"github.com/benito-net/benito/internal/benchexp"
	"github.com/benito-net/benito/plan"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/configdir"
	"github.com/benito-net/benito/providers/plugin"
	"github.com/benito-net/benito/workdir"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/sys/unix"
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
	inProcess := map[string]providers.Factory{}
	viaPlugin := map[string]providers.Factory{}
	for _, name := range []string{contract.ConfigProvider, contract.HostNetProvider, "process"} {
		mode := "memory"
		mk := func() providers.Provider { return memoryProvider() }
		if name == contract.ConfigProvider {
			mode, mk = "config", func() providers.Provider { return configdir.New() }
		}
		inProcess[name] = func() (providers.Provider, error) { return mk(), nil }
		viaPlugin[name] = func() (providers.Provider, error) {
			return plugin.Start(context.Background(), plugin.Config{Name: name, Path: exe, Env: []string{envServe + "=" + mode}})
		}
	}
	// As benito runs its own providers: one process serving all three
	// (plugin.StartSet), started as a group.
	group := []engine.Group{{
		Names: []string{contract.ConfigProvider, contract.HostNetProvider, "process"},
		Start: func(names []string) (map[string]providers.Provider, error) {
			return plugin.StartSet(context.Background(), plugin.Config{Name: "set", Path: exe, Env: []string{envServe + "=benchset"}}, names)
		},
	}}
	var planIn, planPlug, applyIn, applyPlug, cpuIn, cpuPlug time.Duration
	for i := 0; i < b.N; i++ {
		p, a, c := planApply(b, inProcess, nil)
		planIn, applyIn, cpuIn = planIn+p, applyIn+a, cpuIn+c
		p, a, c = planApply(b, viaPlugin, group)
		planPlug, applyPlug, cpuPlug = planPlug+p, applyPlug+a, cpuPlug+c
	}
	n := float64(b.N)
	b.ReportMetric(cpuIn.Seconds()/n, "cpu-inproc-s")
	b.ReportMetric(cpuPlug.Seconds()/n, "cpu-plugin-s")
	b.ReportMetric(planIn.Seconds()/n, "plan-inproc-s")
	b.ReportMetric(planPlug.Seconds()/n, "plan-plugin-s")
	b.ReportMetric(planPlug.Seconds()/planIn.Seconds(), "plan-ratio")
	b.ReportMetric(applyIn.Seconds()/n, "apply-inproc-s")
	b.ReportMetric(applyPlug.Seconds()/n, "apply-plugin-s")
	b.ReportMetric(applyPlug.Seconds()/applyIn.Seconds(), "apply-ratio")
	b.ReportMetric((planPlug+applyPlug).Seconds()/(planIn+applyIn).Seconds(), "total-ratio")
}

// planApply plans and applies the experiment into a fresh directory, as
// benito apply does (providers started once, for both; a group's process
// started before the experiment loads), and returns the
// time of each (the plan's includes starting the providers) and the CPU
// time both took, in this process and in the providers'.
func planApply(b *testing.B, fs map[string]providers.Factory, groups []engine.Group) (plan, apply, cpu time.Duration) {
	b.Helper()
	b.StopTimer()
	dir := benchDir(b)
	// Its own run root too: the experiment's name is the same every run,
	// and a run directory claimed by an earlier run's directory is refused.
	o := benchexp.Options{ConfigRoot: filepath.Join(dir, "config"), RunRoot: filepath.Join(dir, "run"), MountRoot: filepath.Join(dir, "mounts")}
	if err := benchexp.WriteOptions(dir, benchNodes, o); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	ctx := context.Background()
	cpu0 := cpuTime()
	t0 := time.Now()
	// As benito plan and apply do, the built-in providers' process starts
	// first thing, while the experiment loads (Warm).
	w, diags := workdir.Open(workdir.Options{Dir: dir, Factories: fs, Groups: groups, Warm: true})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	defer w.Close()
	ui := &benchUI{tb: b}
	out, err := w.Run(ctx, workdir.Operation{Name: "apply", Apply: true}, ui)
	if err != nil {
		b.Fatal(err)
	}
	if len(out.Plan.Changes) < 10*benchNodes {
		b.Fatalf("only %d resources", len(out.Plan.Changes))
	}
	if res := out.Result; len(res.Failed) > 0 || res.Added != len(out.Plan.Changes) {
		b.Fatalf("apply: %d added of %d, %d failed", res.Added, len(out.Plan.Changes), len(res.Failed))
	}
	// Run has closed the providers: their processes have ended, so that
	// their CPU time is counted whole (they are waited for:
	// RUSAGE_CHILDREN).
	t2 := time.Now()
	return ui.planned.Sub(t0), t2.Sub(ui.planned), cpuTime() - cpu0
}

// benchUI approves every plan and notes when planning ended.
type benchUI struct {
	tb      testing.TB
	planned time.Time
}

func (u *benchUI) Diagnostics(diags hcl.Diagnostics) {
	if diags.HasErrors() {
		u.tb.Error(diags)
	}
}

func (u *benchUI) Planned(*plan.Plan) error {
	u.planned = time.Now()
	return nil
}

func (u *benchUI) Confirm(*plan.Plan) (bool, error) { return true, nil }

// benchDir returns a fresh directory for one experiment, on tmpfs where
// there is one: the config provider writes a file per node and the state
// journal a line per resource, and on a disk file system without a journal
// (ext4 here) every file made soon after many were deleted costs a scan of
// the recently deleted inodes, which grows run after run and would count
// against both sides unevenly.
func benchDir(b *testing.B) string {
	var fs unix.Statfs_t
	if unix.Statfs("/dev/shm", &fs) == nil && fs.Type == unix.TMPFS_MAGIC {
		dir, err := os.MkdirTemp("/dev/shm", "benito-bench-")
		if err == nil {
			b.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return b.TempDir()
}

// cpuTime is the CPU time this process and its child processes (the
// providers, ended and waited for or still running) have used, to report
// the CPU a call costs on both sides of the wire together.
func cpuTime() time.Duration {
	var ru, ch syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ch)
	total := time.Duration(ru.Utime.Nano() + ru.Stime.Nano() + ch.Utime.Nano() + ch.Stime.Nano())
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, pid := range strings.Fields(string(b)) {
			stat, err := os.ReadFile("/proc/" + pid + "/stat")
			if err != nil {
				continue
			}
			// Fields after the command's closing parenthesis: utime and
			// stime are the 12th and 13th, in clock ticks (100 a second).
			f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
			if len(f) > 12 {
				u, _ := strconv.Atoi(f[11])
				s, _ := strconv.Atoi(f[12])
				total += time.Duration(u+s) * 10 * time.Millisecond
			}
		}
	}
	return total
}

// BenchmarkPluginCall measures one ApplyResource call, in process and
// through the plugin, one caller at a time and with 10 and 100 callers at
// once (the engine's default parallelism is 100), for two values: "thing",
// with an attribute of every kind (its dynamically typed one goes through
// cty's own encoding), and "small", one string attribute, which leaves
// the transport's own cost per call. The provider (echo) does nothing but
// answer, so the difference is the plugin's cost per call.
//
//	go test ./providers/plugin -run XXX -bench 'PluginCall/.*/small' -benchtime 40000x
func BenchmarkPluginCall(b *testing.B) {
	ctx := context.Background()
	ty := echoSchema.ResourceTypes["thing"].ImpliedType()
	small := echoSchema.ResourceTypes["other"].ImpliedType()
	values := []struct {
		name string
		req  providers.ApplyResourceRequest
	}{
		{"thing", providers.ApplyResourceRequest{Address: "thing.x", Type: "thing", Prior: cty.NullVal(ty), Planned: thingVal()}},
		{"small", providers.ApplyResourceRequest{Address: "other.x", Type: "other", Prior: cty.NullVal(small), Planned: cty.ObjectVal(map[string]cty.Value{"x": cty.StringVal("hello")})}},
	}
	for _, tc := range []struct {
		name  string
		p     providers.Provider
		unary bool
	}{
		{"inproc", &echo{stop: make(chan struct{})}, false},
		{"plugin", start(b, "echo", "echo", 0), false},
		{"plugin-unary", start(b, "echo", "echo", 0), true},
	} {
		plugin.SetUnaryApply(tc.unary)
		tc.p.GetSchema(ctx)
		for _, v := range values {
			req := v.req
			b.Run(tc.name+"/"+v.name+"/serial", func(b *testing.B) {
				cpu0 := cpuTime()
				for i := 0; i < b.N; i++ {
					if r := tc.p.ApplyResource(ctx, req); r.Diagnostics.HasErrors() {
						b.Fatal(r.Diagnostics)
					}
				}
				b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
			})
			for _, callers := range []int{10, 100} {
				b.Run(fmt.Sprintf("%s/%s/parallel%d", tc.name, v.name, callers), func(b *testing.B) {
					b.SetParallelism((callers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
					cpu0 := cpuTime()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if r := tc.p.ApplyResource(ctx, req); r.Diagnostics.HasErrors() {
								b.Error(r.Diagnostics)
								return
							}
						}
					})
					b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
				})
			}
		}
	}
}

// BenchmarkPluginStart measures starting a provider, reading its schema
// and closing it: the cost each provider adds to every plan and apply.
func BenchmarkPluginStart(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		p, err := plugin.Start(ctx, plugin.Config{Name: "echo", Path: exe, Env: []string{envServe + "=echo"}})
		if err != nil {
			b.Fatal(err)
		}
		if r := p.GetSchema(ctx); r.Diagnostics.HasErrors() {
			b.Fatal(r.Diagnostics)
		}
		p.Close() // waits for the process: RUSAGE_CHILDREN counts it
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}
