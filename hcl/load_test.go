package hcl

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/benito-net/benito/model"
)

// writeDir writes files into a new directory and returns it.
func writeDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// loadSrc loads a directory holding main.hcl with src.
func loadSrc(t *testing.T, src string, opts Options) (*Config, hcl.Diagnostics) {
	t.Helper()
	return Load(writeDir(t, map[string]string{"main.hcl": src}), opts)
}

// mustLoad loads and fails the test on any error.
func mustLoad(t *testing.T, src string, opts Options) *model.Experiment {
	t.Helper()
	cfg, diags := loadSrc(t, src, opts)
	if diags.HasErrors() {
		t.Fatalf("unexpected errors:\n%s", diagText(cfg, diags))
	}
	return cfg.Experiment
}

func diagText(cfg *Config, diags hcl.Diagnostics) string {
	var b strings.Builder
	w := hcl.NewDiagnosticTextWriter(&b, cfg.Files, 120, false)
	_ = w.WriteDiagnostics(diags)
	return b.String()
}

// summary renders the parts of an experiment the tests care about, one
// line per thing, so that a difference reads like a diff of the model.
func summary(exp *model.Experiment) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	shaping := func(s model.Shaping) string {
		if s.IsZero() {
			return ""
		}
		return fmt.Sprintf(" shaping=%d/%s/%g", s.Capacity, s.Latency, s.Loss)
	}
	add("experiment %s routing=%q", exp.Name, exp.Routing)
	for _, sw := range exp.Switches {
		add("switch %s %s ports=%d subnet=%s%s group=%q mode=%q deps=%v", sw.Name, sw.Kind, sw.Ports, sw.Subnet, shaping(sw.Shaping), sw.Group, sw.Mode, sw.DependsOn)
	}
	for _, br := range exp.Bridges {
		add("bridge %s deps=%v", br.Name, br.DependsOn)
	}
	for _, vn := range exp.VNodes {
		add("vnode %s %s image=%q mem=%d cpus=%d part=%q ghost=%v attrs=%v deps=%v", vn.Name, vn.Type, vn.Image, vn.Memory, vn.CPUs, vn.Partition, vn.Ghost, vn.Attrs, vn.DependsOn)
		for _, ifc := range vn.Interfaces {
			add("  interface %s on %s addr=%s mac=%s mtu=%d%s", ifc.Name, ifc.Switch, ifc.Address, ifc.MAC, ifc.MTU, shaping(ifc.Shaping))
		}
		for _, r := range vn.Routes {
			add("  route %s via %s dev %q metric %d", r.Destination, r.Gateway, r.Device, r.Metric)
		}
		for _, m := range vn.Mounts {
			add("  mount %s -> %s ro=%v", m.Source, m.Target, m.ReadOnly)
		}
		if vn.Accel != "" || vn.Machine != "" || vn.Kernel != "" || vn.Initrd != "" || vn.KernelArgs != "" || vn.GuestConfig != "" {
			add("  qemu accel=%q machine=%q kernel=%q initrd=%q kernel_args=%q guest_config=%q", vn.Accel, vn.Machine, vn.Kernel, vn.Initrd, vn.KernelArgs, vn.GuestConfig)
		}
		for _, f := range vn.Forwards {
			add("  forward %s %s:%d -> %d", f.Protocol, f.HostAddress, f.HostPort, f.GuestPort)
		}
	}
	for _, tap := range exp.Taps {
		add("tap %s switch=%q bridge=%q owner=%q group=%q", tap.Name, tap.Switch, tap.Bridge, tap.Owner, tap.Group)
	}
	for _, r := range exp.Routes {
		add("route %s %s via %s", r.Node, r.Destination, r.Gateway)
	}
	return out
}

func TestLoadGood(t *testing.T) {
	cfg, diags := Load("testdata/good", Options{})
	if diags.HasErrors() {
		t.Fatalf("unexpected errors:\n%s", diagText(cfg, diags))
	}
	exp := cfg.Experiment
	want := []string{
		`experiment demo routing="static"`,
		`switch lan vde ports=0 subnet=10.0.0.0/24 shaping=100000000/10ms/0.5 group="" mode="" deps=[]`,
		`switch wan bridge ports=0 subnet=10.0.1.0/24 group="" mode="" deps=[]`,
		`bridge ctl deps=[]`,
		`vnode client-0 process image="" mem=0 cpus=0 part="" ghost=false attrs=map[] deps=[]`,
		`  interface eth0 on lan addr=10.0.0.10/24 mac= mtu=0 shaping=100000000/10ms/0.5`,
		`vnode client-1 process image="" mem=0 cpus=0 part="" ghost=false attrs=map[] deps=[]`,
		`  interface eth0 on lan addr=10.0.0.11/24 mac= mtu=0 shaping=100000000/10ms/0.5`,
		`vnode server qemu image="debian-12.qcow2" mem=1024 cpus=2 part="" ghost=false attrs=map[console:serial] deps=[]`,
		`  interface eth0 on lan addr=10.0.0.1/24 mac= mtu=0 shaping=100000000/10ms/0.5`,
		`  interface eth1 on wan addr=10.0.1.1/24 mac=02:00:00:00:00:01 mtu=0 shaping=0/50ms/0`,
		`  route 0.0.0.0/0 via 10.0.1.254 dev "" metric 0`,
		`  mount /users -> /users ro=true`,
		`  qemu accel="tcg" machine="q35" kernel="/srv/guest/vmlinuz" initrd="/srv/guest/initrd.img" kernel_args="console=ttyS0" guest_config="cloud-init"`,
		`  forward tcp 10.9.0.1:2222 -> 2222`,
		`  forward tcp 127.0.0.1:2222 -> 22`,
		`  forward udp 0.0.0.0:5353 -> 53`,
		`tap uplink switch="" bridge="ctl" owner="1000" group=""`,
		`route client-0 10.0.1.0/24 via 10.0.0.1`,
	}
	if diff := cmp.Diff(want, summary(exp)); diff != "" {
		t.Errorf("model (-want +got):\n%s", diff)
	}

	wantSite := map[string]string{
		"config_root": "/tmp/benito/config", "run_root": "/run/benito", "default_type": "qemu",
		"switch_kind": "vde", "vde_ports": "64", "qemu_accel": "kvm",
	}
	if diff := cmp.Diff(wantSite, exp.Site); diff != "" {
		t.Errorf("site (-want +got):\n%s", diff)
	}

	outputs := map[string]cty.Value{}
	for _, o := range exp.Outputs {
		outputs[o.Name] = o.Value
	}
	if got := outputs["server_ip"]; !got.RawEquals(cty.StringVal("10.0.0.1")) {
		t.Errorf("output server_ip = %#v", got)
	}
	wantMACs := cty.TupleVal([]cty.Value{
		cty.StringVal(model.DeriveMAC("demo", "client-0", "eth0").String()),
		cty.StringVal(model.DeriveMAC("demo", "client-1", "eth0").String()),
	})
	if got := outputs["client_macs"]; !got.RawEquals(wantMACs) {
		t.Errorf("output client_macs = %#v, want %#v", got, wantMACs)
	}
	if exp.VNodes[2].DeclRange.Filename != filepath.Join("testdata/good", "nodes.hcl") || exp.VNodes[2].DeclRange.Start.Line != 15 {
		t.Errorf("vnode server declared at %s, want nodes.hcl:15", rangeString(exp.VNodes[2].DeclRange))
	}
	if len(cfg.Files) != 2 {
		t.Errorf("Files holds %d files, want 2", len(cfg.Files))
	}
}

func TestCountAndForEachNames(t *testing.T) {
	exp := mustLoad(t, `
experiment "names" {}
locals {
  sites = { east = "10.1.0.0/24", west = "10.2.0.0/24" }
}
switch "lan" {
  for_each = local.sites
  subnet   = each.value
}
bridge "ctl" {
  count = 2
}
vnode "gw" {
  for_each = toset(["east", "west"])
  interface "eth0" {
    switch      = switch.lan[each.key]
    ip4_address = cidrhost(switch.lan[each.key].subnet, 1)
  }
}
vnode "h" {
  count = 3
  interface "eth0" {
    switch      = "lan-east"
    ip4_address = cidrhost(local.sites.east, 10 + count.index)
  }
  depends_on = [vnode.gw["east"], bridge.ctl]
}
tap "t" {
  count  = 1
  bridge = bridge.ctl[count.index]
}
`, Options{})
	var names []string
	// Each instance shows as: its address, its host name, then details.
	for _, sw := range exp.Switches {
		names = append(names, fmt.Sprintf("switch.%s %s %s", sw.Addr, sw.Name, sw.Subnet))
	}
	for _, br := range exp.Bridges {
		names = append(names, fmt.Sprintf("bridge.%s %s", br.Addr, br.Name))
	}
	for _, vn := range exp.VNodes {
		names = append(names, fmt.Sprintf("vnode.%s %s %s %v", vn.Addr, vn.Name, vn.Interfaces[0].Address, vn.DependsOn))
	}
	for _, tap := range exp.Taps {
		names = append(names, fmt.Sprintf("tap.%s %s on %s", tap.Addr, tap.Name, tap.Bridge))
	}
	want := []string{
		`switch.lan["east"] lan-east 10.1.0.0/24`,
		`switch.lan["west"] lan-west 10.2.0.0/24`,
		"bridge.ctl[0] ctl-0",
		"bridge.ctl[1] ctl-1",
		`vnode.gw["east"] gw-east 10.1.0.1/24 []`,
		`vnode.gw["west"] gw-west 10.2.0.1/24 []`,
		`vnode.h[0] h-0 10.1.0.10/24 [vnode.gw["east"] bridge.ctl[0] bridge.ctl[1]]`,
		`vnode.h[1] h-1 10.1.0.11/24 [vnode.gw["east"] bridge.ctl[0] bridge.ctl[1]]`,
		`vnode.h[2] h-2 10.1.0.12/24 [vnode.gw["east"] bridge.ctl[0] bridge.ctl[1]]`,
		"tap.t[0] t-0 on ctl-0",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("instances (-want +got):\n%s", diff)
	}
}

func TestReferenceValues(t *testing.T) {
	exp := mustLoad(t, `
experiment "refs" {}
switch "lan" {
  kind   = "bridge"
  subnet = "10.0.0.0/24"
  ports  = 8
}
switch "bare" {}
vnode "a" {
  interface "eth0" {
    switch      = switch.lan
    ip4_address = "10.0.0.1"
  }
  interface "eth1" {
    switch = switch.bare
  }
}
output "lan" { value = switch.lan }
output "bare" { value = switch.bare }
output "iface" { value = vnode.a.interface["eth0"] }
output "noaddr" { value = vnode.a.interface["eth1"] }
output "type" { value = vnode.a.type }
`, Options{})
	got := map[string]string{}
	for _, o := range exp.Outputs {
		got[o.Name] = o.Value.GoString()
	}
	mac0 := model.DeriveMAC("refs", "a", "eth0").String()
	mac1 := model.DeriveMAC("refs", "a", "eth1").String()
	want := map[string]string{
		"lan":  `cty.ObjectVal(map[string]cty.Value{"kind":cty.StringVal("bridge"), "name":cty.StringVal("lan"), "ports":cty.NumberIntVal(8), "subnet":cty.StringVal("10.0.0.0/24")})`,
		"bare": `cty.ObjectVal(map[string]cty.Value{"kind":cty.StringVal("vde"), "name":cty.StringVal("bare"), "ports":cty.NullVal(cty.Number), "subnet":cty.NullVal(cty.String)})`,
		"iface": `cty.ObjectVal(map[string]cty.Value{"ip4_address":cty.StringVal("10.0.0.1"), "ip4_netmask":cty.StringVal("255.255.255.0"), "ip4_prefix":cty.StringVal("10.0.0.1/24"), "mac_address":cty.StringVal("` +
			mac0 + `"), "name":cty.StringVal("eth0"), "switch":cty.StringVal("lan")})`,
		"noaddr": `cty.ObjectVal(map[string]cty.Value{"ip4_address":cty.NullVal(cty.String), "ip4_netmask":cty.NullVal(cty.String), "ip4_prefix":cty.NullVal(cty.String), "mac_address":cty.StringVal("` +
			mac1 + `"), "name":cty.StringVal("eth1"), "switch":cty.StringVal("bare")})`,
		"type": `cty.StringVal("qemu")`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
}

func TestAddressForms(t *testing.T) {
	exp := mustLoad(t, `
experiment "addr" {}
switch "lan" { subnet = "10.0.0.0/16" }
switch "p2p" {}
vnode "a" {
  mount {
    source = "/srv/data/"
    target = "/data"
  }
  interface "e0" {
    switch      = "lan"
    ip4_address = "10.0.1.1"
  }
  interface "e1" {
    switch      = switch.p2p
    ip4_address = "192.168.0.0"
    ip4_netmask = 31
  }
  interface "e2" {
    switch      = switch.p2p
    ip4_address = "192.168.1.1"
    ip4_netmask = "/24"
  }
  interface "e3" {
    switch      = switch.p2p
    ip4_address = "192.168.2.1"
    ip4_netmask = "255.255.255.0"
    mac_address = "02-AA-BB-CC-DD-EE"
    mtu         = 9000
    capacity    = 1000
    latency     = "1.5s"
    loss        = 2
  }
  interface "e4" {
    switch      = switch.p2p
    ip4_address = "192.168.3.1/32"
  }
  route {
    destination = "192.168.9.9"
    device      = "e2"
    metric      = 5
  }
}
`, Options{})
	want := []string{
		`experiment addr routing=""`,
		`switch lan vde ports=0 subnet=10.0.0.0/16 group="" mode="" deps=[]`,
		`switch p2p vde ports=0 subnet=invalid Prefix group="" mode="" deps=[]`,
		`vnode a qemu image="" mem=0 cpus=0 part="" ghost=false attrs=map[] deps=[]`,
		`  interface e0 on lan addr=10.0.1.1/16 mac= mtu=0`,
		`  interface e1 on p2p addr=192.168.0.0/31 mac= mtu=0`,
		`  interface e2 on p2p addr=192.168.1.1/24 mac= mtu=0`,
		`  interface e3 on p2p addr=192.168.2.1/24 mac=02:aa:bb:cc:dd:ee mtu=9000 shaping=1000/1.5s/2`,
		`  interface e4 on p2p addr=192.168.3.1/32 mac= mtu=0`,
		`  route 192.168.9.9/32 via invalid IP dev "e2" metric 5`,
		`  mount /srv/data -> /data ro=true`, // a QEMU node (the default type): read-only unless asked
	}
	if diff := cmp.Diff(want, summary(exp)); diff != "" {
		t.Errorf("model (-want +got):\n%s", diff)
	}
}

func TestConfigFiles(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"b.hcl":        "",
		"a.benito.hcl": "",
		".hidden.hcl":  "",
		"notes.txt":    "",
		"vars.hcl.bak": "",
	})
	if err := os.Mkdir(filepath.Join(dir, "sub.hcl"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := ConfigFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.benito.hcl"), filepath.Join(dir, "b.hcl")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ConfigFiles (-want +got):\n%s", diff)
	}
	if _, err := ConfigFiles(filepath.Join(dir, "missing")); err == nil {
		t.Error("ConfigFiles of a missing directory: want an error")
	}
}

func TestHash(t *testing.T) {
	src := map[string]string{"main.hcl": `experiment "h" {}
variable "n" {
  type    = number
  default = 1
}
`}
	dir := writeDir(t, src)
	hash := func(opts Options) string {
		t.Helper()
		cfg, diags := Load(dir, opts)
		if diags.HasErrors() {
			t.Fatalf("unexpected errors:\n%s", diagText(cfg, diags))
		}
		return cfg.Hash
	}
	base := hash(Options{})
	if len(base) != 64 {
		t.Fatalf("hash %q is not hex SHA-256", base)
	}
	if again := hash(Options{}); again != base {
		t.Error("hash changed between two loads of the same input")
	}
	if other := hash(Options{Vars: []string{"n=2"}}); other == base {
		t.Error("hash did not change with a variable's value")
	}
	if same := hash(Options{Vars: []string{"n=1"}}); same != base {
		t.Error("hash changed although the effective value did not")
	}
	if err := os.WriteFile(filepath.Join(dir, "extra.hcl"), []byte("# a comment\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if changed := hash(Options{}); changed == base {
		t.Error("hash did not change with a new configuration file")
	}
}

func TestDeterministicDiagnostics(t *testing.T) {
	src := `experiment "d" {}
vnode "a" {
  bogus1 = 1
  bogus2 = 2
  bogus3 = 3
  interface "eth0" { switch = "nowhere" }
}
`
	var first []string
	for i := 0; i < 5; i++ {
		_, diags := loadSrc(t, src, Options{})
		got := errorLines(diags)
		if i == 0 {
			first = got
			continue
		}
		if diff := cmp.Diff(first, got); diff != "" {
			t.Fatalf("diagnostics differ between loads (-first +now):\n%s", diff)
		}
	}
}

// errorLines renders error diagnostics as "file:line: summary".
func errorLines(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		where := "-"
		if d.Subject != nil {
			where = fmt.Sprintf("%s:%d", filepath.Base(d.Subject.Filename), d.Subject.Start.Line)
		}
		out = append(out, where+": "+d.Summary)
	}
	return out
}

func TestChunkedParse(t *testing.T) {
	// A file big enough to be cut, with a heredoc holding a line that looks
	// like the end of a top-level block.
	var b strings.Builder
	b.WriteString("experiment \"c\" {}\nswitch \"lan\" {}\n")
	for i := 0; i < 400; i++ {
		fmt.Fprintf(&b, "vnode \"n%d\" {\n  startup = <<EOT\necho hi\n}\nvnode \"fake%d\" {\nEOT\n  interface \"eth0\" { switch = \"lan\" }\n}\n", i, i)
	}
	src := b.String()
	if len(src) < 2*chunkSize {
		t.Fatalf("test file of %d bytes is too small to be cut", len(src))
	}
	exp := mustLoad(t, src, Options{})
	if len(exp.VNodes) != 400 {
		t.Fatalf("got %d vnodes, want 400", len(exp.VNodes))
	}
	if got := exp.VNodes[0].Startup; got != "echo hi\n}\nvnode \"fake0\" {\n" {
		t.Errorf("startup = %q", got)
	}

	// Cutting must keep positions exact.
	var c strings.Builder
	c.WriteString("experiment \"c\" {}\nswitch \"lan\" {}\n")
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&c, "vnode \"n%d\" {\n  interface \"eth0\" { switch = \"lan\" }\n}\n", i)
	}
	c.WriteString("vnode \"last\" {\n  interface \"eth0\" { switch = \"lan\" }\n  bogus = 1\n}\n")
	_, diags := loadSrc(t, c.String(), Options{})
	want := []string{fmt.Sprintf("main.hcl:%d: Unsupported argument", 2+3*2000+3)}
	if diff := cmp.Diff(want, errorLines(diags)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if s := diags[0].Subject; s.Start.Column != 3 || string([]byte(c.String())[s.Start.Byte:s.End.Byte]) != "bogus" {
		t.Errorf("subject %s does not point at bogus", rangeString(*s))
	}
}

func TestOutputsSorted(t *testing.T) {
	exp := mustLoad(t, `experiment "o" {}
output "b" { value = 2 }
output "a" {
  value = 1
  description = "first"
}
`, Options{})
	var names []string
	for _, o := range exp.Outputs {
		names = append(names, o.Name)
	}
	if !slices.Equal(names, []string{"a", "b"}) || exp.Outputs[0].Description != "first" {
		t.Errorf("outputs %v", names)
	}
}

func TestLargeConfigIsDeterministic(t *testing.T) {
	// Enough blocks to be linked and evaluated in parallel, with errors
	// spread across them: results must not depend on scheduling.
	gen := func(clash bool) string {
		var b strings.Builder
		b.WriteString("experiment \"big\" {}\nswitch \"lan\" { subnet = \"10.0.0.0/16\" }\n")
		for i := 0; i < 1500; i++ {
			addr := fmt.Sprintf("10.0.%d.%d", i/200, i%200+1)
			if clash && i%500 == 7 {
				addr = "10.0.0.1" // n0's
			}
			fmt.Fprintf(&b, "vnode \"n%d\" {\n  interface \"eth0\" {\n    switch = switch.lan\n    ip4_address = %q\n  }\n"+
				"  route {\n    destination = \"10.9.0.0/16\"\n    gateway = \"10.0.255.254\"\n  }\n}\n", i, addr)
		}
		b.WriteString("output \"o\" { value = [vnode.n1.interface[\"eth0\"].ip4_prefix, vnode.n1499.name] }\n")
		return b.String()
	}
	dir := writeDir(t, map[string]string{"main.hcl": gen(true)})
	var first []string
	for i := 0; i < 3; i++ {
		cfg, diags := Load(dir, Options{})
		got := errorLines(diags)
		if len(got) != 3 {
			t.Fatalf("got %d errors, want 3:\n%s", len(got), diagText(cfg, diags))
		}
		if i == 0 {
			first = got
			continue
		}
		if diff := cmp.Diff(first, got); diff != "" {
			t.Fatalf("errors differ between loads (-first +now):\n%s", diff)
		}
	}

	exp := mustLoad(t, gen(false), Options{})
	if len(exp.VNodes) != 1500 {
		t.Fatalf("got %d vnodes", len(exp.VNodes))
	}
	if !slices.IsSortedFunc(exp.VNodes, func(a, b *model.VNode) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("vnodes are not sorted by name")
	}
	want := cty.TupleVal([]cty.Value{cty.StringVal("10.0.0.2/16"), cty.StringVal("n1499")})
	if got := exp.Outputs[0].Value; !got.RawEquals(want) {
		t.Errorf("output = %#v, want %#v", got, want)
	}
}

// TestForwardClashAcrossWorkers: vnodes enough to be evaluated by several
// workers still have their forwards checked against each other's, and
// the error lands on the later declaration, whatever the scheduling.
func TestForwardClashAcrossWorkers(t *testing.T) {
	var b strings.Builder
	b.WriteString("experiment \"big\" {}\n")
	const n = 4 * chunkMin
	for i := 0; i < n; i++ {
		port := 10000 + i
		if i == n-1 {
			port = 10000 // n0's
		}
		fmt.Fprintf(&b, "vnode \"n%d\" {\n  forward {\n    host_port = %d\n    guest_port = 22\n  }\n}\n", i, port)
	}
	for range 3 {
		cfg, diags := loadSrc(t, b.String(), Options{})
		got := errorLines(diags)
		want := []string{fmt.Sprintf("main.hcl:%d: Host port forwarded twice", 2+6*(n-1)+1)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("errors (-want +got):\n%s\n%s", diff, diagText(cfg, diags))
		}
		if d := firstError(diags).Detail; !strings.Contains(d, "vnode.n0") {
			t.Errorf("the error does not name vnode.n0: %s", d)
		}
	}
}

// TestOpenVZSettings: a node's OpenVZ settings reach the model as the
// contract has them: ostemplate as image (sensitive when its value is),
// diskspace in bytes from vzctl's form or a number, nameserver from one
// address or a list, in order; a node that sets none has none.
func TestOpenVZSettings(t *testing.T) {
	exp := mustLoad(t, `experiment "t" {}
variable "tpl" {
  default   = "/srv/templates/secret.tar.gz"
  sensitive = true
}
vnode "a" {
  type       = "openvz"
  ostemplate = "/srv/templates/debian.tar.gz"
  ctid       = 101
  diskspace  = "2G"
  nameserver = "192.0.2.53"
  init       = ["/bin/busybox", "init"]
}
vnode "b" {
  type       = "openvz"
  ostemplate = var.tpl
  ctid       = 2147483644
  diskspace  = 8388608
  nameserver = ["2001:db8::53", "192.0.2.53"]
}
vnode "c" {
  image = "/srv/templates/debian.tar.gz"
}
`, Options{})
	type got struct {
		Image       string
		Sensitive   map[string]bool
		CTID        int64
		Diskspace   int64
		Nameservers []string
		Init        []string
	}
	var gots []got
	for _, vn := range exp.VNodes {
		gots = append(gots, got{vn.Image, vn.Sensitive, vn.CTID, vn.Diskspace, vn.Nameservers, vn.Init})
	}
	want := []got{
		{Image: "/srv/templates/debian.tar.gz", CTID: 101, Diskspace: 2 << 30, Nameservers: []string{"192.0.2.53"}, Init: []string{"/bin/busybox", "init"}},
		{Image: "/srv/templates/secret.tar.gz", Sensitive: map[string]bool{model.AttrImage: true}, CTID: 2147483644, Diskspace: 8 << 20, Nameservers: []string{"2001:db8::53", "192.0.2.53"}},
		{Image: "/srv/templates/debian.tar.gz"},
	}
	if diff := cmp.Diff(want, gots); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
}

// TestCTIDClashAcrossWorkers: vnodes enough to be evaluated by several
// workers still have their ctids checked against each other's, the error
// on the later declaration, whatever the scheduling.
func TestCTIDClashAcrossWorkers(t *testing.T) {
	var b strings.Builder
	b.WriteString("experiment \"big\" {}\n")
	const n = 4 * chunkMin
	for i := 0; i < n; i++ {
		ctid := 1000 + i
		if i == n-1 {
			ctid = 1000 // n0's
		}
		fmt.Fprintf(&b, "vnode \"n%d\" {\n  ctid = %d\n}\n", i, ctid)
	}
	for range 3 {
		cfg, diags := loadSrc(t, b.String(), Options{})
		want := []string{fmt.Sprintf("main.hcl:%d: Duplicate ctid", 2+3*(n-1)+1)}
		if diff := cmp.Diff(want, errorLines(diags)); diff != "" {
			t.Fatalf("errors (-want +got):\n%s\n%s", diff, diagText(cfg, diags))
		}
		if d := firstError(diags).Detail; !strings.Contains(d, "and so has vnode.n0") {
			t.Errorf("the error does not name vnode.n0: %s", d)
		}
	}
}
