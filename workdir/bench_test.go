package workdir

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/benito-net/benito/engine"
	"github.com/benito-net/benito/internal/benchexp"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/configdir"
)

func benchFactories() map[string]providers.Factory {
	return map[string]providers.Factory{configdir.Name: func() (providers.Provider, error) { return configdir.New(), nil }}
}

// BenchmarkPlan10kEmptyState plans the 10,000-node experiment (about
// 100,000 resources) from empty state: load, evaluate, lower, validate and
// diff, as `benito plan` does before rendering.
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
		st, err := w.LoadState()
		if err != nil {
			b.Fatal(err)
		}
		p, e, diags := w.Plan(context.Background(), st, PlanOptions{})
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		e.Close()
		if n := len(p.Changes); n < 100000 {
			b.Fatalf("only %d resources", n)
		}
	}
}
