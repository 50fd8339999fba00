package hcl

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// TestErrors loads small configurations that are wrong in one way each and
// checks which errors come out, where. Line 1 of every source is the
// experiment block unless the case is about it.
func TestErrors(t *testing.T) {
	const exp = "experiment \"t\" {}\n"
	const lan = "switch \"lan\" { subnet = \"10.0.0.0/24\" }\n"
	tests := []struct {
		name   string
		src    string
		opts   Options
		want   []string
		detail string // a piece of the first error's detail, when it matters
	}{
		{
			name: "missing experiment",
			src:  `switch "a" {}`,
			want: []string{"-: Missing experiment block"},
		},
		{
			name: "two experiments",
			src:  exp + `experiment "u" {}`,
			want: []string{"main.hcl:2: Duplicate experiment block"},
		},
		{
			name: "bad experiment name",
			src:  `experiment "a b" {}`,
			want: []string{`main.hcl:1: Invalid experiment name "a b"`},
		},
		{
			name:   "unknown block type",
			src:    exp + `vnod "a" {}`,
			want:   []string{"main.hcl:2: Unsupported block type"},
			detail: `Did you mean "vnode"?`,
		},
		{
			name:   "unknown attribute",
			src:    exp + "vnode \"a\" {\n  tpye = \"qemu\"\n}",
			want:   []string{"main.hcl:3: Unsupported argument"},
			detail: `Did you mean "type"?`,
		},
		{
			name:   "duplicate vnode",
			src:    exp + "vnode \"a\" {}\nvnode \"a\" {}",
			want:   []string{`main.hcl:3: Duplicate vnode "a"`},
			detail: "main.hcl:2,1",
		},
		{
			name: "invalid label",
			src:  exp + `switch "lan.0" {}`,
			want: []string{`main.hcl:2: Invalid switch name "lan.0"`},
		},
		{
			name:   "duplicate instance name",
			src:    exp + "vnode \"a\" {\n  count = 2\n}\nvnode \"a-1\" {}",
			want:   []string{`main.hcl:5: Duplicate vnode name "a-1"`},
			detail: `vnode.a-1 would be named "a-1" on the host, and so would vnode.a[1] (with count)`,
		},
		{
			name: "duplicate interface",
			src:  exp + lan + "vnode \"a\" {\n  interface \"eth0\" { switch = \"lan\" }\n  interface \"eth0\" { switch = \"lan\" }\n}",
			want: []string{`main.hcl:5: Duplicate interface "eth0"`},
		},
		{
			name: "invalid interface name",
			src:  exp + lan + "vnode \"a\" {\n  interface \"eth 0\" { switch = \"lan\" }\n}",
			want: []string{`main.hcl:4: Invalid interface name "eth 0"`},
		},
		{
			name:   "mount target /",
			src:    exp + "vnode \"a\" {\n  mount {\n    source = \"/srv\"\n    target = \"/\"\n  }\n}",
			want:   []string{"main.hcl:5: Mount over the node's root"},
			detail: `target = "/mnt"`,
		},
		{
			name: "mount of / onto itself",
			src:  exp + "vnode \"a\" {\n  mount {\n    source = \"/\"\n  }\n}",
			want: []string{"main.hcl:4: Mount over the node's root"},
		},
		{
			name:   "interface name like an option",
			src:    exp + lan + "vnode \"a\" {\n  interface \"-Pfile\" { switch = \"lan\" }\n}",
			want:   []string{`main.hcl:4: Invalid interface name "-Pfile"`},
			detail: "begins with '-'",
		},
		{
			name:   "interface named lo",
			src:    exp + lan + "vnode \"a\" {\n  interface \"lo\" { switch = \"lan\" }\n}",
			want:   []string{`main.hcl:4: Invalid interface name "lo"`},
			detail: "new network namespace",
		},
		{
			name:   "interface name too long",
			src:    exp + lan + "vnode \"a\" {\n  interface \"eth0123456789abc\" { switch = \"lan\" }\n}",
			want:   []string{`main.hcl:4: Invalid interface name "eth0123456789abc"`},
			detail: "IFNAMSIZ",
		},
		{
			name: "duplicate variable",
			src:  exp + "variable \"x\" {}\nvariable \"x\" {}",
			want: []string{`main.hcl:2: No value for required variable "x"`, `main.hcl:3: Duplicate variable "x"`},
		},
		{
			name: "duplicate local",
			src:  exp + "locals { a = 1 }\nlocals { a = 2 }",
			want: []string{`main.hcl:3: Duplicate local value "a"`},
		},
		{
			name: "duplicate output",
			src:  exp + "output \"o\" { value = 1 }\noutput \"o\" { value = 2 }",
			want: []string{`main.hcl:3: Duplicate output "o"`},
		},
		{
			name: "bad ip4_address",
			src:  exp + lan + "vnode \"a\" {\n  interface \"eth0\" {\n    switch = switch.lan\n    ip4_address = \"10.0.0.300\"\n  }\n}",
			want: []string{"main.hcl:6: Invalid ip4_address"},
		},
		{
			name: "IPv6 ip4_address",
			src:  exp + lan + "vnode \"a\" {\n  interface \"eth0\" {\n    switch = switch.lan\n    ip4_address = \"fd00::1\"\n  }\n}",
			want: []string{"main.hcl:6: Invalid ip4_address"},
		},
		{
			name:   "non-contiguous netmask",
			src:    exp + lan + "vnode \"a\" {\n  interface \"eth0\" {\n    switch = switch.lan\n    ip4_address = \"10.0.0.1\"\n    ip4_netmask = \"255.0.255.0\"\n  }\n}",
			want:   []string{"main.hcl:7: Invalid ip4_netmask"},
			detail: "not a contiguous netmask",
		},
		{
			name: "conflicting netmask",
			src:  exp + lan + "vnode \"a\" {\n  interface \"eth0\" {\n    switch = switch.lan\n    ip4_address = \"10.0.0.1/24\"\n    ip4_netmask = 16\n  }\n}",
			want: []string{"main.hcl:7: Conflicting netmask"},
		},
		{
			name:   "missing netmask",
			src:    exp + "switch \"s\" {}\nvnode \"a\" {\n  interface \"eth0\" {\n    switch = switch.s\n    ip4_address = \"10.0.0.1\"\n  }\n}",
			want:   []string{"main.hcl:6: Missing netmask"},
			detail: "give the switch a subnet",
		},
		{
			name: "missing netmask, switch named by string and declared later",
			src:  exp + "vnode \"a\" {\n  interface \"eth0\" {\n    switch = \"s-0\"\n    ip4_address = \"10.0.0.1\"\n  }\n}\nswitch \"s\" {\n  count = 1\n}",
			want: []string{"main.hcl:5: Missing netmask"},
		},
		{
			name: "bad MAC",
			src:  exp + lan + "vnode \"a\" {\n  interface \"eth0\" {\n    switch = switch.lan\n    mac_address = \"02:00:00:00:00\"\n  }\n}",
			want: []string{"main.hcl:6: Invalid mac_address"},
		},
		{
			name:   "multicast MAC",
			src:    exp + lan + "vnode \"a\" {\n  interface \"eth0\" {\n    switch = switch.lan\n    mac_address = \"01:00:5e:00:00:01\"\n  }\n}",
			want:   []string{"main.hcl:6: Invalid mac_address"},
			detail: "multicast",
		},
		{
			name:   "existing on a VDE switch",
			src:    exp + "switch \"s\" {\n  kind = \"vde\"\n  existing = \"br0\"\n}",
			want:   []string{"main.hcl:4: Not a bridge switch"},
			detail: `switch "s" is a VDE switch. Set kind = "bridge", or remove existing`,
		},
		{
			name:   "bad uplink name",
			src:    exp + "bridge \"b\" {\n  uplink = \"a b\"\n}",
			want:   []string{"main.hcl:3: Invalid uplink"},
			detail: "uplink names a host device",
		},
		{
			name:   "uplink is the existing bridge",
			src:    exp + "bridge \"b\" {\n  existing = \"br0\"\n  uplink = \"br0\"\n}",
			want:   []string{"main.hcl:4: Uplink is the bridge"},
			detail: `uplink "br0" is the bridge named by existing`,
		},
		{
			name:   "tap address without length",
			src:    exp + "bridge \"b\" {}\ntap \"t\" {\n  bridge = bridge.b\n  ip4_address = \"198.18.0.1\"\n}",
			want:   []string{"main.hcl:5: Missing netmask"},
			detail: `Write the address as "198.18.0.1/30"`,
		},
		{
			name:   "tap address invalid",
			src:    exp + "bridge \"b\" {}\ntap \"t\" {\n  bridge = bridge.b\n  ip4_address = \"198.18.0.300/30\"\n}",
			want:   []string{"main.hcl:5: Invalid ip4_address"},
			detail: `"198.18.0.300/30" is not an IPv4 address with a prefix length`,
		},
		{
			name:   "tap network address",
			src:    exp + "bridge \"b\" {}\ntap \"t\" {\n  bridge = bridge.b\n  ip4_address = \"198.18.0.0\"\n  ip4_netmask = \"255.255.255.252\"\n}",
			want:   []string{"main.hcl:5: Address is not a host address"},
			detail: "network address of 198.18.0.0/30",
		},
		{
			name:   "tap netmask without address",
			src:    exp + "bridge \"b\" {}\ntap \"t\" {\n  bridge = bridge.b\n  ip4_netmask = 30\n}",
			want:   []string{"main.hcl:5: Netmask without address"},
			detail: `Tap "t" has an ip4_netmask but no ip4_address`,
		},
		{
			name: "network address",
			src:  exp + lan + "vnode \"a\" {\n  interface \"eth0\" {\n    switch = switch.lan\n    ip4_address = \"10.0.0.0\"\n  }\n}",
			want: []string{"main.hcl:6: Address is not a host address"},
		},
		{
			name:   "broadcast address",
			src:    exp + lan + "vnode \"a\" {\n  interface \"eth0\" {\n    switch = switch.lan\n    ip4_address = \"10.0.0.255/24\"\n  }\n}",
			want:   []string{"main.hcl:6: Address is not a host address"},
			detail: "broadcast address of 10.0.0.0/24",
		},
		{
			name: "address outside the subnet",
			src:  exp + lan + "vnode \"a\" {\n  interface \"eth0\" {\n    switch = switch.lan\n    ip4_address = \"10.0.1.1\"\n    ip4_netmask = \"255.255.255.0\"\n  }\n}",
			want: []string{"main.hcl:6: Address outside the switch's subnet"},
		},
		{
			name:   "duplicate address on a switch",
			src:    exp + lan + "vnode \"a\" {\n  interface \"eth0\" {\n    switch = switch.lan\n    ip4_address = \"10.0.0.1\"\n  }\n}\nvnode \"b\" {\n  interface \"eth0\" {\n    switch = \"lan\"\n    ip4_address = \"10.0.0.1/24\"\n  }\n}",
			want:   []string{`main.hcl:12: Duplicate address 10.0.0.1 on switch.lan`},
			detail: `main.hcl:4,3, has on the same switch`,
		},
		{
			name: "same address on two switches is fine, same MAC is not",
			src: exp + lan + "switch \"lan2\" { subnet = \"10.0.0.0/24\" }\n" +
				"vnode \"a\" {\n  interface \"eth0\" {\n    switch = switch.lan\n    ip4_address = \"10.0.0.1\"\n    mac_address = \"02:00:00:00:00:01\"\n  }\n}\n" +
				"vnode \"b\" {\n  interface \"eth0\" {\n    switch = switch.lan2\n    ip4_address = \"10.0.0.1\"\n    mac_address = \"02:00:00:00:00:01\"\n  }\n}",
			want: []string{"main.hcl:12: Duplicate MAC address"},
		},
		{
			// Messages name an instance by its address, not its host name.
			name:   "unreachable gateway of an instance",
			src:    exp + lan + "vnode \"a\" {\n  count = 2\n  interface \"eth0\" {\n    switch = switch.lan\n    ip4_address = \"10.0.0.${count.index + 1}\"\n  }\n  route {\n    destination = \"default\"\n    gateway = \"10.9.0.${count.index}\"\n  }\n}",
			want:   []string{"main.hcl:11: Gateway not on a connected subnet", "main.hcl:11: Gateway not on a connected subnet"},
			detail: "vnode.a[0] cannot reach gateway 10.9.0.0",
		},
		{
			name:   "unreachable gateway",
			src:    exp + lan + "vnode \"a\" {\n  interface \"eth0\" {\n    switch = switch.lan\n    ip4_address = \"10.0.0.1\"\n  }\n  route {\n    destination = \"default\"\n    gateway = \"10.9.0.1\"\n  }\n}",
			want:   []string{"main.hcl:10: Gateway not on a connected subnet"},
			detail: "eth0 10.0.0.0/24",
		},
		{
			name:   "route destination with host bits",
			src:    exp + "vnode \"a\" {\n  route {\n    destination = \"10.0.1.5/24\"\n    device = \"eth0\"\n  }\n}",
			want:   []string{"main.hcl:4: Invalid route destination"},
			detail: `the network is "10.0.1.0/24"`,
		},
		{
			name: "bad gateway",
			src:  exp + "vnode \"a\" {\n  route {\n    destination = \"default\"\n    gateway = \"router\"\n  }\n}",
			want: []string{"main.hcl:5: Invalid route gateway"},
		},
		{
			name: "route to nowhere and unknown device",
			src:  exp + "vnode \"a\" {\n  route {\n    destination = \"default\"\n  }\n  route {\n    destination = \"10.1.0.0/16\"\n    device = \"eth9\"\n  }\n}",
			want: []string{"main.hcl:3: Route goes nowhere", `main.hcl:8: Unknown device "eth9"`},
		},
		{
			name: "duplicate route",
			src:  exp + lan + "vnode \"a\" {\n  interface \"eth0\" {\n    switch = switch.lan\n    ip4_address = \"10.0.0.1\"\n  }\n  route {\n    destination = \"default\"\n    device = \"eth0\"\n  }\n}\nroute \"r\" {\n  node = vnode.a\n  destination = \"0.0.0.0/0\"\n  gateway = \"10.0.0.254\"\n}",
			want: []string{"main.hcl:13: Duplicate route to 0.0.0.0/0"},
		},
		{
			name: "relative mount paths",
			src:  exp + "vnode \"a\" {\n  mount {\n    source = \"users\"\n  }\n  mount {\n    source = \"/users\"\n    target = \"home\"\n  }\n}",
			want: []string{"main.hcl:4: Mount source is not absolute", "main.hcl:8: Mount target is not absolute"},
		},
		{
			name: "duplicate mount target",
			src:  exp + "vnode \"a\" {\n  mount {\n    source = \"/a\"\n    target = \"/x\"\n  }\n  mount {\n    source = \"/b\"\n    target = \"/x/\"\n  }\n}",
			want: []string{"main.hcl:7: Duplicate mount target"},
		},
		{
			name:   "undeclared switch reference",
			src:    exp + "switch \"lan0\" {}\nvnode \"a\" {\n  interface \"eth0\" { switch = switch.lan9 }\n}",
			want:   []string{`main.hcl:4: Reference to undeclared switch "lan9"`},
			detail: `Did you mean "lan0"?`,
		},
		{
			name:   "undeclared variable",
			src:    exp + "variable \"count_nodes\" { default = 1 }\nvnode \"a\" {\n  count = var.cuont_nodes\n}",
			want:   []string{`main.hcl:4: Reference to undeclared variable "cuont_nodes"`},
			detail: `Did you mean "count_nodes"?`,
		},
		{
			name: "undeclared local, far from any name",
			src:  exp + "output \"o\" { value = local.zzzzzz }",
			want: []string{`main.hcl:2: Reference to undeclared local value "zzzzzz"`},
		},
		{
			name:   "unknown root",
			src:    exp + "output \"o\" { value = vnodes.a }",
			want:   []string{`main.hcl:2: Unknown name "vnodes"`},
			detail: `Did you mean "vnode"?`,
		},
		{
			name:   "cycle",
			src:    exp + "vnode \"a\" {\n  depends_on = [vnode.b]\n}\nvnode \"b\" {\n  depends_on = [vnode.a]\n}",
			want:   []string{"main.hcl:2: Dependency cycle: vnode.a → vnode.b → vnode.a"},
			detail: "main.hcl:3,17; vnode.b refers to vnode.a at ",
		},
		{
			name: "cycle through locals",
			src:  exp + "locals {\n  a = local.b\n  b = local.c\n  c = local.a\n}\noutput \"o\" { value = local.a }",
			want: []string{"main.hcl:3: Dependency cycle: local.a → local.b → local.c → local.a"},
		},
		{
			name: "self reference",
			src:  exp + "switch \"s\" {\n  ports = switch.s.ports\n}",
			want: []string{"main.hcl:2: Dependency cycle: switch.s → switch.s"},
		},
		{
			name:   "interface on a switch that does not exist",
			src:    exp + lan + "vnode \"a\" {\n  interface \"eth0\" { switch = \"lna\" }\n}",
			want:   []string{`main.hcl:4: Unknown switch "lna"`},
			detail: `Did you mean "lan"?`,
		},
		{
			name:   "interface switch is a vnode",
			src:    exp + "vnode \"b\" {}\nvnode \"a\" {\n  interface \"eth0\" { switch = vnode.b }\n}",
			want:   []string{"main.hcl:4: Not a switch"},
			detail: "this is a vnode",
		},
		{
			name:   "interface switch is a counted switch",
			src:    exp + "switch \"s\" {\n  count = 2\n}\nvnode \"a\" {\n  interface \"eth0\" { switch = switch.s }\n}",
			want:   []string{"main.hcl:6: Not a switch"},
			detail: "collection of instances: pick one",
		},
		{
			name: "count and for_each",
			src:  exp + "bridge \"b\" {\n  count = 1\n  for_each = toset([\"x\"])\n}",
			want: []string{"main.hcl:4: Both count and for_each"},
		},
		{
			name: "bad count",
			src:  exp + "bridge \"b\" {\n  count = -1\n}\nbridge \"c\" {\n  count = 1.5\n}",
			want: []string{"main.hcl:3: Invalid count", "main.hcl:6: Invalid count"},
		},
		{
			name: "count.index without count",
			src:  exp + "bridge \"b\" {}\nswitch \"s\" {\n  ports = count.index\n}",
			want: []string{`main.hcl:4: Reference to "count" in a block without count`},
		},
		{
			name: "each in count",
			src:  exp + "bridge \"b\" {\n  count = each.key\n}",
			want: []string{`main.hcl:3: Reference to "each" in count`},
		},
		{
			name: "each without for_each",
			src:  exp + "switch \"s\" {\n  ports = each.value\n}",
			want: []string{`main.hcl:3: Reference to "each" in a block without for_each`},
		},
		{
			name: "count in count",
			src:  exp + "bridge \"b\" {\n  count = count.index\n}",
			want: []string{`main.hcl:3: Reference to "count" in count`},
		},
		{
			name:   "bad for_each key",
			src:    exp + "bridge \"b\" {\n  for_each = toset([\"ok\", \"not ok\"])\n}",
			want:   []string{"main.hcl:3: Invalid for_each key"},
			detail: `host name "b-not ok"`,
		},
		{
			name:   "for_each over a list",
			src:    exp + "bridge \"b\" {\n  for_each = [\"a\"]\n}",
			want:   []string{"main.hcl:3: Invalid for_each"},
			detail: "toset",
		},
		{
			name: "-var without =",
			src:  exp + "variable \"n\" { default = 1 }",
			opts: Options{Vars: []string{"n"}},
			want: []string{"-: Invalid -var option"},
		},
		{
			name:   "-var for an undeclared variable",
			src:    exp + "variable \"nodes\" { default = 1 }",
			opts:   Options{Vars: []string{"node=3"}},
			want:   []string{`-: Value for undeclared variable "node"`},
			detail: `did you mean "nodes"?`,
		},
		{
			name:   "required variable",
			src:    exp + "variable \"n\" {\n  type = number\n}\noutput \"o\" { value = var.n }",
			want:   []string{`main.hcl:2: No value for required variable "n"`},
			detail: "BENITO_VAR_n",
		},
		{
			name:   "variable of the wrong type",
			src:    exp + "variable \"n\" {\n  type = number\n}\nbridge \"b\" {\n  count = var.n\n}",
			opts:   Options{Vars: []string{"n=[1]"}},
			want:   []string{`main.hcl:2: Invalid value for variable "n"`},
			detail: `-var "n=[1]"`,
		},
		{
			name: "default of the wrong type",
			src:  exp + "variable \"n\" {\n  type = number\n  default = \"many\"\n}",
			want: []string{`main.hcl:4: Invalid default for variable "n"`},
		},
		{
			name: "relative site root",
			src:  exp + "site {\n  config_root = \"etc/benito\"\n  switch_kind = \"hub\"\n}",
			want: []string{"main.hcl:3: Invalid config_root", "main.hcl:4: Invalid switch_kind"},
		},
		{
			// An experiment named etc under config_root "/" would make
			// /etc/hosts its hosts file.
			name:   "system directory as site root",
			src:    exp + "site {\n  config_root = \"/\"\n  run_root = \"/usr/\"\n}",
			want:   []string{"main.hcl:3: Invalid config_root", "main.hcl:4: Invalid run_root"},
			detail: "a directory of the system",
		},
		{
			name: "two site blocks",
			src:  exp + "site {}\nsite {}",
			want: []string{"main.hcl:3: Duplicate site block"},
		},
		{
			name: "bad shaping",
			src:  exp + "switch \"s\" {\n  capacity = \"100M\"\n  latency = 10\n  loss = \"150%\"\n}",
			want: []string{"main.hcl:3: Invalid capacity", "main.hcl:4: Invalid latency", "main.hcl:5: Invalid loss"},
		},
		{
			name: "bad switch settings",
			src:  exp + "switch \"s\" {\n  kind = \"hub\"\n  subnet = \"10.0.0.1/24\"\n  mode = \"rwx\"\n  ports = -1\n}",
			want: []string{"main.hcl:3: Invalid switch kind", "main.hcl:4: Invalid subnet", "main.hcl:5: Invalid mode", "main.hcl:6: Invalid ports"},
		},
		{
			name: "tap with neither switch nor bridge",
			src:  exp + "tap \"t\" {}",
			want: []string{"main.hcl:2: Tap needs one of switch and bridge"},
		},
		{
			name: "tap on an unknown bridge",
			src:  exp + "bridge \"ctl\" {}\ntap \"t\" {\n  bridge = \"ctrl\"\n}",
			want: []string{`main.hcl:4: Unknown bridge "ctrl"`},
		},
		{
			name: "route for an unknown node",
			src:  exp + "route \"r\" {\n  node = \"ghost\"\n  destination = \"default\"\n  device = \"eth0\"\n}",
			want: []string{`main.hcl:3: Unknown vnode "ghost"`},
		},
		{
			name: "invalid routing",
			src:  "experiment \"t\" {\n  routing = \"ospf\"\n}",
			want: []string{"main.hcl:2: Invalid routing"},
		},
		{
			name: "invalid depends_on",
			src:  exp + "variable \"v\" { default = 1 }\nbridge \"b\" {\n  depends_on = [var.v]\n}\nbridge \"c\" {\n  depends_on = [bridge.b[3]]\n}",
			want: []string{"main.hcl:4: Invalid depends_on reference", "main.hcl:7: Invalid depends_on reference"},
		},
		{
			name:   "accel not in its set",
			src:    exp + "vnode \"a\" {\n  accel = \"kvn\"\n}",
			want:   []string{"main.hcl:3: Invalid accel"},
			detail: `accel must be "auto", "kvm" or "tcg", not "kvn". Did you mean "kvm"?`,
		},
		{
			name:   "guest_config not in its set",
			src:    exp + "vnode \"a\" {\n  guest_config = \"cloudinit\"\n}",
			want:   []string{"main.hcl:3: Invalid guest_config"},
			detail: `Did you mean "cloud-init"?`,
		},
		{
			name:   "site qemu_accel not in its set",
			src:    exp + "site {\n  qemu_accel = \"TCG\"\n}",
			want:   []string{"main.hcl:3: Invalid qemu_accel"},
			detail: `qemu_accel must be "auto", "kvm" or "tcg", not "TCG".`,
		},
		{
			name:   "machine with options",
			src:    exp + "vnode \"a\" {\n  machine = \"q35,accel=kvm\"\n}",
			want:   []string{"main.hcl:3: Invalid machine"},
			detail: "options after a comma are not taken",
		},
		{
			name: "relative kernel and initrd",
			src:  exp + "vnode \"a\" {\n  kernel = \"vmlinuz\"\n  initrd = \"boot/initrd.img\"\n}",
			want: []string{"main.hcl:3: Invalid kernel", "main.hcl:4: Invalid initrd"},
		},
		{
			name:   "initrd and kernel_args without kernel",
			src:    exp + "vnode \"a\" {\n  initrd = \"/boot/initrd.img\"\n  kernel_args = \"quiet\"\n}",
			want:   []string{"main.hcl:3: initrd without kernel", "main.hcl:4: kernel_args without kernel"},
			detail: "vnode.a sets initrd, which only a kernel booted directly takes",
		},
		{
			name: "forward ports out of range or not whole",
			src:  exp + "vnode \"a\" {\n  forward {\n    host_port = 0\n    guest_port = 65536\n  }\n  forward {\n    host_port = 22.5\n    guest_port = 22\n  }\n}",
			want: []string{"main.hcl:4: Invalid host_port", "main.hcl:5: Invalid guest_port", "main.hcl:8: Invalid host_port"},
		},
		{
			name: "forward without ports",
			src:  exp + "vnode \"a\" {\n  forward {\n    protocol = \"tcp\"\n  }\n}",
			want: []string{"main.hcl:3: Missing required argument", "main.hcl:3: Missing required argument"},
		},
		{
			name:   "forward protocol not tcp or udp",
			src:    exp + "vnode \"a\" {\n  forward {\n    host_port = 2222\n    guest_port = 22\n    protocol = \"tpc\"\n  }\n}",
			want:   []string{"main.hcl:6: Invalid protocol"},
			detail: `protocol must be "tcp" or "udp", not "tpc". Did you mean "tcp"?`,
		},
		{
			name: "forward host_address not an IPv4 literal",
			src:  exp + "vnode \"a\" {\n  forward {\n    host_port = 2222\n    guest_port = 22\n    host_address = \"localhost\"\n  }\n  forward {\n    host_port = 2223\n    guest_port = 22\n    host_address = \"224.0.0.1\"\n  }\n}",
			want: []string{"main.hcl:6: Invalid host_address", "main.hcl:11: Invalid host_address"},
		},
		{
			name:   "one host port forwarded twice in a node",
			src:    exp + "vnode \"a\" {\n  forward {\n    host_port = 2222\n    guest_port = 22\n  }\n  forward {\n    host_port = 2222\n    guest_port = 80\n  }\n}",
			want:   []string{"main.hcl:7: Host port forwarded twice"},
			detail: "main.hcl:3,3, and this one binds it on 127.0.0.1",
		},
		{
			name:   "one host port forwarded by two nodes",
			src:    exp + "vnode \"a\" {\n  forward {\n    host_port = 2222\n    guest_port = 22\n  }\n}\nvnode \"b\" {\n  forward {\n    host_port = 2222\n    guest_port = 22\n  }\n}",
			want:   []string{"main.hcl:9: Host port forwarded twice"},
			detail: "Another forward of vnode.a binds tcp port 2222 on 127.0.0.1",
		},
		{
			name:   "every address clashes with each",
			src:    exp + "vnode \"a\" {\n  forward {\n    host_port = 2222\n    guest_port = 22\n  }\n}\nvnode \"b\" {\n  forward {\n    host_port = 2222\n    guest_port = 22\n    host_address = \"0.0.0.0\"\n  }\n}",
			want:   []string{"main.hcl:9: Host port forwarded twice"},
			detail: "this one binds it on 0.0.0.0",
		},
		{
			name:   "every instance forwards one port",
			src:    exp + "vnode \"a\" {\n  count = 2\n  forward {\n    host_port = 2222\n    guest_port = 22\n  }\n}",
			want:   []string{"main.hcl:4: Host port forwarded twice"},
			detail: "host_port = 2222 + count.index",
		},
		{
			name: "sensitive forward port",
			src:  exp + "variable \"p\" {\n  default = 2222\n  sensitive = true\n}\nvnode \"a\" {\n  forward {\n    host_port = var.p\n    guest_port = 22\n  }\n}",
			want: []string{"main.hcl:8: Sensitive value not allowed"},
		},
		{
			name:   "hostname not a host name",
			src:    exp + "vnode \"a\" {\n  hostname = \"-web\"\n}\nvnode \"b\" {\n  hostname = \"a b\"\n}",
			want:   []string{"main.hcl:3: Invalid hostname", "main.hcl:6: Invalid hostname"},
			detail: `vnode.a: hostname "-web" is not a host name: labels of letters, digits and '-' (not first or last), joined by '.', 64 characters at most.`,
		},
		{
			name:   "ctid reserved or too large",
			src:    exp + "vnode \"a\" {\n  ctid = 100\n}\nvnode \"b\" {\n  ctid = 2147483645\n}\nvnode \"c\" {\n  ctid = 101.5\n}",
			want:   []string{"main.hcl:3: Invalid ctid", "main.hcl:6: Invalid ctid", "main.hcl:9: Invalid ctid"},
			detail: "ctid must be a whole number from 101 to 2147483644, not 100.",
		},
		{
			name:   "one ctid for two nodes",
			src:    exp + "vnode \"a\" {\n  ctid = 101\n}\nvnode \"b\" {\n  ctid = 102\n}\nvnode \"c\" {\n  ctid = 101\n}",
			want:   []string{"main.hcl:9: Duplicate ctid"},
			detail: "main.hcl:3,10: a container id names one container",
		},
		{
			name:   "every instance has one ctid",
			src:    exp + "vnode \"a\" {\n  count = 2\n  ctid = 101\n}",
			want:   []string{"main.hcl:4: Duplicate ctid"},
			detail: "ctid = 101 + count.index",
		},
		{
			name: "diskspace not vzctl's form",
			src: exp + "vnode \"a\" {\n  diskspace = \"2g\"\n}\nvnode \"b\" {\n  diskspace = \"1G:2G\"\n}\nvnode \"c\" {\n  diskspace = \"1.5G\"\n}\n" +
				"vnode \"d\" {\n  diskspace = 1.5\n}\nvnode \"e\" {\n  diskspace = true\n}",
			want:   []string{"main.hcl:3: Invalid diskspace", "main.hcl:6: Invalid diskspace", "main.hcl:9: Invalid diskspace", "main.hcl:12: Invalid diskspace", "main.hcl:15: Invalid diskspace"},
			detail: "upper case",
		},
		{
			name:   "diskspace too small or not in blocks",
			src:    exp + "vnode \"a\" {\n  diskspace = \"4M\"\n}\nvnode \"b\" {\n  diskspace = 8388609\n}\nvnode \"c\" {\n  diskspace = \"100K\"\n}",
			want:   []string{"main.hcl:3: Invalid diskspace", "main.hcl:6: Invalid diskspace", "main.hcl:9: Invalid diskspace"},
			detail: "at least 8388608 (8M) and a multiple of 4096",
		},
		{
			name: "nameserver not an address",
			src: exp + "vnode \"a\" {\n  nameserver = \"ns.example\"\n}\nvnode \"b\" {\n  nameserver = [\"192.0.2.53\", \"192.0.2.53:53\"]\n}\n" +
				"vnode \"c\" {\n  nameserver = []\n}\nvnode \"d\" {\n  nameserver = [\"192.0.2.1\", \"192.0.2.1\"]\n}\nvnode \"e\" {\n  nameserver = 53\n}",
			want:   []string{"main.hcl:3: Invalid nameserver", "main.hcl:6: Invalid nameserver", "main.hcl:9: Invalid nameserver", "main.hcl:12: Invalid nameserver", "main.hcl:15: Invalid nameserver"},
			detail: `nameserver "ns.example" is not an IP address`,
		},
		{
			name:   "init empty or relative",
			src:    exp + "vnode \"a\" {\n  init = [\"init\"]\n}\nvnode \"b\" {\n  init = []\n}\nvnode \"c\" {\n  init = [\"/sbin/init\", \"\"]\n}\nvnode \"d\" {\n  init = \"/sbin/init\"\n}",
			want:   []string{"main.hcl:3: Invalid init", "main.hcl:6: Invalid init", "main.hcl:9: Invalid init", "main.hcl:12: Incorrect attribute value type"},
			detail: `init's program "init" is not an absolute path`,
		},
		{
			name:   "ostemplate and image",
			src:    exp + "vnode \"a\" {\n  image = \"x.tar.gz\"\n  ostemplate = \"y.tar.gz\"\n}",
			want:   []string{"main.hcl:4: Both ostemplate and image"},
			detail: "main.hcl:3,3: ostemplate is OpenVZ's name for image",
		},
		{
			name: "invalid type",
			src:  exp + "vnode \"a\" {\n  type = \"q e m u\"\n}",
			want: []string{"main.hcl:3: Invalid type"},
		},
		{
			name: "attribute of the wrong type",
			src:  exp + "vnode \"a\" {\n  ghost = \"maybe\"\n  memory = \"lots\"\n}",
			want: []string{"main.hcl:3: Incorrect attribute value type", "main.hcl:4: Incorrect attribute value type"},
		},
		{
			name: "one error in a counted block is reported once",
			src:  exp + "vnode \"a\" {\n  count = 100\n  memory = \"lots\"\n}",
			want: []string{"main.hcl:4: Incorrect attribute value type"},
		},
		{
			name: "failed values do not cascade",
			src:  exp + "locals {\n  n = 1 + \"x\"\n  m = local.n * 2\n}\nbridge \"b\" {\n  count = local.m\n}\noutput \"o\" { value = bridge.b }",
			want: []string{"main.hcl:3: Invalid operand"},
		},
		{
			name: "syntax error alone, without echoes",
			src:  exp + "vnode \"a\" {\n  type = \n}\noutput \"o\" { value = vnode.a }",
			want: []string{"main.hcl:3: Invalid expression"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := loadSrc(t, tt.src, tt.opts)
			got := errorLines(diags)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("errors (-want +got):\n%s\n%s", diff, diagText(cfg, diags))
			}
			if cfg.Experiment != nil {
				t.Error("Experiment is set although there are errors")
			}
			for _, d := range diags {
				if d.Summary == "" || d.Detail == "" {
					t.Errorf("diagnostic %q lacks a summary or detail", d.Summary)
				}
			}
			if tt.detail != "" && !strings.Contains(firstError(diags).Detail, tt.detail) {
				t.Errorf("detail %q does not say %q", firstError(diags).Detail, tt.detail)
			}
		})
	}
}

func firstError(diags hcl.Diagnostics) *hcl.Diagnostic {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			return d
		}
	}
	return &hcl.Diagnostic{}
}

func TestNoFiles(t *testing.T) {
	cfg, diags := Load(t.TempDir(), Options{})
	if diff := cmp.Diff([]string{"-: No configuration files"}, errorLines(diags)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if cfg == nil || cfg.Files == nil {
		t.Error("Load must return a Config with Files even on error")
	}
}

func TestErrorsPrintWithSource(t *testing.T) {
	cfg, diags := loadSrc(t, "experiment \"t\" {}\nvnode \"a\" {\n  interface \"eth0\" { switch = switch.lan9 }\n}\n", Options{})
	text := diagText(cfg, diags)
	for _, want := range []string{"main.hcl line 3, in vnode \"a\"", "switch.lan9", "Reference to undeclared switch"} {
		if !strings.Contains(text, want) {
			t.Errorf("printed diagnostics lack %q:\n%s", want, text)
		}
	}
}
