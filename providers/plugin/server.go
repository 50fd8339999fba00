package plugin

import (
	"context"
	"fmt"
	"sync"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/plugin/proto"
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
}

func newServer(p providers.Provider) *server { return &server{p: p} }

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

func decodeErr(address, what string, err error) providers.Diagnostics {
	return providers.Errorf(address, "Provider could not decode the %s sent by benito: %v", what, err)
}

func encodeErr(address, what string, err error) providers.Diagnostics {
	return providers.Errorf(address, "Provider returned a %s that does not match its schema: %v", what, err)
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
		cfg, err := rs.config.decodeValue(r.Config)
		if err != nil {
			diags = append(diags, decodeErr(r.Address, "configuration", err)...)
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
		prior, err := rs.implied.decodeValue(c.Prior)
		if err != nil {
			diags = append(diags, decodeErr(c.Address, "prior value", err)...)
			continue
		}
		proposed, err := rs.config.decodeValue(c.Proposed)
		if err != nil {
			diags = append(diags, decodeErr(c.Address, "proposed value", err)...)
			continue
		}
		in.Changes[i] = providers.PlanChange{Address: c.Address, Type: c.Type, Prior: prior, PriorPrivate: c.PriorPrivate, Proposed: proposed}
	}
	if diags.HasErrors() {
		return &proto.PlanResources_Response{Diagnostics: diagsToProto(diags)}, nil
	}
	resp := s.p.PlanResources(ctx, in)
	diags = append(diags, resp.Diagnostics...)
	out := &proto.PlanResources_Response{Changes: make([]*proto.PlanResources_Planned, len(resp.Changes))}
	for i, pc := range resp.Changes {
		if i >= len(schemas) {
			break // a short or long answer is the engine's to report
		}
		planned, err := schemas[i].implied.encodeValue(pc.Planned)
		if err != nil {
			diags = append(diags, encodeErr(req.Changes[i].Address, "planned value", err)...)
			planned = &proto.DynamicValue{}
		}
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
	prior, err := ty.decodeValue(req.Prior)
	if err != nil {
		return &proto.ApplyResource_Response{Diagnostics: diagsToProto(decodeErr(req.Address, "prior value", err))}, nil
	}
	planned, err := ty.decodeValue(req.Planned)
	if err != nil {
		return &proto.ApplyResource_Response{Diagnostics: diagsToProto(decodeErr(req.Address, "planned value", err))}, nil
	}
	resp := s.p.ApplyResource(ctx, providers.ApplyResourceRequest{Address: req.Address, Type: req.Type, Prior: prior, Planned: planned, PlannedPrivate: req.PlannedPrivate})
	diags = resp.Diagnostics
	nv, err := ty.encodeValue(resp.New)
	if err != nil {
		diags = append(diags, encodeErr(req.Address, "new value", err)...)
		nv = &proto.DynamicValue{}
	}
	return &proto.ApplyResource_Response{New: nv, Private: resp.Private, Diagnostics: diagsToProto(diags)}, nil
}

func (s *server) ReadResources(ctx context.Context, req *proto.ReadResources_Request) (*proto.ReadResources_Response, error) {
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
		cur, err := codec[i].decodeValue(r.Current)
		if err != nil {
			diags = append(diags, decodeErr(r.Address, "current value", err)...)
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
		nv, err := codec[i].encodeValue(r.New)
		if err != nil {
			diags = append(diags, encodeErr(req.Resources[i].Address, "value read", err)...)
			nv = &proto.DynamicValue{}
		}
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
	diags = resp.Diagnostics
	nv, err := rs.implied.encodeValue(resp.New)
	if err != nil {
		diags = append(diags, encodeErr(req.Address, "imported value", err)...)
		nv = &proto.DynamicValue{}
	}
	return &proto.ImportResource_Response{New: nv, Private: resp.Private, Diagnostics: diagsToProto(diags)}, nil
}

func (s *server) Stop(ctx context.Context, _ *proto.Stop_Request) (*proto.Stop_Response, error) {
	if err := s.p.Stop(ctx); err != nil {
		return &proto.Stop_Response{Error: fmt.Sprint(err)}, nil
	}
	return &proto.Stop_Response{}, nil
}
