package plugin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/providertest"
	"github.com/zclconf/go-cty/cty"
)

// strict serves "thing" resources whose name must not be "bad"; its Plan
// reports, as an error, being asked to plan one anyway.
type strict struct{ *providertest.Provider }

func strictProvider() providers.Provider {
	return strict{providertest.New(providers.Schema{ResourceTypes: map[string]*providers.ResourceSchema{
		"thing": {Attributes: map[string]*providers.Attribute{"name": {Type: cty.String, Required: true}}},
	}})}
}

func (s strict) ValidateResources(_ context.Context, req providers.ValidateResourcesRequest) providers.ValidateResourcesResponse {
	var diags providers.Diagnostics
	for _, r := range req.Resources {
		if r.Config.GetAttr("name").AsString() == "bad" {
			diags = append(diags, providers.Errorf(r.Address, "a thing may not be called bad")...)
		} else {
			diags = append(diags, providers.Diagnostic{Severity: providers.Warning, Address: r.Address, Summary: "checked"})
		}
	}
	return providers.ValidateResourcesResponse{Diagnostics: diags}
}

func (s strict) PlanResources(ctx context.Context, req providers.PlanResourcesRequest) providers.PlanResourcesResponse {
	for _, c := range req.Changes {
		if c.Proposed.GetAttr("name").AsString() == "bad" {
			return providers.PlanResourcesResponse{Diagnostics: providers.Errorf(c.Address, "planned an invalid configuration")}
		}
	}
	return s.Provider.PlanResources(ctx, req)
}

// TestValidateAndPlan: through the plugin (one round trip) and in process
// (two calls) alike, a batch is validated first; an invalid configuration
// comes back as the validation's error and nothing is planned; a valid
// batch is planned, with the validation's warnings.
func TestValidateAndPlan(t *testing.T) {
	thing := func(addr, name string) providers.PlanChange {
		return providers.PlanChange{Address: addr, Type: "thing",
			Prior:    cty.NullVal(cty.Object(map[string]cty.Type{"name": cty.String})),
			Proposed: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(name)})}
	}
	for _, tc := range []struct {
		name string
		p    providers.Provider
	}{
		{"plugin", start(t, "strict", "strict", 10*time.Second)},
		{"in process", strictProvider()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, onePass := tc.p.(providers.ValidatePlanner)
			if onePass != (tc.name == "plugin") {
				t.Errorf("ValidatePlanner: %v", onePass)
			}
			ctx := context.Background()
			resp := providers.ValidateAndPlan(ctx, tc.p, providers.PlanResourcesRequest{Changes: []providers.PlanChange{thing("thing.a", "good"), thing("thing.b", "bad")}})
			if err := resp.Diagnostics.Err(); err == nil || !strings.Contains(err.Error(), "may not be called bad") || strings.Contains(err.Error(), "planned an invalid") || len(resp.Changes) != 0 {
				t.Errorf("an invalid batch: %v, %d changes", err, len(resp.Changes))
			}
			resp = providers.ValidateAndPlan(ctx, tc.p, providers.PlanResourcesRequest{Changes: []providers.PlanChange{thing("thing.a", "good")}})
			if resp.Diagnostics.HasErrors() || len(resp.Changes) != 1 || len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Summary != "checked" {
				t.Errorf("a valid batch: %#v, %d changes", resp.Diagnostics, len(resp.Changes))
			}
		})
	}
}
