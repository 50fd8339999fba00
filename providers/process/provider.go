package process

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// Name is the provider's name: the node type it serves.
const Name = contract.NodeProcess

// Version is the provider's version.
const Version = "0.1.0"

// Provider serves process nodes. The zero value is not usable; call New.
type Provider struct {
	schema providers.Schema
	typ    string    // the node type served: Name, or a Container's
	ct     Container // nil for process nodes

	mu         sync.Mutex
	experiment string
	runDir     string // the experiment's run directory
	configDir  string // the experiment's config directory
}

var _ providers.Provider = (*Provider)(nil)

// New returns an unconfigured provider.
func New() *Provider {
	return &Provider{schema: buildSchema(), typ: Name}
}

// lay is where the provider's nodes keep their things.
func (p *Provider) lay() layout {
	_, runDir := p.config()
	return layout{runDir, p.typ}
}

// forceNew lists the attributes that cannot change on a running node.
var forceNew = map[string][]string{
	contract.VNode:   {"name", "type", "os", "image", "partition", "memory", "cpus", "config_dir", "run_dir", "hosts_file"},
	contract.Route:   {"node", "destination"},
	contract.Mount:   {"node", "node_type", "source", "target"},
	contract.Startup: {"node", "command", "log"},
}

// qemuOnly lists the vnode attributes that configure a QEMU machine: a
// process node refuses them at plan rather than ignore what it was asked.
// Its "mounts" are fine: its mount resources do the work.
var qemuOnly = []string{"accel", "machine", "kernel", "initrd", "kernel_args", "guest_config", "forwards"}

// computed lists the attributes the provider adds, per type.
var computed = map[string]map[string]*providers.Attribute{
	contract.VNode: {
		"namespaces":       {Type: nsObject(cty.String), Computed: true, Description: "the files pinning the node's network, UTS and mount namespaces (bind mounts; nsenter --net=FILE enters one)"},
		"namespace_inodes": {Type: nsObject(cty.Number), Computed: true, RunTime: true, Description: "the inode numbers of the node's namespaces: a pin holding another is not the node's"},
		"log":              {Type: cty.String, Computed: true, Description: "log of the node's plugs"},
	},
	contract.Startup: {
		"pid":         {Type: cty.Number, Computed: true, RunTime: true, Description: "pid of the shell running the startup command"},
		"start_time":  {Type: cty.Number, Computed: true, RunTime: true, Description: "start time of that shell (clock ticks since boot), which tells it from a later process with its pid"},
		"netns_inode": {Type: cty.Number, Computed: true, RunTime: true, Description: "inode of the node's network namespace the command was started in: a node made anew runs its startup again"},
		"status":      {Type: cty.String, Computed: true, RunTime: true, Description: `"running", "exited with code N", or "ended without an exit status"; anything but running or code 0 is replaced (run again) by the next apply`},
	},
}

// nsObject is the type of an attribute with one value per namespace of a
// node.
func nsObject(ty cty.Type) cty.Type {
	attrs := map[string]cty.Type{}
	for _, k := range nsKinds {
		attrs[k.name] = ty
	}
	return cty.Object(attrs)
}

func buildSchema() providers.Schema { return buildSchemaFor(nil) }

// buildSchemaFor is the schema of process nodes (ct nil) or of ct's.
func buildSchemaFor(ct Container) providers.Schema {
	s := providers.Schema{ResourceTypes: map[string]*providers.ResourceSchema{}}
	kind := "process"
	for _, typ := range []string{contract.VNode, contract.Route, contract.Mount, contract.Startup} {
		fn, comp := forceNew[typ], computed[typ]
		if ct != nil && typ == contract.VNode {
			// A container's memory and cpus change in place (its cgroup):
			// the engine's force-new attributes without them, and the
			// container's own.
			kind = ct.Kind()
			fn = slices.DeleteFunc(slices.Clone(fn), func(a string) bool { return a == "memory" || a == "cpus" })
			fn = append(fn, ct.ForceNew()...)
			comp = maps.Clone(comp)
			maps.Copy(comp, ct.Computed())
		}
		s.ResourceTypes[typ] = providers.FromContract(typ, fn, comp)
	}
	s.ResourceTypes[contract.VNode].Description = "a process node: network, UTS and mount namespaces of its own, pinned under the run directory"
	if ct != nil {
		s.ResourceTypes[contract.VNode].Description = "an " + kind + " node: an OS container, its init in namespaces of its own (pinned under the run directory) on a root file system of its own"
	}
	s.ResourceTypes[contract.VNode].Exec = true // benito exec: Exec in exec.go
	s.ResourceTypes[contract.Route].Description = "a route in " + article(kind) + " " + kind + " node's network stack"
	s.ResourceTypes[contract.Mount].Description = "a bind mount inside " + article(kind) + " " + kind + " node's mount namespace"
	s.ResourceTypes[contract.Startup].Description = article(kind) + " " + kind + " node's startup command, run inside the node once its network is up"
	return s
}

// article is the indefinite article of a word.
func article(word string) string {
	if word != "" && strings.ContainsRune("AEIOUaeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

func (p *Provider) GetSchema(context.Context) providers.GetSchemaResponse {
	return providers.GetSchemaResponse{Info: providers.Info{Name: p.typ, Version: Version}, Schema: p.schema}
}

func (p *Provider) Configure(_ context.Context, req providers.ConfigureRequest) providers.ConfigureResponse {
	runDir, configDir, diags := providers.ExperimentDirs(req)
	if diags.HasErrors() {
		return providers.ConfigureResponse{Diagnostics: diags}
	}
	if p.ct != nil {
		if err := p.ct.Configure(req.Site); err != nil {
			return providers.ConfigureResponse{Diagnostics: providers.Errorf("", "%v", err)}
		}
	}
	p.mu.Lock()
	p.experiment, p.runDir, p.configDir = req.Experiment, runDir, configDir
	p.mu.Unlock()
	return providers.ConfigureResponse{}
}

func (p *Provider) config() (experiment, runDir string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.experiment, p.runDir
}

// madeByApply reports whether path is in the experiment's config or run
// directory, which the apply makes and fills: a mount from there is
// checked at apply, not at plan.
func (p *Provider) madeByApply(path string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, d := range []string{p.configDir, p.runDir} {
		if d != "" && (path == d || strings.HasPrefix(path, d+"/")) {
			return true
		}
	}
	return false
}

func (p *Provider) ValidateResources(_ context.Context, req providers.ValidateResourcesRequest) providers.ValidateResourcesResponse {
	var diags providers.Diagnostics
	mounts := newMountSet(req.Resources)
	for _, r := range req.Resources {
		if !r.Config.IsWhollyKnown() {
			continue
		}
		bad := func(attr cty.Path, summary, detail string, args ...any) {
			diags = append(diags, providers.Diagnostic{Address: r.Address, Attribute: attr, Summary: summary, Detail: fmt.Sprintf(detail, args...)})
		}
		switch r.Type {
		case contract.VNode:
			if t := str(r.Config, "type"); t != p.typ {
				bad(cty.GetAttrPath("type"), "Wrong node type", "The %s provider serves nodes of type %q, not %q.", p.typ, p.typ, t)
			}
			for _, a := range qemuOnly {
				if v := r.Config.GetAttr(a); !v.IsNull() && (!v.Type().IsListType() || v.LengthInt() > 0) {
					what := a
					if a == "forwards" {
						what = "its forward blocks"
					}
					bad(cty.GetAttrPath(a), fmt.Sprintf("Not for %s %s node", article(p.kind()), p.kind()),
						"%s configures a QEMU machine, and node %q is of type %q. Remove %s, or set type = %q.",
						a, str(r.Config, "name"), p.typ, what, contract.NodeQEMU)
				}
			}
			if p.ct == nil {
				diags = append(diags, providers.RefuseOpenVZ(r.Address, r.Config, Name)...)
			} else {
				for _, d := range p.ct.Validate(r.Config) {
					d.Address = r.Address
					diags = append(diags, d)
				}
			}
			if str(r.Config, "name") == "" || str(r.Config, "run_dir") == "" {
				bad(nil, "Incomplete node", "A%s %s node needs a name and a run_dir.", strings.TrimPrefix(article(p.kind()), "a"), p.kind())
			}
			if f := str(r.Config, "hosts_file"); f != "" && !filepath.IsAbs(f) {
				bad(cty.GetAttrPath("hosts_file"), "Invalid hosts file", "The hosts file bound over a node's /etc/hosts must be an absolute path, not %q.", f)
			}
			n, err := decodeNode(r.Config)
			if err != nil {
				bad(cty.GetAttrPath("interfaces"), "Invalid interface", "%v.", err)
				break
			}
			for i, f := range n.Ifaces {
				if err := contract.CheckInterfaceName(f.Name); err != nil {
					bad(cty.GetAttrPath("interfaces").IndexInt(i).GetAttr("name"), "Invalid interface name", "Node %q: %v.", n.Name, err)
				}
				if msg := shapingProblem(f); msg != "" {
					bad(cty.GetAttrPath("interfaces").IndexInt(i), "Link shaping not possible here", "Node %q, interface %q: %s.", n.Name, f.Name, msg)
				}
			}
		case contract.Route:
			if _, err := decodeRoute(r.Config); err != nil {
				bad(nil, "Invalid route", "%v.", err)
			}
		case contract.Mount:
			abs := true
			for _, a := range []string{"source", "target"} {
				if v := str(r.Config, a); !filepath.IsAbs(v) {
					bad(cty.GetAttrPath(a), "Invalid mount", "The %s of a bind mount must be an absolute path, not %q.", a, v)
					abs = false
				}
			}
			if !abs {
				break
			}
			// Read from the host, changing nothing: a mount that cannot be
			// made fails the plan, not the apply.
			node, source, target := str(r.Config, "node"), filepath.Clean(str(r.Config, "source")), filepath.Clean(str(r.Config, "target"))
			if target == "/" {
				bad(cty.GetAttrPath("target"), "Mount not possible", "Node %q cannot mount %s over its root directory (target \"/\"): mount it somewhere below, such as /mnt.", node, source)
				break
			}
			if p.ct != nil {
				// The target is in the container's own root file system,
				// made at apply when missing: only the source is the host's.
				if !p.madeByApply(source) {
					if msg := sourceProblem(node, source, target); msg != "" {
						bad(nil, "Mount not possible", "%s", msg)
					}
				}
				break
			}
			checkTarget := mounts.onHost(node, target)
			if p.madeByApply(source) || p.madeByApply(checkTarget) {
				break
			}
			if msg := mountProblem(node, source, target, source, checkTarget); msg != "" {
				bad(nil, "Mount not possible", "%s", msg)
			}
		case contract.Startup:
			if str(r.Config, "node") == "" || str(r.Config, "command") == "" || !filepath.IsAbs(str(r.Config, "log")) {
				bad(nil, "Invalid startup", "A startup needs a node, a command and an absolute log path.")
			}
		}
	}
	return providers.ValidateResourcesResponse{Diagnostics: diags}
}

func (p *Provider) PlanResources(ctx context.Context, req providers.PlanResourcesRequest) providers.PlanResourcesResponse {
	return p.PlanDefaults(ctx, req).Built(&p.schema, req)
}

// PlanDefaults is PlanResources with its planned values told, not built,
// where they are DefaultPlan's (providers.DefaultPlanner).
func (p *Provider) PlanDefaults(_ context.Context, req providers.PlanResourcesRequest) providers.PlanDefaultsResponse {
	resp := providers.PlanEachDefault(p.typ, &p.schema, req, func(c providers.PlanChange) map[string]cty.Value {
		if c.Type == contract.VNode {
			// The log and the pins follow from the configuration.
			if rd, name := str(c.Proposed, "run_dir"), str(c.Proposed, "name"); rd != "" && name != "" {
				l := layout{rd, p.typ}
				set := map[string]cty.Value{"log": cty.StringVal(l.nodeLog(name)), "namespaces": filesValue(l, name)}
				if p.ct != nil {
					maps.Copy(set, p.ct.Plan(c.Proposed))
				}
				return set
			}
		}
		return nil
	})
	var made []int // nodes whose veths' host ends the plan would make
	for i, c := range req.Changes {
		if c.Type == contract.Startup && !c.Proposed.IsNull() {
			resp.Changes[i] = planStartup(p.schema.ResourceTypes[c.Type], c)
		}
		if c.Type == contract.VNode && p.ct != nil && !c.Prior.IsNull() && !c.Proposed.IsNull() {
			pc := &resp.Changes[i]
			pc.Build(p.schema.ResourceTypes[c.Type], c) // the container compares it with the prior value
			for _, w := range p.ct.Replace(c.Prior, pc.Planned) {
				if !slices.ContainsFunc(pc.RequiresReplace, w.Equals) {
					pc.RequiresReplace = append(pc.RequiresReplace, w)
				}
			}
			if len(pc.RequiresReplace) > 0 {
				pc.Planned = setAttrs(pc.Planned, p.ct.Fresh())
			}
		}
		if c.Type == contract.VNode && !c.Proposed.IsNull() && len(newHostEnds(c.Prior, c.Proposed)) > 0 {
			made = append(made, i)
		}
	}
	// Such a host end found on the host and another's is an error now
	// rather than at apply. One listing of the host's links serves many.
	var host hostLinks
	if len(made) >= 4 {
		host = snapshotHostLinks()
	}
	for _, i := range made {
		c := req.Changes[i]
		fresh := newHostEnds(c.Prior, c.Proposed)
		for _, dev := range slices.Sorted(maps.Keys(fresh)) {
			f := iface{Interface: providers.Interface{Name: fresh[dev], HostDevice: dev}, runDir: str(c.Proposed, "run_dir"), node: str(c.Proposed, "name")}
			if l, err := host.byName(dev); err == nil && !f.ownsHostEnd(l) {
				resp.Diagnostics = append(resp.Diagnostics, providers.Errorf(c.Address, "%v", f.foreignHostEnd(l))...)
			}
		}
	}
	return resp
}

// mountSet is the mounts of a validation request, by node: a mount whose
// target lies inside another mount of its node is checked in that
// mount's source.
type mountSet map[string][]mountPaths

type mountPaths struct{ source, target string }

func newMountSet(rs []providers.ValidateResource) mountSet {
	m := mountSet{}
	for _, r := range rs {
		if r.Type == contract.Mount && r.Config.IsWhollyKnown() {
			node := str(r.Config, "node")
			m[node] = append(m[node], mountPaths{filepath.Clean(str(r.Config, "source")), filepath.Clean(str(r.Config, "target"))})
		}
	}
	return m
}

// onHost returns where target, in node, is on the host: inside the
// deepest other mount of the node that holds it, or target itself.
func (m mountSet) onHost(node, target string) string {
	best := mountPaths{}
	for _, mp := range m[node] {
		if strings.HasPrefix(target, mp.target+"/") && len(mp.target) > len(best.target) {
			best = mp
		}
	}
	if best.target == "" {
		return target
	}
	return filepath.Join(best.source, strings.TrimPrefix(target, best.target+"/"))
}

func (p *Provider) ApplyResource(ctx context.Context, req providers.ApplyResourceRequest) providers.ApplyResourceResponse {
	rs, refused, ok := providers.CheckApply(&p.schema, req, p.checkRecorded)
	if !ok {
		return refused
	}
	var (
		v    cty.Value
		priv []byte
		err  error
	)
	switch req.Type {
	case contract.VNode:
		v, err = p.applyNode(req.Prior, req.Planned)
	case contract.Route:
		v, err = p.applyRoute(req.Prior, req.Planned)
	case contract.Mount:
		v, priv, err = p.applyMount(req.Prior, req.Planned, req.PlannedPrivate)
	case contract.Startup:
		v, err = p.applyStartup(req.Prior, req.Planned)
	}
	if v == cty.NilVal {
		v = cty.NullVal(rs.ImpliedType())
	}
	if err != nil {
		return providers.ApplyResourceResponse{New: v, Private: priv, Diagnostics: providers.Errorf(req.Address, "%v", err)}
	}
	return providers.ApplyResourceResponse{New: v, Private: priv}
}

func (p *Provider) ReadResources(_ context.Context, req providers.ReadResourcesRequest) providers.ReadResourcesResponse {
	// Nodes on bridges check their veths' host ends: one listing of the
	// host's links serves a batch of them.
	var host hostLinks
	nodes := 0
	for _, r := range req.Resources {
		if r.Type == contract.VNode && !r.Current.IsNull() {
			nodes++
		}
	}
	if nodes >= 4 && !req.ExistenceOnly {
		host = snapshotHostLinks()
	}
	// The resources of a node look at it once (nodeReads). Reads wait on
	// the kernel more than they compute: ReadEach runs them side by side.
	reads := newNodeReads(p)
	defer reads.close()
	return providers.ReadEach(p.typ, &p.schema, req, p.checkRecorded, func(r providers.ReadResource) (cty.Value, error) {
		switch r.Type {
		case contract.VNode:
			if req.ExistenceOnly {
				// Before a destroy: the node counts while anything of it
				// is left (a pin, its directory or log, a veth's host end), so
				// that the destroy removes it.
				if p.nodeRemains(r.Current) {
					return r.Current, nil
				}
				return cty.NilVal, nil
			}
			return p.readNode(r.Current, host, reads.node(str(r.Current, "name")))
		case contract.Route:
			return p.readRoute(r.Current, reads)
		case contract.Mount:
			return p.readMount(r.Current, r.Private, reads)
		default: // contract.Startup
			return p.readStartup(r.Current, reads)
		}
	})
}

// ImportResource is not supported: a process node is benito's own making.
func (p *Provider) ImportResource(_ context.Context, req providers.ImportResourceRequest) providers.ImportResourceResponse {
	return providers.ImportResourceResponse{Diagnostics: providers.Errorf(req.Address, "Resources of type %q cannot be imported", req.Type)}
}

func (p *Provider) Stop(context.Context) error { return nil }
func (p *Provider) Close() error               { return nil }

// route is a decoded route resource.
type route struct {
	Node   string
	Dst    netip.Prefix
	Gw     netip.Addr // invalid when none
	Src    netip.Addr // preferred source; invalid when none
	Device string
	Metric int
}

func decodeRoute(v cty.Value) (route, error) {
	r := route{Node: str(v, "node"), Device: str(v, "device"), Metric: int(num(v, "metric"))}
	if r.Node == "" {
		return r, fmt.Errorf("a route needs a node")
	}
	dst, err := netip.ParsePrefix(str(v, "destination"))
	if err != nil || !dst.Addr().Is4() {
		return r, fmt.Errorf("destination %q is not an IPv4 prefix", str(v, "destination"))
	}
	r.Dst = dst.Masked()
	if gw := str(v, "gateway"); gw != "" {
		if r.Gw, err = netip.ParseAddr(gw); err != nil || !r.Gw.Is4() {
			return r, fmt.Errorf("gateway %q is not an IPv4 address", gw)
		}
	}
	if src := str(v, "source"); src != "" {
		if r.Src, err = netip.ParseAddr(src); err != nil || !r.Src.Is4() {
			return r, fmt.Errorf("source %q is not an IPv4 address", src)
		}
	}
	if !r.Gw.IsValid() && r.Device == "" {
		return r, fmt.Errorf("route to %s needs a gateway or a device", r.Dst)
	}
	return r, nil
}

// Short names for the attribute helpers this provider uses everywhere.
var (
	str      = providers.AttrString
	num      = providers.AttrInt
	setAttrs = providers.WithAttrs
	boolean  = providers.AttrBool
)

// newHostEnds returns the host ends of bridge interfaces that proposed has
// and prior (null for a create) has not, with their interfaces' names.
func newHostEnds(prior, proposed cty.Value) map[string]string {
	var out map[string]string
	had := hostEnds(prior)
	for dev, name := range hostEnds(proposed) {
		if _, ok := had[dev]; !ok {
			if out == nil {
				out = map[string]string{}
			}
			out[dev] = name
		}
	}
	return out
}

// hostEnds returns the host_device of each bridge interface of node v,
// with the interface's name; an unknown one is left out. (Not
// v.IsWhollyKnown(), which walks the whole node, allocating.)
func hostEnds(v cty.Value) map[string]string {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	ifs := v.GetAttr("interfaces")
	if ifs.IsNull() || !ifs.IsKnown() {
		return nil
	}
	var out map[string]string
	for it := ifs.ElementIterator(); it.Next(); {
		_, iv := it.Element()
		if str(iv, "switch_kind") != contract.KindBridge {
			continue
		}
		if dev := str(iv, "host_device"); dev != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[dev] = str(iv, "name")
		}
	}
	return out
}
