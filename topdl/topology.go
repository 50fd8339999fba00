package topdl

import (
	"github.com/hashicorp/hcl/v2"
)

// Topology is one TopDL document.
type Topology struct {
	Version string
	// Attributes are the topology's own attributes (benito:routing, ...).
	Attributes []Attribute
	Substrates []*Substrate // in file order
	Computers  []*Computer  // in file order
	// Dropped lists what the reader skipped: elements benito has no use for
	// (testbed, segment, other, cpu, storage, service, ...).
	Dropped []Dropped
	// Range is the root element's.
	Range hcl.Range
}

// Capacity is a TopDL capacity: Rate in kbit/s (fedd writes ns2's 100Mb as
// 100000.000000), Kind "max" or "average".
type Capacity struct {
	Rate float64
	Kind string
}

// Latency is a TopDL latency: Time in milliseconds, Kind "max" or
// "average".
type Latency struct {
	Time float64
	Kind string
}

// Substrate is a link or LAN: a switch, for benito.
type Substrate struct {
	Name       string
	Capacity   *Capacity
	Latency    *Latency
	Attributes []Attribute
	Range      hcl.Range
}

// Computer is a node.
type Computer struct {
	Name       string
	OS         []OS
	Software   []Software
	Interfaces []*Interface
	Attributes []Attribute
	Range      hcl.Range
}

// Interface is a computer's interface on one substrate.
type Interface struct {
	// Name is the interface's name; the reader fills in inf000, inf001, ...
	// (the index among the computer's interfaces) when the file gives none,
	// as fedd does.
	Name       string
	Substrate  string
	Capacity   *Capacity
	Latency    *Latency
	Attributes []Attribute
	Range      hcl.Range
}

// OS is a computer's operating system.
type OS struct {
	Name, Version, Distribution, DistributionVersion string
}

// Software is a package installed on a computer: Location is where it is
// fetched from, Install the directory it is unpacked into.
type Software struct {
	Location, Install string
}

// Attribute is a TopDL name/value attribute.
type Attribute struct {
	Name, Value string
	Range       hcl.Range
}

// Dropped is an element the reader skipped.
type Dropped struct {
	Path  string // element path, such as experiment/elements/computer "a"/cpu
	Range hcl.Range
}

// Attr returns the value of the first attribute called name.
func Attr(attrs []Attribute, name string) (Attribute, bool) {
	for _, a := range attrs {
		if a.Name == name {
			return a, true
		}
	}
	return Attribute{}, false
}

// Well-known attribute names.
const (
	AttrNodeType       = "containers:node_type"
	AttrPartition      = "containers:partition"
	AttrGhost          = "containers:ghost"
	AttrOpenVZTemplate = "containers:openvz_template"
	AttrOpenVZDisk     = "containers:openvz_diskspace"
	AttrStartup        = "startup"
	AttrIP4Address     = "ip4_address"
	AttrIP4Netmask     = "ip4_netmask"
	AttrMAC            = "benito:mac_address"
	AttrVDESwitch      = "benito:vde_switch"
	AttrVDEPort        = "benito:vde_port"
)

// Node types the reader knows without being told.
const (
	TypeEmbeddedPnode = "embedded_pnode" // the physical host itself
)

// KnownTypes are the node types Read accepts without Options.Types:
// DETER's platforms, and embedded_pnode.
var KnownTypes = []string{contract.NodeQEMU, contract.NodeOpenVZ, contract.NodeProcess, TypeEmbeddedPnode}
