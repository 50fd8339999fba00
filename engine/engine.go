package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/benito-net/benito/internal/logging"
	"github.com/benito-net/benito/providers"
	"github.com/hashicorp/hcl/v2"
)

// Engine holds the started, configured providers of one experiment.
type Engine struct {
	providers map[string]providers.Provider
	schemas   map[string]*providers.Schema
	closed    sync.Once
}

// Group starts several providers with one call: one process serving them
// all (plugin.StartSet). New calls Start once, with those of Names it
// needs, instead of their factories.
type Group struct {
	Names []string
	Start func(names []string) (map[string]providers.Provider, error)
}

// New starts and configures the providers named (each once), using the
// groups and factories given (a group first). Providers start
// concurrently: each is a process to launch (or one process for a group)
// and hand its configuration to. On error, the providers already started
// are closed.
func New(ctx context.Context, factories map[string]providers.Factory, groups []Group, names []string, experiment string, site map[string]string) (*Engine, hcl.Diagnostics) {
	e := &Engine{providers: map[string]providers.Provider{}, schemas: map[string]*providers.Schema{}}
	names = append([]string(nil), names...)
	sort.Strings(names)
	names = slices.Compact(names)
	type started struct {
		p      providers.Provider
		schema *providers.Schema
		diags  hcl.Diagnostics
	}
	out := make([]started, len(names))
	var wg sync.WaitGroup
	// setup asks provider i for its schema and configures it.
	setup := func(i int, name string, p providers.Provider, err error) {
		if err != nil {
			out[i].diags = hcl.Diagnostics{{Severity: hcl.DiagError, Summary: fmt.Sprintf("Failed to start provider %q", name), Detail: err.Error()}}
			return
		}
		out[i].p = p
		sr := p.GetSchema(ctx)
		out[i].diags = append(out[i].diags, convertDiags(name, sr.Diagnostics, nil)...)
		schema := sr.Schema
		out[i].schema = &schema
		if sr.Diagnostics.HasErrors() {
			return
		}
		cr := p.Configure(ctx, providers.ConfigureRequest{Experiment: experiment, Site: site})
		out[i].diags = append(out[i].diags, convertDiags(name, cr.Diagnostics, nil)...)
	}
	inGroup := map[string]bool{}
	for _, g := range groups {
		var need []string
		idx := map[string]int{}
		for i, name := range names {
			if !inGroup[name] && slices.Contains(g.Names, name) {
				inGroup[name] = true
				need = append(need, name)
				idx[name] = i
			}
		}
		if len(need) == 0 {
			continue
		}
		wg.Go(func() {
			ps, err := g.Start(need)
			var inner sync.WaitGroup
			for _, name := range need {
				p := ps[name]
				perr := err
				if perr == nil && p == nil {
					perr = fmt.Errorf("the provider process does not serve %q", name)
				}
				inner.Go(func() { setup(idx[name], name, p, perr) })
			}
			inner.Wait()
		})
	}
	for i, name := range names {
		if inGroup[name] {
			continue
		}
		f := factories[name]
		if f == nil {
			out[i].diags = hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Provider %q is not available", name),
				Detail:   fmt.Sprintf("The experiment or its state needs provider %q, which this build of benito does not have.", name),
			}}
			continue
		}
		wg.Go(func() {
			p, err := f()
			setup(i, name, p, err)
		})
	}
	wg.Wait()
	var diags hcl.Diagnostics
	for i, name := range names {
		diags = append(diags, out[i].diags...)
		if out[i].p != nil {
			e.providers[name] = out[i].p
			e.schemas[name] = out[i].schema
		}
	}
	if diags.HasErrors() {
		e.Close()
		return nil, diags
	}
	return e, diags
}

// Close closes every provider, once: later calls do nothing.
func (e *Engine) Close() {
	e.closed.Do(func() {
		// Each Close waits for its provider process to exit: in
		// parallel.
		var wg sync.WaitGroup
		for _, p := range e.providers {
			wg.Go(func() { _ = p.Close() })
		}
		wg.Wait()
	})
}

// Stop asks every provider to abandon in-flight work now. A provider that
// fails to stop is logged, not returned: Stop's caller is the second
// Ctrl-C's handler, which has nowhere to show an error, and the calls in
// flight still end with their own diagnostics (or time out).
func (e *Engine) Stop(ctx context.Context) {
	var wg sync.WaitGroup
	for name, p := range e.providers {
		wg.Go(func() {
			if err := p.Stop(ctx); err != nil {
				logging.Default().Warn("a provider could not be stopped", "provider", name, "error", err)
			}
		})
	}
	wg.Wait()
}

// Schema returns the schema of a resource type served by provider, or nil.
func (e *Engine) Schema(provider, typ string) *providers.ResourceSchema {
	s := e.schemas[provider]
	if s == nil {
		return nil
	}
	return s.ResourceTypes[typ]
}

// Schemas returns every provider's schema, by provider name.
func (e *Engine) Schemas() map[string]*providers.Schema { return e.schemas }

// convertDiags turns provider diagnostics into HCL diagnostics, pointing
// at the configuration of the resource they name when ranges has it.
func convertDiags(provider string, in providers.Diagnostics, ranges func(address string) *hcl.Range) hcl.Diagnostics {
	out := make(hcl.Diagnostics, 0, len(in))
	for _, d := range in {
		sev := hcl.DiagError
		if d.Severity == providers.Warning {
			sev = hcl.DiagWarning
		}
		detail := d.Detail
		prefix := ""
		if d.Address != "" {
			prefix = d.Address + ": "
		}
		if len(d.Attribute) > 0 {
			prefix += "attribute " + pathString(d.Attribute) + ": "
		}
		if prefix != "" || provider != "" {
			detail = fmt.Sprintf("%s%s (provider %q)", prefix, detail, provider)
		}
		hd := &hcl.Diagnostic{Severity: sev, Summary: d.Summary, Detail: detail}
		if ranges != nil && d.Address != "" {
			hd.Subject = ranges(d.Address)
		}
		out = append(out, hd)
	}
	return out
}
