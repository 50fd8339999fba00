package qemu

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/golden"
	"github.com/benito-net/benito/providers"
	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

const testRunDir = "/run/benito/t"

// configured is a provider configured for experiment "t", booting a
// kernel the test makes (a file: nothing boots here).
func configured(t *testing.T) (*Provider, string) {
	t.Helper()
	kernel := filepath.Join(t.TempDir(), "vmlinuz")
	if err := os.WriteFile(kernel, []byte("not a kernel"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := New()
	resp := p.Configure(context.Background(), providers.ConfigureRequest{Experiment: "t", Site: map[string]string{SiteKernel: kernel, SiteMemory: "200"}})
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics.Err())
	}
	return p, kernel
}

// vnode is a QEMU vnode as lowering makes it, with n interfaces on a VDE
// switch (the first shaped) and attrs set.
func vnode(n int, attrs map[string]cty.Value) cty.Value {
	ty := contract.ObjectType(contract.VNode)
	m := map[string]cty.Value{}
	for name, at := range ty.AttributeTypes() {
		m[name] = cty.NullVal(at)
	}
	m["name"] = cty.StringVal("vm")
	m["type"] = cty.StringVal(Name)
	m["run_dir"] = cty.StringVal(testRunDir)
	m["config_dir"] = cty.StringVal("/var/lib/benito/t")
	m["hosts_file"] = cty.StringVal("/var/lib/benito/t/hosts")
	var ifs []cty.Value
	for i := 0; i < n; i++ {
		f := map[string]cty.Value{}
		for name, at := range contract.Interface.AttributeTypes() {
			f[name] = cty.NullVal(at)
		}
		f["name"] = cty.StringVal(fmt.Sprintf("eth%d", i))
		f["switch"] = cty.StringVal("lan")
		f["switch_kind"] = cty.StringVal(contract.KindVDE)
		f["vde_socket"] = cty.StringVal(testRunDir + "/switch/lan.ctl")
		f["vde_port"] = cty.NumberIntVal(int64(i + 1))
		f["host_device"] = cty.StringVal(fmt.Sprintf("bt%d", i))
		f["mac_address"] = cty.StringVal(fmt.Sprintf("02:00:00:00:00:%02x", i+1))
		f["ip4_address"] = cty.StringVal(fmt.Sprintf("10.0.%d.1", i))
		f["ip4_netmask"] = cty.StringVal("255.255.255.0")
		if i == 0 {
			f["latency"] = cty.StringVal("20ms")
		}
		ifs = append(ifs, cty.ObjectVal(f))
	}
	if n > 0 {
		m["interfaces"] = cty.ListVal(ifs)
	} else {
		m["interfaces"] = cty.ListValEmpty(contract.Interface)
	}
	for k, v := range attrs {
		m[k] = v
	}
	return cty.ObjectVal(m)
}

// TestCommandLineGolden: QEMU's command line for a machine with every
// kind of device: a shaped and an unshaped VDE interface, a TAP on a
// bridge, mounts, a disk image, a forward and a cloud-init seed.
func TestCommandLineGolden(t *testing.T) {
	p, kernel := configured(t)
	v := vnode(2, map[string]cty.Value{
		"image":        cty.StringVal("/images/debian.qcow2"),
		"kernel":       cty.StringVal(kernel),
		"kernel_args":  cty.StringVal("quiet"),
		"cpus":         cty.NumberIntVal(2),
		"guest_config": cty.StringVal(guestCloudInit),
		"mounts": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
			"source": cty.StringVal("/users"), "target": cty.StringVal("/users"), "read_only": cty.True,
		})}),
		"forwards": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
			"protocol": cty.StringVal("tcp"), "host_address": cty.StringVal("127.0.0.1"),
			"host_port": cty.NumberIntVal(2222), "guest_port": cty.NumberIntVal(22),
		})}),
	})
	// A third interface, on a bridge.
	ifs := v.GetAttr("interfaces").AsValueSlice()
	br := providers.WithAttrs(ifs[1], map[string]cty.Value{
		"name": cty.StringVal("eth2"), "switch_kind": cty.StringVal(contract.KindBridge), "bridge": cty.StringVal("bbr0"),
		"vde_socket": cty.NullVal(cty.String), "vde_port": cty.NullVal(cty.Number), "host_device": cty.StringVal("btap2"),
		"mac_address": cty.StringVal("02:00:00:00:00:03"), "mtu": cty.NumberIntVal(1400),
	})
	v = providers.WithAttrs(v, map[string]cty.Value{"interfaces": cty.ListVal(append(ifs, br))})
	_, _, d := p.config()
	m, err := decodeVM(v, d)
	if err != nil {
		t.Fatal(err)
	}
	args, err := commandLine(m, vmDir(testRunDir, "vm"), testRunDir, "tcg")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.ReplaceAll(strings.Join(args, "\n")+"\n", kernel, "KERNEL")
	golden.Check(t, filepath.Join("testdata", "cmdline.txt"), []byte(got))
}

// TestInterfaceLimit: a machine with more interfaces than its PCI bus
// holds is refused at plan, saying how many fit and why.
func TestInterfaceLimit(t *testing.T) {
	p, _ := configured(t)
	_, _, d := p.config()
	fits := nicLimit(vm{Boot: boot{Machine: "pc"}})
	if fits != 27 {
		t.Errorf("a machine without mounts or disk has room for %d interfaces, want 27", fits)
	}
	if _, err := decodeVM(vnode(fits, nil), d); err != nil {
		t.Errorf("%d interfaces: %v", fits, err)
	}
	resp := p.ValidateResources(context.Background(), providers.ValidateResourcesRequest{Resources: []providers.ValidateResource{
		{Address: "vnode.vm", Type: contract.VNode, Config: vnode(fits+1, nil)},
	}})
	if err := resp.Diagnostics.Err(); err == nil || !strings.Contains(err.Error(), "has 28 network interfaces, and room for 27") || !strings.Contains(err.Error(), "PCI slots") {
		t.Errorf("28 interfaces: %v", err)
	}
}

// TestPlanReplaces: what a running machine takes in place (an address, a
// latency) and what takes a new one (memory, a site default, a moved or
// added interface, an unshaped link shaped).
func TestPlanReplaces(t *testing.T) {
	p, _ := configured(t)
	prior := plannedOf(t, p, cty.NullVal(contract.ObjectType(contract.VNode)), vnode(2, nil))
	prior = providers.WithAttrs(prior, map[string]cty.Value{"pid": cty.NumberIntVal(1), "start_time": cty.NumberIntVal(1), "accelerator": cty.StringVal("tcg")})
	iface := func(i int, set map[string]cty.Value) cty.Value {
		ifs := vnode(2, nil).GetAttr("interfaces").AsValueSlice()
		ifs[i] = providers.WithAttrs(ifs[i], set)
		return vnode(2, map[string]cty.Value{"interfaces": cty.ListVal(ifs)})
	}
	tests := []struct {
		name    string
		cfg     cty.Value
		replace string // "" for in place
	}{
		{"address", iface(1, map[string]cty.Value{"ip4_address": cty.StringVal("10.0.1.9")}), ""},
		{"latency", iface(0, map[string]cty.Value{"latency": cty.StringVal("50ms")}), ""},
		{"memory", vnode(2, map[string]cty.Value{"memory": cty.NumberIntVal(300)}), "memory"},
		{"port", iface(1, map[string]cty.Value{"vde_port": cty.NumberIntVal(9)}), "interfaces"},
		{"MAC", iface(1, map[string]cty.Value{"mac_address": cty.StringVal("02:00:00:00:00:99")}), "interfaces"},
		{"shaped", iface(1, map[string]cty.Value{"capacity": cty.NumberIntVal(1000000)}), "interfaces"},
		{"added", vnode(3, nil), "interfaces"},
		{"kernel_args", vnode(2, map[string]cty.Value{"kernel_args": cty.StringVal("quiet")}), "kernel_args"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := p.PlanResources(context.Background(), providers.PlanResourcesRequest{Changes: []providers.PlanChange{
				{Address: "vnode.vm", Type: contract.VNode, Prior: prior, Proposed: proposedOf(p, prior, tt.cfg)},
			}})
			if err := resp.Diagnostics.Err(); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, path := range resp.Changes[0].RequiresReplace {
				got = append(got, providers.PathString(path))
			}
			var want []string
			if tt.replace != "" {
				want = []string{tt.replace}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("replaced because of (-want +got):\n%s", diff)
			}
		})
	}
	// A site default changed under a running machine replaces it too.
	p2 := New()
	site := map[string]string{SiteKernel: str(prior.GetAttr("boot"), "kernel"), SiteMemory: "512"}
	if d := p2.Configure(context.Background(), providers.ConfigureRequest{Experiment: "t", Site: site}).Diagnostics; d.HasErrors() {
		t.Fatal(d.Err())
	}
	resp := p2.PlanResources(context.Background(), providers.PlanResourcesRequest{Changes: []providers.PlanChange{
		{Address: "vnode.vm", Type: contract.VNode, Prior: prior, Proposed: proposedOf(p2, prior, vnode(2, nil))},
	}})
	if len(resp.Changes[0].RequiresReplace) != 1 || providers.PathString(resp.Changes[0].RequiresReplace[0]) != "boot" {
		t.Errorf("site qemu_memory changed: replaced because of %v, want boot", resp.Changes[0].RequiresReplace)
	}
}

// plannedOf plans a create of cfg and returns the planned value.
func plannedOf(t *testing.T, p *Provider, prior, cfg cty.Value) cty.Value {
	t.Helper()
	resp := p.PlanResources(context.Background(), providers.PlanResourcesRequest{Changes: []providers.PlanChange{
		{Address: "vnode.vm", Type: contract.VNode, Prior: prior, Proposed: proposedOf(p, prior, cfg)},
	}})
	if err := resp.Diagnostics.Err(); err != nil {
		t.Fatal(err)
	}
	return resp.Changes[0].Planned
}

// proposedOf is cfg with the computed attributes of prior, as the engine
// proposes a change (unknown for a create).
func proposedOf(p *Provider, prior, cfg cty.Value) cty.Value {
	rs := p.schema.ResourceTypes[contract.VNode]
	m := cfg.AsValueMap()
	for name, a := range rs.Attributes {
		if !a.Computed {
			continue
		}
		if prior.IsNull() {
			m[name] = cty.UnknownVal(a.Type)
		} else {
			m[name] = prior.GetAttr(name)
		}
	}
	return cty.ObjectVal(m)
}

// TestRecordedRefused: a state naming another run directory, or a socket
// elsewhere than the machine's, is refused before anything is done.
func TestRecordedRefused(t *testing.T) {
	p, _ := configured(t)
	good := plannedOf(t, p, cty.NullVal(contract.ObjectType(contract.VNode)), vnode(1, nil))
	good = providers.WithAttrs(good, map[string]cty.Value{"pid": cty.NumberIntVal(1), "start_time": cty.NumberIntVal(1), "accelerator": cty.StringVal("tcg")})
	if err := p.checkRecorded(contract.VNode, good); err != nil {
		t.Fatalf("the planned value: %v", err)
	}
	for _, tt := range []struct {
		attr  string
		value cty.Value
	}{
		{"run_dir", cty.StringVal("/run/benito/other")},
		{"name", cty.StringVal("../x")},
		{"qmp", cty.StringVal("/run/other.sock")},
		{"console", cty.StringVal("/tmp/x")},
		{"directory", cty.StringVal("/")},
		{"overlay", cty.StringVal("/etc/passwd")},
	} {
		v := providers.WithAttrs(good, map[string]cty.Value{tt.attr: tt.value})
		if err := p.checkRecorded(contract.VNode, v); err == nil {
			t.Errorf("%s = %#v was accepted", tt.attr, tt.value)
		}
		resp := p.ApplyResource(context.Background(), providers.ApplyResourceRequest{Address: "vnode.vm", Type: contract.VNode, Prior: v, Planned: cty.NullVal(v.Type())})
		if !resp.Diagnostics.HasErrors() {
			t.Errorf("%s = %#v: a delete was not refused", tt.attr, tt.value)
		}
	}
}

func TestParseRoutes(t *testing.T) {
	out := "default via 10.0.0.254 dev eth0 \n10.0.0.0/24 dev eth0 scope link  src 10.0.0.1 \n10.8.0.0/16 via 10.0.0.2 dev eth1 metric 5 \n192.0.2.7 via 10.0.0.3 dev eth0 \n"
	got := parseRoutes(out)
	want := []route{
		{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gw: netip.MustParseAddr("10.0.0.254"), Device: "eth0"},
		{Dst: netip.MustParsePrefix("10.0.0.0/24"), Device: "eth0", Src: netip.MustParseAddr("10.0.0.1")},
		{Dst: netip.MustParsePrefix("10.8.0.0/16"), Gw: netip.MustParseAddr("10.0.0.2"), Device: "eth1", Metric: 5},
		{Dst: netip.MustParsePrefix("192.0.2.7/32"), Gw: netip.MustParseAddr("10.0.0.3"), Device: "eth0"},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSiteDefaults(t *testing.T) {
	for _, tt := range []struct {
		site map[string]string
		want string
	}{
		{map[string]string{SiteMemory: "lots"}, "qemu_memory"},
		{map[string]string{SiteMemory: "16"}, "at least 64"},
		{map[string]string{SiteCPUs: "0"}, "qemu_cpus"},
		{map[string]string{SiteKernel: "vmlinuz"}, "absolute"},
		{map[string]string{SiteBootTimeout: "soon"}, "duration"},
	} {
		if _, err := siteDefaults(tt.site, func() bool { return false }); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error with %q", tt.site, err, tt.want)
		}
	}
	d, err := siteDefaults(nil, func() bool { return true })
	if err != nil || d.Kernel != defaultGuest+"/vmlinuz" || d.Memory != 256 || d.Accel != "auto" {
		t.Errorf("defaults with the test guest built: %+v, %v", d, err)
	}
	// Nothing to boot: the node's error says what to do.
	d, _ = siteDefaults(nil, func() bool { return false })
	if _, err := decodeVM(vnode(0, nil), d); err == nil || !strings.Contains(err.Error(), "scripts/guest-image") {
		t.Errorf("nothing to boot: %v", err)
	}
}

// TestBridgeShapingRefused: a VM's link on a bridge cannot be shaped.
func TestBridgeShapingRefused(t *testing.T) {
	p, _ := configured(t)
	ifs := vnode(1, nil).GetAttr("interfaces").AsValueSlice()
	ifs[0] = providers.WithAttrs(ifs[0], map[string]cty.Value{"switch_kind": cty.StringVal(contract.KindBridge), "bridge": cty.StringVal("bbr0"), "vde_socket": cty.NullVal(cty.String), "vde_port": cty.NullVal(cty.Number)})
	resp := p.ValidateResources(context.Background(), providers.ValidateResourcesRequest{Resources: []providers.ValidateResource{
		{Address: "vnode.vm", Type: contract.VNode, Config: vnode(1, map[string]cty.Value{"interfaces": cty.ListVal(ifs)})},
	}})
	if err := resp.Diagnostics.Err(); err == nil || !strings.Contains(err.Error(), "put it on a VDE switch") {
		t.Errorf("a shaped interface on a bridge: %v", err)
	}
}
