package engine

import (
	"context"
	"fmt"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/state"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Import asks the provider of r, a resource of the configuration, to read
// the existing object id names, and returns it as the state would record
// it: at r's address, with r's dependencies, ready (so that the next plan
// shows how it differs from r's configuration). It changes nothing on the
// host.
func (e *Engine) Import(ctx context.Context, r *lower.Resource, id string) (*state.Resource, hcl.Diagnostics) {
	subject := &r.DeclRange
	errorf := func(summary, format string, args ...any) hcl.Diagnostics {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: subject}}
	}
	p := e.providers[r.Provider]
	rs := e.Schema(r.Provider, r.Addr.Type)
	if p == nil || rs == nil {
		return nil, errorf("Resource type not served", "Provider %q does not serve resource type %q of %s.", r.Provider, r.Addr.Type, r.Addr)
	}
	resp := p.ImportResource(ctx, providers.ImportResourceRequest{Address: r.Addr.String(), Type: r.Addr.Type, ID: id})
	diags := convertDiags(r.Provider, resp.Diagnostics, func(string) *hcl.Range { return subject })
	if diags.HasErrors() {
		return nil, diags
	}
	if resp.New == cty.NilVal || resp.New.IsNull() {
		return nil, append(diags, errorf("Nothing to import", "Provider %q found no object with id %q to import as %s.", r.Provider, id, r.Addr)...)
	}
	if !resp.New.IsWhollyKnown() {
		return nil, append(diags, errorf("Provider error", "Provider %q imported %s with values it does not know; this is a bug in the provider.", r.Provider, r.Addr)...)
	}
	raw, err := encodeAttrs(resp.New, rs.ImpliedType())
	if err != nil {
		return nil, append(diags, errorf("Provider error", "Provider %q imported a value of %s that does not match its schema: %v.", r.Provider, r.Addr, err)...)
	}
	return &state.Resource{
		Addr: r.Addr, Provider: r.Provider, Attributes: raw, Private: resp.Private,
		Dependencies: append([]addrs.Resource(nil), r.DependsOn...),
	}, diags
}
