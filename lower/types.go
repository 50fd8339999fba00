package lower

import "github.com/zclconf/go-cty/cty"

// Resource types of the graph.
const (
	TypeSwitch     = "switch"
	TypePort       = "port"
	TypeTap        = "tap"
	TypeBridge     = "bridge"
	TypeVNode      = "vnode"
	TypeRoute      = "route"
	TypeMount      = "mount"
	TypeConfigFile = "config_file"
	// TypeStartup is a node's startup command, run inside the node once its
	// network, routes and mounts are complete.
	TypeStartup = "startup"
)

// InterfaceType is the object type of one entry of a vnode's "interfaces"
// list: everything a platform needs to plug the interface in. Exactly one
// of (vde_socket, vde_port) and bridge is set, by the switch's kind.
var InterfaceType = cty.Object(map[string]cty.Type{
	"name":        cty.String, // interface name inside the node
	"switch":      cty.String, // switch instance name
	"switch_kind": cty.String, // "vde" or "bridge"
	"vde_socket":  cty.String, // VDE switch control socket (vde)
	"vde_port":    cty.Number, // VDE port number (vde)
	"bridge":      cty.String, // host bridge device (bridge)
	"host_device": cty.String, // host-side device name (tap or veth end), within IFNAMSIZ
	"mac_address": cty.String,
	"ip4_address": cty.String, // dotted quad, or null
	"ip4_netmask": cty.String, // dotted quad, or null
	"mtu":         cty.Number,
	"capacity":    cty.Number, // bits per second, or null
	"latency":     cty.String, // Go duration, or null
	"loss":        cty.Number, // percent, or null
})

// ConfigTypes gives, for each resource type, the attributes lowering sets.
// A provider serving the type must accept all of them (it may add computed
// attributes of its own).
var ConfigTypes = map[string]map[string]cty.Type{
	TypeSwitch: {
		"name":   cty.String,
		"kind":   cty.String,
		"ports":  cty.Number, // VDE switches: the -n port count
		"subnet": cty.String,
		"socket": cty.String, // VDE: control socket path
		"device": cty.String, // bridge: host device name
		"group":  cty.String,
		"mode":   cty.String,
	},
	TypePort: {
		"switch":    cty.String,
		"socket":    cty.String,
		"number":    cty.Number,
		"node":      cty.String,
		"interface": cty.String,
	},
	TypeTap: {
		"name":   cty.String, // host device name
		"switch": cty.String, // VDE switch name, or null
		"socket": cty.String, // VDE switch socket, or null
		"port":   cty.Number, // VDE port, or null
		"bridge": cty.String, // bridge device, or null
		"owner":  cty.String,
		"group":  cty.String,
	},
	TypeBridge: {
		"name":   cty.String,
		"device": cty.String,
	},
	TypeVNode: {
		"name":       cty.String,
		"type":       cty.String,
		"os":         cty.String,
		"image":      cty.String,
		"partition":  cty.String,
		"ghost":      cty.Bool,
		"memory":     cty.Number,
		"cpus":       cty.Number,
		"attributes": cty.Map(cty.String),
		"interfaces": cty.List(InterfaceType),
		"config_dir": cty.String, // the experiment's config directory, shared into the node
		"run_dir":    cty.String, // the experiment's run directory (sockets, pid files, logs)
		// hosts_file is the experiment's hosts file (config_file.hosts, in
		// config_dir), which the node sees as its /etc/hosts: every node's
		// name resolves in every node. The vnode depends on the file, and
		// its content changes in place (same file), so that a node follows
		// it without being touched.
		"hosts_file": cty.String,
		// mount_namespace is true when the node has mount blocks: a
		// container or process node then gets a mount namespace of its own.
		"mount_namespace": cty.Bool,
		// ip_forward is true when the node has more than one addressed
		// interface: it forwards packets between its links (a router).
		"ip_forward": cty.Bool,
	},
	TypeRoute: {
		"node":        cty.String,
		"destination": cty.String,
		"gateway":     cty.String,
		"device":      cty.String,
		"metric":      cty.Number,
		// source is the node's own address on the interface the route
		// leaves by (the one whose subnet holds the gateway, or the
		// route's device), or null: the route's preferred source. The
		// kernel drops a route when the address it goes out by is
		// removed; naming that address makes an address change change
		// the route too, so that the plan shows it and the apply
		// installs it again after the node's update.
		"source": cty.String,
	},
	TypeMount: {
		"node":      cty.String,
		"node_type": cty.String,
		"source":    cty.String,
		"target":    cty.String,
		"read_only": cty.Bool,
	},
	TypeStartup: {
		"node":    cty.String,
		"command": cty.String,
		"log":     cty.String, // file the command's output is appended to
	},
	TypeConfigFile: {
		"path":    cty.String, // relative to the experiment's config directory
		"content": cty.String,
	},
}
