package hostnet

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/parallel"
	"github.com/benito-net/benito/providers"
	"github.com/vishvananda/netlink"
	"github.com/zclconf/go-cty/cty"
)

// Name is the provider's name in the resource graph and in state.
const Name = contract.HostNetProvider

// Version is the provider's version.
const Version = "0.1.0"

// Provider serves switches, ports, taps and bridges. The zero value is not
// usable; call New.
type Provider struct {
	schema providers.Schema

	mu     sync.Mutex
	mgmt   map[string]*mgmtSession // by management socket path
	runDir string                  // the experiment's run directory, for device aliases and its mark (sweep.go)
}

var _ providers.Provider = (*Provider)(nil)

// New returns an unconfigured provider.
func New() *Provider {
	return &Provider{schema: buildSchema(), mgmt: map[string]*mgmtSession{}}
}

func buildSchema() providers.Schema {
	return providers.Schema{ResourceTypes: map[string]*providers.ResourceSchema{
		contract.Switch: providers.FromContract(contract.Switch, []string{"name", "kind", "socket", "device"}, map[string]*providers.Attribute{
			"pid":        {Type: cty.Number, Computed: true, RunTime: true, Description: "VDE: the vde_switch process"},
			"management": {Type: cty.String, Computed: true, Description: "VDE: the management socket (vde_switch -M)"},
		}),
		contract.Port: providers.FromContract(contract.Port, []string{"switch", "socket", "number"}, nil),
		contract.Tap: providers.FromContract(contract.Tap, []string{"name", "owner", "group"}, map[string]*providers.Attribute{
			"plug_pid": {Type: cty.Number, Computed: true, RunTime: true, Description: "the vde_plug2tap process joining the TAP to its port"},
		}),
		contract.Bridge: providers.FromContract(contract.Bridge, []string{"device"}, nil),
	}}
}

func (p *Provider) GetSchema(context.Context) providers.GetSchemaResponse {
	return providers.GetSchemaResponse{Info: providers.Info{Name: Name, Version: Version}, Schema: p.schema}
}

func (p *Provider) Configure(_ context.Context, req providers.ConfigureRequest) providers.ConfigureResponse {
	// Every name the provider uses comes planned (the sockets and devices
	// lowering derived); the run directory says which devices are the
	// experiment's (contract.DeviceAlias).
	_, runDir, diags := providers.SiteRoot(req, contract.SiteRunRoot, contract.DefaultRunRoot)
	if diags.HasErrors() {
		return providers.ConfigureResponse{Diagnostics: diags}
	}
	p.mu.Lock()
	p.runDir = runDir
	p.mu.Unlock()
	return providers.ConfigureResponse{}
}

func (p *Provider) ValidateResources(_ context.Context, req providers.ValidateResourcesRequest) providers.ValidateResourcesResponse {
	var diags providers.Diagnostics
	for _, r := range req.Resources {
		diags = append(diags, validate(r.Address, r.Type, r.Config)...)
	}
	return providers.ValidateResourcesResponse{Diagnostics: diags}
}

func (p *Provider) PlanResources(ctx context.Context, req providers.PlanResourcesRequest) providers.PlanResourcesResponse {
	return p.PlanDefaults(ctx, req).Built(&p.schema, req)
}

// PlanDefaults is PlanResources with its planned values told, not built
// (providers.DefaultPlanner).
func (p *Provider) PlanDefaults(_ context.Context, req providers.PlanResourcesRequest) providers.PlanDefaultsResponse {
	resp := p.planEach(req)
	// A device the plan would make, found on the host and another's, is
	// an error now rather than at apply.
	for _, c := range req.Changes {
		if c.Proposed.IsNull() {
			continue
		}
		if d := planJoin(c); d.HasErrors() {
			resp.Diagnostics = append(resp.Diagnostics, d...)
			continue
		}
		if isExisting(c.Proposed) {
			continue // the host's bridge, not the experiment's
		}
		var dev string
		switch c.Type {
		case contract.Switch:
			if str(c.Proposed, "kind") == kindBridge {
				dev = str(c.Proposed, "device")
			}
		case contract.Bridge:
			dev = bridgeDevice(c.Proposed)
		case contract.Tap:
			dev = str(c.Proposed, "name")
		}
		if dev == "" {
			continue
		}
		if l, err := netlink.LinkByName(dev); err == nil {
			if err := p.checkOurs(l, c.Address); err != nil {
				resp.Diagnostics = append(resp.Diagnostics, providers.Errorf(c.Address, "%v", err)...)
			}
		}
	}
	return resp
}

func (p *Provider) planEach(req providers.PlanResourcesRequest) providers.PlanDefaultsResponse {
	return providers.PlanEachDefault(Name, &p.schema, req, func(c providers.PlanChange) map[string]cty.Value {
		set := map[string]cty.Value{}
		switch c.Type {
		case contract.Switch:
			if str(c.Proposed, "kind") == kindVDE && str(c.Proposed, "socket") != "" {
				set["management"] = cty.StringVal(mgmtPath(str(c.Proposed, "socket")))
			} else {
				set["management"] = cty.NullVal(cty.String)
				set["pid"] = cty.NullVal(cty.Number)
			}
		case contract.Tap:
			switch {
			case str(c.Proposed, "socket") == "":
				set["plug_pid"] = cty.NullVal(cty.Number)
			case !c.Prior.IsNull() && (str(c.Prior, "socket") != str(c.Proposed, "socket") || num(c.Prior, "port") != num(c.Proposed, "port")):
				set["plug_pid"] = cty.UnknownVal(cty.Number)
			}
		}
		return set
	})
}

func (p *Provider) ApplyResource(ctx context.Context, req providers.ApplyResourceRequest) providers.ApplyResourceResponse {
	rs := p.schema.ResourceTypes[req.Type]
	if rs == nil {
		return providers.ApplyResourceResponse{New: req.Prior, Diagnostics: providers.Errorf(req.Address, "The hostnet provider does not serve resources of type %q", req.Type)}
	}
	// The prior value and its private data come from the state, the
	// planned value from the plan (perhaps a saved one): input, checked
	// before anything on the host is touched.
	for _, c := range []struct {
		v    cty.Value
		priv []byte
	}{{req.Prior, req.PlannedPrivate}, {req.Planned, nil}} {
		if err := p.checkRecorded(req.Type, c.v, c.priv); err != nil {
			return providers.ApplyResourceResponse{New: req.Prior, Private: req.PlannedPrivate, Diagnostics: providers.RefuseRecorded(req.Address, err)}
		}
	}
	var (
		v    cty.Value
		priv []byte
		err  error
	)
	switch {
	case req.Planned.IsNull():
		err = p.delete(req.Address, req.Type, req.Prior, req.PlannedPrivate)
		if err != nil {
			return providers.ApplyResourceResponse{New: req.Prior, Private: req.PlannedPrivate, Diagnostics: providers.Errorf(req.Address, "Deleting %s: %v", req.Address, err)}
		}
		return providers.ApplyResourceResponse{New: cty.NullVal(rs.ImpliedType())}
	case req.Prior.IsNull():
		v, priv, err = p.create(ctx, req.Address, req.Type, req.Planned)
	default:
		v, priv, err = p.update(ctx, req.Address, req.Type, req.Prior, req.Planned, req.PlannedPrivate)
	}
	if err != nil {
		if v == cty.NilVal {
			v = req.Prior
			priv = req.PlannedPrivate
		}
		return providers.ApplyResourceResponse{New: v, Private: priv, Diagnostics: providers.Errorf(req.Address, "%v", err)}
	}
	return providers.ApplyResourceResponse{New: v, Private: priv}
}

func (p *Provider) create(ctx context.Context, addr, typ string, planned cty.Value) (cty.Value, []byte, error) {
	switch typ {
	case contract.Switch:
		if str(planned, "kind") == kindVDE {
			return p.createVDE(ctx, planned)
		}
		if err := p.ensureJoined(addr, typ, cty.NullVal(planned.Type()), planned); err != nil {
			return cty.NilVal, nil, err
		}
		return planned, nil, nil
	case contract.Port:
		return planned, nil, p.createPort(planned)
	case contract.Tap:
		return p.ensureTap(ctx, addr, cty.NullVal(planned.Type()), nil, planned)
	case contract.Bridge:
		return planned, nil, p.ensureJoined(addr, typ, cty.NullVal(planned.Type()), planned)
	}
	return cty.NilVal, nil, fmt.Errorf("unsupported type %q", typ)
}

func (p *Provider) update(ctx context.Context, addr, typ string, prior, planned cty.Value, priv []byte) (cty.Value, []byte, error) {
	switch typ {
	case contract.Switch:
		if str(planned, "kind") == kindVDE {
			return p.updateVDE(prior, planned, priv)
		}
		return planned, priv, p.ensureJoined(addr, typ, prior, planned)
	case contract.Port:
		return planned, priv, nil // only the node and interface labels change in place
	case contract.Tap:
		return p.ensureTap(ctx, addr, prior, priv, planned)
	case contract.Bridge:
		return planned, priv, p.ensureJoined(addr, typ, prior, planned)
	}
	return cty.NilVal, nil, fmt.Errorf("unsupported type %q", typ)
}

func (p *Provider) delete(addr, typ string, prior cty.Value, priv []byte) error {
	switch typ {
	case contract.Switch:
		if str(prior, "kind") == kindVDE {
			return p.deleteVDE(prior, priv)
		}
		return p.deleteJoined(addr, typ, prior)
	case contract.Port:
		return p.deletePort(prior)
	case contract.Tap:
		return p.deleteTap(addr, prior, priv)
	case contract.Bridge:
		return p.deleteJoined(addr, typ, prior)
	}
	return fmt.Errorf("unsupported type %q", typ)
}

func (p *Provider) ReadResources(_ context.Context, req providers.ReadResourcesRequest) providers.ReadResourcesResponse {
	resp := providers.ReadResourcesResponse{Resources: make([]providers.ReadResult, len(req.Resources))}
	diags := make([]providers.Diagnostics, len(req.Resources))
	// Ports are read one switch at a time: one port/allprint answers for
	// all of a switch's ports, whose socket is checked once, and tells
	// that the switch answers. Nothing is asked of a switch before a
	// resource naming it passed checkRecorded.
	portsOf := map[string][]int{}  // ports, by management socket
	switchOf := map[string][]int{} // VDE switches, by management socket
	var switches []string          // portsOf's keys, in the order first seen
	var others []int               // what is read on its own
	for i, r := range req.Resources {
		rs := p.schema.ResourceTypes[r.Type]
		if rs == nil {
			diags[i] = providers.Errorf(r.Address, "The hostnet provider does not serve resources of type %q", r.Type)
			resp.Resources[i] = providers.ReadResult{New: r.Current, Private: r.Private}
			continue
		}
		if r.Current.IsNull() {
			resp.Resources[i] = providers.ReadResult{New: r.Current, Private: r.Private}
			continue
		}
		switch {
		case r.Type == contract.Port:
			m := mgmtPath(str(r.Current, "socket"))
			if portsOf[m] == nil {
				switches = append(switches, m)
			}
			portsOf[m] = append(portsOf[m], i)
		case r.Type == contract.Switch && !req.ExistenceOnly && str(r.Current, "kind") == kindVDE:
			m := mgmtPath(str(r.Current, "socket"))
			switchOf[m] = append(switchOf[m], i)
		default:
			others = append(others, i)
		}
	}
	for m, idx := range switchOf {
		if portsOf[m] == nil {
			// No ports to read with: it is asked on its own.
			others = append(others, idx...)
			delete(switchOf, m)
		}
	}
	slices.Sort(others)
	sockets := &socketChecks{p: p}
	checked := func(i int) bool {
		r := req.Resources[i]
		if err := p.checkRecordedBy(r.Type, r.Current, r.Private, sockets.check); err != nil {
			diags[i] = providers.RefuseRecorded(r.Address, err)
			resp.Resources[i] = providers.ReadResult{New: r.Current, Private: r.Private}
			return false
		}
		return true
	}
	// The checks and reads wait on switches, /proc and the kernel: side
	// by side, each result in its place, the diagnostics in the request's
	// order. A switch's answer is mostly the wait for its vde_switch to
	// run: many are asked at once.
	parallel.Each(len(others)+len(switches), switchWorkers, func(k int) {
		if k >= len(others) {
			p.readSwitch(req, resp.Resources, diags, switches[k-len(others)], portsOf, switchOf, checked)
			return
		}
		i := others[k]
		if !checked(i) {
			return
		}
		r := req.Resources[i]
		if req.ExistenceOnly {
			// Before a destroy: whatever is left of it on the host counts,
			// so that the destroy removes it (a dead switch's files, a TAP
			// whose plug died).
			if p.remains(r.Type, r.Current, r.Private) {
				resp.Resources[i] = providers.ReadResult{New: r.Current, Private: r.Private}
			} else {
				resp.Resources[i] = providers.ReadResult{New: cty.NullVal(r.Current.Type())}
			}
			return
		}
		v, priv, err := p.read(r.Type, r.Current, r.Private)
		if err != nil {
			diags[i] = providers.Errorf(r.Address, "Reading %s: %v", r.Address, err)
			v, priv = r.Current, r.Private
		}
		resp.Resources[i] = providers.ReadResult{New: v, Private: priv}
	})
	for _, d := range diags {
		resp.Diagnostics = append(resp.Diagnostics, d...)
	}
	return resp
}

// switchWorkers bounds the switches (and other resources) one read asks
// at once.
const switchWorkers = 32

// readSwitch serves the ports and VDE switch of req behind management
// socket m (portsOf[m], switchOf[m]) with one port/allprint, once checked
// says that one of them may be read.
func (p *Provider) readSwitch(req providers.ReadResourcesRequest, out []providers.ReadResult, diags []providers.Diagnostics, m string, portsOf, switchOf map[string][]int, checked func(int) bool) {
	var ports, sws []int
	for _, i := range portsOf[m] {
		if checked(i) {
			ports = append(ports, i)
		}
	}
	for _, i := range switchOf[m] {
		if checked(i) {
			sws = append(sws, i)
		}
	}
	if len(ports)+len(sws) == 0 {
		return
	}
	all, err := p.allPorts(m)
	for _, i := range ports {
		r := req.Resources[i]
		if err != nil || all[int(num(r.Current, "number"))] == nil {
			// No switch answering, or no such port: gone.
			out[i] = providers.ReadResult{New: cty.NullVal(r.Current.Type())}
			continue
		}
		out[i] = providers.ReadResult{New: r.Current, Private: r.Private}
	}
	answered := err == nil
	for _, i := range sws {
		r := req.Resources[i]
		v, priv, rerr := p.readVDEAnswering(r.Current, r.Private, func() bool { return answered })
		if rerr != nil {
			diags[i] = providers.Errorf(r.Address, "Reading %s: %v", r.Address, rerr)
			v, priv = r.Current, r.Private
		}
		out[i] = providers.ReadResult{New: v, Private: priv}
	}
}

// remains reports whether anything of a resource is left on the host: a
// switch's daemon or any of its files, a bridge, a TAP device or its plug.
func (p *Provider) remains(typ string, cur cty.Value, priv []byte) bool {
	switch typ {
	case contract.Switch:
		if str(cur, "kind") == kindVDE {
			socket := str(cur, "socket")
			if proc, ok := switchProcess(socket, priv); ok && proc.Alive() {
				return true
			}
			for _, f := range []string{socket, mgmtPath(socket), pidPath(socket), logPath(socket)} {
				if _, err := os.Lstat(f); err == nil {
					return true
				}
			}
			return false
		}
		return p.joinedRemains(typ, cur)
	case contract.Bridge:
		return p.joinedRemains(typ, cur)
	case contract.Tap:
		if plug, ok := decodePrivate(priv); ok && plug.Alive() {
			return true
		}
		l, err := netlink.LinkByName(str(cur, "name"))
		return (err == nil && l.Type() == "tuntap" && p.ours(l)) || (err != nil && !isNotFound(err))
	}
	return true
}

func (p *Provider) read(typ string, cur cty.Value, priv []byte) (cty.Value, []byte, error) {
	switch typ {
	case contract.Switch:
		if str(cur, "kind") == kindVDE {
			return p.readVDE(cur, priv)
		}
		v, err := p.readJoined(typ, cur)
		return v, priv, err
	case contract.Tap:
		return p.readTap(cur, priv)
	case contract.Bridge:
		v, err := p.readJoined(typ, cur)
		return v, priv, err
	}
	return cur, priv, fmt.Errorf("unsupported type %q", typ)
}

// ImportResource adopts an existing bridge (switch of kind bridge, or
// bridge) or TAP by its device name, or a running VDE switch by its control
// directory.
func (p *Provider) ImportResource(_ context.Context, req providers.ImportResourceRequest) providers.ImportResourceResponse {
	rs := p.schema.ResourceTypes[req.Type]
	if rs == nil || req.Type == contract.Port {
		return providers.ImportResourceResponse{Diagnostics: providers.Errorf(req.Address, "Resources of type %q cannot be imported", req.Type)}
	}
	v, priv, err := p.importResource(rs, req.Type, req.Address, req.ID)
	if err != nil {
		return providers.ImportResourceResponse{Diagnostics: providers.Errorf(req.Address, "Importing %q: %v", req.ID, err)}
	}
	return providers.ImportResourceResponse{New: v, Private: priv}
}

// Exec is not served: no resource type of this provider declares it.
func (p *Provider) Exec(_ context.Context, req providers.ExecRequest) providers.ExecResponse {
	return providers.ExecNotSupported(Name, req)
}

func (p *Provider) Stop(context.Context) error { return nil }

// Close closes the management sessions; the switches and plugs go on.
func (p *Provider) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, s := range p.mgmt {
		s.close()
		delete(p.mgmt, k)
	}
	return nil
}

// procPrivate is the private data of a resource that owns a process: the
// vde_switch of a switch, the vde_plug2tap of a tap.
type procPrivate struct {
	Pid   int    `json:"pid"`
	Start uint64 `json:"start"`
}

func encodePrivate(proc daemon.Process) []byte {
	b, _ := json.Marshal(procPrivate{Pid: proc.Pid, Start: proc.StartTime})
	return b
}

func decodePrivate(b []byte) (daemon.Process, bool) {
	var pp procPrivate
	if len(b) == 0 || json.Unmarshal(b, &pp) != nil || pp.Pid <= 0 {
		return daemon.Process{}, false
	}
	return daemon.Process{Pid: pp.Pid, StartTime: pp.Start}, true
}

func bridgeDevice(v cty.Value) string {
	if d := str(v, "device"); d != "" {
		return d
	}
	return str(v, "name")
}

// Short names for the attribute helpers this provider uses everywhere.
var (
	str      = providers.AttrString
	num      = providers.AttrInt
	setAttrs = providers.WithAttrs
)
