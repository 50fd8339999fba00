package hcl

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/model"
)

// BlockSpec is one block of the language: what the decoder accepts (its
// labels, attributes and nested blocks, compiled into the schemas the
// evaluator decodes with) and what docs/language.md says about it. The
// two are one value, so the documentation cannot list an attribute the
// language lacks, or miss one it has.
type BlockSpec struct {
	Type   string
	Labels []string // label names, such as "name"
	// Summary is one sentence; Description may hold more, in Markdown.
	Summary     string
	Description string
	// Attributes in the order the decoder suggests them ("Did you mean").
	Attributes []*AttributeSpec
	Blocks     []*BlockSpec
	// Open blocks take attributes of any name (site keys, local values,
	// a provider's attributes); Attributes lists the ones benito knows.
	// An open block is decoded without a schema.
	Open bool
	// Repeatable nested blocks may appear more than once.
	Repeatable bool
	// Value says what a reference to the block (TYPE.NAME) evaluates to;
	// "" when nothing can refer to it.
	Value string
	// Example is HCL that uses the block: for a top-level block, a piece
	// of configuration that loads together with the other blocks'
	// examples.
	Example string
}

// AttributeSpec is one attribute of a block.
type AttributeSpec struct {
	Name     string
	Type     string // as the documentation writes it: string, number, bool, map(string), reference, ...
	Required bool
	// Default is what applies when the attribute is unset, in Markdown;
	// "" for a required attribute.
	Default     string
	Description string
	// Example is an attribute line, NAME = EXPRESSION.
	Example string
}

// schema is the hcl.BodySchema of a block that is not open.
func (b *BlockSpec) schema() *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, a := range b.Attributes {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: a.Name, Required: a.Required})
	}
	for _, nb := range b.Blocks {
		s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: nb.Type, LabelNames: nb.Labels})
	}
	return s
}

// Overview introduces the language, in Markdown, before the blocks.
const Overview = "An experiment is a directory of `.hcl` files in HashiCorp's HCL syntax: blocks, " +
	"`NAME = EXPRESSION` attributes and `#` comments. Every `.hcl` file of the directory is loaded, and blocks may be " +
	"in any file and any order. A DETER TopDL `.xml` file there is read as the experiment too (`docs/topdl.md`).\n\n" +
	"Expressions are HCL's: strings with `${...}` interpolation, numbers, bools, lists `[...]`, objects `{ k = v }`, " +
	"`for` expressions, conditionals, and calls of the functions listed at the end. They refer to `var.NAME`, " +
	"`local.NAME`, `count.index`, `each.key`, `each.value` and to other blocks: `switch.NAME`, `bridge.NAME`, " +
	"`tap.NAME`, `vnode.NAME`, and `TYPE.NAME` for a resource; each block below says what it evaluates to. A block " +
	"with `count` is a tuple of instances (`switch.lan[0]`), one with `for_each` an object of them " +
	"(`vnode.host[\"b\"]`). Nothing can read files, the clock or the environment: the same files and variable values " +
	"always give the same experiment.\n\n" +
	"Names of blocks, instances, interfaces and the experiment hold letters, digits, `_` and `-`. Problems are " +
	"reported with their file, line and column, many at once."

// Language returns the top-level blocks of the language in the order of
// the documentation (and of the decoder's suggestions). The values are
// shared: do not change them.
func Language() []*BlockSpec { return language }

// Functions introduces the functions, in Markdown.
const Functions = "Expressions may call these functions: go-cty's standard library under Terraform's names, " +
	"and Terraform's `cidrhost`, `cidrsubnet` and `cidrnetmask`. None reads files, the clock or the environment."

// FunctionNames returns the names of the functions expressions may call,
// sorted.
func FunctionNames() []string {
	var names []string
	for name := range functions() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Meta-arguments of the blocks that make instances.
var (
	countSpec = &AttributeSpec{
		Name: "count", Type: "number", Default: "one instance, named by the label",
		Description: "Makes this many instances, named `LABEL-0`, `LABEL-1`, ...; `count.index` is the instance's number. A reference to the block is then a tuple: `switch.lan[0]`.",
		Example:     "count = 3",
	}
	forEachSpec = &AttributeSpec{
		Name: "for_each", Type: "map, object or set of strings", Default: "one instance, named by the label",
		Description: "Makes one instance per key, named `LABEL-KEY`; `each.key` and `each.value` are the key and its value. A reference to the block is then an object: `vnode.host[\"b\"]`.",
		Example:     "for_each = { b = 10, c = 11 }",
	}
	dependsOnSpec = &AttributeSpec{
		Name: "depends_on", Type: "list of references", Default: "`[]`: only the dependencies references make",
		Description: "Switches, bridges, vnodes, taps and resources (whole blocks, or one instance as in `vnode.b[0]`) to create before this block and destroy after it.",
		Example:     "depends_on = [vnode.router]",
	}
	metaSpecs = []*AttributeSpec{countSpec, forEachSpec, dependsOnSpec}
)

// shapingSpecs are a link's shaping attributes: on a switch, for every
// interface on it; on an interface, in place of its switch's. scope says
// which traffic they shape.
func shapingSpecs(scope, dflt string) []*AttributeSpec {
	return []*AttributeSpec{{
		Name: "capacity", Type: "string or number", Default: dflt,
		Description: "The rate " + scope + ", in bits per second: a number, or a string with a decimal, case-insensitive prefix and the unit `bit`, `bps` or `bit/s` (`\"100Mbit\"`, `\"100mbit\"` and `\"100Mbps\"` are all 100,000,000; unlike tc, `bps` means bits). A prefix without a unit (`\"100M\"`) is refused.",
		Example:     `capacity = "100Mbit"`,
	}, {
		Name: "latency", Type: "string", Default: dflt,
		Description: "The one-way delay " + scope + ", a Go duration (`\"10ms\"`, `\"1.5s\"`); a bare number is refused. On a VDE switch benito delays packets with `wirefilter`; on a bridge with the kernel's netem qdisc (a kernel without module `sch_netem` refuses it at plan).",
		Example:     `latency = "10ms"`,
	}, {
		Name: "loss", Type: "string or number", Default: dflt,
		Description: "The share of packets dropped " + scope + ", in percent from 0 to 100: `\"0.5%\"`, `\"0.5\"` or `0.5`.",
		Example:     `loss = "0.5%"`,
	}}
}

func attrs(lists ...[]*AttributeSpec) []*AttributeSpec {
	var out []*AttributeSpec
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

var requiredProvidersSpec = &BlockSpec{
	Type:    kindRequiredProviders,
	Summary: "The third-party providers the experiment uses, one attribute each.",
	Description: "Each attribute names a provider (letters and digits) and says where it comes from and which versions fit. " +
		"`benito init` finds the binary `benito-provider-NAME` on the plugin path, checks its version and pins its checksum in " +
		"`.benito.lock.hcl` (`docs/providers.md`).",
	Open: true,
	Attributes: []*AttributeSpec{{
		Name: "PROVIDER", Type: "object: `source` (string), `version` (string)", Required: true,
		Description: "`source` names the provider for the lock file (required); `version` is a constraint such as `\">= 0.1\"`, `\"~> 1.2\"` or `\">= 1.0, < 2.0\"` (any version when unset).",
		Example:     `hello = { source = "example.org/benito/hello", version = ">= 0.1" }`,
	}},
	Example: `required_providers {
  hello = { source = "example.org/benito/hello", version = ">= 0.1" }
}`,
}

var experimentSpec = &BlockSpec{
	Type:    kindExperiment,
	Labels:  []string{"name"},
	Summary: "Names the experiment; exactly one per configuration.",
	Description: "The name keeps experiments on one host apart: it is part of host device names, the run and config " +
		"directories, and the derived MAC addresses. A TopDL file read directly declares the experiment itself, named after the file, " +
		"unless a `.hcl` file declares it.",
	Attributes: []*AttributeSpec{{
		Name: "routing", Type: "string", Default: "`\"none\"` (`\"static\"` for an experiment imported from TopDL)",
		Description: "`\"none\"`: nodes get only the routes written in `route` blocks. `\"static\"`: benito computes shortest-path routes " +
			"between all subnets, through the nodes with more than one addressed interface (which forward), as DETER did; a route " +
			"a node declares itself wins.",
		Example: `routing = "static"`,
	}},
	Blocks: []*BlockSpec{requiredProvidersSpec},
	Example: `experiment "lab" {
  routing = "static"

  required_providers {
    hello = { source = "example.org/benito/hello", version = ">= 0.1" }
  }
}`,
}

var siteSpec = &BlockSpec{
	Type:    kindSite,
	Summary: "Settings of this host, DETER's site.conf: where things go and the defaults of nodes and switches.",
	Description: "At most one per configuration. Values are strings, numbers or bools, passed on as strings. Keys other than " +
		"these are carried through to every provider untouched (DETER's `exec_root`, `openvz_template_dir`, ...; " +
		"`benito import site` writes them from a site.conf, see `docs/topdl.md`).",
	Open: true,
	Attributes: []*AttributeSpec{{
		Name: contract.SiteConfigRoot, Type: "string", Default: "`\"" + model.SiteDefaults[contract.SiteConfigRoot] + "\"`",
		Description: "Absolute path under which each experiment's config directory (DETER's layout: `hosts`, `route/NODE`, `topology.xml`) is written, in `ROOT/EXPERIMENT/`. benito's default root is removed once empty; one set here stays. Not `/` nor a system directory (`/etc`, `/usr`, `/var`, `/tmp`, ...), nor inside `/proc`, `/sys`, `/dev` (but `/dev/shm/DIR`) or `/boot`: an experiment's name would pick the directory benito writes into. benito never overwrites a file there that it did not make.",
		Example:     `config_root = "/var/lib/benito"`,
	}, {
		Name: contract.SiteRunRoot, Type: "string", Default: "`\"" + model.SiteDefaults[contract.SiteRunRoot] + "\"`",
		Description: "Absolute path under which each experiment's run directory (switch sockets, pid files, logs) is made, in `ROOT/EXPERIMENT/`. The same directories are refused as for `config_root`.",
		Example:     `run_root = "/run/benito"`,
	}, {
		Name: model.SiteDefaultType, Type: "string", Default: "`\"" + model.SiteDefaults[model.SiteDefaultType] + "\"` (DETER's default)",
		Description: "The `type` of a vnode that sets none: `\"process\"`, `\"qemu\"`, `\"openvz\"` or a third-party provider's node type.",
		Example:     `default_type = "process"`,
	}, {
		Name: model.SiteSwitchKind, Type: "string", Default: "`\"" + model.SiteDefaults[model.SiteSwitchKind] + "\"`",
		Description: "The `kind` of a switch that sets none: `\"vde\"` or `\"bridge\"`.",
		Example:     `switch_kind = "bridge"`,
	}, {
		Name: model.SiteVDEPorts, Type: "number", Default: "`" + model.SiteDefaults[model.SiteVDEPorts] + "`",
		Description: "The ports a VDE switch that sets no `ports` starts with (more when more interfaces are attached), from 1 to 65535.",
		Example:     `vde_ports = 64`,
	}, {
		Name: contract.SiteQEMUAccel, Type: "string", Default: "`\"" + contract.AccelAuto + "\"`",
		Description: "The `accel` of a QEMU node that sets none: " + oneOf(contract.Accels) + ".",
		Example:     `qemu_accel = "tcg"`,
	}},
	Example: `site {
  config_root  = "/var/lib/benito"
  default_type = "process"
}`,
}

var variableSpec = &BlockSpec{
	Type:    kindVariable,
	Labels:  []string{"name"},
	Summary: "An input of the configuration, read as `var.NAME`.",
	Description: "Its value is, from lowest to highest precedence: its default, `BENITO_VAR_NAME` in the environment, each " +
		"`-var-file FILE` in order, each `-var NAME=VALUE` in order. Text values (environment, `-var`) are taken literally for " +
		"variables of type string or with no type, and parsed as HCL expressions otherwise.",
	Attributes: []*AttributeSpec{{
		Name: "type", Type: "type expression", Default: "any type",
		Description: "The type values must have: `string`, `number`, `bool`, `list(T)`, `set(T)`, `map(T)`, `object({...})` (with `optional(T, DEFAULT)` attributes), `tuple([...])`, `any`.",
		Example:     `type = string`,
	}, {
		Name: "default", Type: "any (a constant)", Default: "none: a value must be given",
		Description: "The value when none is given. It must fit `type`.",
		Example:     `default = "10ms"`,
	}, {
		Name: "description", Type: "string", Default: "none",
		Description: "What the variable is for, for people.",
		Example:     `description = "One-way delay on lan2."`,
	}, {
		Name: "sensitive", Type: "bool", Default: "false",
		Description: "The value is a secret, as in Terraform: it and every value derived from it are shown as " +
			"`(sensitive value)` in plans (human and JSON), messages and logs; a file of the config directory that holds one " +
			"is written 0600, and a startup command reaches the node through its environment, never its arguments. Only a " +
			"vnode's `startup`, `os`, `image`, `partition` and `attributes`, a resource block's attributes and a sensitive " +
			"output's `value` may take one: names, addresses, paths, `count` and the keys of `for_each` refuse it (a " +
			"`for_each` map's values may be sensitive: `each.value` is). The state (0600) and a saved plan (0600) hold the value.",
		Example: `sensitive = true`,
	}},
	Example: `variable "latency" {
  description = "One-way delay on lan2."
  type        = string
  default     = "10ms"
}`,
}

var localsSpec = &BlockSpec{
	Type:        kindLocals,
	Summary:     "Named values computed once and read as `local.NAME`.",
	Description: "Any number of locals blocks; each attribute is one local value, and names are unique across all of them.",
	Open:        true,
	Attributes: []*AttributeSpec{{
		Name: "NAME", Type: "any", Required: true,
		Description: "A local value: any expression, which may refer to variables, other locals and blocks.",
		Example:     `lan_subnet = "10.0.1.0/24"`,
	}},
	Example: `locals {
  lan_subnet = "10.0.1.0/24"
}`,
}

var outputSpec = &BlockSpec{
	Type:    kindOutput,
	Labels:  []string{"name"},
	Summary: "A value shown after apply and by `benito show`.",
	Attributes: []*AttributeSpec{{
		Name: "value", Type: "any", Required: true,
		Description: "The value: any expression.",
		Example:     `value = [for i in vnode.router.interface : i.ip4_prefix]`,
	}, {
		Name: "description", Type: "string", Default: "none",
		Description: "What the value is, for people.",
		Example:     `description = "The router's addresses."`,
	}, {
		Name: "sensitive", Type: "bool", Default: "false",
		Description: "The value is shown as `(sensitive value)`. An output whose value is derived from a sensitive " +
			"variable must say so, as in Terraform.",
		Example: `sensitive = true`,
	}},
	Example: `output "a_address" {
  value = vnode.a.interface["eth0"].ip4_prefix
}`,
}

var switchSpec = &BlockSpec{
	Type:    kindSwitch,
	Labels:  []string{"name"},
	Summary: "A LAN: a VDE switch (a `vde_switch` daemon) or a Linux bridge. A TopDL substrate is a switch.",
	Description: "Interfaces of nodes plug into it (`switch = switch.NAME`). On a VDE switch each interface gets a port, " +
		"numbered stably: adding a node never renumbers the others.",
	Attributes: attrs([]*AttributeSpec{{
		Name: "kind", Type: "string", Default: "the site's `switch_kind` (`\"" + model.SiteDefaults[model.SiteSwitchKind] + "\"`)",
		Description: "`\"vde\"`: a `vde_switch` daemon, with control and management sockets under the run directory. `\"bridge\"`: a Linux bridge.",
		Example:     `kind = "bridge"`,
	}, {
		Name: "ports", Type: "number", Default: "the site's `vde_ports` (`" + model.SiteDefaults[model.SiteVDEPorts] + "`), or more when more interfaces are attached",
		Description: "The ports of a VDE switch, from 0 to 65535; fewer than the interfaces attached is an error.",
		Example:     `ports = 64`,
	}, {
		Name: "subnet", Type: "string", Default: "none",
		Description: "The LAN's IPv4 prefix, `\"10.0.1.0/24\"`: addresses on it without a prefix length take this one, and every address on it must lie in it.",
		Example:     `subnet = "10.0.1.0/24"`,
	}, {
		Name: "group", Type: "string", Default: "the group benito runs as",
		Description: "The group owning a VDE switch's control socket (`vde_switch -g`).",
		Example:     `group = "vde"`,
	}, {
		Name: "mode", Type: "string", Default: "`vde_switch`'s default",
		Description: "The octal permission of a VDE switch's control socket (`vde_switch -m`), as a string so the leading 0 stays.",
		Example:     `mode = "0770"`,
	}}, joinSpecs("A switch of kind `\"bridge\"`"), shapingSpecs("out of each interface on the switch that does not set its own", "unshaped"), metaSpecs),
	Value: "an object with `name`, `kind`, `subnet` and `ports`; a string naming the switch works wherever a reference does.",
	Example: `switch "lan1" {
  subnet  = "10.0.1.0/24"
  latency = "10ms"
}`,
}

var bridgeSpec = &BlockSpec{
	Type:    kindBridge,
	Labels:  []string{"name"},
	Summary: "A Linux bridge for hand plumbing, such as a control network that taps are enslaved to.",
	Description: "For nodes' LANs, use a `switch` with `kind = \"bridge\"`. Taps name a bridge " +
		"with `bridge = bridge.NAME`.",
	Attributes: attrs(joinSpecs("A bridge"), metaSpecs),
	Value:      "an object with `name`.",
	Example:    `bridge "control" {}`,
}

// joinSpecs are the attributes joining a bridge (of a switch of kind
// bridge, or of a bridge block) to the host's own devices; what names the
// block.
func joinSpecs(what string) []*AttributeSpec {
	return []*AttributeSpec{{
		Name: "existing", Type: "string", Default: "none: benito makes the experiment's own bridge",
		Description: what + " uses this existing host bridge instead of making one: what is on the bridge joins the " +
			"host's LAN. benito never creates, deletes or reconfigures it; destroy takes off only what the experiment " +
			"attached. A bridge that is missing, or a device that is not a bridge, is refused when planning.",
		Example: `existing = "br0"`,
	}, {
		Name: "uplink", Type: "string", Default: "none",
		Description: "An existing host interface (a physical NIC, one end of a veth pair) made a port of the bridge: enslaved on apply, released on destroy, never created, deleted or reconfigured (bring it " +
			"up yourself). An interface that is missing, or already in another bridge, is refused when planning.",
		Example: `uplink = "eth1"`,
	}}
}

var tapSpec = &BlockSpec{
	Type:    kindTap,
	Labels:  []string{"name"},
	Summary: "A TAP device on the host, plugged into a VDE switch's port (with `vde_plug2tap`) or enslaved to a bridge.",
	Description: "Exactly one of `switch` and `bridge` is set. The device is named after the experiment and the tap, " +
		"within the kernel's 15 bytes.",
	Attributes: attrs([]*AttributeSpec{{
		Name: "switch", Type: "reference to a switch, or its name", Default: "none (set this or `bridge`)",
		Description: "The VDE switch to plug the tap into; it gets a port of its own.",
		Example:     `switch = switch.lan1`,
	}, {
		Name: "bridge", Type: "reference to a bridge, or its name", Default: "none (set this or `switch`)",
		Description: "The bridge to enslave the tap to.",
		Example:     `bridge = bridge.control`,
	}, {
		Name: "owner", Type: "string", Default: "none: only root may open it",
		Description: "The user owning the device (a name or a uid, as `vde_tunctl -u`), who may then open it without privileges.",
		Example:     `owner = "alice"`,
	}, {
		Name: "group", Type: "string", Default: "none",
		Description: "The group owning the device (a name or a gid), whose members may then open it.",
		Example:     `group = "kvm"`,
	}, {
		Name: "ip4_address", Type: "string", Default: "no address",
		Description: "The TAP's host-side IPv4 address, as Palacios' `qemu-ifup` set one: `\"198.18.0.1/30\"`, or the address alone " +
			"with `ip4_netmask`; a prefix length is needed in one of them. It must be a usable host address. The host " +
			"gets the prefix's connected route through the TAP, so pick a prefix no real network of the host uses. " +
			"Changing it changes the address in place.",
		Example: `ip4_address = "198.18.0.1/30"`,
	}, {
		Name: "ip4_netmask", Type: "string or number", Default: "the prefix length of `ip4_address`",
		Description: "The netmask, as `\"255.255.255.252\"`, `\"/30\"` or `30`, as on an interface; only with `ip4_address`, and agreeing with a length given there.",
		Example:     `ip4_netmask = "255.255.255.252"`,
	}}, metaSpecs),
	Value: "an object with `name`.",
	Example: `tap "monitor" {
  bridge = bridge.control
}`,
}

var interfaceSpec = &BlockSpec{
	Type:       "interface",
	Labels:     []string{"name"},
	Repeatable: true,
	Summary:    "A network interface of the node, on a switch: `eth0` inside the node.",
	Description: "Interface names are unique per node, and are the names of devices inside the node: at most 15 bytes of " +
		"letters, digits, `_` and `-`, not beginning with `-`, and not `lo` or another device the kernel puts in every " +
		"new network namespace (`sit0`, `tunl0`, `gre0`, ...). The MAC address is derived from the experiment, node and " +
		"interface names unless set; interfaces sort by name.",
	Attributes: attrs([]*AttributeSpec{{
		Name: "switch", Type: "reference to a switch, or its name", Required: true,
		Description: "The switch (LAN) the interface is on.",
		Example:     `switch = switch.lan1`,
	}, {
		Name: "ip4_address", Type: "string", Default: "no address",
		Description: "The IPv4 address, `\"10.0.1.10\"` or with its prefix length `\"10.0.1.10/24\"`; without one the length comes from `ip4_netmask`, else from the switch's `subnet`. It must be a usable host address.",
		Example:     `ip4_address = "10.0.1.10"`,
	}, {
		Name: "ip4_netmask", Type: "string or number", Default: "the prefix length of `ip4_address` or of the switch's `subnet`",
		Description: "The netmask, as `\"255.255.255.0\"`, `\"/24\"` or `24` (DETER's name); only with `ip4_address`, and agreeing with a length given there.",
		Example:     `ip4_netmask = "255.255.255.0"`,
	}, {
		Name: "mac_address", Type: "string", Default: "`02:` and 40 bits of a hash of experiment, node and interface",
		Description: "The interface's MAC address.",
		Example:     `mac_address = "02:00:00:00:01:0a"`,
	}, {
		Name: "mtu", Type: "number", Default: "the platform's (1500 for process nodes)",
		Description: "The MTU, from 68 to 65535.",
		Example:     `mtu = 9000`,
	}}, shapingSpecs("out of this interface", "the switch's")),
	Example: `interface "eth0" {
  switch      = switch.lan1
  ip4_address = "10.0.1.10"
}`,
}

// routeSpecs are a route's attributes, in a vnode's route block and in a
// top-level one.
var routeSpecs = []*AttributeSpec{{
	Name: "destination", Type: "string", Required: true,
	Description: "The destination prefix `\"10.0.2.0/24\"`; a bare address is a /32, `\"default\"` is 0.0.0.0/0.",
	Example:     `destination = "10.0.2.0/24"`,
}, {
	Name: "gateway", Type: "string", Default: "none (set this, `device`, or both)",
	Description: "The next hop, an IPv4 address in the subnet of one of the node's interfaces.",
	Example:     `gateway = vnode.router.interface["eth0"].ip4_address`,
}, {
	Name: "device", Type: "string", Default: "none (set this, `gateway`, or both)",
	Description: "The node's interface to send through.",
	Example:     `device = "eth0"`,
}, {
	Name: "metric", Type: "number", Default: "`0`",
	Description: "The route's metric, from 0 to 4294967295.",
	Example:     `metric = 10`,
}}

var nodeRouteSpec = &BlockSpec{
	Type:        kindRoute,
	Repeatable:  true,
	Summary:     "A route in the node's network stack.",
	Description: "It also goes into the node's `route/NODE` file of the config directory. With `routing = \"static\"` benito adds the others; a route written here wins.",
	Attributes:  routeSpecs,
	Example: `route {
  destination = "10.0.2.0/24"
  gateway     = "10.0.1.1"
}`,
}

var mountSpec = &BlockSpec{
	Type:       "mount",
	Repeatable: true,
	Summary:    "A host directory shared into the node: a bind mount for process nodes and containers, 9P for virtual machines.",
	Description: "A node with mounts gets a mount namespace of its own. Targets are unique per node. A target that is a " +
		"mount point in the node already (one the node has from the host) is covered by the mount, and uncovered when " +
		"it is removed.",
	Attributes: []*AttributeSpec{{
		Name: "source", Type: "string", Required: true,
		Description: "The host directory, an absolute path.",
		Example:     `source = "/users"`,
	}, {
		Name: "target", Type: "string", Default: "`source`",
		Description: "Where it appears inside the node, an absolute path; not `/`.",
		Example:     `target = "/mnt/users"`,
	}, {
		Name: "read_only", Type: "bool", Default: "`false`; `true` on a QEMU node (its guest would write into the host as root)",
		Description: "Mount it read-only.",
		Example:     `read_only = true`,
	}},
	Example: `mount {
  source = "/users"
}`,
}

var forwardSpec = &BlockSpec{
	Type:       "forward",
	Repeatable: true,
	Summary:    "QEMU nodes: a port of the host forwarded to a port of the guest, by QEMU's user-mode networking (`hostfwd`, the old `-redir`).",
	Description: "For reaching a guest from the host without TAP rights, such as its SSH server. A connection to " +
		"`host_address:host_port` on the host reaches `guest_port` in the guest. No two forwards of the experiment may " +
		"bind one protocol's port on one address (`0.0.0.0` clashes with every address): two nodes cannot listen on one " +
		"host port. Forwards sort by protocol, host address and host port. A process node refuses them at plan.",
	Attributes: []*AttributeSpec{{
		Name: "host_port", Type: "number", Required: true,
		Description: "The port on the host, from 1 to 65535.",
		Example:     `host_port = 2222`,
	}, {
		Name: "guest_port", Type: "number", Required: true,
		Description: "The port in the guest, from 1 to 65535.",
		Example:     `guest_port = 22`,
	}, {
		Name: "protocol", Type: "string", Default: "`\"" + contract.ProtocolTCP + "\"`",
		Description: oneOf(contract.Protocols) + ".",
		Example:     `protocol = "udp"`,
	}, {
		Name: "host_address", Type: "string", Default: "`\"" + contract.DefaultForwardAddress + "\"`: the host alone can connect",
		Description: "The host's IPv4 address to listen on, such as `\"0.0.0.0\"` for all of them. Anything but a loopback " +
			"address exposes the guest's port beyond the host, to whoever reaches that address.",
		Example: `host_address = "0.0.0.0"`,
	}},
	Example: `forward {
  host_port  = 2222
  guest_port = 22
}`,
}

// oneOf lists values for the documentation: `"a"`, `"b"` or `"c"`.
func oneOf(values []string) string {
	return orList(values, func(v string) string { return "`\"" + v + "\"`" })
}

// orList lists values, each written by quote, as a, b or c.
func orList(values []string, quote func(string) string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = quote(v)
	}
	if len(q) < 2 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// qemuSpecs are a vnode's attributes that configure a QEMU machine.
var qemuSpecs = []*AttributeSpec{{
	Name: "accel", Type: "string", Default: "the site's `" + contract.SiteQEMUAccel + "` (`\"" + contract.AccelAuto + "\"`)",
	Description: "QEMU nodes: the accelerator. `\"kvm\"`: KVM (the host needs `/dev/kvm`). `\"tcg\"`: QEMU's own " +
		"translator, slower, anywhere. `\"auto\"`: KVM where a probe guest really boots on it (probed once per host), TCG otherwise.",
	Example: `accel = "tcg"`,
}, {
	Name: "machine", Type: "string", Default: "the provider's",
	Description: "QEMU nodes: the machine type, as `qemu-system-x86_64 -machine help` lists them (`\"q35\"`, `\"pc\"`); letters, digits, `.`, `_` and `-`.",
	Example:     `machine = "q35"`,
}, {
	Name: "kernel", Type: "string", Default: "none: the machine boots its disk image",
	Description: "QEMU nodes: a kernel on the host to boot directly (`-kernel`), an absolute path.",
	Example:     `kernel = "/var/lib/benito/guest/vmlinuz"`,
}, {
	Name: "initrd", Type: "string", Default: "none",
	Description: "QEMU nodes: an initial ramdisk on the host for `kernel` (`-initrd`), an absolute path; only with `kernel`.",
	Example:     `initrd = "/var/lib/benito/guest/initrd.img"`,
}, {
	Name: "kernel_args", Type: "string", Default: "none",
	Description: "QEMU nodes: the kernel's command line (`-append`); only with `kernel`.",
	Example:     `kernel_args = "console=ttyS0 quiet"`,
}, {
	Name: "guest_config", Type: "string", Default: "`\"" + contract.GuestConfigShare + "\"`",
	Description: "QEMU nodes: how the machine learns its addresses, routes, hostname, hosts file and startup command. " +
		"`\"share\"`: a read-only 9P share tagged `benito-config`, which benito's test guest reads at boot (`docs/guest.md`). " +
		"`\"cloud-init\"`: a NoCloud cloud-init seed (network-config v2 and user-data), which stock cloud images read.",
	Example: `guest_config = "cloud-init"`,
}}

// openvzSpecs are a vnode's attributes that configure an OpenVZ
// container, named as vzctl's options.
var openvzSpecs = []*AttributeSpec{{
	Name: "ostemplate", Type: "string", Default: "the platform's (the site's template)",
	Description: "OpenVZ nodes: the OS template, vzctl's name for `image`, which it sets: a node sets one or the other, " +
		"not both (TopDL's `containers:openvz_template` is `image` too).",
	Example: `ostemplate = "/var/lib/benito/templates/debian-12.tar.gz"`,
}, {
	Name: "ctid", Type: "number", Default: "derived by the provider",
	Description: fmt.Sprintf("OpenVZ nodes: the container's id, as vzctl's CTID, from %d to %d "+
		"(vzctl reserves 0 to 100); no two nodes of the experiment may have one id.", contract.MinCTID, contract.MaxCTID),
	Example: `ctid = 101`,
}, {
	Name: "hostname", Type: "string", Default: "the node's name",
	Description: "OpenVZ nodes: the container's hostname, as vzctl's `--hostname`: labels of letters, digits and `-`, " +
		"joined by `.`, 64 characters at most. The experiment's hosts file names the node's first address by it too.",
	Example: `hostname = "web1.example.org"`,
}, {
	Name: "diskspace", Type: "string or number", Default: "no limit",
	Description: "OpenVZ nodes: the most the container may write to its private area, as vzctl writes it: " +
		"a whole number followed by `K`, `M`, `G` or `T` (powers of 1024, upper case), such as `\"2G\"`, or a number of bytes. " +
		"At least `\"8M\"` and a multiple of 4096 bytes (the block of the file system that holds the writes); " +
		"vzctl's `soft:hard` pair is not taken.",
	Example: `diskspace = "2G"`,
}, {
	Name: "nameserver", Type: "string or list(string)", Default: "the template's `/etc/resolv.conf`",
	Description: "OpenVZ nodes: the name servers of the container's `/etc/resolv.conf`, IPv4 or IPv6 addresses, in order (vzctl's `--nameserver`).",
	Example:     `nameserver = ["192.0.2.53", "2001:db8::53"]`,
}, {
	Name: "init", Type: "list(string)", Default: "the template's `/sbin/init`",
	Description: "OpenVZ nodes: the container's PID 1 and its arguments; the program is an absolute path inside the container, and no argument is empty.",
	Example:     `init = ["/bin/busybox", "init"]`,
}}

var vnodeSpec = &BlockSpec{
	Type:    kindVNode,
	Labels:  []string{"name"},
	Summary: "A virtual node: a process with its own network stack, a container or a virtual machine, by its `type`.",
	Description: "The provider named by `type` creates it (`process`, `qemu` and `openvz` are built in; a third party's type when its provider " +
		"is required). Its routes, mounts and startup command live inside it: when the node is created anew, they are too. " +
		"The attributes and blocks marked \"QEMU nodes\" configure a QEMU machine; a process node refuses them at plan. " +
		"Those marked \"OpenVZ nodes\" configure an OpenVZ container; a process or QEMU node refuses them at plan.",
	Attributes: attrs([]*AttributeSpec{{
		Name: "type", Type: "string", Default: "the site's `default_type` (`\"" + model.SiteDefaults[model.SiteDefaultType] + "\"`)",
		Description: "The platform: `\"process\"` (a process in its own namespaces), DETER's `\"qemu\"` (a virtual machine) and `\"openvz\"` (an OS container), or a third-party provider's name.",
		Example:     `type = "process"`,
	}, {
		Name: "startup", Type: "string", Default: "none",
		Description: "A shell command run inside the node once its network, routes and mounts are up (not on ghost nodes); its output goes to `RUN_ROOT/EXPERIMENT/log/`.",
		Example:     `startup = "iperf3 -s -D"`,
	}, {
		Name: "os", Type: "string", Default: "the platform's",
		Description: "The operating system's name (TopDL's `os`), for the node's provider.",
		Example:     `os = "Linux"`,
	}, {
		Name: "image", Type: "string", Default: "the platform's (the site's template or image)",
		Description: "A disk image or OS template for the node's provider (DETER's `openvz_template`); an OpenVZ node may call it `ostemplate`.",
		Example:     `image = "ubuntu-22.04"`,
	}, {
		Name: "partition", Type: "string", Default: "this host",
		Description: "The physical host the node belongs to (DETER's `partition`); one host for now.",
		Example:     `partition = "pnode-0"`,
	}, {
		Name: "ghost", Type: "bool", Default: "`false`",
		Description: "DETER's ghost node: created but not started; it gets no startup command.",
		Example:     `ghost = true`,
	}, {
		Name: "memory", Type: "number", Default: "the platform's",
		Description: "Memory in MiB, for platforms that allot it.",
		Example:     `memory = 512`,
	}, {
		Name: "cpus", Type: "number", Default: "the platform's",
		Description: "Number of CPUs, for platforms that allot them.",
		Example:     `cpus = 2`,
	}, {
		Name: "attributes", Type: "map(string)", Default: "`{}`",
		Description: "Other settings, carried through to the node's provider untouched (TopDL's computer attributes land here).",
		Example:     `attributes = { "containers:openvz_diskspace" = "2G" }`,
	}}, qemuSpecs, openvzSpecs, metaSpecs),
	Blocks: []*BlockSpec{interfaceSpec, nodeRouteSpec, mountSpec, forwardSpec},
	Value: "an object with `name`, `type` and `interface`, a map from interface name to `name`, `switch`, `ip4_address`, " +
		"`ip4_netmask`, `ip4_prefix` (`\"10.0.1.10/24\"`) and `mac_address` (derived unless set).",
	Example: `vnode "a" {
  type    = "process"
  startup = "sleep 1"

  interface "eth0" {
    switch      = switch.lan1
    ip4_address = "10.0.1.10"
  }
  route {
    destination = "default"
    gateway     = "10.0.1.1"
  }
  mount {
    source = "/tmp"
    target = "/mnt"
  }
}`,
}

var routeSpec = &BlockSpec{
	Type:        kindRoute,
	Labels:      []string{"name"},
	Summary:     "A route of a node, written outside the node's block (for routes of several nodes with `for_each`).",
	Description: "The same as a `route` block inside the vnode, plus `node`.",
	Attributes: attrs([]*AttributeSpec{{
		Name: "node", Type: "reference to a vnode, or its name", Required: true,
		Description: "The node whose network stack gets the route.",
		Example:     `node = vnode.a`,
	}, countSpec, forEachSpec}, routeSpecs),
	Example: `route "a_default" {
  node        = vnode.a
  destination = "10.9.0.0/16"
  device      = "eth0"
}`,
}

var resourceSpec = &BlockSpec{
	Type:    kindResource,
	Labels:  []string{"type", "name"},
	Summary: "A resource of a third-party provider's type, such as `hello_greeting`.",
	Description: "The type is the provider's name, `_` and the type's own name; the provider must be in `required_providers`. " +
		"The attributes are the provider's (`benito providers schema -json` lists them); values may be structured " +
		"(`x = { ... }`), nested blocks are not allowed. Types benito uses itself (`switch`, `vnode`, `port`, ...) are reserved.",
	Open: true,
	Attributes: attrs([]*AttributeSpec{{
		Name: "ATTRIBUTE", Type: "per the provider's schema", Required: true,
		Description: "An attribute of the provider's resource type; required ones must be set, computed ones must not.",
		Example:     `name = "world"`,
	}}, metaSpecs),
	Value: "an object with the configured attributes and `name` (what the provider computes is not known while evaluating).",
	Example: `resource "hello_greeting" "world" {
  path = "/tmp/hello-world.txt"
  name = "world"
}`,
}

// language is the top level, in the order of rootS.
var language = []*BlockSpec{
	experimentSpec, siteSpec, variableSpec, localsSpec, outputSpec,
	switchSpec, bridgeSpec, vnodeSpec, tapSpec, routeSpec, resourceSpec,
}
