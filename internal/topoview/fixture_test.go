package topoview

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/benito-net/benito/internal/benchexp"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/plan"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/configdir"
	"github.com/benito-net/benito/providers/hostnet"
	"github.com/benito-net/benito/providers/process"
	"github.com/benito-net/benito/providers/providertest"
	"github.com/benito-net/benito/workdir"
	"github.com/hashicorp/hcl/v2"
)

// repo is the repository's root.
func repo(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// graphOf lowers the experiment in dir, as benito graph does.
func graphOf(t testing.TB, dir string) *lower.Graph {
	t.Helper()
	w, diags := workdir.Open(workdir.Options{Dir: dir})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	g, diags := w.Graph(nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return g
}

// quickstart is the model of examples/quickstart.
func quickstart(t testing.TB) *Model {
	return FromGraph(graphOf(t, filepath.Join(repo(t), "examples", "quickstart")))
}

// generated is the model of benchexp's generated experiment of n nodes.
func generated(t testing.TB, n int) *Model {
	t.Helper()
	return FromGraph(graphOf(t, generatedDir(t, n)))
}

// generatedDir writes benchexp's experiment of n nodes.
func generatedDir(t testing.TB, n int) string {
	t.Helper()
	dir := t.TempDir()
	if err := benchexp.Write(dir, n, filepath.Join(dir, "config")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// recorder is the UI of a workdir run: it keeps the plans made.
type recorder struct {
	t     testing.TB
	plans []*plan.Plan
}

func (r *recorder) Diagnostics(d hcl.Diagnostics) {
	if d.HasErrors() {
		r.t.Fatal(d)
	}
}
func (r *recorder) Planned(p *plan.Plan) error         { r.plans = append(r.plans, p); return nil }
func (r *recorder) Confirm(p *plan.Plan) (bool, error) { return true, nil }

// planFixture makes a plan that creates, updates, replaces and destroys:
// an older version of examples/quickstart is applied (lan2 a bridge,
// another node c on lan1, a second interface of a's on lan2), then
// examples/quickstart itself, with a new node d on a shaped interface of
// lan2 and a latency on a's interface, is planned over it. The plan is made by benito's engine with
// benito's own providers' schemas, served in memory (providertest): the
// host is not touched. The plan goes through a plan file, as
// benito graph -plan reads it.
func planFixture(t testing.TB) *plan.Plan {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repo(t), "examples", "quickstart", "main.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "exp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	roots := `site {
  config_root  = "` + filepath.Join(tmp, "config") + `"
  run_root     = "` + filepath.Join(tmp, "run") + `"
`
	now := strings.Replace(string(src), "site {\n", roots, 1)
	must := func(s, old, new string) string {
		if !strings.Contains(s, old) {
			t.Fatalf("examples/quickstart/main.hcl has no %q", old)
		}
		return strings.Replace(s, old, new, 1)
	}
	old := must(now, `kind   = "vde"`, `kind   = "bridge"`)
	old = must(old, `    ip4_address = cidrhost(switch.lan1.subnet, 10)
  }
`, `    ip4_address = cidrhost(switch.lan1.subnet, 10)
  }
  interface "eth1" {
    switch      = switch.lan2
    ip4_address = cidrhost(switch.lan2.subnet, 30)
  }
`)
	old += `
vnode "c" {
  interface "eth0" {
    switch      = switch.lan1
    ip4_address = cidrhost(switch.lan1.subnet, 20)
  }
}
`
	now = must(now, `ip4_address = cidrhost(switch.lan1.subnet, 10)`, `ip4_address = cidrhost(switch.lan1.subnet, 10)
    latency     = "10ms"`)
	now += `
vnode "d" {
  interface "eth0" {
    switch      = switch.lan2
    ip4_address = cidrhost(switch.lan2.subnet, 20)
    latency     = "25ms"
    capacity    = "10Mbit"
    loss        = "0.5%"
  }
}
`
	ctx := context.Background()
	factories := map[string]providers.Factory{}
	for name, real := range map[string]providers.Provider{configdir.Name: configdir.New(), hostnet.Name: hostnet.New(), process.Name: process.New()} {
		fake := providertest.New(real.GetSchema(ctx).Schema)
		factories[name] = func() (providers.Provider, error) { return fake, nil }
	}
	run := func(hcl string, op workdir.Operation) *plan.Plan {
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(hcl), 0o644); err != nil {
			t.Fatal(err)
		}
		w, diags := workdir.Open(workdir.Options{Dir: dir, Factories: factories})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		ui := &recorder{t: t}
		if _, err := w.Run(ctx, op, ui); err != nil {
			t.Fatal(err)
		}
		return ui.plans[0]
	}
	run(old, workdir.Operation{Name: "apply", Apply: true, AutoApprove: true})
	p := run(now, workdir.Operation{Name: "plan"})
	file := filepath.Join(tmp, "fixture.plan")
	if err := plan.WriteFile(file, p); err != nil {
		t.Fatal(err)
	}
	p, err = plan.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
