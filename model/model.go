package model

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/benito-net/benito/addrs"
)

// RoutingStatic computes shortest-path static routes between all subnets.
const RoutingStatic = "static"

// Experiment is one evaluated experiment.
type Experiment struct {
	// Name keeps two experiments on one host apart; it appears in device
	// names and in the config directory's path.
	Name string
	// Routing is "" (none) or RoutingStatic: compute shortest-path routes.
	Routing string
	// Site holds the site defaults (old site.conf keys) as strings, with the
	// built-in defaults filled in for keys the configuration leaves unset.
	Site map[string]string

	Switches []*Switch // sorted by Name
	Bridges  []*Bridge // sorted by Name
	VNodes   []*VNode  // sorted by Name
	Taps     []*Tap    // sorted by Name
	Routes   []*Route  // top-level route blocks, sorted by Node then Destination
	Outputs  []*Output // sorted by Name

	// RequiredProviders are the third-party providers the experiment
	// uses, from its required_providers block; sorted by Name.
	RequiredProviders []*RequiredProvider
	// Resources are the generic resource blocks, served by third-party
	// providers; sorted by Type, then Name.
	Resources []*Resource

	DeclRange hcl.Range // the experiment block
}

// HostName is the name an instance of a block has on the host: the block's
// label, or for an instance of a block with count or for_each, the label,
// a dash and the key (h-0, h-east). It is a node's hostname and the name
// that host names, device names, MAC addresses, the config directory's
// files and the run directory's entries are derived from, so it must never
// change for an instance that exists: experiments made by earlier releases
// keep their MACs and devices. Instance names of one block type are unique
// (package hcl checks it), so a host name names one instance; model fields
// that refer to another instance (Interface.Switch, Route.Node, Tap.Bridge,
// ...) hold its host name.
func HostName(i addrs.Instance) string {
	switch k := i.Key.(type) {
	case addrs.IntKey:
		return i.Name + "-" + strconv.Itoa(int(k))
	case addrs.StringKey:
		return i.Name + "-" + string(k)
	}
	return i.Name
}

// Shaping is link shaping: zero values mean "not shaped".
type Shaping struct {
	Capacity uint64        // bits per second
	Latency  time.Duration // one-way delay
	Loss     float64       // percent, 0..100
}

// IsZero reports whether no shaping is asked for.
func (s Shaping) IsZero() bool { return s == Shaping{} }

// Switch is a virtual switch, a TopDL substrate.
type Switch struct {
	Name string         // host name: HostName(Addr)
	Addr addrs.Instance // the address: label, label[N] (count), label["KEY"] (for_each)
	Kind string         // contract.KindVDE or contract.KindBridge
	// Ports is the number of ports a VDE switch is started with (-n); zero
	// means the site default.
	Ports int
	// Subnet, when valid, is the subnet every interface on the switch must
	// be inside.
	Subnet netip.Prefix
	// Shaping applies to every interface on the switch unless the interface
	// sets its own.
	Shaping Shaping
	// Group and Mode are the owner group and permissions of the switch's
	// control socket (vde_switch -g, -m); empty means the default.
	Group string
	Mode  string
	// Existing names a host bridge a switch of kind bridge uses instead
	// of making one; Uplink a host interface enslaved to its bridge.
	// Neither is created, deleted or reconfigured. Empty: none.
	Existing, Uplink string

	// DependsOn holds the addresses of the instances depends_on names
	// (vnode.h[0], switch.lan), in the order written.
	DependsOn []addrs.Resource
	DeclRange hcl.Range
}

// Bridge is a Linux bridge, for example the control network.
type Bridge struct {
	Name      string         // host name: HostName(Addr)
	Addr      addrs.Instance // the address
	Existing  string         // a host bridge used instead of making one, or ""
	Uplink    string         // a host interface enslaved to the bridge, or ""
	DependsOn []addrs.Resource
	DeclRange hcl.Range
}

// VNode is a virtual node.
type VNode struct {
	Name string         // host name (HostName(Addr)), the node's hostname
	Addr addrs.Instance // the address, as in vnode.h[0]
	Type string         // contract.NodeQEMU, contract.NodeOpenVZ, contract.NodeProcess, ...

	Startup   string            // command run after the node's network is up
	OS        string            // operating system description (TopDL os)
	Image     string            // disk image or template, platform-specific
	Partition string            // physical host the node is placed on
	Ghost     bool              // allocated but not started
	Memory    int64             // MiB; zero means the site default
	CPUs      int64             // zero means the site default
	Attrs     map[string]string // other attributes, carried through to the provider

	// Settings of a QEMU machine; "" means unset (the site's or the
	// provider's default). Package hcl checks them: Accel is one of
	// contract.Accels, GuestConfig one of contract.GuestConfigs, Kernel
	// and Initrd are clean absolute paths, and Initrd and KernelArgs are
	// set only with Kernel.
	Accel       string
	Machine     string
	Kernel      string
	Initrd      string
	KernelArgs  string
	GuestConfig string
	// Forwards are host ports forwarded to the guest, sorted by
	// CompareForwards; no two of the experiment clash (Forward.Clashes).
	Forwards []*Forward

	// Settings of an OpenVZ container, as vzctl names them; zero or nil
	// means unset (the provider's default). Package hcl checks them with
	// contract's CheckCTID, CheckHostname, CheckDiskspace, CheckNameserver
	// and CheckInit,
	// and that no two nodes of the experiment have one CTID. A container's
	// template is Image (the language's ostemplate).
	CTID        int64    // vzctl's container id
	Hostname    string   // the container's hostname; "" is the node's name
	Diskspace   int64    // bytes
	Nameservers []string // IP literals, in order
	Init        []string // PID 1 and its arguments
	// Sensitive holds the attributes (AttrStartup, AttrOS, ...) whose value
	// was derived from a sensitive variable; nil when none was.
	Sensitive map[string]bool

	Interfaces []*Interface // sorted by Name
	Routes     []*Route     // sorted by Destination
	Mounts     []*Mount     // sorted by Target

	DependsOn []addrs.Resource
	DeclRange hcl.Range
}

// Interface is a node's network interface on a switch.
type Interface struct {
	Name   string // eth0, inf000, ...
	Switch string // host name of the switch it is on
	// Address is the IPv4 address with its prefix length (from ip4_netmask
	// or a prefix); invalid when the interface has no address.
	Address netip.Prefix
	// MAC is set when the configuration fixes it; otherwise lowering derives
	// one deterministically.
	MAC     net.HardwareAddr
	MTU     int
	Shaping Shaping

	DeclRange hcl.Range
}

// Route is a static route in a node's network stack.
type Route struct {
	Node        string       // host name of the node
	Destination netip.Prefix // 0.0.0.0/0 for a default route
	Gateway     netip.Addr   // invalid for a device route
	Device      string       // interface name, optional
	Metric      int

	DeclRange hcl.Range
}

// Mount shares a host directory into a node (9P for VMs, a bind mount for
// containers and processes).
type Mount struct {
	Node     string
	Source   string // host path
	Target   string // path inside the node
	ReadOnly bool

	DeclRange hcl.Range
}

// Forward forwards a port of the host to a port of a QEMU node's guest,
// through QEMU's user-mode networking (hostfwd).
type Forward struct {
	Protocol    string     // contract.ProtocolTCP or contract.ProtocolUDP
	HostAddress netip.Addr // IPv4; 127.0.0.1 unless configured
	HostPort    int        // 1..65535
	GuestPort   int        // 1..65535

	DeclRange hcl.Range
}

// Clashes reports whether f and g cannot both be bound on the host: the
// same protocol and host port, on the same address or where either is
// 0.0.0.0 (every address of the host).
func (f *Forward) Clashes(g *Forward) bool {
	return f.Protocol == g.Protocol && f.HostPort == g.HostPort &&
		(f.HostAddress == g.HostAddress || f.HostAddress.IsUnspecified() || g.HostAddress.IsUnspecified())
}

// CompareForwards orders forwards by protocol, host address (numerically)
// and host port: the order of VNode.Forwards.
func CompareForwards(a, b *Forward) int {
	if c := strings.Compare(a.Protocol, b.Protocol); c != 0 {
		return c
	}
	if c := a.HostAddress.Compare(b.HostAddress); c != 0 {
		return c
	}
	return a.HostPort - b.HostPort
}

// Tap is a hand-plumbed TAP device, plugged into a VDE switch or enslaved to
// a bridge (exactly one of Switch and Bridge is set).
type Tap struct {
	Name   string         // host name: HostName(Addr)
	Addr   addrs.Instance // the address
	Switch string
	Bridge string
	Owner  string // user name or uid, like vde_tunctl -u
	Group  string
	// Address is the TAP's host-side IPv4 address and prefix length, or
	// the zero Prefix for none.
	Address netip.Prefix

	DependsOn []addrs.Resource
	DeclRange hcl.Range
}

// Output is a named value shown after apply.
type Output struct {
	Name        string
	Description string
	// Value may carry the Sensitive mark, and then Sensitive is set: the
	// output block declares it sensitive, as it must.
	Value     cty.Value
	Sensitive bool
	DeclRange hcl.Range
}

// RequiredProvider names a third-party provider the experiment uses.
type RequiredProvider struct {
	Name    string // the name resources and node types use (hello)
	Source  string // where it comes from, such as example.org/benito/hello
	Version string // a version constraint, such as ">= 0.1"; "" for any

	DeclRange hcl.Range
}

// Resource is an instance of a generic resource block,
// resource "TYPE" "NAME" { ... }, served by a third-party provider.
type Resource struct {
	Type     string         // hello_greeting
	Name     string         // host name: HostName(Addr)
	Addr     addrs.Instance // the address, as in hello_greeting.x[0]
	Provider string         // the provider serving it: Type up to the first "_"
	// Attrs holds the block's attributes (meta-arguments left out), every
	// value wholly known; AttrRanges where each is set (name to value), for
	// diagnostics.
	Attrs      map[string]cty.Value
	AttrRanges map[string]hcl.Range

	DependsOn []addrs.Resource
	DeclRange hcl.Range
}

// ResourceProvider is the provider serving a generic resource type: the
// type up to its first "_" (hello_greeting: hello), or the whole type.
func ResourceProvider(typ string) string {
	if i := strings.IndexByte(typ, '_'); i > 0 {
		return typ[:i]
	}
	return typ
}
