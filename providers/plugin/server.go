package plugin

import (
	"context"
	"fmt"
	"sync"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/plugin/proto"
	"github.com/zclconf/go-cty/cty"
)

// server answers benito's gRPC calls with a providers.Provider.
type server struct {
	proto.UnimplementedProviderServer
	p providers.Provider

	// The schema is read from the provider once (it is stable for the life
	// of the process) and used to decode and encode every value.
	once   sync.Once
	schema providers.GetSchemaResponse
	types  types

	lock exclusive // held before the first change to the host
	// name is what the process serves the provider as (one process may
	// serve several, whose schemas may carry the same name): with the
	// schema's name, it names the lock.
	name string
}

func newServer(name string, p providers.Provider) *server { return &server{name: name, p: p} }

func (s *server) loadSchema(ctx context.Context) {
	s.once.Do(func() {
		s.schema = s.p.GetSchema(ctx)
		s.types = newTypes(s.schema.Schema.ResourceTypes)
	})
}

// resourceType returns the schema of typ, or a diagnostic for address.
func (s *server) resourceType(ctx context.Context, address, typ string) (*resourceType, providers.Diagnostics) {
	s.loadSchema(ctx)
	rs, err := s.types.of(typ)
	if err != nil {
		return nil, providers.Errorf(address, "Unknown resource type: %v", err)
	}
	return rs, nil
}

// decode decodes a value benito sent for address; what names it in the
// diagnostic ("prior value"). (A method, like the client's, so that
// neither side can pick up the other's wording.)
func (s *server) decode(codec *typeCodec, dv *proto.DynamicValue, address, what string) (cty.Value, providers.Diagnostics) {
	v, err := codec.decodeValue(dv)
	if err != nil {
		return v, providers.Errorf(address, "Provider could not decode the %s sent by benito: %v", what, err)
	}
	return v, nil
}

// encode encodes a value the provider returned for address. One that does
// not match the schema goes as no value, with a diagnostic, so that the
// rest of the answer still reaches benito.
func (s *server) encode(codec *typeCodec, v cty.Value, address, what string) (*proto.DynamicValue, providers.Diagnostics) {
	dv, err := codec.encodeValue(v)
	if err != nil {
		return &proto.DynamicValue{}, providers.Errorf(address, "Provider returned a %s that does not match its schema: %v", what, err)
	}
	return dv, nil
}

func (s *server) GetSchema(ctx context.Context, _ *proto.GetSchema_Request) (*proto.GetSchema_Response, error) {
	s.loadSchema(ctx)
	ps, err := schemaToProto(&s.schema.Schema)
	diags := s.schema.Diagnostics
	if err != nil {
		diags = append(diags, providers.Errorf("", "Provider schema cannot be sent: %v", err)...)
	}
	return &proto.GetSchema_Response{
		Info:        &proto.ProviderInfo{Name: s.schema.Info.Name, Version: s.schema.Info.Version},
		Schema:      ps,
		Diagnostics: diagsToProto(diags),
	}, nil
}

func (s *server) Configure(ctx context.Context, req *proto.Configure_Request) (*proto.Configure_Response, error) {
	s.loadSchema(ctx)
	s.lock.configure(s.name+"\x00"+s.schema.Info.Name, req.Experiment, req.Site)
	resp := s.p.Configure(ctx, providers.ConfigureRequest{Experiment: req.Experiment, Site: req.Site})
	return &proto.Configure_Response{Diagnostics: diagsToProto(resp.Diagnostics)}, nil
}

func (s *server) ValidateResources(ctx context.Context, req *proto.ValidateResources_Request) (*proto.ValidateResources_Response, error) {
	in := providers.ValidateResourcesRequest{Resources: make([]providers.ValidateResource, len(req.Resources))}
	var diags providers.Diagnostics
	for i, r := range req.Resources {
		rs, d := s.resourceType(ctx, r.Address, r.Type)
		if d != nil {
			diags = append(diags, d...)
			continue
		}
		cfg, d := s.decode(rs.config, r.Config, r.Address, "configuration")
		if d != nil {
			diags = append(diags, d...)
			continue
		}
		in.Resources[i] = providers.ValidateResource{Address: r.Address, Type: r.Type, Config: cfg}
	}
	if diags.HasErrors() {
		return &proto.ValidateResources_Response{Diagnostics: diagsToProto(diags)}, nil
	}
	resp := s.p.ValidateResources(ctx, in)
	return &proto.ValidateResources_Response{Diagnostics: diagsToProto(append(diags, resp.Diagnostics...))}, nil
}

func (s *server) PlanResources(ctx context.Context, req *proto.PlanResources_Request) (*proto.PlanResources_Response, error) {
	in := providers.PlanResourcesRequest{Changes: make([]providers.PlanChange, len(req.Changes))}
	schemas := make([]*resourceType, len(req.Changes))
	var diags providers.Diagnostics
	for i, c := range req.Changes {
		rs, d := s.resourceType(ctx, c.Address, c.Type)
		if d != nil {
			diags = append(diags, d...)
			continue
		}
		schemas[i] = rs
		prior, d := s.decode(rs.implied, c.Prior, c.Address, "prior value")
		if d != nil {
			diags = append(diags, d...)
			continue
		}
		proposed, d := s.decode(rs.config, c.Proposed, c.Address, "proposed value")
		if d != nil {
			diags = append(diags, d...)
			continue
		}
		in.Changes[i] = providers.PlanChange{Address: c.Address, Type: c.Type, Prior: prior, PriorPrivate: c.PriorPrivate, Proposed: proposed}
	}
	if diags.HasErrors() {
		return &proto.PlanResources_Response{Diagnostics: diagsToProto(diags)}, nil
	}
	if req.Validate {
		// The configurations decoded once serve both calls.
		d := s.p.ValidateResources(ctx, providers.ValidateRequestOf(in)).Diagnostics
		diags = append(diags, d...)
		if d.HasErrors() {
			return &proto.PlanResources_Response{Diagnostics: diagsToProto(diags)}, nil
		}
	}
	if dp, ok := s.p.(providers.DefaultPlanner); ok && req.Defaults {
		// Planned values told by default do not cross back: benito
		// builds them (planned.go).
		resp := dp.PlanDefaults(ctx, in)
		diags = append(diags, resp.Diagnostics...)
		out := &proto.PlanResources_Response{Changes: make([]*proto.PlanResources_Planned, len(resp.Changes))}
		for i, pd := range resp.Changes {
			if i >= len(schemas) {
				break // a short or long answer is the engine's to report
			}
			if pd.Default {
				var ok bool
				if out.Changes[i], ok = schemas[i].byDefault(pd); ok {
					continue
				}
				pd.Build(schemas[i].ResourceSchema, in.Changes[i])
			}
			planned, d := s.encode(schemas[i].implied, pd.Planned, req.Changes[i].Address, "planned value")
			diags = append(diags, d...)
			out.Changes[i] = &proto.PlanResources_Planned{Planned: planned, PlannedPrivate: pd.PlannedPrivate, RequiresReplace: pathsToProto(pd.RequiresReplace)}
		}
		out.Diagnostics = diagsToProto(diags)
		return out, nil
	}
	resp := s.p.PlanResources(ctx, in)
	diags = append(diags, resp.Diagnostics...)
	out := &proto.PlanResources_Response{Changes: make([]*proto.PlanResources_Planned, len(resp.Changes))}
	for i, pc := range resp.Changes {
		if i >= len(schemas) {
			break // a short or long answer is the engine's to report
		}
		planned, d := s.encode(schemas[i].implied, pc.Planned, req.Changes[i].Address, "planned value")
		diags = append(diags, d...)
		out.Changes[i] = &proto.PlanResources_Planned{Planned: planned, PlannedPrivate: pc.PlannedPrivate, RequiresReplace: pathsToProto(pc.RequiresReplace)}
	}
	out.Diagnostics = diagsToProto(diags)
	return out, nil
}

func (s *server) ApplyResource(ctx context.Context, req *proto.ApplyResource_Request) (*proto.ApplyResource_Response, error) {
	rs, diags := s.resourceType(ctx, req.Address, req.Type)
	if diags != nil {
		return &proto.ApplyResource_Response{Diagnostics: diagsToProto(diags)}, nil
	}
	ty := rs.implied
	prior, diags := s.decode(ty, req.Prior, req.Address, "prior value")
	if diags != nil {
		return &proto.ApplyResource_Response{Diagnostics: diagsToProto(diags)}, nil
	}
	planned, diags := s.decode(ty, req.Planned, req.Address, "planned value")
	if diags != nil {
		return &proto.ApplyResource_Response{Diagnostics: diagsToProto(diags)}, nil
	}
	if diags := s.lock.acquire(ctx, req.Address); diags != nil {
		return &proto.ApplyResource_Response{New: req.Prior, Diagnostics: diagsToProto(diags)}, nil
	}
	resp := s.p.ApplyResource(ctx, providers.ApplyResourceRequest{Address: req.Address, Type: req.Type, Prior: prior, Planned: planned, PlannedPrivate: req.PlannedPrivate})
	nv, diags := s.encode(ty, resp.New, req.Address, "new value")
	return &proto.ApplyResource_Response{New: nv, Private: resp.Private, Diagnostics: diagsToProto(append(resp.Diagnostics, diags...))}, nil
}

func (s *server) ReadResources(ctx context.Context, req *proto.ReadResources_Request) (*proto.ReadResources_Response, error) {
	// What is read is what the next changes are planned from: read once
	// no other provider of the experiment changes the host.
	if diags := s.lock.acquire(ctx, ""); diags != nil {
		out := &proto.ReadResources_Response{Resources: make([]*proto.ReadResources_Result, len(req.Resources)), Diagnostics: diagsToProto(diags)}
		for i, r := range req.Resources {
			out.Resources[i] = &proto.ReadResources_Result{New: r.Current, Private: r.Private}
		}
		return out, nil
	}
	in := providers.ReadResourcesRequest{Resources: make([]providers.ReadResource, len(req.Resources)), ExistenceOnly: req.ExistenceOnly}
	codec := make([]*typeCodec, len(req.Resources))
	var diags providers.Diagnostics
	for i, r := range req.Resources {
		rs, d := s.resourceType(ctx, r.Address, r.Type)
		if d != nil {
			diags = append(diags, d...)
			continue
		}
		codec[i] = rs.implied
		cur, d := s.decode(codec[i], r.Current, r.Address, "current value")
		if d != nil {
			diags = append(diags, d...)
			continue
		}
		in.Resources[i] = providers.ReadResource{Address: r.Address, Type: r.Type, Current: cur, Private: r.Private}
	}
	if diags.HasErrors() {
		return &proto.ReadResources_Response{Diagnostics: diagsToProto(diags)}, nil
	}
	resp := s.p.ReadResources(ctx, in)
	diags = append(diags, resp.Diagnostics...)
	out := &proto.ReadResources_Response{Resources: make([]*proto.ReadResources_Result, len(resp.Resources))}
	for i, r := range resp.Resources {
		if i >= len(codec) {
			break
		}
		nv, d := s.encode(codec[i], r.New, req.Resources[i].Address, "value read")
		diags = append(diags, d...)
		out.Resources[i] = &proto.ReadResources_Result{New: nv, Private: r.Private}
	}
	out.Diagnostics = diagsToProto(diags)
	return out, nil
}

func (s *server) ImportResource(ctx context.Context, req *proto.ImportResource_Request) (*proto.ImportResource_Response, error) {
	rs, diags := s.resourceType(ctx, req.Address, req.Type)
	if diags != nil {
		return &proto.ImportResource_Response{Diagnostics: diagsToProto(diags)}, nil
	}
	resp := s.p.ImportResource(ctx, providers.ImportResourceRequest{Address: req.Address, Type: req.Type, ID: req.Id})
	nv, diags := s.encode(rs.implied, resp.New, req.Address, "imported value")
	return &proto.ImportResource_Response{New: nv, Private: resp.Private, Diagnostics: diagsToProto(append(resp.Diagnostics, diags...))}, nil
}

func (s *server) Sweep(ctx context.Context, req *proto.Sweep_Request) (*proto.Sweep_Response, error) {
	if diags := s.lock.acquire(ctx, ""); diags != nil {
		return &proto.Sweep_Response{Diagnostics: diagsToProto(diags)}, nil
	}
	resp := s.p.Sweep(ctx, providers.SweepRequest{Remove: hostObjectsFromProto(req.Remove)})
	return &proto.Sweep_Response{Objects: hostObjectsToProto(resp.Objects), Diagnostics: diagsToProto(resp.Diagnostics)}, nil
}

func (s *server) Stop(ctx context.Context, _ *proto.Stop_Request) (*proto.Stop_Response, error) {
	if err := s.p.Stop(ctx); err != nil {
		return &proto.Stop_Response{Error: fmt.Sprint(err)}, nil
	}
	return &proto.Stop_Response{}, nil
}
