package workdir

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/benito-net/benito/internal/benchexp"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/configdir"
	"github.com/benito-net/benito/providers/hostnet"
	"github.com/benito-net/benito/providers/process"
)

// benchFactories are benito's own providers, in process: planning asks
// them to validate and plan, which changes nothing on the host.
func benchFactories() map[string]providers.Factory {
	return map[string]providers.Factory{
		configdir.Name: func() (providers.Provider, error) { return configdir.New(), nil },
		hostnet.Name:   func() (providers.Provider, error) { return hostnet.New(), nil },
		process.Name:   func() (providers.Provider, error) { return process.New(), nil },
	}
}

// BenchmarkPlan10kEmptyState plans the 10,000-node experiment (about
// 100,000 resources) from empty state: load, evaluate, lower, validate and
// diff, as `benito plan` does before rendering (the lock and the load of the
// state, too).
func BenchmarkPlan10kEmptyState(b *testing.B) {
	dir := b.TempDir()
	if err := benchexp.Write(dir, 10000, filepath.Join(dir, "config")); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w, diags := Open(Options{Dir: dir, Factories: benchFactories()})
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		ui := &recorder{}
		if _, err := w.Run(context.Background(), Operation{Name: "plan"}, ui); err != nil {
			b.Fatal(err, ui.diags)
		}
		p := ui.plans[0]
		if n := len(p.Changes); n < 100000 {
			b.Fatalf("only %d resources", n)
		}
	}
}
