package engine

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/benito-net/benito/providers"
	"github.com/hashicorp/hcl/v2"
)

// Factory starts a provider.
type Factory func() (providers.Provider, error)

// Engine holds the started, configured providers of one experiment.
type Engine struct {
	providers map[string]providers.Provider
	schemas   map[string]*providers.Schema
}

// New starts and configures the providers named (each once), using the
// factories given. On error, the providers already started are closed.
func New(ctx context.Context, factories map[string]Factory, names []string, experiment string, site map[string]string) (*Engine, hcl.Diagnostics) {
	e := &Engine{providers: map[string]providers.Provider{}, schemas: map[string]*providers.Schema{}}
	names = append([]string(nil), names...)
	sort.Strings(names)
	var diags hcl.Diagnostics
	for _, name := range names {
		if _, done := e.providers[name]; done {
			continue
		}
		f := factories[name]
		if f == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Provider %q is not available", name),
				Detail:   fmt.Sprintf("The experiment or its state needs provider %q, which this build of benito does not have.", name),
			})
			continue
		}
		p, err := f()
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Failed to start provider %q", name), Detail: err.Error()})
			continue
		}
		e.providers[name] = p
		sr := p.GetSchema(ctx)
		diags = append(diags, convertDiags(name, sr.Diagnostics, nil)...)
		schema := sr.Schema
		e.schemas[name] = &schema
		cr := p.Configure(ctx, providers.ConfigureRequest{Experiment: experiment, Site: site})
		diags = append(diags, convertDiags(name, cr.Diagnostics, nil)...)
	}
	if diags.HasErrors() {
		e.Close()
		return nil, diags
	}
	return e, diags
}

// Close closes every provider.
func (e *Engine) Close() {
	for _, p := range e.providers {
		_ = p.Close()
	}
}

// Stop asks every provider to abandon in-flight work now.
func (e *Engine) Stop(ctx context.Context) {
	var wg sync.WaitGroup
	for _, p := range e.providers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = p.Stop(ctx)
		}()
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
