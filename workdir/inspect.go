package workdir

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/plan"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/discovery"
	"github.com/benito-net/benito/state"
	"github.com/hashicorp/hcl/v2"
)

// Live is what Inspect read back of an experiment's nodes.
type Live struct {
	// Recorded is the state as recorded; nil when nothing has been
	// applied.
	Recorded *state.State
	// Refreshed holds the nodes and what lives in them (vnode, route,
	// mount, startup) as their providers read them back now: a copy,
	// never written. A resource the host no longer has is missing from it.
	Refreshed *state.State
	// Drift is what read back otherwise than recorded, as a plan's
	// refresh reports it (run-time attributes alone, such as a pid, are
	// not drift).
	Drift []*plan.Drift
}

// nodeTypes are the resource types Inspect reads back: a node and what
// lives in it.
var nodeTypes = map[string]bool{contract.VNode: true, contract.Route: true, contract.Mount: true, contract.Startup: true}

// Inspect reads the recorded state under the lock for "inspect" (and
// releases it), then reads the experiment's nodes and what lives in them
// back from their providers, as a plan's refresh does (engine.Refresh),
// configured as the last apply configured them: it needs no
// configuration. It never writes the state. Live.Recorded is nil when
// nothing has been applied; w may be opened on the state alone
// (OpenState).
func (w *Workdir) Inspect(ctx context.Context) (*Live, hcl.Diagnostics) {
	st, err := w.ReadState(ctx, "inspect")
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Failed to read the state", Detail: err.Error()}}
	}
	if st == nil {
		return &Live{}, nil
	}
	sub := &state.State{Experiment: st.Experiment, Site: st.Site, Resources: map[addrs.Resource]*state.Resource{}}
	for a, r := range st.Resources {
		if nodeTypes[a.Type] {
			sub.Resources[a] = r
		}
	}
	live := &Live{Recorded: st}
	if len(sub.Resources) == 0 {
		live.Refreshed = sub
		return live, nil
	}
	for _, r := range sub.Resources {
		if diags := w.addLockedProvider(r.Provider, fmt.Sprintf("The state records resources made by provider %q, which benito cannot start (below).", r.Provider)); diags.HasErrors() {
			return nil, diags
		}
	}
	e, diags := w.Engine(ctx, nil, sub, nil)
	if diags.HasErrors() {
		return nil, diags
	}
	defer e.Close()
	refreshed, drift, d := e.Refresh(ctx, sub)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return nil, diags
	}
	live.Refreshed, live.Drift = refreshed, drift
	return live, diags
}

// addLockedProvider adds a factory for provider when no built-in serves
// it: a third party's, started from the binary .benito.lock.hcl pins.
// detail says, when it cannot be started, what needed it.
func (w *Workdir) addLockedProvider(provider, detail string) hcl.Diagnostics {
	if w.served()[provider] {
		return nil
	}
	res, d := discovery.ResolveLocked(provider, w.opts.Dir, w.opts.Environ)
	if d.HasErrors() {
		return append(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: fmt.Sprintf("Provider %q is not available", provider),
			Detail: detail}}, d...)
	}
	if w.opts.Factories == nil {
		w.opts.Factories = map[string]providers.Factory{}
	}
	w.opts.Factories[provider] = discovery.Factories(map[string]*discovery.Resolved{provider: res})[provider]
	return nil
}

// OwnerOf returns the state file that applied the experiment whose run
// directory is runDir, as its owner file (OwnerFileName) names it; "" when
// it has none.
func OwnerOf(runDir string) (string, error) {
	return readOwner(filepath.Join(runDir, OwnerFileName))
}
