package contract

import (
	"sort"

	"github.com/zclconf/go-cty/cty"
)

// The built-in resource types of the graph.
const (
	// Switch is a VDE switch (a vde_switch daemon) or a Linux bridge.
	Switch = "switch"
	// Port is a numbered port on a VDE switch.
	Port = "port"
	// Tap is a TAP device of the host, plugged into a VDE port and/or
	// enslaved to a bridge.
	Tap = "tap"
	// Bridge is a Linux bridge of the host.
	Bridge = "bridge"
	// VNode is a node of the experiment, served by its platform.
	VNode = "vnode"
	// Route is a route inside a node's network stack.
	Route = "route"
	// Mount is a directory of the host shared into a node.
	Mount = "mount"
	// Startup is a node's startup command, run inside the node once its
	// network, routes and mounts are complete.
	Startup = "startup"
	// ConfigFile is a file of the experiment's config directory (DETER's
	// layout: hosts, route/<node>, topology.xml).
	ConfigFile = "config_file"
)

// Switch kinds.
const (
	KindVDE    = "vde"
	KindBridge = "bridge"
)

// The node types of DETER's containers platforms. A node type is the name
// of the provider that serves it; a third party's platform adds its own.
const (
	NodeQEMU    = "qemu"
	NodeOpenVZ  = "openvz"
	NodeProcess = "process"
)

// The first-party providers of the resource types that are not a node's own.
const (
	// ConfigProvider writes the experiment's config directory.
	ConfigProvider = "config"
	// HostNetProvider serves the host's network substrate: switches,
	// ports, taps and bridges.
	HostNetProvider = "hostnet"
)

// ProviderOf says which provider serves a resource of type typ: a node, its
// routes, mounts and startup command are served by the provider named after
// the node's type (nodeType), since only the platform can reach inside its
// nodes; the config directory by its own; the host's plumbing by the host
// network provider.
func ProviderOf(typ, nodeType string) string {
	switch typ {
	case VNode, Route, Mount, Startup:
		return nodeType
	case ConfigFile:
		return ConfigProvider
	default:
		return HostNetProvider
	}
}

// Attribute is one attribute lowering sets on a resource.
type Attribute struct {
	Name string
	Type cty.Type
	// Required says lowering always sets it (never null); a provider's
	// schema marks it required. The others may be null.
	Required    bool
	Description string
	// Generated says that lowering writes the value, a file's content,
	// from the rest of the experiment: plans summarise it (a line count, a
	// short diff) rather than print it whole. A provider's schema carries
	// it (providers.Attribute.Generated).
	Generated bool
}

// Interface is the object type of one entry of a vnode's "interfaces" list:
// everything a platform needs to plug the interface in. Exactly one of
// (vde_socket, vde_port) and bridge is set, by the switch's kind.
var Interface = objectOf(interfaceAttrs)

var interfaceAttrs = []Attribute{
	{Name: "name", Type: cty.String, Required: true, Description: "the interface's name inside the node (`eth0`, `inf000`)"},
	{Name: "switch", Type: cty.String, Required: true, Description: "the switch it is on"},
	{Name: "switch_kind", Type: cty.String, Required: true, Description: `the switch's kind: "vde" or "bridge"`},
	{Name: "vde_socket", Type: cty.String, Description: "VDE: the switch's control directory (QEMU: `-netdev vde,sock=...`)"},
	{Name: "vde_port", Type: cty.Number, Description: "VDE: the port number reserved for the interface, stable across plans (QEMU: `port=N`)"},
	{Name: "bridge", Type: cty.String, Description: "bridge: the host bridge to enslave the host side to"},
	{Name: "host_device", Type: cty.String, Description: "the host-side device name to create (a TAP or a veth's host end), within IFNAMSIZ"},
	{Name: "mac_address", Type: cty.String, Description: "the interface's MAC address, derived deterministically unless configured"},
	{Name: "ip4_address", Type: cty.String, Description: "IPv4 address, dotted quad, or null"},
	{Name: "ip4_netmask", Type: cty.String, Description: "IPv4 netmask, dotted quad, or null"},
	{Name: "mtu", Type: cty.Number, Description: "MTU, or null for the platform's default"},
	{Name: "capacity", Type: cty.Number, Description: "shaping: bits per second the node may send, or null"},
	{Name: "latency", Type: cty.String, Description: "shaping: delay of what the node sends, a Go duration, or null"},
	{Name: "loss", Type: cty.Number, Description: "shaping: percent of what the node sends that is lost, or null"},
}

// InterfaceAttributes returns the attributes of Interface, in the order
// above. The slice is shared: do not modify it.
func InterfaceAttributes() []Attribute { return interfaceAttrs }

// The values of a QEMU node's "accel": the accelerator QEMU runs the
// machine on. AccelAuto takes KVM where a probe guest really boots on it,
// TCG otherwise.
const (
	AccelAuto = "auto"
	AccelKVM  = "kvm"
	AccelTCG  = "tcg"
)

// Accels lists the values of "accel", in the order messages give them.
// The slice is shared: do not modify it.
var Accels = []string{AccelAuto, AccelKVM, AccelTCG}

// The values of a QEMU node's "guest_config": how the machine is told its
// addresses, routes, hostname, hosts file and startup command.
const (
	// GuestConfigShare is a read-only 9P share of the node's settings,
	// which benito's test guest reads at boot (docs/guest.md).
	GuestConfigShare = "share"
	// GuestConfigCloudInit is a NoCloud cloud-init seed, which stock
	// cloud images read.
	GuestConfigCloudInit = "cloud-init"
)

// GuestConfigs lists the values of "guest_config", the default first. The
// slice is shared: do not modify it.
var GuestConfigs = []string{GuestConfigShare, GuestConfigCloudInit}

// The protocols of a forward.
const (
	ProtocolTCP = "tcp"
	ProtocolUDP = "udp"
)

// Protocols lists the values of a forward's "protocol", the default first.
// The slice is shared: do not modify it.
var Protocols = []string{ProtocolTCP, ProtocolUDP}

// DefaultForwardAddress is the host address a forward binds unless the
// configuration says otherwise: loopback, so the guest's port is reachable
// from the host alone.
const DefaultForwardAddress = "127.0.0.1"

// Forward is the object type of one entry of a vnode's "forwards" list: a
// port of the host forwarded to a port of the guest by QEMU's user-mode
// networking (-netdev user,hostfwd=PROTOCOL:HOST_ADDRESS:HOST_PORT-:GUEST_PORT).
// Lowering sets every attribute.
var Forward = objectOf(forwardAttrs)

var forwardAttrs = []Attribute{
	{Name: "protocol", Type: cty.String, Required: true, Description: `"tcp" or "udp"`},
	{Name: "host_address", Type: cty.String, Required: true, Description: "the IPv4 address of the host the port is bound to, dotted quad (127.0.0.1 unless configured; anything but a loopback address exposes the guest's port beyond the host)"},
	{Name: "host_port", Type: cty.Number, Required: true, Description: "the host's port, 1 to 65535; no two forwards of an experiment bind one protocol's port on one address (0.0.0.0, every address, clashes with each)"},
	{Name: "guest_port", Type: cty.Number, Required: true, Description: "the guest's port, 1 to 65535"},
}

// ForwardAttributes returns the attributes of Forward, in the order above.
// The slice is shared: do not modify it.
func ForwardAttributes() []Attribute { return forwardAttrs }

// NodeMount is the object type of one entry of a vnode's "mounts" list:
// one of the node's mount resources as lowering sets it (the same source,
// target and read_only), for a platform that must know its shares when
// the node starts (a QEMU machine's 9P shares exist from boot). Lowering
// sets every attribute.
var NodeMount = objectOf(nodeMountAttrs)

var nodeMountAttrs = []Attribute{
	{Name: "source", Type: cty.String, Required: true, Description: "the directory on the host, an absolute path"},
	{Name: "target", Type: cty.String, Required: true, Description: "where it appears inside the node, an absolute path"},
	{Name: "read_only", Type: cty.Bool, Required: true, Description: "shared read-only"},
}

// NodeMountAttributes returns the attributes of NodeMount, in the order
// above. The slice is shared: do not modify it.
func NodeMountAttributes() []Attribute { return nodeMountAttrs }

// types lists, for each built-in resource type, its description and the
// attributes lowering sets.
var types = map[string]struct {
	description string
	attrs       []Attribute
}{
	Switch: {"a VDE switch (vde_switch daemon) or a Linux bridge", []Attribute{
		{Name: "name", Type: cty.String, Required: true, Description: "the switch's name in the experiment"},
		{Name: "kind", Type: cty.String, Required: true, Description: `"vde" or "bridge"`},
		{Name: "ports", Type: cty.Number, Description: "VDE: the highest port number the switch accepts (vde_switch -n ports+1)"},
		{Name: "subnet", Type: cty.String, Description: "the switch's subnet (informational)"},
		{Name: "socket", Type: cty.String, Description: "VDE: the control directory (vde_switch -s)"},
		{Name: "device", Type: cty.String, Description: "bridge: the bridge's device name"},
		{Name: "group", Type: cty.String, Description: "VDE: group owning the control socket (vde_switch -g)"},
		{Name: "mode", Type: cty.String, Description: "VDE: octal mode of the control socket (vde_switch -m)"},
		{Name: "existing", Type: cty.Bool, Description: "bridge: device is an existing host bridge, used as it is: never created, deleted or reconfigured; null or false: the experiment's own"},
		{Name: "uplink", Type: cty.String, Description: "bridge: an existing host interface enslaved to the bridge on apply and released on destroy, never created, deleted or reconfigured; or null"},
	}},
	Port: {"a numbered port on a VDE switch", []Attribute{
		{Name: "switch", Type: cty.String, Required: true, Description: "the switch's name"},
		{Name: "socket", Type: cty.String, Required: true, Description: "the switch's control directory"},
		{Name: "number", Type: cty.Number, Required: true, Description: "the port number"},
		{Name: "node", Type: cty.String, Description: "the node the port is for"},
		{Name: "interface", Type: cty.String, Description: "the node's interface the port is for"},
	}},
	Tap: {"a TAP device, plugged into a VDE port and/or enslaved to a bridge", []Attribute{
		{Name: "name", Type: cty.String, Required: true, Description: "the device name"},
		{Name: "switch", Type: cty.String, Description: "the VDE switch's name, or null"},
		{Name: "socket", Type: cty.String, Description: "the VDE switch's control directory, or null"},
		{Name: "port", Type: cty.Number, Description: "the VDE port, or null"},
		{Name: "bridge", Type: cty.String, Description: "the bridge device to enslave the TAP to, or null"},
		{Name: "owner", Type: cty.String, Description: "user owning the device (name or uid), like vde_tunctl -u"},
		{Name: "group", Type: cty.String, Description: "group owning the device (name or gid)"},
		{Name: "ip4_address", Type: cty.String, Description: `the TAP's host-side IPv4 address with its prefix length ("198.18.0.1/30"), or null for none; the TAP's IPv4 addresses are exactly this one, changed in place`},
	}},
	Bridge: {"a Linux bridge", []Attribute{
		{Name: "name", Type: cty.String, Required: true, Description: "the bridge's name in the experiment"},
		{Name: "device", Type: cty.String, Description: "the device name (default: name)"},
		{Name: "existing", Type: cty.Bool, Description: "device is an existing host bridge, used as it is: never created, deleted or reconfigured; null or false: the experiment's own"},
		{Name: "uplink", Type: cty.String, Description: "an existing host interface enslaved to the bridge on apply and released on destroy, never created, deleted or reconfigured; or null"},
	}},
	VNode: {"a node of the experiment, served by the platform its type names", []Attribute{
		{Name: "name", Type: cty.String, Required: true, Description: "the node's name: its hostname, and its name in the hosts file"},
		{Name: "type", Type: cty.String, Required: true, Description: "the node type: the platform serving it (process, qemu, openvz, or a third party's)"},
		{Name: "os", Type: cty.String, Description: "the operating system, as the experiment describes it, or null"},
		{Name: "image", Type: cty.String, Description: "the disk image or template the platform boots (an OpenVZ node's ostemplate), or null"},
		{Name: "partition", Type: cty.String, Description: "the physical host (DETER's partition), or null"},
		{Name: "ghost", Type: cty.Bool, Description: "DETER's ghost node: allocated, not started; it gets no routes, mounts or startup"},
		{Name: "memory", Type: cty.Number, Description: "memory in MiB, or null for the site's default"},
		{Name: "cpus", Type: cty.Number, Description: "CPU count, or null for the site's default"},
		{Name: "attributes", Type: cty.Map(cty.String), Description: "other attributes from the configuration or TopDL, carried through to the platform"},
		{Name: "interfaces", Type: cty.List(Interface), Description: "the node's interfaces, sorted by name"},
		{Name: "config_dir", Type: cty.String, Description: "the experiment's config directory, shared into the node"},
		{Name: "run_dir", Type: cty.String, Description: "the experiment's run directory (sockets, pid files, logs)"},
		{Name: "hosts_file", Type: cty.String, Description: "the experiment's hosts file, which the node sees as its /etc/hosts (every node's name resolves in every node); the vnode depends on it, and it is rewritten in place, so a node follows it without being touched"},
		{Name: "mount_namespace", Type: cty.Bool, Description: "the node has mount blocks: a container or process node gets a mount namespace of its own"},
		{Name: "ip_forward", Type: cty.Bool, Description: "the node has more than one addressed interface: it forwards packets between its links (a router)"},
		{Name: "mounts", Type: cty.List(NodeMount), Description: "the node's mount blocks, sorted by target, as its `mount` resources have them (both are set from the same configuration), or null when it has none: a platform whose shares must exist when the node starts (QEMU's 9P shares) reads them here; one that mounts into a running node does the work in its `mount` resources and may ignore this"},
		{Name: "accel", Type: cty.String, Description: `QEMU nodes: the accelerator, "kvm", "tcg" or "auto" (KVM where a probe guest really boots on it, TCG otherwise); null: the site's ` + "`" + SiteQEMUAccel + "`" + `, else "auto"`},
		{Name: "machine", Type: cty.String, Description: `QEMU nodes: the machine type (-machine), such as "q35" or "pc"; letters, digits, '.', '_' and '-'; null: the provider's default`},
		{Name: "kernel", Type: cty.String, Description: "QEMU nodes: a kernel on the host to boot directly (-kernel), an absolute path, or null to boot the disk image"},
		{Name: "initrd", Type: cty.String, Description: "QEMU nodes: an initial ramdisk on the host for that kernel (-initrd), an absolute path, or null; set only with kernel"},
		{Name: "kernel_args", Type: cty.String, Description: "QEMU nodes: the kernel's command line (-append), or null; set only with kernel"},
		{Name: "guest_config", Type: cty.String, Description: `QEMU nodes: how the machine is told its settings: "share" (a read-only 9P share tagged benito-config, read by benito's test guest) or "cloud-init" (a NoCloud seed, network-config v2 and user-data, for stock cloud images); null: "share"`},
		{Name: "forwards", Type: cty.List(Forward), Description: "QEMU nodes: host ports forwarded to the guest by user-mode networking (hostfwd), sorted by protocol, host address (numerically) and host port, or null when there are none"},
		{Name: "ctid", Type: cty.Number, Description: "OpenVZ nodes: the container's id, as vzctl's CTID, from 101 to 2147483644 (vzctl reserves 0 to 100), no two alike in an experiment; null: the provider derives one"},
		{Name: "hostname", Type: cty.String, Description: "OpenVZ nodes: the container's hostname, as vzctl's --hostname (a name of letters, digits, '-' and '.'); null: the node's name"},
		{Name: "diskspace", Type: cty.Number, Description: "OpenVZ nodes: the most the container may write to its private area, in bytes, at least 8 MiB and a multiple of 4096; null: no limit"},
		{Name: "nameservers", Type: cty.List(cty.String), Description: "OpenVZ nodes: the IP addresses (IPv4 or IPv6 literals) of the container's /etc/resolv.conf, in order, or null to leave the template's"},
		{Name: "init", Type: cty.List(cty.String), Description: "OpenVZ nodes: the container's PID 1 and its arguments, the first an absolute path inside the container; null: the template's /sbin/init"},
	}},
	Route: {"a route in a node's network stack", []Attribute{
		{Name: "node", Type: cty.String, Required: true, Description: "the node the route is in"},
		{Name: "destination", Type: cty.String, Required: true, Description: "the destination prefix"},
		{Name: "gateway", Type: cty.String, Description: "the next hop's address, or null"},
		{Name: "device", Type: cty.String, Description: "the node's interface the route goes out of, or null"},
		{Name: "metric", Type: cty.Number, Description: "the route's metric, or null"},
		{Name: "source", Type: cty.String, Description: "the node's own address on the interface the route leaves by, its preferred source, or null: an address change changes the route too, so the plan shows it and apply installs it again after the node's update (the kernel drops a route whose address goes)"},
	}},
	Mount: {"a directory of the host shared into a node", []Attribute{
		{Name: "node", Type: cty.String, Required: true, Description: "the node it is shared into"},
		{Name: "node_type", Type: cty.String, Required: true, Description: "the node's type (the platform decides how: 9P for VMs, a bind mount for containers and processes)"},
		{Name: "source", Type: cty.String, Required: true, Description: "the directory on the host"},
		{Name: "target", Type: cty.String, Required: true, Description: "where it appears inside the node"},
		{Name: "read_only", Type: cty.Bool, Description: "shared read-only"},
	}},
	Startup: {"a node's startup command, run inside the node once its network, routes and mounts are up", []Attribute{
		{Name: "node", Type: cty.String, Required: true, Description: "the node it runs in"},
		{Name: "command", Type: cty.String, Required: true, Description: "the command, run as /bin/sh -c runs it; it may hold a sensitive value, so a platform must not pass it in a process's arguments (ps shows them)"},
		{Name: "log", Type: cty.String, Description: "the file its output is appended to"},
	}},
	ConfigFile: {"a file of the experiment's config directory", []Attribute{
		{Name: "path", Type: cty.String, Required: true, Description: "path of the file, relative to the experiment's config directory"},
		{Name: "content", Type: cty.String, Required: true, Generated: true, Description: "the file's content, which lowering generates (hosts, routes, TopDL): plans show its line count and what changed, not the whole file"},
		{Name: "sensitive", Type: cty.Bool, Description: "the content holds a value derived from a sensitive variable: the file is readable by root alone (0600) rather than by everyone (0644); null is false"},
	}},
}

// Types returns the built-in resource type names, sorted.
func Types() []string {
	out := make([]string, 0, len(types))
	for t := range types {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Has reports whether typ is a built-in resource type.
func Has(typ string) bool {
	_, ok := types[typ]
	return ok
}

// Describe returns the one-line description of a built-in type ("" for
// another).
func Describe(typ string) string { return types[typ].description }

// Attributes returns the attributes lowering sets on a resource of type
// typ, sorted by name; nil for a type that is not built in. The slice is
// shared: do not modify it.
func Attributes(typ string) []Attribute { return sorted[typ] }

// ObjectType returns the object type of typ's configuration: every
// attribute of Attributes(typ). It is what a built-in provider's schema
// gives as its ConfigType.
func ObjectType(typ string) cty.Type { return objects[typ] }

var (
	sorted  = map[string][]Attribute{}
	objects = map[string]cty.Type{}
)

func init() {
	for typ, t := range types {
		attrs := append([]Attribute(nil), t.attrs...)
		sort.Slice(attrs, func(i, j int) bool { return attrs[i].Name < attrs[j].Name })
		sorted[typ] = attrs
		objects[typ] = objectOf(attrs)
	}
}

func objectOf(attrs []Attribute) cty.Type {
	m := make(map[string]cty.Type, len(attrs))
	for _, a := range attrs {
		m[a.Name] = a.Type
	}
	return cty.Object(m)
}
