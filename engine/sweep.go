package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/benito-net/benito/internal/logging"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/state"
	"github.com/hashicorp/hcl/v2"
)

// HostObject is something a provider made on the host for the experiment
// (providers.HostObject), with the provider's name.
type HostObject struct {
	Provider string
	providers.HostObject
}

// String names the object for people.
func (o HostObject) String() string {
	if o.KeyAttribute == "" {
		return fmt.Sprintf("%s (provider %q)", o.Description, o.Provider)
	}
	return fmt.Sprintf("%s %s %q (provider %q): %s", o.Type, o.KeyAttribute, o.Key, o.Provider, o.Description)
}

// Unknown asks every provider what the host holds for the experiment
// (Provider.Sweep), first removing the objects of remove, and returns,
// sorted by provider, type and key, what st does not know: objects no
// resource st records stands for (HostObject's rule), left by an apply
// killed before it recorded them, or by a state that was lost.
func (e *Engine) Unknown(ctx context.Context, st *state.State, remove []HostObject) ([]HostObject, hcl.Diagnostics) {
	start := time.Now()
	names := make([]string, 0, len(e.providers))
	for n := range e.providers {
		names = append(names, n)
	}
	sort.Strings(names)
	// When only looking, the providers look side by side (each waits on
	// the host more than it computes) while the state's keys are
	// gathered; removals go one provider after another, in the
	// providers' order, as they always have. What they found is taken
	// in the providers' order.
	found := make([]providers.SweepResponse, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		var req providers.SweepRequest
		for _, o := range remove {
			if o.Provider == name {
				req.Remove = append(req.Remove, o.HostObject)
			}
		}
		if len(remove) > 0 {
			found[i] = e.providers[name].Sweep(ctx, req)
			continue
		}
		wg.Go(func() { found[i] = e.providers[name].Sweep(ctx, req) })
	}
	known := knownKeys(st)
	wg.Wait()
	var (
		out   []HostObject
		diags hcl.Diagnostics
	)
	for i, name := range names {
		diags = append(diags, convertDiags(name, found[i].Diagnostics, nil)...)
		for _, o := range found[i].Objects {
			if !known(name, o) {
				out = append(out, HostObject{Provider: name, HostObject: o})
			}
		}
	}
	logging.Default().Debug("looked for what the state does not know", "providers", len(names), "unknown", len(out), "took", time.Since(start))
	return out, diags
}

// knownKeys returns whether st records a resource that stands for a host
// object of a provider: one of the provider's whose attribute
// KeyAttribute is the string Key, or any of the provider's for an object
// without a key attribute.
func knownKeys(st *state.State) func(provider string, o providers.HostObject) bool {
	type key struct{ provider, attr, value string }
	keys := map[key]bool{}
	has := map[string]bool{}
	if st != nil {
		for _, r := range st.Resources {
			has[r.Provider] = true
			var attrs map[string]json.RawMessage
			if json.Unmarshal(r.Attributes, &attrs) != nil {
				continue
			}
			for a, raw := range attrs {
				var s string
				if json.Unmarshal(raw, &s) == nil {
					keys[key{r.Provider, a, s}] = true
				}
			}
		}
	}
	return func(provider string, o providers.HostObject) bool {
		if o.KeyAttribute == "" {
			return has[provider]
		}
		return keys[key{provider, o.KeyAttribute, o.Key}]
	}
}

// UnknownWarning is the warning that the host holds objects of the
// experiment that its state does not know, naming them; sweep says
// whether they are being removed (benito destroy -sweep).
func UnknownWarning(objs []HostObject, sweep bool) *hcl.Diagnostic {
	lines := make([]string, len(objs))
	for i, o := range objs {
		lines[i] = "  - " + o.String()
	}
	slices.Sort(lines)
	d := &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  fmt.Sprintf("The host holds %d object(s) of this experiment that the state does not know", len(objs)),
	}
	what := "an apply killed before it recorded them, or a state that was lost, left them:\n" + strings.Join(lines, "\n") + "\n\n"
	if sweep {
		d.Detail = what + "benito destroy -sweep removes them."
	} else {
		d.Detail = what + "`benito destroy -sweep` removes them (with everything the state knows); `benito import ADDRESS ID` adopts one into the state."
	}
	return d
}
