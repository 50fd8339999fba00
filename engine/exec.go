package engine

import (
	"context"
	"fmt"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/state"
	"github.com/hashicorp/hcl/v2"
)

// Exec runs a command inside the resource r records (a node), through the
// provider that made it, which must be one of e's: req names the command
// and its streams; Exec fills in the resource. A resource whose type does
// not declare exec in its provider's schema is refused, naming the type
// and the provider.
func (e *Engine) Exec(ctx context.Context, r *state.Resource, req providers.ExecRequest) (providers.ExecResponse, hcl.Diagnostics) {
	failed := providers.ExecResponse{ExitCode: -1}
	p := e.providers[r.Provider]
	if p == nil {
		return failed, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: fmt.Sprintf("Provider %q is not started", r.Provider),
			Detail: fmt.Sprintf("%s was made by provider %q, which this engine did not start. This is a bug in benito.", r.Addr, r.Provider)}}
	}
	rs := e.Schema(r.Provider, r.Addr.Type)
	if rs == nil {
		return failed, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Resource type not served",
			Detail: fmt.Sprintf("%s was made by provider %q, which no longer serves resource type %q.", r.Addr, r.Provider, r.Addr.Type)}}
	}
	if !rs.Exec {
		return failed, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot run commands in this node",
			Detail: fmt.Sprintf("%s is a resource of type %q of provider %q, which does not run commands inside resources of that type (its schema does not declare exec).", r.Addr, r.Addr.Type, r.Provider)}}
	}
	v, _, err := decodeAttrs(r.Attributes, rs.ImpliedType())
	if err != nil {
		return failed, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unreadable state",
			Detail: fmt.Sprintf("%s: the recorded attributes do not match the schema of provider %q: %v.", r.Addr, r.Provider, err)}}
	}
	req.Address, req.Type, req.Value, req.Private = r.Addr.String(), r.Addr.Type, v, r.Private
	resp := p.Exec(ctx, req)
	return resp, convertDiags(r.Provider, resp.Diagnostics, nil)
}
