// Package providertest is a small in-memory provider for engine tests. It
// serves whatever resource types its schema declares, keeps resources in a
// map, and lets tests hook each call (PlanFn, ApplyFn, ReadFn) and count
// them. It touches nothing outside the process.
package providertest

import (
	"context"
	"slices"
	"sync"

	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// Provider is a fake provider. Set the hooks before use.
type Provider struct {
	Schema providers.Schema

	// Hooks replace the default behaviour when set.
	PlanFn  func(c providers.PlanChange) providers.PlannedChange
	ApplyFn func(ctx context.Context, req providers.ApplyResourceRequest) providers.ApplyResourceResponse
	ReadFn  func(r providers.ReadResource) providers.ReadResult
	// ImportFn serves ImportResource (default: not supported).
	ImportFn func(req providers.ImportResourceRequest) providers.ImportResourceResponse
	// ExecFn serves Exec (default: not supported).
	ExecFn func(ctx context.Context, req providers.ExecRequest) providers.ExecResponse

	// Host is what Sweep finds on the host: objects the provider made
	// (tests add to it); Sweep removes from it what it is asked to.
	Host []providers.HostObject

	mu sync.Mutex
	// Objects holds the resources that exist, by address.
	Objects map[string]cty.Value
	// Calls counts calls by method name.
	Calls map[string]int
	// Applied lists addresses in the order ApplyResource was called, each
	// prefixed with "create ", "update " or "delete ".
	Applied []string
	Stopped bool
}

var _ providers.Provider = (*Provider)(nil)

// New returns a provider serving the given schema.
func New(schema providers.Schema) *Provider {
	return &Provider{Schema: schema, Objects: map[string]cty.Value{}, Calls: map[string]int{}}
}

func (p *Provider) count(name string) {
	p.mu.Lock()
	p.Calls[name]++
	p.mu.Unlock()
}

// CallCount returns how many times method was called.
func (p *Provider) CallCount(method string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.Calls[method]
}

// Object returns the resource at address, or cty.NilVal.
func (p *Provider) Object(address string) cty.Value {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.Objects[address]
}

// Delete removes a resource behind benito's back (drift).
func (p *Provider) Delete(address string) {
	p.mu.Lock()
	delete(p.Objects, address)
	p.mu.Unlock()
}

func (p *Provider) GetSchema(context.Context) providers.GetSchemaResponse {
	p.count("GetSchema")
	return providers.GetSchemaResponse{Schema: p.Schema}
}

func (p *Provider) Configure(context.Context, providers.ConfigureRequest) providers.ConfigureResponse {
	p.count("Configure")
	return providers.ConfigureResponse{}
}

func (p *Provider) ValidateResources(context.Context, providers.ValidateResourcesRequest) providers.ValidateResourcesResponse {
	p.count("ValidateResources")
	return providers.ValidateResourcesResponse{}
}

func (p *Provider) PlanResources(_ context.Context, req providers.PlanResourcesRequest) providers.PlanResourcesResponse {
	p.count("PlanResources")
	resp := providers.PlanResourcesResponse{Changes: make([]providers.PlannedChange, len(req.Changes))}
	for i, c := range req.Changes {
		if p.PlanFn != nil {
			resp.Changes[i] = p.PlanFn(c)
			continue
		}
		planned, replace := providers.DefaultPlan(p.Schema.ResourceTypes[c.Type], c.Prior, c.Proposed, nil)
		resp.Changes[i] = providers.PlannedChange{Planned: planned, RequiresReplace: replace}
	}
	return resp
}

func (p *Provider) ApplyResource(ctx context.Context, req providers.ApplyResourceRequest) providers.ApplyResourceResponse {
	p.count("ApplyResource")
	verb := "update "
	switch {
	case req.Prior.IsNull():
		verb = "create "
	case req.Planned.IsNull():
		verb = "delete "
	}
	p.mu.Lock()
	p.Applied = append(p.Applied, verb+req.Address)
	p.mu.Unlock()
	if p.ApplyFn != nil {
		return p.ApplyFn(ctx, req)
	}
	return p.DefaultApply(req)
}

// DefaultApply makes the change in the in-memory store, filling unknown
// attributes with "id-<address>" for strings and 1 for numbers.
func (p *Provider) DefaultApply(req providers.ApplyResourceRequest) providers.ApplyResourceResponse {
	p.mu.Lock()
	defer p.mu.Unlock()
	if req.Planned.IsNull() {
		delete(p.Objects, req.Address)
		return providers.ApplyResourceResponse{New: req.Planned}
	}
	v, _ := cty.Transform(req.Planned, func(_ cty.Path, v cty.Value) (cty.Value, error) {
		if v.IsKnown() {
			return v, nil
		}
		switch v.Type() {
		case cty.String:
			return cty.StringVal("id-" + req.Address), nil
		case cty.Number:
			return cty.NumberIntVal(1), nil
		}
		return cty.NullVal(v.Type()), nil
	})
	p.Objects[req.Address] = v
	return providers.ApplyResourceResponse{New: v}
}

func (p *Provider) ReadResources(_ context.Context, req providers.ReadResourcesRequest) providers.ReadResourcesResponse {
	p.count("ReadResources")
	if req.ExistenceOnly {
		p.count("ReadResources existence only")
	}
	resp := providers.ReadResourcesResponse{Resources: make([]providers.ReadResult, len(req.Resources))}
	for i, r := range req.Resources {
		if p.ReadFn != nil {
			resp.Resources[i] = p.ReadFn(r)
			continue
		}
		p.mu.Lock()
		v, ok := p.Objects[r.Address]
		p.mu.Unlock()
		if !ok {
			v = cty.NullVal(p.Schema.ResourceTypes[r.Type].ImpliedType())
		}
		resp.Resources[i] = providers.ReadResult{New: v, Private: r.Private}
	}
	return resp
}

func (p *Provider) Exec(ctx context.Context, req providers.ExecRequest) providers.ExecResponse {
	p.count("Exec")
	if p.ExecFn != nil {
		return p.ExecFn(ctx, req)
	}
	return providers.ExecNotSupported("providertest", req)
}

func (p *Provider) Sweep(_ context.Context, req providers.SweepRequest) providers.SweepResponse {
	p.count("Sweep")
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Host = slices.DeleteFunc(p.Host, func(o providers.HostObject) bool {
		return slices.ContainsFunc(req.Remove, func(r providers.HostObject) bool {
			return r.Type == o.Type && r.KeyAttribute == o.KeyAttribute && r.Key == o.Key
		})
	})
	objs := slices.Clone(p.Host)
	providers.SortHostObjects(objs)
	return providers.SweepResponse{Objects: objs}
}

func (p *Provider) Stop(context.Context) error {
	p.count("Stop")
	p.mu.Lock()
	p.Stopped = true
	p.mu.Unlock()
	return nil
}

func (p *Provider) Close() error {
	p.count("Close")
	return nil
}

// ImportResource is not supported unless ImportFn is set: there is nothing
// outside benito to adopt.
func (p *Provider) ImportResource(_ context.Context, req providers.ImportResourceRequest) providers.ImportResourceResponse {
	if p.ImportFn != nil {
		return p.ImportFn(req)
	}
	return providers.ImportResourceResponse{Diagnostics: providers.Errorf(req.Address, "Resources of type %q cannot be imported", req.Type)}
}
