package providers

import "context"

// ValidatePlanner is a Provider that can validate and plan a batch in one
// call: the plugin client does, so that the configurations cross the
// process boundary (and are encoded and decoded) once, not twice.
type ValidatePlanner interface {
	// ValidateAndPlanResources validates the Proposed configuration of
	// every change (the deletes have none) as ValidateResources does and,
	// when none is invalid, plans them all as PlanResources does. When one
	// is invalid it plans nothing: the response holds the validation's
	// diagnostics and no Changes.
	ValidateAndPlanResources(ctx context.Context, req PlanResourcesRequest) PlanResourcesResponse
}

// ValidateAndPlan validates and plans req with p: in one call when p is a
// ValidatePlanner, otherwise with ValidateResources and then, when nothing
// is invalid, PlanResources. Either way a response with errors and no
// Changes means a configuration was invalid.
func ValidateAndPlan(ctx context.Context, p Provider, req PlanResourcesRequest) PlanResourcesResponse {
	if vp, ok := p.(ValidatePlanner); ok {
		return vp.ValidateAndPlanResources(ctx, req)
	}
	diags := p.ValidateResources(ctx, ValidateRequestOf(req)).Diagnostics
	if diags.HasErrors() {
		return PlanResourcesResponse{Diagnostics: diags}
	}
	resp := p.PlanResources(ctx, req)
	resp.Diagnostics = append(diags, resp.Diagnostics...)
	return resp
}

// ValidateRequestOf is the validation of the configurations req proposes
// (its deletes propose none).
func ValidateRequestOf(req PlanResourcesRequest) ValidateResourcesRequest {
	out := ValidateResourcesRequest{Resources: make([]ValidateResource, 0, len(req.Changes))}
	for _, c := range req.Changes {
		if !c.Proposed.IsNull() {
			out.Resources = append(out.Resources, ValidateResource{Address: c.Address, Type: c.Type, Config: c.Proposed})
		}
	}
	return out
}
