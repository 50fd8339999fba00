package sdk

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/sdk/internal/govalue"
	"github.com/zclconf/go-cty/cty"
)

// server adapts a Provider to the engine's providers.Provider interface.
type server struct {
	p      *Provider
	schema providers.Schema
	// defaults holds the Defaults as values, by resource type and
	// attribute: converted once (by check), not on every plan.
	defaults map[string]map[string]cty.Value

	mu   sync.Mutex
	meta any

	stop     context.Context
	stopFunc context.CancelFunc
}

var _ providers.Provider = (*server)(nil)

// InProcess returns p as a providers.Provider running in this process,
// for tests (see sdktest) and for embedding. It fails on a declaration
// mistake, such as a resource type without Create.
func InProcess(p *Provider) (providers.Provider, error) {
	defaults, err := p.check()
	if err != nil {
		return nil, err
	}
	s := &server{p: p, schema: p.schema(), defaults: defaults}
	s.stop, s.stopFunc = context.WithCancel(context.Background())
	return s, nil
}

func (s *server) GetSchema(context.Context) providers.GetSchemaResponse {
	return providers.GetSchemaResponse{Info: providers.Info{Name: s.p.Name, Version: s.p.Version}, Schema: s.schema}
}

func (s *server) Configure(ctx context.Context, req providers.ConfigureRequest) providers.ConfigureResponse {
	if s.p.Configure == nil {
		return providers.ConfigureResponse{}
	}
	var meta any
	err := guard(func() error {
		var err error
		cctx, release := s.ctx(ctx)
		defer release()
		meta, err = s.p.Configure(cctx, Config{Experiment: req.Experiment, Site: req.Site})
		return err
	})
	if err != nil {
		return providers.ConfigureResponse{Diagnostics: providers.Diagnostics{{
			Severity: providers.Error, Summary: fmt.Sprintf("Provider %s could not be configured", s.p.Name), Detail: err.Error(),
		}}}
	}
	s.mu.Lock()
	s.meta = meta
	s.mu.Unlock()
	return providers.ConfigureResponse{}
}

func (s *server) getMeta() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.meta
}

// ctx is ctx, also cancelled by Stop. The caller must call release when
// the call is done: it unregisters the context from Stop, which would
// otherwise hold every call's registration until the provider stops (one
// per resource: 100,000 in a large apply).
func (s *server) ctx(ctx context.Context) (c context.Context, release func()) {
	c, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.stop, cancel)
	return c, func() {
		stop()
		cancel()
	}
}

// resource finds a resource type, or says it is not served.
func (s *server) resource(address, typ string) (*Resource, *providers.ResourceSchema, providers.Diagnostics) {
	r, rs := s.p.Resources[typ], s.schema.ResourceTypes[typ]
	if r == nil {
		return nil, nil, errorf(address, "Resource type not served", "provider %s serves %s, not %q", s.p.Name, typeList(s.p.Resources), typ)
	}
	return r, rs, nil
}

func typeList(m map[string]*Resource) string {
	if len(m) == 0 {
		return "no resource types"
	}
	return strings.Join(slices.Sorted(maps.Keys(m)), ", ")
}

func (s *server) ValidateResources(ctx context.Context, req providers.ValidateResourcesRequest) providers.ValidateResourcesResponse {
	var diags providers.Diagnostics
	for _, vr := range req.Resources {
		r, rs, d := s.resource(vr.Address, vr.Type)
		if d != nil {
			diags = append(diags, d...)
			continue
		}
		if vr.Config.IsNull() || !vr.Config.Type().IsObjectType() {
			diags = append(diags, errorf(vr.Address, "Invalid configuration", "the configuration is not an object")...)
			continue
		}
		cfg := attrMap(rs, vr.Config)
		// rs was made from r.Attributes: the same names, sorted once.
		for _, name := range rs.AttributeNames() {
			a := r.Attributes[name]
			v := cfg[name]
			if a.Required && v.IsKnown() && v.IsNull() {
				diags = append(diags, attrDiag(vr.Address, name, "Missing required attribute", fmt.Sprintf("%q must be set", name)))
				continue
			}
			if a.Validate == nil || v.IsNull() || !v.IsWhollyKnown() {
				continue
			}
			if err := guard(func() error { return a.Validate(govalue.ToGo(v)) }); err != nil {
				diags = append(diags, attrDiag(vr.Address, name, "Invalid attribute value", err.Error()))
			}
		}
	}
	return providers.ValidateResourcesResponse{Diagnostics: diags}
}

func (s *server) PlanResources(ctx context.Context, req providers.PlanResourcesRequest) providers.PlanResourcesResponse {
	return s.PlanDefaults(ctx, req).Built(&s.schema, req)
}

// PlanDefaults is PlanResources with the planned values of resource types
// without CustomizePlan told, not built (providers.DefaultPlanner): through
// the plugin, benito builds them.
func (s *server) PlanDefaults(ctx context.Context, req providers.PlanResourcesRequest) providers.PlanDefaultsResponse {
	resp := providers.PlanDefaultsResponse{Changes: make([]providers.PlannedDefault, len(req.Changes))}
	// One context, ended by Stop, for the whole batch's CustomizePlan calls.
	ctx, release := s.ctx(ctx)
	defer release()
	for i, c := range req.Changes {
		pd, diags := s.plan(ctx, c)
		resp.Changes[i] = pd
		resp.Diagnostics = append(resp.Diagnostics, diags...)
	}
	return resp
}

// plan plans one change; ctx is PlanResources' (s.ctx), ended by Stop.
func (s *server) plan(ctx context.Context, c providers.PlanChange) (providers.PlannedDefault, providers.Diagnostics) {
	r, rs, diags := s.resource(c.Address, c.Type)
	if diags != nil {
		return providers.PlannedDefault{PlannedChange: providers.PlannedChange{Planned: c.Proposed}}, diags
	}
	if c.Proposed.IsNull() {
		// Private data is carried over on every path, as providers.PlanEach
		// does, so that a provider's delete sees what its create stored.
		return providers.PlannedDefault{PlannedChange: providers.PlannedChange{Planned: cty.NullVal(rs.ImpliedType()), PlannedPrivate: c.PriorPrivate}}, nil
	}
	// Defaults fill what the configuration leaves unset.
	var set map[string]cty.Value
	for name, v := range s.defaults[c.Type] {
		if c.Proposed.Type().HasAttribute(name) && !c.Proposed.GetAttr(name).IsNull() {
			continue
		}
		if set == nil {
			set = map[string]cty.Value{}
		}
		set[name] = v
	}
	if r.CustomizePlan == nil {
		replace := providers.ForceNewChanges(rs, c.Prior, c.Proposed, set)
		return providers.PlannedDefault{
			PlannedChange: providers.PlannedChange{PlannedPrivate: c.PriorPrivate, RequiresReplace: replace},
			Default:       true, Set: set, Replacing: len(replace) > 0,
		}, nil
	}
	planned, replace := providers.DefaultPlan(rs, c.Prior, c.Proposed, set)
	pd := &PlanData{ResourceData: *newData(c.Address, c.Type, rs, s.getMeta(), planned), replace: map[string]bool{}}
	if !c.Prior.IsNull() {
		pd.prior = attrMap(rs, c.Prior)
	}
	for _, p := range replace {
		if ga, ok := p[0].(cty.GetAttrStep); ok {
			pd.replace[ga.Name] = true
		}
	}
	err := guard(func() error { return r.CustomizePlan(ctx, pd) })
	if err = errors.Join(err, pd.setErr); err != nil {
		return providers.PlannedDefault{PlannedChange: providers.PlannedChange{Planned: planned, PlannedPrivate: c.PriorPrivate, RequiresReplace: replace}}, errDiags(c.Address, "Planning failed", err)
	}
	if pd.prior == nil {
		pd.replace = nil // a create replaces nothing
	}
	replace = replace[:0]
	for _, name := range slices.Sorted(maps.Keys(pd.replace)) {
		replace = append(replace, cty.GetAttrPath(name))
	}
	planned = cty.ObjectVal(pd.vals)
	diags = append(diags, warnDiags(c.Address, pd.warnings)...)
	if len(replace) == 0 {
		replace = nil
	}
	return providers.PlannedDefault{PlannedChange: providers.PlannedChange{Planned: planned, PlannedPrivate: c.PriorPrivate, RequiresReplace: replace}}, diags
}

func (s *server) ApplyResource(ctx context.Context, req providers.ApplyResourceRequest) providers.ApplyResourceResponse {
	r, rs, diags := s.resource(req.Address, req.Type)
	if diags != nil {
		return providers.ApplyResourceResponse{New: req.Prior, Diagnostics: diags}
	}
	ctx, release := s.ctx(ctx)
	defer release()
	meta := s.getMeta()
	switch {
	case req.Planned.IsNull(): // delete
		d := newData(req.Address, req.Type, rs, meta, req.Prior)
		err := guard(func() error { return r.Delete(ctx, d) })
		if err != nil {
			return providers.ApplyResourceResponse{New: req.Prior, Diagnostics: errDiags(req.Address, "Delete failed", err)}
		}
		return providers.ApplyResourceResponse{New: cty.NullVal(rs.ImpliedType()), Diagnostics: warnDiags(req.Address, d.warnings)}

	case req.Prior.IsNull(): // create
		d := newData(req.Address, req.Type, rs, meta, req.Planned)
		err := errors.Join(guard(func() error { return r.Create(ctx, d) }), d.setErr)
		resp := providers.ApplyResourceResponse{New: d.value(), Private: req.PlannedPrivate, Diagnostics: warnDiags(req.Address, d.warnings)}
		if err != nil {
			if !d.partial {
				resp.New = cty.NullVal(rs.ImpliedType())
			}
			resp.Diagnostics = append(resp.Diagnostics, errDiags(req.Address, "Create failed", err)...)
		}
		return resp

	default: // update
		if r.Update == nil {
			return providers.ApplyResourceResponse{New: req.Prior, Diagnostics: errorf(req.Address, "Update not supported",
				"resource type %s is replaced on every change; the plan should not have asked for an update", req.Type)}
		}
		d := newData(req.Address, req.Type, rs, meta, req.Planned)
		d.prior = attrMap(rs, req.Prior)
		// Computed attributes planned as unknown keep their prior value
		// unless Update sets them.
		for name, v := range d.vals {
			if !v.IsWhollyKnown() {
				d.vals[name] = d.prior[name]
			}
		}
		err := errors.Join(guard(func() error { return r.Update(ctx, d) }), d.setErr)
		resp := providers.ApplyResourceResponse{New: d.value(), Private: req.PlannedPrivate, Diagnostics: warnDiags(req.Address, d.warnings)}
		if err != nil {
			if !d.partial {
				resp.New = req.Prior
			}
			resp.Diagnostics = append(resp.Diagnostics, errDiags(req.Address, "Update failed", err)...)
		}
		return resp
	}
}

func (s *server) ReadResources(ctx context.Context, req providers.ReadResourcesRequest) providers.ReadResourcesResponse {
	resp := providers.ReadResourcesResponse{Resources: make([]providers.ReadResult, len(req.Resources))}
	ctx, release := s.ctx(ctx)
	defer release()
	meta := s.getMeta()
	for i, rr := range req.Resources {
		resp.Resources[i] = providers.ReadResult{New: rr.Current, Private: rr.Private}
		r, rs, diags := s.resource(rr.Address, rr.Type)
		if diags != nil {
			resp.Diagnostics = append(resp.Diagnostics, diags...)
			continue
		}
		if rr.Current.IsNull() {
			continue
		}
		d := newData(rr.Address, rr.Type, rs, meta, rr.Current)
		err := errors.Join(guard(func() error { return r.Read(ctx, d) }), d.setErr)
		resp.Diagnostics = append(resp.Diagnostics, warnDiags(rr.Address, d.warnings)...)
		switch {
		case err != nil:
			resp.Diagnostics = append(resp.Diagnostics, errDiags(rr.Address, "Read failed", err)...)
		case d.gone:
			resp.Resources[i].New = cty.NullVal(rs.ImpliedType())
		default:
			resp.Resources[i].New = d.value()
		}
	}
	return resp
}

func (s *server) ImportResource(ctx context.Context, req providers.ImportResourceRequest) providers.ImportResourceResponse {
	r, rs, diags := s.resource(req.Address, req.Type)
	if diags != nil {
		return providers.ImportResourceResponse{New: cty.NullVal(cty.DynamicPseudoType), Diagnostics: diags}
	}
	null := cty.NullVal(rs.ImpliedType())
	if r.Import == nil {
		return providers.ImportResourceResponse{New: null, Diagnostics: errorf(req.Address, "Import not supported",
			"resource type %s cannot be imported", req.Type)}
	}
	ctx, release := s.ctx(ctx)
	defer release()
	d := newData(req.Address, req.Type, rs, s.getMeta(), null)
	err := guard(func() error {
		if err := r.Import(ctx, req.ID, d); err != nil || d.gone {
			return err
		}
		return r.Read(ctx, d)
	})
	if err = errors.Join(err, d.setErr); err != nil {
		return providers.ImportResourceResponse{New: null, Diagnostics: errDiags(req.Address, "Import failed", err)}
	}
	if d.gone {
		return providers.ImportResourceResponse{New: null, Diagnostics: warnDiags(req.Address, d.warnings)}
	}
	return providers.ImportResourceResponse{New: d.value(), Diagnostics: warnDiags(req.Address, d.warnings)}
}

func (s *server) Exec(ctx context.Context, req providers.ExecRequest) providers.ExecResponse {
	r, rs, diags := s.resource(req.Address, req.Type)
	if diags != nil {
		return providers.ExecResponse{ExitCode: -1, Diagnostics: diags}
	}
	if r.Exec == nil {
		return providers.ExecNotSupported(s.p.Name, req)
	}
	ctx, release := s.ctx(ctx)
	defer release()
	d := newData(req.Address, req.Type, rs, s.getMeta(), req.Value)
	var cmd *exec.Cmd
	err := guard(func() error {
		var err error
		cmd, err = r.Exec(ctx, d, req.Args)
		if err == nil && cmd == nil {
			err = errors.New("the provider's Exec returned no command")
		}
		return err
	})
	if err != nil {
		return providers.ExecResponse{ExitCode: -1, Diagnostics: errDiags(req.Address, "Cannot run the command", err)}
	}
	return providers.ExecCommand(ctx, cmd, req)
}

func (s *server) Sweep(ctx context.Context, req providers.SweepRequest) providers.SweepResponse {
	if s.p.Sweep == nil {
		return providers.SweepResponse{}
	}
	ctx, release := s.ctx(ctx)
	defer release()
	var objs []HostObject
	err := guard(func() (err error) {
		objs, err = s.p.Sweep(ctx, s.getMeta(), req.Remove)
		return err
	})
	if err != nil {
		return providers.SweepResponse{Diagnostics: errDiags("", "Sweep failed", err)}
	}
	providers.SortHostObjects(objs)
	return providers.SweepResponse{Objects: objs}
}

func (s *server) Stop(context.Context) error {
	s.stopFunc()
	return nil
}

func (s *server) Close() error {
	s.stopFunc()
	return nil
}

// guard runs an author's callback, turning a panic into an error with the
// stack, so that one bad resource does not kill the whole provider.
func guard(fn func() error) (err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("the provider panicked: %v\n%s", x, debug.Stack())
		}
	}()
	return fn()
}

// errDiags turns an error into diagnostics for address: one per joined
// error, pointing at the attribute of an AttributeError.
func errDiags(address, summary string, err error) providers.Diagnostics {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var out providers.Diagnostics
	for _, e := range errs {
		if e == nil {
			continue
		}
		d := providers.Diagnostic{Severity: providers.Error, Summary: summary, Detail: e.Error(), Address: address}
		var ae *AttributeError
		if errors.As(e, &ae) {
			d.Attribute = cty.GetAttrPath(ae.Attribute)
			d.Detail = ae.Err.Error()
		}
		out = append(out, d)
	}
	return out
}

func attrDiag(address, attr, summary, detail string) providers.Diagnostic {
	return providers.Diagnostic{Severity: providers.Error, Summary: summary, Detail: detail, Address: address, Attribute: cty.GetAttrPath(attr)}
}

func warnDiags(address string, warnings []string) providers.Diagnostics {
	var out providers.Diagnostics
	for _, w := range warnings {
		out = append(out, providers.Diagnostic{Severity: providers.Warning, Summary: "Provider warning", Detail: w, Address: address})
	}
	return out
}

func errorf(address, summary, format string, args ...any) providers.Diagnostics {
	return providers.Diagnostics{{Severity: providers.Error, Summary: summary, Detail: fmt.Sprintf(format, args...), Address: address}}
}
