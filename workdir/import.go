package workdir

import (
	"context"
	"fmt"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/internal/suggest"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/state"
	"github.com/hashicorp/hcl/v2"
)

// Import adopts an existing object of the host as addr, a resource of the
// configuration: addr's provider reads the object id names
// (ImportResource), and it is written to the state, all under the lock.
// Nothing on the host changes; the next plan shows how the object
// differs from the configuration. A resource already in the state is
// refused.
func (w *Workdir) Import(ctx context.Context, addr addrs.Resource, id string) (*state.Resource, hcl.Diagnostics) {
	fail := func(summary, detail string, args ...any) (*state.Resource, hcl.Diagnostics) {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(detail, args...)}}
	}
	lk, err := w.lock(ctx, "import")
	if err != nil {
		return fail("Failed to lock the state", "%v", err)
	}
	defer lk.Unlock()
	st, err := w.loadState(lk)
	if err != nil {
		return fail("Failed to read the state", "%v", err)
	}
	if err := w.claimOwner(); err != nil {
		return fail("Experiment applied from another directory", "%v", err)
	}
	if r := st.Resources[addr]; r != nil {
		return fail("Resource already managed", "%s is in the state already (made or imported by provider %q). To import another object as %s, make benito forget this one first: `benito state rm %s`.", addr, r.Provider, addr, addr)
	}
	g, diags := w.Graph(st)
	if diags.HasErrors() {
		return nil, diags
	}
	r := g.Get(addr)
	if r == nil {
		names := make([]string, 0, len(g.Resources))
		for _, gr := range g.Resources {
			names = append(names, gr.Addr.String())
		}
		hint := ""
		if s := suggest.Nearest(addr.String(), names); s != "" {
			hint = fmt.Sprintf(" Did you mean %s?", s)
		}
		return fail("No such resource in the configuration", "The configuration declares no %s, so there is nothing to import it as: declare it first (benito import adopts an object for a resource of the configuration).%s", addr, hint)
	}
	e, d := w.Engine(ctx, lower.NewGraph(g.Experiment, g.Site, []*lower.Resource{r}), nil, nil)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return nil, diags
	}
	defer e.Close()
	rec, d := e.Import(ctx, r, id)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return nil, diags
	}
	if st.Lineage == "" {
		st.Lineage = state.New(st.Experiment).Lineage
	}
	st.Resources[addr] = rec
	if err := lk.Write(st); err != nil {
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Failed to save the state", Detail: err.Error()})
	}
	return rec, diags
}
