package qemu

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// Name is the provider's name: the node type it serves.
const Name = contract.NodeQEMU

// Version is the provider's version.
const Version = "0.1.0"

// Provider serves QEMU nodes. The zero value is not usable; call New.
type Provider struct {
	schema providers.Schema

	mu        sync.Mutex
	runDir    string // the experiment's run directory
	configDir string // the experiment's config directory
	site      defaults

	// agents serializes the calls on each machine's agent channel, which
	// QEMU serves to one client at a time, by node name.
	agents sync.Map // string -> *sync.Mutex
}

var _ providers.Provider = (*Provider)(nil)

// New returns an unconfigured provider.
func New() *Provider { return &Provider{schema: buildSchema()} }

// forceNew lists the attributes that cannot change on a running machine.
// A change of interfaces that replugs one (PlanResources) or of the boot
// settings the site supplies replaces the machine too.
var forceNew = map[string][]string{
	contract.VNode: {"name", "type", "os", "image", "partition", "memory", "cpus", "config_dir", "run_dir", "hosts_file",
		"accel", "machine", "kernel", "initrd", "kernel_args", "guest_config", "forwards", "mounts"},
	contract.Route:   {"node", "destination"},
	contract.Mount:   {"node", "node_type", "source", "target", "read_only"},
	contract.Startup: {"node", "command", "log"},
}

var computed = map[string]map[string]*providers.Attribute{
	contract.VNode: {
		"directory":   {Type: cty.String, Computed: true, Description: "the machine's directory: its QMP, agent and console sockets, disk overlay, config shares and wires"},
		"qmp":         {Type: cty.String, Computed: true, Description: "the machine's QMP socket (QEMU's control socket)"},
		"agent":       {Type: cty.String, Computed: true, Description: "the host end of the guest agent's channel, through which benito runs commands in the guest"},
		"console":     {Type: cty.String, Computed: true, Description: "the serial console's socket: benito console NODE attaches to it"},
		"console_log": {Type: cty.String, Computed: true, Description: "everything the serial console printed"},
		"log":         {Type: cty.String, Computed: true, Description: "what QEMU itself printed"},
		"overlay":     {Type: cty.String, Computed: true, Description: "the qcow2 overlay the machine writes, over its image (which is never written); null without an image"},
		"boot":        {Type: bootType, Computed: true, Description: "what the machine boots with: the node's settings, the site's where it sets none; a change replaces the machine"},
		"accelerator": {Type: cty.String, Computed: true, Description: `what the machine runs on: "kvm" or "tcg" (accel "auto" decides at apply, by a probe cached per host)`},
		"pid":         {Type: cty.Number, Computed: true, RunTime: true, Description: "pid of the QEMU process"},
		"start_time":  {Type: cty.Number, Computed: true, RunTime: true, Description: "its start time (clock ticks since boot), which tells it from a later process with its pid"},
	},
	contract.Startup: {
		"pid":    {Type: cty.Number, Computed: true, RunTime: true, Description: "pid, in the guest, of the shell running the startup command"},
		"status": {Type: cty.String, Computed: true, RunTime: true, Description: `"running", "exited with code N"; anything but running or code 0 is replaced (run again) by the next apply`},
	},
}

func buildSchema() providers.Schema {
	s := providers.Schema{ResourceTypes: map[string]*providers.ResourceSchema{}}
	for _, typ := range []string{contract.VNode, contract.Route, contract.Mount, contract.Startup} {
		s.ResourceTypes[typ] = providers.FromContract(typ, forceNew[typ], computed[typ])
	}
	s.ResourceTypes[contract.VNode].Description = "a QEMU virtual machine on the experiment's switches, configured at boot, reached through its guest agent"
	s.ResourceTypes[contract.VNode].Exec = true // benito exec: the guest agent's guest-exec
	s.ResourceTypes[contract.Route].Description = "a route in a QEMU node, set through its guest agent"
	s.ResourceTypes[contract.Mount].Description = "a host directory a QEMU node mounts over virtio-9p"
	s.ResourceTypes[contract.Startup].Description = "a QEMU node's startup command, run in the guest through its agent once its network is up"
	return s
}

func (p *Provider) GetSchema(context.Context) providers.GetSchemaResponse {
	return providers.GetSchemaResponse{Info: providers.Info{Name: Name, Version: Version}, Schema: p.schema}
}

func (p *Provider) Configure(_ context.Context, req providers.ConfigureRequest) providers.ConfigureResponse {
	runDir, configDir, diags := providers.ExperimentDirs(req)
	if diags.HasErrors() {
		return providers.ConfigureResponse{Diagnostics: diags}
	}
	d, err := siteDefaults(req.Site, testGuestBuilt)
	if err != nil {
		return providers.ConfigureResponse{Diagnostics: providers.Errorf("", "%v", err)}
	}
	p.mu.Lock()
	p.runDir, p.configDir, p.site = runDir, configDir, d
	p.mu.Unlock()
	return providers.ConfigureResponse{}
}

// testGuestBuilt reports whether scripts/guest-image has built the test
// guest in its default cache.
func testGuestBuilt() bool {
	_, err := os.Stat(filepath.Join(defaultGuest, "vmlinuz"))
	return err == nil
}

func (p *Provider) config() (runDir, configDir string, d defaults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runDir, p.configDir, p.site
}

// agentLock returns the lock of node's agent channel.
func (p *Provider) agentLock(node string) *sync.Mutex {
	m, _ := p.agents.LoadOrStore(node, new(sync.Mutex))
	return m.(*sync.Mutex)
}

func (p *Provider) ValidateResources(_ context.Context, req providers.ValidateResourcesRequest) providers.ValidateResourcesResponse {
	var diags providers.Diagnostics
	_, _, d := p.config()
	for _, r := range req.Resources {
		if !r.Config.IsWhollyKnown() {
			continue
		}
		bad := func(attr cty.Path, summary, detail string, args ...any) {
			diags = append(diags, providers.Diagnostic{Address: r.Address, Attribute: attr, Summary: summary, Detail: fmt.Sprintf(detail, args...)})
		}
		switch r.Type {
		case contract.VNode:
			if t := str(r.Config, "type"); t != Name {
				bad(cty.GetAttrPath("type"), "Wrong node type", "The qemu provider serves nodes of type %q, not %q.", Name, t)
			}
			diags = append(diags, providers.RefuseOpenVZ(r.Address, r.Config, Name)...)
			if str(r.Config, "run_dir") == "" || str(r.Config, "config_dir") == "" {
				bad(nil, "Incomplete QEMU node", "A QEMU node needs a run_dir and a config_dir.")
			}
			m, err := decodeVM(r.Config, d)
			if err != nil {
				bad(nil, "Invalid QEMU node", "Node %q: %v.", str(r.Config, "name"), err)
				break
			}
			for i, f := range m.Ifaces {
				if err := contract.CheckInterfaceName(f.Name); err != nil {
					bad(cty.GetAttrPath("interfaces").IndexInt(i).GetAttr("name"), "Invalid interface name", "Node %q: %v.", m.Name, err)
				}
			}
			// Read from the host, changing nothing: what the machine
			// boots must be there.
			for _, f := range []struct{ what, path string }{{"image", m.Boot.Image}, {"kernel", m.Boot.Kernel}, {"initrd", m.Boot.Initrd}} {
				if f.path == "" {
					continue
				}
				if fi, err := os.Stat(f.path); err != nil || !fi.Mode().IsRegular() {
					hint := ""
					if filepath.Dir(filepath.Dir(f.path)) == filepath.Dir(defaultGuest) {
						hint = " (scripts/guest-image builds the test guest there)"
					}
					bad(nil, "QEMU node cannot boot", "Node %q: its %s %s is not a file on this host%s.", m.Name, f.what, f.path, hint)
				}
			}
		case contract.Route:
			if _, err := decodeRoute(r.Config); err != nil {
				bad(nil, "Invalid route", "%v.", err)
			}
		case contract.Mount:
			s := share{Source: str(r.Config, "source"), Target: str(r.Config, "target"), ReadOnly: boolean(r.Config, "read_only")}
			if err := checkShare(s); err != nil {
				bad(nil, "Mount not possible", "Node %q: %v.", str(r.Config, "node"), err)
				break
			}
			if fi, err := os.Stat(s.Source); err == nil && !fi.IsDir() && !p.madeByApply(s.Source) {
				bad(cty.GetAttrPath("source"), "Mount not possible", "Node %q: %s is not a directory: a VM mounts directories of the host over 9P, not files.", str(r.Config, "node"), s.Source)
			} else if err != nil && !p.madeByApply(s.Source) {
				bad(cty.GetAttrPath("source"), "Mount not possible", "Node %q: the source %s is not on this host: %v.", str(r.Config, "node"), s.Source, err)
			}
		case contract.Startup:
			if str(r.Config, "node") == "" || str(r.Config, "command") == "" {
				bad(nil, "Invalid startup", "A startup needs a node and a command.")
			}
		}
	}
	return providers.ValidateResourcesResponse{Diagnostics: diags}
}

// madeByApply reports whether path is in the experiment's config or run
// directory, which the apply makes.
func (p *Provider) madeByApply(path string) bool {
	runDir, configDir, _ := p.config()
	for _, d := range []string{configDir, runDir} {
		if d != "" && (path == d || len(path) > len(d) && path[:len(d)+1] == d+"/") {
			return true
		}
	}
	return false
}

func (p *Provider) PlanResources(_ context.Context, req providers.PlanResourcesRequest) providers.PlanResourcesResponse {
	_, _, d := p.config()
	resp := providers.PlanEach(Name, &p.schema, req, func(c providers.PlanChange) map[string]cty.Value {
		if c.Type != contract.VNode {
			return nil
		}
		rd, name := str(c.Proposed, "run_dir"), str(c.Proposed, "name")
		if rd == "" || name == "" {
			return nil
		}
		m, err := decodeVM(c.Proposed, d)
		if err != nil {
			return nil
		}
		set := files(rd, name, m.Boot.Image != "")
		set["boot"] = m.Boot.value()
		if m.Boot.Accel != "auto" {
			set["accelerator"] = cty.StringVal(m.Boot.Accel)
		}
		return set
	})
	for i, c := range req.Changes {
		if c.Proposed.IsNull() || c.Prior.IsNull() {
			continue
		}
		switch c.Type {
		case contract.VNode:
			// A machine's devices are fixed when it starts: a replugged,
			// added or removed interface, or other boot settings, take a
			// new machine. Addresses and shaping change in place.
			pc := &resp.Changes[i]
			var why []cty.Path
			if replugged(c.Prior, c.Proposed) {
				why = append(why, cty.GetAttrPath("interfaces"))
			}
			// The boot settings follow the node's (already a reason when
			// changed) or the site's: the site's alone is shown as boot.
			if len(pc.RequiresReplace) == 0 && !providers.ValuesEqual(c.Prior.GetAttr("boot"), pc.Planned.GetAttr("boot")) {
				why = append(why, cty.GetAttrPath("boot"))
			}
			if len(why) == 0 {
				continue
			}
			for _, w := range why {
				if !slices.ContainsFunc(pc.RequiresReplace, w.Equals) {
					pc.RequiresReplace = append(pc.RequiresReplace, w)
				}
			}
			// Unknown until the new machine runs.
			pc.Planned = providers.WithAttrs(pc.Planned, map[string]cty.Value{
				"pid": cty.UnknownVal(cty.Number), "start_time": cty.UnknownVal(cty.Number),
			})
		case contract.Startup:
			if startupFailed(str(c.Prior, "status")) {
				pc := &resp.Changes[i]
				pc.RequiresReplace = append(pc.RequiresReplace, cty.GetAttrPath("status"))
				pc.Planned = providers.WithAttrs(pc.Planned, map[string]cty.Value{
					"pid": cty.UnknownVal(cty.Number), "status": cty.UnknownVal(cty.String),
				})
			}
		}
	}
	return resp
}

// replugged reports whether proposed attaches interfaces otherwise than
// prior: one added, removed, or plugged elsewhere.
func replugged(prior, proposed cty.Value) bool {
	plugs := func(v cty.Value) map[string]string {
		out := map[string]string{}
		ifs := v.GetAttr("interfaces")
		if ifs.IsNull() || !ifs.IsKnown() {
			return out
		}
		for it := ifs.ElementIterator(); it.Next(); {
			_, iv := it.Element()
			if !iv.IsWhollyKnown() {
				out[str(iv, "name")] = "unknown"
				continue
			}
			f, err := decodeNIC(iv)
			if err != nil {
				out[str(iv, "name")] = "invalid"
				continue
			}
			out[f.Name] = plumbing(f)
		}
		return out
	}
	a, b := plugs(prior), plugs(proposed)
	if len(a) != len(b) {
		return true
	}
	for k, v := range a {
		if b[k] != v || v == "unknown" {
			return true
		}
	}
	return false
}

func (p *Provider) ApplyResource(ctx context.Context, req providers.ApplyResourceRequest) providers.ApplyResourceResponse {
	rs, refused, ok := providers.CheckApply(&p.schema, req, p.checkRecorded)
	if !ok {
		return refused
	}
	var (
		v   cty.Value
		err error
	)
	switch req.Type {
	case contract.VNode:
		v, err = p.applyVM(ctx, req.Prior, req.Planned)
	case contract.Route:
		v, err = p.applyRoute(ctx, req.Prior, req.Planned)
	case contract.Mount:
		v, err = p.applyMount(ctx, req.Prior, req.Planned)
	case contract.Startup:
		v, err = p.applyStartup(ctx, req.Prior, req.Planned)
	}
	if v == cty.NilVal {
		v = cty.NullVal(rs.ImpliedType())
	}
	if err != nil {
		return providers.ApplyResourceResponse{New: v, Diagnostics: providers.Errorf(req.Address, "%v", err)}
	}
	return providers.ApplyResourceResponse{New: v}
}

func (p *Provider) ReadResources(ctx context.Context, req providers.ReadResourcesRequest) providers.ReadResourcesResponse {
	return providers.ReadEach(Name, &p.schema, req, p.checkRecorded, func(r providers.ReadResource) (cty.Value, error) {
		switch r.Type {
		case contract.VNode:
			if req.ExistenceOnly {
				if p.vmRemains(r.Current) {
					return r.Current, nil
				}
				return cty.NilVal, nil
			}
			return p.readVM(ctx, r.Current)
		case contract.Route:
			return p.readRoute(ctx, r.Current)
		case contract.Mount:
			return p.readMount(ctx, r.Current)
		default: // contract.Startup
			return p.readStartup(ctx, r.Current)
		}
	})
}

// ImportResource is not supported: a QEMU node is benito's own making.
func (p *Provider) ImportResource(_ context.Context, req providers.ImportResourceRequest) providers.ImportResourceResponse {
	return providers.ImportResourceResponse{Diagnostics: providers.Errorf(req.Address, "Resources of type %q cannot be imported", req.Type)}
}

func (p *Provider) Stop(context.Context) error { return nil }
func (p *Provider) Close() error               { return nil }
