package lower

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/netmask"
	"github.com/benito-net/benito/internal/parallel"
	"github.com/benito-net/benito/model"
	"github.com/benito-net/benito/state"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Lower turns exp into its resource graph. prior may be nil.
func Lower(exp *model.Experiment, prior *state.State) (*Graph, hcl.Diagnostics) {
	l := &lowerer{
		exp:       exp,
		g:         &Graph{Experiment: exp.Name, Site: exp.Site, index: map[addrs.Resource]*Resource{}},
		switches:  make(map[string]*model.Switch, len(exp.Switches)),
		bridges:   make(map[string]*model.Bridge, len(exp.Bridges)),
		ports:     map[string]map[string]int{},
		configDir: filepath.Join(siteValue(exp, contract.SiteConfigRoot), exp.Name),
		runDir:    exp.RunDir(),
	}
	for _, sw := range exp.Switches {
		l.switches[sw.Name] = sw
	}
	for _, br := range exp.Bridges {
		l.bridges[br.Name] = br
	}
	l.nodes = make(map[string]*model.VNode, len(exp.VNodes))
	for _, n := range exp.VNodes {
		l.nodes[n.Name] = n
	}
	l.topRoutes = map[string][]*model.Route{}
	for _, r := range exp.Routes {
		l.topRoutes[r.Node] = append(l.topRoutes[r.Node], r)
	}
	if exp.Routing == model.RoutingStatic {
		l.computed = staticRoutes(exp)
	}
	l.allocatePorts(prior)
	// The experiment-wide files read only the model and the ports: they
	// are written while the rest is lowered, on a core the nodes' serial
	// steps leave free.
	files := make(chan configFiles, 1)
	go func() { files <- l.configFiles() }()
	l.lowerSwitches()
	l.lowerBridges()
	l.lowerTaps()
	l.lowerVNodes()
	l.lowerRoutes(exp.Routes)
	l.lowerResources()
	l.lowerConfigFiles(<-files)
	l.checkDevices(l.devices)
	l.g.finish()
	return l.g, l.diags
}

type lowerer struct {
	exp   *model.Experiment
	g     *Graph
	diags hcl.Diagnostics
	// switches, bridges and nodes find an instance by its host name, which
	// is how the model refers to one.
	switches  map[string]*model.Switch
	bridges   map[string]*model.Bridge
	nodes     map[string]*model.VNode
	configDir string
	runDir    string
	// computed holds the routes routing = "static" computed, by node.
	computed map[string][]*model.Route
	// topRoutes holds the top-level route blocks by node.
	topRoutes map[string][]*model.Route
	// ports maps a VDE switch's host name to its port keys (nodePortKey,
	// tapPortKey) and their numbers.
	ports map[string]map[string]int
	// attached maps a port key to what its port's attributes say it
	// serves: a node's host name and interface, or "tap" and a tap's.
	attached map[string]attachment
	// devices are the host devices named so far, for checkDevices.
	devices []hostDevice
}

func siteValue(exp *model.Experiment, key string) string {
	if v, ok := exp.Site[key]; ok && v != "" {
		return v
	}
	return model.SiteDefaults[key]
}

func (l *lowerer) errorf(rng hcl.Range, summary, detail string, args ...any) {
	r := rng
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(detail, args...),
		Subject:  &r,
	})
}

func (l *lowerer) switchSocket(name string) string {
	return filepath.Join(l.runDir, "switch", name+".ctl")
}

// device is the host device name of an owner of kind kind
// (contract.DeviceOfSwitch, ...) named names.
func (l *lowerer) device(kind string, names ...string) string {
	return contract.DeviceName(l.runDir, append([]string{kind}, names...)...)
}

// switchDevice is the bridge of a switch of kind "bridge": the existing
// host bridge it joins, or its own.
func (l *lowerer) switchDevice(name string) string {
	if sw := l.switches[name]; sw != nil && sw.Existing != "" {
		return sw.Existing
	}
	return l.device(contract.DeviceOfSwitch, name)
}

// bridgeDevice is the bridge of a bridge block: the existing host bridge
// it joins, or its own.
func (l *lowerer) bridgeDevice(name string) string {
	if br := l.bridges[name]; br != nil && br.Existing != "" {
		return br.Existing
	}
	return l.device(contract.DeviceOfBridge, name)
}

// joinAttrs are the existing and uplink attributes of a bridge.
func joinAttrs(attrs map[string]cty.Value, existing, uplink string) {
	attrs["existing"] = cty.NullVal(cty.Bool)
	if existing != "" {
		attrs["existing"] = cty.True
	}
	attrs["uplink"] = optString(uplink)
}

// hostDevice is one host device the experiment makes, and whose it is.
type hostDevice struct {
	name  string
	owner addrs.Resource
	iface string // the node's interface, for a node's device
	rng   hcl.Range
	host  bool // the host's own device, named by existing or uplink
}

func (d hostDevice) String() string {
	if d.iface != "" {
		return fmt.Sprintf("interface %q of %s", d.iface, d.owner)
	}
	return d.owner.String()
}

// checkDevices reports two owners whose device names collide. Names are
// hashes of their owners (contract.DeviceName), distinct unless 50 bits
// of two hashes agree; this makes sure that such a pair is an error at
// plan time rather than two resources fighting over one device.
func (l *lowerer) checkDevices(devs []hostDevice) {
	seen := make(map[string]hostDevice, len(devs))
	for _, d := range devs {
		prev, dup := seen[d.name]
		if !dup {
			seen[d.name] = d
			continue
		}
		if d.host || prev.host {
			l.errorf(d.rng, "Host device joined twice",
				"%s and %s, declared at %s, both name the host device %s (in existing or uplink), and an experiment joins a device to one bridge. Name it in one block: more nodes and taps can be on that switch or bridge.",
				d, prev, rangeString(prev.rng), d.name)
			continue
		}
		l.errorf(d.rng, "Two host devices with one name",
			"%s and %s, declared at %s, would both be the host device %s: device names are hashes of their owners' names, and these two collide. Rename one of them.",
			d, prev, rangeString(prev.rng), d.name)
	}
}

func rangeString(r hcl.Range) string {
	return fmt.Sprintf("%s:%d,%d", r.Filename, r.Start.Line, r.Start.Column)
}

// allocatePorts gives every interface and tap on a VDE switch a port
// number. Numbers recorded in the prior state are kept; new attachments
// take the lowest free numbers, in sorted order of their keys, so the
// result is deterministic and never moves an existing port.
func (l *lowerer) allocatePorts(prior *state.State) {
	wanted := map[string][]string{}
	l.attached = map[string]attachment{}
	for _, n := range l.exp.VNodes {
		for _, ifc := range n.Interfaces {
			if sw := l.switches[ifc.Switch]; sw != nil && sw.Kind == contract.KindVDE {
				k := nodePortKey(n.Addr, ifc.Name)
				wanted[sw.Name] = append(wanted[sw.Name], k)
				l.attached[k] = attachment{n.Name, ifc.Name}
			}
		}
	}
	for _, t := range l.exp.Taps {
		if sw := l.switches[t.Switch]; t.Switch != "" && sw != nil && sw.Kind == contract.KindVDE {
			k := tapPortKey(t.Addr)
			wanted[sw.Name] = append(wanted[sw.Name], k)
			l.attached[k] = attachment{"tap", t.Name}
		}
	}
	for swName, keys := range wanted {
		sort.Strings(keys)
		numbers := make(map[string]int, len(keys))
		used := map[int]bool{}
		if prior != nil {
			sw := l.switches[swName]
			for _, k := range keys {
				addr := portAddr(sw, k)
				if prior.V1Addrs {
					// Not upgraded yet (UpgradeState): the port is
					// recorded under its format-1 address.
					addr = V1Addr(addr)
				}
				if r := prior.Resources[addr]; r != nil {
					if n := priorPortNumber(r.Attributes); n > 0 && !used[n] {
						numbers[k] = n
						used[n] = true
					}
				}
			}
		}
		next := 1
		for _, k := range keys {
			if _, ok := numbers[k]; ok {
				continue
			}
			for used[next] {
				next++
			}
			numbers[k] = next
			used[next] = true
		}
		l.ports[swName] = numbers
	}
}

func priorPortNumber(raw json.RawMessage) int {
	var v struct {
		Number *int `json:"number"`
	}
	if json.Unmarshal(raw, &v) != nil || v.Number == nil {
		return 0
	}
	return *v.Number
}

func (l *lowerer) lowerSwitches() {
	defaultPorts, err := strconv.Atoi(siteValue(l.exp, model.SiteVDEPorts))
	if err != nil || defaultPorts < 1 {
		l.errorf(l.exp.DeclRange, "Invalid site setting", "The site's %s is %q; it must be a whole number of ports, such as 32.", model.SiteVDEPorts, siteValue(l.exp, model.SiteVDEPorts))
		defaultPorts = 1
	}
	for _, sw := range l.exp.Switches {
		attrs := map[string]cty.Value{
			"name":   cty.StringVal(sw.Name),
			"kind":   cty.StringVal(sw.Kind),
			"ports":  cty.NullVal(cty.Number),
			"subnet": prefixVal(sw.Subnet),
			"socket": cty.NullVal(cty.String),
			"device": cty.NullVal(cty.String),
			"group":  optString(sw.Group),
			"mode":   optString(sw.Mode),
		}
		joinAttrs(attrs, "", "")
		switch sw.Kind {
		case contract.KindVDE:
			ports := sw.Ports
			highest := 0
			for _, n := range l.ports[sw.Name] {
				highest = max(highest, n)
			}
			if ports == 0 {
				ports = max(defaultPorts, highest)
			} else if highest > ports {
				l.errorf(sw.DeclRange, "Too few ports on switch",
					"Switch %q has ports = %d but %d interfaces are attached to it (the highest port number in use is %d). Raise ports, or remove the setting to let benito size the switch.",
					sw.Name, sw.Ports, len(l.ports[sw.Name]), highest)
			}
			attrs["ports"] = cty.NumberIntVal(int64(ports))
			attrs["socket"] = cty.StringVal(l.switchSocket(sw.Name))
		case contract.KindBridge:
			dev := l.switchDevice(sw.Name)
			attrs["device"] = cty.StringVal(dev)
			joinAttrs(attrs, sw.Existing, sw.Uplink)
			l.devices = append(l.devices, hostDevice{name: dev, owner: switchAddr(sw), rng: sw.DeclRange, host: sw.Existing != ""})
			if sw.Uplink != "" {
				l.devices = append(l.devices, hostDevice{name: sw.Uplink, owner: switchAddr(sw), rng: sw.DeclRange, host: true})
			}
		}
		addr := switchAddr(sw)
		l.g.add(&Resource{
			Addr:      addr,
			Provider:  contract.ProviderOf(contract.Switch, ""),
			Config:    cty.ObjectVal(attrs),
			DependsOn: refs(sw.DependsOn),
			DeclRange: sw.DeclRange,
		})
		keys := make([]string, 0, len(l.ports[sw.Name]))
		for k := range l.ports[sw.Name] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			node, iface := l.attached[k].node, l.attached[k].iface
			l.g.add(&Resource{
				Addr:     portAddr(sw, k),
				Provider: contract.ProviderOf(contract.Port, ""),
				Config: cty.ObjectVal(map[string]cty.Value{
					"switch":    cty.StringVal(sw.Name),
					"socket":    cty.StringVal(l.switchSocket(sw.Name)),
					"number":    cty.NumberIntVal(int64(l.ports[sw.Name][k])),
					"node":      cty.StringVal(node),
					"interface": cty.StringVal(iface),
				}),
				DependsOn: []addrs.Resource{addr},
				DeclRange: sw.DeclRange,
			})
		}
	}
}

func (l *lowerer) lowerBridges() {
	for _, br := range l.exp.Bridges {
		dev := l.bridgeDevice(br.Name)
		l.devices = append(l.devices, hostDevice{name: dev, owner: br.Addr.Resource(contract.Bridge), rng: br.DeclRange, host: br.Existing != ""})
		if br.Uplink != "" {
			l.devices = append(l.devices, hostDevice{name: br.Uplink, owner: br.Addr.Resource(contract.Bridge), rng: br.DeclRange, host: true})
		}
		attrs := map[string]cty.Value{
			"name":   cty.StringVal(br.Name),
			"device": cty.StringVal(dev),
		}
		joinAttrs(attrs, br.Existing, br.Uplink)
		l.g.add(&Resource{
			Addr:      br.Addr.Resource(contract.Bridge),
			Provider:  contract.ProviderOf(contract.Bridge, ""),
			Config:    cty.ObjectVal(attrs),
			DependsOn: refs(br.DependsOn),
			DeclRange: br.DeclRange,
		})
	}
}

func (l *lowerer) lowerTaps() {
	for _, t := range l.exp.Taps {
		dev := l.device(contract.DeviceOfTap, t.Name)
		l.devices = append(l.devices, hostDevice{name: dev, owner: t.Addr.Resource(contract.Tap), rng: t.DeclRange})
		attrs := map[string]cty.Value{
			"name":   cty.StringVal(dev),
			"switch": cty.NullVal(cty.String),
			"socket": cty.NullVal(cty.String),
			"port":   cty.NullVal(cty.Number),
			"bridge": cty.NullVal(cty.String),
			"owner":  optString(t.Owner),
			"group":  optString(t.Group),

			"ip4_address": cty.NullVal(cty.String),
		}
		if t.Address.IsValid() {
			attrs["ip4_address"] = cty.StringVal(t.Address.String())
		}
		deps := refs(t.DependsOn)
		switch {
		case t.Switch != "":
			sw := l.switches[t.Switch]
			if sw == nil {
				l.errorf(t.DeclRange, "Reference to undeclared switch", "%s is on switch %q, which the experiment does not declare.", t.Addr.Resource(contract.Tap), t.Switch)
				continue
			}
			attrs["switch"] = cty.StringVal(sw.Name)
			if sw.Kind == contract.KindVDE {
				key := tapPortKey(t.Addr)
				attrs["socket"] = cty.StringVal(l.switchSocket(sw.Name))
				attrs["port"] = cty.NumberIntVal(int64(l.ports[sw.Name][key]))
				deps = append(deps, portAddr(sw, key))
			} else {
				attrs["bridge"] = cty.StringVal(l.switchDevice(sw.Name))
			}
			deps = append(deps, switchAddr(sw))
		case t.Bridge != "":
			br := l.bridges[t.Bridge]
			if br == nil {
				l.errorf(t.DeclRange, "Reference to undeclared bridge", "%s is on bridge %q, which the experiment does not declare.", t.Addr.Resource(contract.Tap), t.Bridge)
				continue
			}
			attrs["bridge"] = cty.StringVal(l.bridgeDevice(br.Name))
			deps = append(deps, br.Addr.Resource(contract.Bridge))
		}
		l.g.add(&Resource{
			Addr:      t.Addr.Resource(contract.Tap),
			Provider:  contract.ProviderOf(contract.Tap, ""),
			Config:    cty.ObjectVal(attrs),
			DependsOn: dedupe(deps),
			DeclRange: t.DeclRange,
		})
	}
}

// lowerVNodes lowers every node with its routes, mounts and route file.
// Nodes lower independently, so they are spread across cores and merged
// in order.
func (l *lowerer) lowerVNodes() {
	type lowered struct {
		resources []*Resource
		devices   []hostDevice
		diags     hcl.Diagnostics
	}
	nodes := l.exp.VNodes
	out := make([]lowered, len(nodes))
	parallel.Ranges(len(nodes), 256, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i].resources, out[i].devices, out[i].diags = l.lowerVNode(nodes[i])
		}
	})
	n := 0
	for _, o := range out {
		n += len(o.resources)
	}
	l.g.grow(n)
	for _, o := range out {
		l.diags = append(l.diags, o.diags...)
		l.devices = append(l.devices, o.devices...)
		for _, r := range o.resources {
			l.addUnique(r)
		}
	}
}

// lowerVNode lowers one node. It reads the lowerer's tables and changes
// nothing, so that nodes can be lowered concurrently.
func (l *lowerer) lowerVNode(n *model.VNode) ([]*Resource, []hostDevice, hcl.Diagnostics) {
	var (
		diags   hcl.Diagnostics
		devices []hostDevice
	)
	out := make([]*Resource, 0, 2+len(n.Routes)+len(n.Mounts))
	deps := append(refs(n.DependsOn), addrs.Resource{Type: contract.ConfigFile, Name: "hosts"})
	computed := l.computedRoutes(n)
	if l.hasRouteFile(n) {
		deps = append(deps, routeFileAddr(n.Addr))
		routes := append(append(append([]*model.Route(nil), n.Routes...), l.topRoutes[n.Name]...), computed...)
		out = append(out, l.file(routeFileAddr(n.Addr), "route/"+n.Name, routeFile(l.exp.Name, n.Name, routes), false))
	}
	ifaces := make([]cty.Value, 0, len(n.Interfaces))
	addressed := 0 // interfaces with an address: more than one makes a router
	for _, ifc := range n.Interfaces {
		sw := l.switches[ifc.Switch]
		if sw == nil {
			rng := ifc.DeclRange
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Reference to undeclared switch",
				Detail:   fmt.Sprintf("Interface %q of %s is on switch %q, which the experiment does not declare.", ifc.Name, vnodeAddr(n), ifc.Switch),
				Subject:  &rng,
			})
			continue
		}
		mac := ifc.MAC
		if mac == nil {
			mac = model.DeriveMAC(l.exp.Name, n.Name, ifc.Name)
		}
		// Every interface gets a host-side name, which its platform uses
		// or not (a process node's TAP on a VDE switch is made inside the
		// node): the names are checked for collisions all the same.
		dev := l.device(contract.DeviceOfVNode, n.Name, ifc.Name)
		devices = append(devices, hostDevice{name: dev, owner: vnodeAddr(n), iface: ifc.Name, rng: ifc.DeclRange})
		v := map[string]cty.Value{
			"name":        cty.StringVal(ifc.Name),
			"switch":      cty.StringVal(sw.Name),
			"switch_kind": cty.StringVal(sw.Kind),
			"vde_socket":  cty.NullVal(cty.String),
			"vde_port":    cty.NullVal(cty.Number),
			"bridge":      cty.NullVal(cty.String),
			"host_device": cty.StringVal(dev),
			"mac_address": cty.StringVal(mac.String()),
			"ip4_address": cty.NullVal(cty.String),
			"ip4_netmask": cty.NullVal(cty.String),
			"mtu":         optInt(int64(ifc.MTU)),
			"capacity":    cty.NullVal(cty.Number),
			"latency":     cty.NullVal(cty.String),
			"loss":        cty.NullVal(cty.Number),
		}
		if ifc.Address.IsValid() {
			v["ip4_address"] = cty.StringVal(ifc.Address.Addr().String())
			v["ip4_netmask"] = cty.StringVal(netmask.Format(ifc.Address.Bits()))
		}
		shaping := ifc.Shaping
		if shaping.IsZero() {
			shaping = sw.Shaping
		}
		if shaping.Capacity > 0 {
			v["capacity"] = cty.NumberUIntVal(shaping.Capacity)
		}
		if shaping.Latency > 0 {
			v["latency"] = cty.StringVal(shaping.Latency.String())
		}
		if shaping.Loss > 0 {
			v["loss"] = cty.NumberFloatVal(shaping.Loss)
		}
		deps = append(deps, switchAddr(sw))
		if sw.Kind == contract.KindVDE {
			key := nodePortKey(n.Addr, ifc.Name)
			v["vde_socket"] = cty.StringVal(l.switchSocket(sw.Name))
			v["vde_port"] = cty.NumberIntVal(int64(l.ports[sw.Name][key]))
			deps = append(deps, portAddr(sw, key))
		} else {
			v["bridge"] = cty.StringVal(l.switchDevice(sw.Name))
		}
		if ifc.Address.IsValid() {
			addressed++
		}
		ifaces = append(ifaces, cty.ObjectVal(v))
	}
	ifaceList := cty.ListValEmpty(contract.Interface)
	if len(ifaces) > 0 {
		ifaceList = cty.ListVal(ifaces)
	}
	attrMap := cty.MapValEmpty(cty.String)
	if len(n.Attrs) > 0 {
		attrs := make(map[string]cty.Value, len(n.Attrs))
		for k, v := range n.Attrs {
			attrs[k] = cty.StringVal(v)
		}
		attrMap = cty.MapVal(attrs)
	}
	addr := vnodeAddr(n)
	out = append(out, &Resource{
		Addr:     addr,
		Provider: contract.ProviderOf(contract.VNode, n.Type),
		Config: cty.ObjectVal(map[string]cty.Value{
			"name":            cty.StringVal(n.Name),
			"type":            cty.StringVal(n.Type),
			"os":              secret(n, model.AttrOS, optString(n.OS)),
			"image":           secret(n, model.AttrImage, optString(n.Image)),
			"partition":       secret(n, model.AttrPartition, optString(n.Partition)),
			"ghost":           cty.BoolVal(n.Ghost),
			"memory":          optInt(n.Memory),
			"cpus":            optInt(n.CPUs),
			"attributes":      secret(n, model.AttrAttributes, attrMap),
			"interfaces":      ifaceList,
			"config_dir":      cty.StringVal(l.configDir),
			"run_dir":         cty.StringVal(l.runDir),
			"hosts_file":      cty.StringVal(filepath.Join(l.configDir, hostsPath)),
			"mount_namespace": cty.BoolVal(len(n.Mounts) > 0),
			"ip_forward":      cty.BoolVal(addressed > 1),
			"mounts":          nodeMounts(n.Mounts),
			"accel":           optString(n.Accel),
			"machine":         optString(n.Machine),
			"kernel":          optString(n.Kernel),
			"initrd":          optString(n.Initrd),
			"kernel_args":     optString(n.KernelArgs),
			"guest_config":    optString(n.GuestConfig),
			"forwards":        forwards(n.Forwards),
			"ctid":            optInt(n.CTID),
			"hostname":        optString(n.Hostname),
			"diskspace":       optInt(n.Diskspace),
			"nameservers":     optStrings(n.Nameservers),
			"init":            optStrings(n.Init),
		}),
		DependsOn: dedupe(deps),
		DeclRange: n.DeclRange,
	})
	var startDeps []addrs.Resource
	for _, r := range n.Routes {
		out = append(out, routeResource(n, r))
		startDeps = append(startDeps, out[len(out)-1].Addr)
	}
	for _, r := range computed {
		out = append(out, routeResource(n, r))
		startDeps = append(startDeps, out[len(out)-1].Addr)
	}
	for _, r := range l.topRoutes[n.Name] {
		startDeps = append(startDeps, routeAddr(n.Addr, r.Destination))
	}
	for _, m := range n.Mounts {
		out = append(out, &Resource{
			Addr:     mountAddr(n.Addr, m.Target),
			Provider: contract.ProviderOf(contract.Mount, n.Type),
			Config: cty.ObjectVal(map[string]cty.Value{
				"node":      cty.StringVal(n.Name),
				"node_type": cty.StringVal(n.Type),
				"source":    cty.StringVal(m.Source),
				"target":    cty.StringVal(m.Target),
				"read_only": cty.BoolVal(m.ReadOnly),
			}),
			DependsOn: []addrs.Resource{addr},
			Container: addr,
			DeclRange: m.DeclRange,
		})
		startDeps = append(startDeps, out[len(out)-1].Addr)
	}
	if n.Startup != "" && !n.Ghost {
		// An OpenVZ node's logs are under log/openvz, where its
		// provider, and no other, looks for them; process and QEMU
		// nodes keep theirs where earlier releases put them.
		logDir := filepath.Join(l.runDir, "log")
		if n.Type == contract.NodeOpenVZ {
			logDir = filepath.Join(logDir, n.Type)
		}
		out = append(out, &Resource{
			Addr:     startupAddr(n.Addr),
			Provider: contract.ProviderOf(contract.Startup, n.Type),
			Config: cty.ObjectVal(map[string]cty.Value{
				"node":    cty.StringVal(n.Name),
				"command": secret(n, model.AttrStartup, cty.StringVal(n.Startup)),
				"log":     cty.StringVal(filepath.Join(logDir, n.Name+".startup.log")),
			}),
			DependsOn: dedupe(append(startDeps, addr)),
			Container: addr,
			DeclRange: n.DeclRange,
		})
	}
	return out, devices, diags
}

// nodeMounts is a vnode's "mounts": what its mount resources share where,
// from the same model values, in the model's order (by target).
func nodeMounts(ms []*model.Mount) cty.Value {
	return optList(contract.NodeMount, ms, func(m *model.Mount) map[string]cty.Value {
		return map[string]cty.Value{
			"source":    cty.StringVal(m.Source),
			"target":    cty.StringVal(m.Target),
			"read_only": cty.BoolVal(m.ReadOnly),
		}
	})
}

// forwards is a vnode's "forwards", in the model's order (protocol, host
// address, host port).
func forwards(fs []*model.Forward) cty.Value {
	return optList(contract.Forward, fs, func(f *model.Forward) map[string]cty.Value {
		return map[string]cty.Value{
			"protocol":     cty.StringVal(f.Protocol),
			"host_address": cty.StringVal(f.HostAddress.String()),
			"host_port":    cty.NumberIntVal(int64(f.HostPort)),
			"guest_port":   cty.NumberIntVal(int64(f.GuestPort)),
		}
	})
}

// optList is a list of objects of type ty, one per item; null when there
// are none. The lists of the contract that only some nodes have are null
// rather than empty, so that a node without any plans no change against a
// state recorded before the attribute existed (the engine reads a missing
// attribute as null).
func optList[T any](ty cty.Type, items []T, object func(T) map[string]cty.Value) cty.Value {
	if len(items) == 0 {
		return cty.NullVal(cty.List(ty))
	}
	vals := make([]cty.Value, len(items))
	for i, it := range items {
		vals[i] = cty.ObjectVal(object(it))
	}
	return cty.ListVal(vals)
}

// secret returns v marked sensitive when attribute attr of node n holds a
// value derived from a sensitive variable, so that the mark reaches the
// plan (the engine records the attribute as sensitive and hands providers
// the plain value).
func secret(n *model.VNode, attr string, v cty.Value) cty.Value {
	if n.Sensitive[attr] {
		return v.Mark(model.Sensitive)
	}
	return v
}

// computedRoutes returns the static routes computed for node n, without
// those to destinations the node routes itself.
func (l *lowerer) computedRoutes(n *model.VNode) []*model.Route {
	rs := l.computed[n.Name]
	if len(rs) == 0 {
		return nil
	}
	own := map[netip.Prefix]bool{}
	for _, r := range n.Routes {
		own[r.Destination] = true
	}
	for _, r := range l.topRoutes[n.Name] {
		own[r.Destination] = true
	}
	out := make([]*model.Route, 0, len(rs))
	for _, r := range rs {
		if !own[r.Destination] {
			out = append(out, r)
		}
	}
	return out
}

// lowerRoutes lowers the top-level route blocks.
func (l *lowerer) lowerRoutes(routes []*model.Route) {
	for _, r := range routes {
		n := l.nodes[r.Node]
		if n == nil {
			l.errorf(r.DeclRange, "Reference to undeclared vnode", "The route is for node %q, which the experiment does not declare.", r.Node)
			continue
		}
		l.addUnique(routeResource(n, r))
	}
}

// addUnique adds r unless its address is taken, which for routes means two
// routes of one node to one destination.
func (l *lowerer) addUnique(r *Resource) {
	if prev := l.g.Get(r.Addr); prev != nil {
		l.errorf(r.DeclRange, "Duplicate "+r.Addr.Type, "%s is declared twice; the first is at %s.", r.Addr, prev.DeclRange)
		return
	}
	l.g.add(r)
}

// routeResource lowers a route of node n, its own or a top-level one.
func routeResource(n *model.VNode, r *model.Route) *Resource {
	gw := cty.NullVal(cty.String)
	if r.Gateway.IsValid() {
		gw = cty.StringVal(r.Gateway.String())
	}
	src := cty.NullVal(cty.String)
	if a := routeSource(n, r); a.IsValid() {
		src = cty.StringVal(a.String())
	}
	return &Resource{
		Addr:     routeAddr(n.Addr, r.Destination),
		Provider: contract.ProviderOf(contract.Route, n.Type),
		Config: cty.ObjectVal(map[string]cty.Value{
			"node":        cty.StringVal(n.Name),
			"destination": cty.StringVal(r.Destination.String()),
			"gateway":     gw,
			"device":      optString(r.Device),
			"metric":      optInt(int64(r.Metric)),
			"source":      src,
		}),
		DependsOn: []addrs.Resource{vnodeAddr(n)},
		Container: vnodeAddr(n),
		DeclRange: r.DeclRange,
	}
}

// routeSource returns node n's address that route r goes out by: that of
// its device, or of the first interface whose subnet holds its gateway;
// invalid when there is none.
func routeSource(n *model.VNode, r *model.Route) netip.Addr {
	for _, ifc := range n.Interfaces {
		if !ifc.Address.IsValid() {
			continue
		}
		if r.Device != "" {
			if ifc.Name == r.Device {
				return ifc.Address.Addr()
			}
			continue
		}
		if r.Gateway.IsValid() && ifc.Address.Masked().Contains(r.Gateway) {
			return ifc.Address.Addr()
		}
	}
	return netip.Addr{}
}

// refs copies depends_on's addresses, with room for the dependencies
// lowering adds.
func refs(deps []addrs.Resource) []addrs.Resource {
	return append(make([]addrs.Resource, 0, len(deps)+2), deps...)
}

// attachment is what a port serves, as its "node" and "interface"
// attributes name it: a node's host name and an interface, or "tap" and a
// tap's host name.
type attachment struct{ node, iface string }

func dedupe(in []addrs.Resource) []addrs.Resource {
	if len(in) < 2 {
		return in
	}
	sort.Slice(in, func(i, j int) bool { return in[i].Less(in[j]) })
	out := in[:1]
	for _, a := range in[1:] {
		if a != out[len(out)-1] {
			out = append(out, a)
		}
	}
	return out
}

func optString(s string) cty.Value {
	if s == "" {
		return cty.NullVal(cty.String)
	}
	return cty.StringVal(s)
}

// optStrings is a list of strings, or null when there are none, as the
// optional lists of the contract (optList).
func optStrings(ss []string) cty.Value {
	if len(ss) == 0 {
		return cty.NullVal(cty.List(cty.String))
	}
	vals := make([]cty.Value, len(ss))
	for i, s := range ss {
		vals[i] = cty.StringVal(s)
	}
	return cty.ListVal(vals)
}

func optInt(n int64) cty.Value {
	if n == 0 {
		return cty.NullVal(cty.Number)
	}
	return cty.NumberIntVal(n)
}

func prefixVal(p netip.Prefix) cty.Value {
	if !p.IsValid() {
		return cty.NullVal(cty.String)
	}
	return cty.StringVal(p.String())
}
