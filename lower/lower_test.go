package lower

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/model"
	"github.com/benito-net/benito/state"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

func experiment(nodes ...string) *model.Experiment {
	exp := &model.Experiment{
		Name: "t",
		Site: map[string]string{contract.SiteConfigRoot: "/cfg", contract.SiteRunRoot: "/run/b"},
		Switches: []*model.Switch{
			{Name: "br0", Addr: addrs.Instance{Name: "br0"}, Kind: contract.KindBridge},
			{Name: "lan0", Addr: addrs.Instance{Name: "lan0"}, Kind: contract.KindVDE},
		},
	}
	for i, n := range nodes {
		exp.VNodes = append(exp.VNodes, &model.VNode{
			Name: n, Addr: addrs.Instance{Name: n}, Type: contract.NodeProcess,
			Interfaces: []*model.Interface{
				{Name: "eth0", Switch: "lan0", Address: netip.MustParsePrefix(fmt.Sprintf("10.0.0.%d/24", i+1))},
				{Name: "eth1", Switch: "br0"},
			},
			Routes: []*model.Route{{Node: n, Destination: netip.MustParsePrefix("10.9.0.0/16"), Gateway: netip.MustParseAddr("10.0.0.254")}},
		})
	}
	return exp
}

func lowerOK(t *testing.T, exp *model.Experiment, prior *state.State) *Graph {
	t.Helper()
	g, diags := Lower(exp, prior)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return g
}

// ports returns the port numbers of the graph, by port key.
func ports(g *Graph) map[string]int64 {
	out := map[string]int64{}
	for _, r := range g.Resources {
		if r.Addr.Type == contract.Port {
			n, _ := r.Config.GetAttr("number").AsBigFloat().Int64()
			out[string(r.Addr.Key.(addrs.StringKey))] = n
		}
	}
	return out
}

// stateOf records g's ports as an apply would.
func stateOf(t *testing.T, g *Graph) *state.State {
	t.Helper()
	st := state.New("t")
	for _, r := range g.Resources {
		if r.Addr.Type != contract.Port {
			continue
		}
		n, _ := r.Config.GetAttr("number").AsBigFloat().Int64()
		raw, _ := json.Marshal(map[string]any{"number": n})
		st.Resources[r.Addr] = &state.Resource{Addr: r.Addr, Provider: r.Provider, Attributes: raw}
	}
	return st
}

func TestPortNumbersStayPut(t *testing.T) {
	g1 := lowerOK(t, experiment("b", "d"), nil)
	if d := cmp.Diff(map[string]int64{"b.eth0": 1, "d.eth0": 2}, ports(g1)); d != "" {
		t.Fatalf("first allocation (-want +got):\n%s", d)
	}
	// Adding a node that sorts first, and removing one, moves nobody.
	g2 := lowerOK(t, experiment("a", "d"), stateOf(t, g1))
	if d := cmp.Diff(map[string]int64{"a.eth0": 1, "d.eth0": 2}, ports(g2)); d != "" {
		t.Errorf("after removing b and adding a (-want +got):\n%s", d)
	}
	g3 := lowerOK(t, experiment("a", "c", "d"), stateOf(t, g2))
	if d := cmp.Diff(map[string]int64{"a.eth0": 1, "c.eth0": 3, "d.eth0": 2}, ports(g3)); d != "" {
		t.Errorf("after adding c (-want +got):\n%s", d)
	}
}

func TestGraphShapeAndDependencies(t *testing.T) {
	g := lowerOK(t, experiment("a"), nil)
	var got []string
	for _, r := range g.Resources {
		got = append(got, r.Addr.String())
	}
	want := []string{
		`config_file.hosts`, `config_file.route["a"]`, `config_file.topology`,
		`port.lan0["a.eth0"]`, `route.a["10.9.0.0/16"]`, `switch.br0`, `switch.lan0`, `vnode.a`,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("resources (-want +got):\n%s", d)
	}
	var deps []string
	for _, d := range g.Get(addrs.Resource{Type: contract.VNode, Name: "a"}).DependsOn {
		deps = append(deps, d.String())
	}
	wantDeps := []string{`config_file.hosts`, `config_file.route["a"]`, `port.lan0["a.eth0"]`, `switch.br0`, `switch.lan0`}
	if d := cmp.Diff(wantDeps, deps); d != "" {
		t.Errorf("vnode.a depends on (-want +got):\n%s", d)
	}
}

func TestInterfacesCarryWhatPlatformsNeed(t *testing.T) {
	g := lowerOK(t, experiment("a"), nil)
	ifs := g.Get(addrs.Resource{Type: contract.VNode, Name: "a"}).Config.GetAttr("interfaces").AsValueSlice()
	eth0, eth1 := ifs[0], ifs[1]
	if eth0.GetAttr("vde_socket").AsString() != "/run/b/t/switch/lan0.ctl" || !eth0.GetAttr("vde_port").RawEquals(cty.NumberIntVal(1)) {
		t.Errorf("eth0 on a VDE switch: %#v", eth0)
	}
	if eth0.GetAttr("ip4_netmask").AsString() != "255.255.255.0" || eth0.GetAttr("mac_address").AsString() != model.DeriveMAC("t", "a", "eth0").String() {
		t.Errorf("eth0 addresses: %#v", eth0)
	}
	if !eth1.GetAttr("vde_socket").IsNull() || eth1.GetAttr("bridge").AsString() != contract.DeviceName("/run/b/t", contract.DeviceOfSwitch, "br0") {
		t.Errorf("eth1 on a bridge: %#v", eth1)
	}
	if got, want := eth1.GetAttr("host_device").AsString(), contract.DeviceName("/run/b/t", contract.DeviceOfVNode, "a", "eth1"); got != want {
		t.Errorf("host device of eth1: got %s, want %s", got, want)
	}
}

// TestDeviceNamesDistinct lowers owners whose names joined with '-' are
// the same (the previous derivation gave vnode "x-y"'s "e0" and vnode
// "x"'s "y-e0" one device, and a switch and a bridge of one name one
// bridge), and checks every host device name is distinct, of the
// experiment's form, and within IFNAMSIZ.
func TestDeviceNamesDistinct(t *testing.T) {
	exp := experiment()
	exp.Switches = append(exp.Switches, &model.Switch{Name: "lan", Addr: addrs.Instance{Name: "lan"}, Kind: contract.KindBridge})
	exp.Bridges = []*model.Bridge{{Name: "lan", Addr: addrs.Instance{Name: "lan"}}, {Name: "t-a", Addr: addrs.Instance{Name: "t-a"}}}
	exp.Taps = []*model.Tap{{Name: "a", Addr: addrs.Instance{Name: "a"}, Bridge: "lan"}}
	for _, n := range []struct{ node, iface string }{{"x-y", "e0"}, {"x", "y-e0"}, {"t", "a"}} {
		exp.VNodes = append(exp.VNodes, &model.VNode{
			Name: n.node, Addr: addrs.Instance{Name: n.node}, Type: contract.NodeProcess,
			Interfaces: []*model.Interface{{Name: n.iface, Switch: "br0"}},
		})
	}
	g := lowerOK(t, exp, nil)
	owner := map[string]string{}
	add := func(dev, who string) {
		if !contract.HasDeviceTag("t", dev) || len(dev) != contract.IFNameMax {
			t.Errorf("%s: %q is not a device name of experiment t", who, dev)
		}
		if o, dup := owner[dev]; dup {
			t.Errorf("%s and %s share the device %s", who, o, dev)
		}
		owner[dev] = who
	}
	for _, r := range g.Resources {
		switch r.Addr.Type {
		case contract.Switch, contract.Bridge:
			if d := r.Config.GetAttr("device"); !d.IsNull() {
				add(d.AsString(), r.Addr.String())
			}
		case contract.Tap:
			add(r.Config.GetAttr("name").AsString(), r.Addr.String())
		case contract.VNode:
			for _, ifc := range r.Config.GetAttr("interfaces").AsValueSlice() {
				add(ifc.GetAttr("host_device").AsString(), r.Addr.String()+" "+ifc.GetAttr("name").AsString())
			}
		}
	}
	if len(owner) != 8 {
		t.Errorf("%d devices: %v", len(owner), owner)
	}
}

// TestDeviceNameCollision lowers two nodes whose device names collide in
// their 50 hashed bits (a pair found by cycle finding over the hash,
// testdata/collision.txt), which must be an error naming both.
func TestDeviceNameCollision(t *testing.T) {
	pair := strings.Fields(string(mustReadFile(t, "testdata/collision.txt")))
	if len(pair) < 2 {
		t.Fatalf("testdata/collision.txt holds %q", pair)
	}
	a, b := pair[0], pair[1]
	if contract.DeviceName("/run/b/t", contract.DeviceOfVNode, a, "e0") != contract.DeviceName("/run/b/t", contract.DeviceOfVNode, b, "e0") {
		t.Fatalf("%s and %s do not collide", a, b)
	}
	exp := experiment()
	for i, n := range []string{a, b} {
		exp.VNodes = append(exp.VNodes, &model.VNode{
			Name: n, Addr: addrs.Instance{Name: n}, Type: contract.NodeProcess,
			Interfaces: []*model.Interface{{Name: "e0", Switch: "br0", DeclRange: hcl.Range{Filename: "main.hcl", Start: hcl.Pos{Line: 10 * (i + 1), Column: 3}, End: hcl.Pos{Line: 10 * (i + 1), Column: 5}}}},
		})
	}
	_, diags := Lower(exp, nil)
	want := fmt.Sprintf(`main.hcl:20,3-5: Two host devices with one name; interface "e0" of vnode.%s and interface "e0" of vnode.%s, declared at main.hcl:10,3, would both be the host device %s`,
		b, a, contract.DeviceName("/run/b/t", contract.DeviceOfVNode, a, "e0"))
	if len(diags) != 1 || !strings.HasPrefix(diags[0].Error(), want) {
		t.Errorf("diagnostics:\n%v\nwant one beginning\n%s", diags, want)
	}
}

// TestJoinedDevices: a switch joining an existing bridge has that bridge
// as its device, and so do the interfaces on it; the uplink is lowered;
// one host device named by two blocks is an error at the second.
func TestJoinedDevices(t *testing.T) {
	exp := experiment("a")
	exp.Switches[0].Existing, exp.Switches[0].Uplink = "br-lab", "veth-lab"
	g := lowerOK(t, exp, nil)
	found := false
	for _, r := range g.Resources {
		switch r.Addr.Type {
		case contract.Switch:
			if r.Addr.Name == "br0" {
				if d, e, u := r.Config.GetAttr("device"), r.Config.GetAttr("existing"), r.Config.GetAttr("uplink"); d.AsString() != "br-lab" || !e.True() || u.AsString() != "veth-lab" {
					t.Errorf("switch.br0: device %#v, existing %#v, uplink %#v", d, e, u)
				}
			} else if !r.Config.GetAttr("existing").IsNull() || !r.Config.GetAttr("uplink").IsNull() {
				t.Errorf("%s joins the host: %#v", r.Addr, r.Config)
			}
		case contract.VNode:
			for _, i := range r.Config.GetAttr("interfaces").AsValueSlice() {
				if i.GetAttr("name").AsString() == "eth1" {
					found = true
					if i.GetAttr("bridge").AsString() != "br-lab" {
						t.Errorf("eth1 is on bridge %#v, want br-lab", i.GetAttr("bridge"))
					}
				}
			}
		}
	}
	if !found {
		t.Error("no interface eth1 lowered")
	}

	rng := func(line int) hcl.Range {
		return hcl.Range{Filename: "main.hcl", Start: hcl.Pos{Line: line, Column: 1}, End: hcl.Pos{Line: line, Column: 2}}
	}
	exp = experiment()
	exp.Switches[0].DeclRange = rng(3)
	exp.Switches[0].Uplink = "veth-lab"
	exp.Bridges = []*model.Bridge{{Name: "b", Addr: addrs.Instance{Name: "b"}, Existing: "br-lab", Uplink: "veth-lab", DeclRange: rng(7)}}
	_, diags := Lower(exp, nil)
	want := "main.hcl:7,1-2: Host device joined twice; bridge.b and switch.br0, declared at main.hcl:3,1, both name the host device veth-lab"
	if len(diags) != 1 || !strings.HasPrefix(diags[0].Error(), want) {
		t.Errorf("diagnostics:\n%v\nwant one beginning\n%s", diags, want)
	}
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLoweringIsDeterministic(t *testing.T) {
	a := lowerOK(t, experiment("x", "y", "z"), nil)
	b := lowerOK(t, experiment("x", "y", "z"), nil)
	if len(a.Resources) != len(b.Resources) {
		t.Fatal("different sizes")
	}
	for i := range a.Resources {
		if a.Resources[i].Addr != b.Resources[i].Addr || !a.Resources[i].Config.RawEquals(b.Resources[i].Config) {
			t.Fatalf("resource %d differs: %s", i, a.Resources[i].Addr)
		}
	}
}

func TestTooFewPorts(t *testing.T) {
	exp := experiment("a", "b", "c")
	exp.Switches[1].Ports = 2
	_, diags := Lower(exp, nil)
	if !diags.HasErrors() || diags[0].Summary != "Too few ports on switch" {
		t.Errorf("got %v", diags)
	}
}

func TestBadSitePortCount(t *testing.T) {
	exp := experiment("a")
	exp.Site[model.SiteVDEPorts] = "many"
	if _, diags := Lower(exp, nil); !diags.HasErrors() || diags[0].Summary != "Invalid site setting" {
		t.Errorf("got %v", diags)
	}
}

// chain builds a - s1 - r1 - s2 - r2 - s3 - b, plus a second host c on
// s1, with routing = "static".
func chain() *model.Experiment {
	exp := &model.Experiment{
		Name:    "t",
		Routing: model.RoutingStatic,
		Site:    map[string]string{contract.SiteConfigRoot: "/cfg", contract.SiteRunRoot: "/run/b"},
		Switches: []*model.Switch{
			{Name: "s1", Addr: addrs.Instance{Name: "s1"}, Kind: contract.KindBridge},
			{Name: "s2", Addr: addrs.Instance{Name: "s2"}, Kind: contract.KindBridge},
			{Name: "s3", Addr: addrs.Instance{Name: "s3"}, Kind: contract.KindBridge},
		},
	}
	node := func(name string, ifs ...string) {
		n := &model.VNode{Name: name, Addr: addrs.Instance{Name: name}, Type: contract.NodeProcess}
		for i := 0; i < len(ifs); i += 2 {
			n.Interfaces = append(n.Interfaces, &model.Interface{Name: fmt.Sprintf("eth%d", i/2), Switch: ifs[i], Address: netip.MustParsePrefix(ifs[i+1])})
		}
		exp.VNodes = append(exp.VNodes, n)
	}
	node("a", "s1", "10.0.1.2/24")
	node("b", "s3", "10.0.3.2/24")
	node("c", "s1", "10.0.1.3/24")
	node("r1", "s1", "10.0.1.1/24", "s2", "10.0.2.1/24")
	node("r2", "s2", "10.0.2.2/24", "s3", "10.0.3.1/24")
	return exp
}

func TestStaticRouting(t *testing.T) {
	exp := chain()
	// An explicit route wins over the computed one to the same subnet.
	exp.VNodes[2].Routes = []*model.Route{{Node: "c", Destination: netip.MustParsePrefix("10.0.3.0/24"), Gateway: netip.MustParseAddr("10.0.1.9")}}
	g, diags := Lower(exp, nil)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	var got []string
	for _, r := range g.Resources {
		if r.Addr.Type == contract.Route {
			got = append(got, fmt.Sprintf("%s via %s (%s)", r.Addr, r.Config.GetAttr("gateway").AsString(), r.Provider))
		}
	}
	want := []string{
		`route.a["10.0.2.0/24"] via 10.0.1.1 (process)`,
		`route.a["10.0.3.0/24"] via 10.0.1.1 (process)`,
		`route.b["10.0.1.0/24"] via 10.0.3.1 (process)`,
		`route.b["10.0.2.0/24"] via 10.0.3.1 (process)`,
		`route.c["10.0.2.0/24"] via 10.0.1.1 (process)`,
		`route.c["10.0.3.0/24"] via 10.0.1.9 (process)`,
		`route.r1["10.0.3.0/24"] via 10.0.2.2 (process)`,
		`route.r2["10.0.1.0/24"] via 10.0.2.1 (process)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("routes (-want +got):\n%s", diff)
	}
	file := g.Get(addrs.Resource{Type: contract.ConfigFile, Name: "route", Key: addrs.StringKey("a")}).Config.GetAttr("content").AsString()
	if wantFile := "# routes of node \"a\" in experiment \"t\", written by benito\n10.0.2.0/24 via 10.0.1.1\n10.0.3.0/24 via 10.0.1.1\n"; file != wantFile {
		t.Errorf("route/a =\n%s\nwant\n%s", file, wantFile)
	}
	for _, name := range []string{"r1", "r2"} {
		if !g.Get(addrs.Resource{Type: contract.VNode, Name: name}).Config.GetAttr("ip_forward").True() {
			t.Errorf("%s does not forward", name)
		}
	}
	if g.Get(addrs.Resource{Type: contract.VNode, Name: "a"}).Config.GetAttr("ip_forward").True() {
		t.Errorf("a forwards")
	}
	// The same input lowers to the same routes.
	g2, _ := Lower(chain(), nil)
	if len(g2.Resources) != len(g.Resources) {
		t.Errorf("second lowering has %d resources, first %d", len(g2.Resources), len(g.Resources))
	}
}

func TestStartupRunsAfterRoutesAndMounts(t *testing.T) {
	exp := chain()
	exp.VNodes[0].Startup = "echo hi"
	exp.VNodes[0].Mounts = []*model.Mount{{Target: "/users", Source: "/tmp"}}
	exp.VNodes[1].Startup = "echo ghost"
	exp.VNodes[1].Ghost = true
	g := lowerOK(t, exp, nil)
	st := g.Get(addrs.Resource{Type: contract.Startup, Name: "a"})
	if st == nil {
		t.Fatal("no startup.a")
	}
	var deps []string
	for _, d := range st.DependsOn {
		deps = append(deps, d.String())
	}
	want := []string{`mount.a["/users"]`, `route.a["10.0.2.0/24"]`, `route.a["10.0.3.0/24"]`, "vnode.a"}
	if diff := cmp.Diff(want, deps); diff != "" {
		t.Errorf("startup.a depends on (-want +got):\n%s", diff)
	}
	if g.Get(addrs.Resource{Type: contract.Startup, Name: "b"}) != nil {
		t.Error("a ghost node got a startup")
	}
	if !g.Get(addrs.Resource{Type: contract.VNode, Name: "a"}).Config.GetAttr("mount_namespace").True() {
		t.Error("a node with mounts gets no mount namespace")
	}
}

// TestRouteSource: a route names the node's address it leaves by (the
// device's, or the one on the gateway's subnet), so that an address
// change changes the route too; with no such address, none.
func TestRouteSource(t *testing.T) {
	source := func(exp *model.Experiment, dst string) cty.Value {
		t.Helper()
		r := lowerOK(t, exp, nil).Get(addrs.Resource{Type: contract.Route, Name: "a", Key: addrs.StringKey(dst)})
		if r == nil {
			t.Fatalf("no route to %s", dst)
		}
		return r.Config.GetAttr("source")
	}
	exp := experiment("a")
	a := exp.VNodes[0]
	a.Interfaces[1].Address = netip.MustParsePrefix("10.1.0.5/24")
	a.Routes = append(a.Routes,
		&model.Route{Node: "a", Destination: netip.MustParsePrefix("10.8.0.0/16"), Device: "eth1"},
		&model.Route{Node: "a", Destination: netip.MustParsePrefix("10.7.0.0/16"), Gateway: netip.MustParseAddr("192.168.0.1")})
	exp.Routes = []*model.Route{{Node: "a", Destination: netip.MustParsePrefix("10.6.0.0/16"), Gateway: netip.MustParseAddr("10.1.0.1")}}
	for dst, want := range map[string]cty.Value{
		"10.9.0.0/16": cty.StringVal("10.0.0.1"), // gateway on eth0's subnet
		"10.8.0.0/16": cty.StringVal("10.1.0.5"), // device eth1
		"10.7.0.0/16": cty.NullVal(cty.String),   // gateway on no subnet of a's
		"10.6.0.0/16": cty.StringVal("10.1.0.5"), // a top-level route block
	} {
		if got := source(exp, dst); !got.RawEquals(want) {
			t.Errorf("route to %s: source %#v, want %#v", dst, got, want)
		}
	}
	a.Interfaces[0].Address = netip.MustParsePrefix("10.0.0.9/24")
	if got := source(exp, "10.9.0.0/16"); !got.RawEquals(cty.StringVal("10.0.0.9")) {
		t.Errorf("after a's address changed, its route's source is %#v", got)
	}
}

// TestHostsFileInNodes: every node is given the experiment's hosts file,
// which it depends on, and which names localhost as a system's does.
func TestHostsFileInNodes(t *testing.T) {
	g := lowerOK(t, experiment("a", "b"), nil)
	for _, n := range []string{"a", "b"} {
		r := g.Get(addrs.Resource{Type: contract.VNode, Name: n})
		if got := r.Config.GetAttr("hosts_file"); !got.RawEquals(cty.StringVal("/cfg/t/hosts")) {
			t.Errorf("%s: hosts_file %#v", n, got)
		}
		found := false
		for _, d := range r.DependsOn {
			found = found || d == hostsAddr
		}
		if !found {
			t.Errorf("%s does not depend on %s", n, hostsAddr)
		}
	}
	hosts := g.Get(hostsAddr).Config.GetAttr("content").AsString()
	for _, want := range []string{"127.0.0.1\tlocalhost\n", "::1\tlocalhost", "10.0.0.1\ta-eth0 a\n", "10.0.0.2\tb-eth0 b\n"} {
		if !strings.Contains(hosts, want) {
			t.Errorf("hosts lacks %q:\n%s", want, hosts)
		}
	}
}

// TestSensitiveMarksSurviveLowering: an attribute the model says is
// sensitive is marked, whole, in the resource that carries it; so is the
// topology, which carries every node's startup, and it says so to its
// provider; nothing else is marked.
func TestSensitiveMarksSurviveLowering(t *testing.T) {
	exp := experiment("a", "b")
	a := exp.VNodes[0]
	a.Startup, a.OS, a.Attrs = "run s3cret", "linux", map[string]string{"k": "s3cret"}
	a.Sensitive = map[string]bool{model.AttrStartup: true, model.AttrAttributes: true}
	exp.VNodes[1].Startup = "run plain"
	exp.RequiredProviders = []*model.RequiredProvider{{Name: "hello"}}
	exp.Resources = []*model.Resource{{
		Type: "hello_greeting", Name: "g", Addr: addrs.Instance{Name: "g"}, Provider: "hello",
		Attrs: map[string]cty.Value{
			"nested": cty.ObjectVal(map[string]cty.Value{"x": cty.StringVal("s3cret").Mark(model.Sensitive), "y": cty.True}),
			"plain":  cty.StringVal("hi"),
		},
	}}
	g := lowerOK(t, exp, nil)
	var got []string
	for _, r := range g.Resources {
		for name := range r.Config.Type().AttributeTypes() {
			v := r.Config.GetAttr(name)
			switch {
			case v.IsMarked():
				got = append(got, r.Addr.String()+"."+name)
			case v.ContainsMarked():
				t.Errorf("%s.%s holds a mark inside, not on its whole value", r.Addr, name)
			}
		}
		if r.Addr.Type == contract.ConfigFile {
			if s := r.Config.Type().HasAttribute("sensitive") && r.Config.GetAttr("sensitive").True(); s != (r.Addr.Name == "topology") {
				t.Errorf("%s: sensitive %v", r.Addr, s)
			}
		}
	}
	slices.Sort(got)
	want := []string{"config_file.topology.content", "hello_greeting.g.nested", "startup.a.command", "vnode.a.attributes"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("marked attributes (-want +got):\n%s", diff)
	}
}

// TestQEMUAttributes: a node's QEMU settings reach its vnode as the
// contract has them; its mounts are on the vnode exactly as on its mount
// resources, by target; a node that sets none has them all null, lists
// included (not empty lists).
func TestQEMUAttributes(t *testing.T) {
	exp := experiment("a", "b")
	a := exp.VNodes[0]
	a.Type = contract.NodeQEMU
	a.Accel, a.Machine, a.GuestConfig = contract.AccelTCG, "q35", contract.GuestConfigCloudInit
	a.Kernel, a.Initrd, a.KernelArgs = "/srv/vmlinuz", "/srv/initrd.img", "console=ttyS0"
	a.Forwards = []*model.Forward{
		{Protocol: "tcp", HostAddress: netip.MustParseAddr("127.0.0.1"), HostPort: 2222, GuestPort: 22},
		{Protocol: "udp", HostAddress: netip.MustParseAddr("0.0.0.0"), HostPort: 5353, GuestPort: 53},
	}
	a.Mounts = []*model.Mount{
		{Node: "a", Source: "/proj", Target: "/proj", ReadOnly: true},
		{Node: "a", Source: "/home/u", Target: "/users", ReadOnly: false},
	}
	g := lowerOK(t, exp, nil)

	cfg := g.Get(addrs.Resource{Type: contract.VNode, Name: "a"}).Config
	for attr, want := range map[string]string{
		"accel": "tcg", "machine": "q35", "guest_config": "cloud-init",
		"kernel": "/srv/vmlinuz", "initrd": "/srv/initrd.img", "kernel_args": "console=ttyS0",
	} {
		if got := cfg.GetAttr(attr); got.IsNull() || got.AsString() != want {
			t.Errorf("%s = %#v, want %q", attr, got, want)
		}
	}
	wantFwd := cty.ListVal([]cty.Value{
		cty.ObjectVal(map[string]cty.Value{"protocol": cty.StringVal("tcp"), "host_address": cty.StringVal("127.0.0.1"), "host_port": cty.NumberIntVal(2222), "guest_port": cty.NumberIntVal(22)}),
		cty.ObjectVal(map[string]cty.Value{"protocol": cty.StringVal("udp"), "host_address": cty.StringVal("0.0.0.0"), "host_port": cty.NumberIntVal(5353), "guest_port": cty.NumberIntVal(53)}),
	})
	if got := cfg.GetAttr("forwards"); !got.RawEquals(wantFwd) {
		t.Errorf("forwards = %#v", got)
	}
	mounts := cfg.GetAttr("mounts").AsValueSlice()
	if len(mounts) != 2 {
		t.Fatalf("mounts = %#v", cfg.GetAttr("mounts"))
	}
	for _, m := range mounts {
		target := m.GetAttr("target").AsString()
		res := g.Get(addrs.Resource{Type: contract.Mount, Name: "a", Key: addrs.StringKey(target)})
		if res == nil {
			t.Fatalf("no mount resource for %s", target)
		}
		for _, attr := range contract.NodeMountAttributes() {
			if !m.GetAttr(attr.Name).RawEquals(res.Config.GetAttr(attr.Name)) {
				t.Errorf("mounts entry %s: %s = %#v, the mount resource has %#v", target, attr.Name, m.GetAttr(attr.Name), res.Config.GetAttr(attr.Name))
			}
		}
	}
	if !cfg.Type().Equals(contract.ObjectType(contract.VNode)) {
		t.Errorf("the vnode's configuration is not the contract's type: %#v", cfg.Type())
	}

	b := g.Get(addrs.Resource{Type: contract.VNode, Name: "b"}).Config
	for _, attr := range []string{"accel", "machine", "kernel", "initrd", "kernel_args", "guest_config", "forwards", "mounts"} {
		if v := b.GetAttr(attr); !v.IsNull() {
			t.Errorf("node b: %s = %#v, want null", attr, v)
		}
	}
}

// TestOpenVZAttributes: a node's OpenVZ settings reach its vnode as the
// contract has them, lists in order; a node that sets none has them null
// (not zero, not empty lists).
func TestOpenVZAttributes(t *testing.T) {
	exp := experiment("a", "b")
	a := exp.VNodes[0]
	a.Type = contract.NodeOpenVZ
	a.Image = "/srv/templates/debian.tar.gz"
	a.CTID, a.Diskspace = 101, 2<<30
	a.Hostname = "web1.example.org"
	a.Nameservers = []string{"192.0.2.53", "2001:db8::53"}
	a.Init = []string{"/bin/busybox", "init"}
	g := lowerOK(t, exp, nil)

	cfg := g.Get(addrs.Resource{Type: contract.VNode, Name: "a"}).Config
	for attr, want := range map[string]cty.Value{
		"image":       cty.StringVal("/srv/templates/debian.tar.gz"),
		"ctid":        cty.NumberIntVal(101),
		"hostname":    cty.StringVal("web1.example.org"),
		"diskspace":   cty.NumberIntVal(2 << 30),
		"nameservers": cty.ListVal([]cty.Value{cty.StringVal("192.0.2.53"), cty.StringVal("2001:db8::53")}),
		"init":        cty.ListVal([]cty.Value{cty.StringVal("/bin/busybox"), cty.StringVal("init")}),
	} {
		if got := cfg.GetAttr(attr); !got.RawEquals(want) {
			t.Errorf("%s = %#v, want %#v", attr, got, want)
		}
	}
	if !cfg.Type().Equals(contract.ObjectType(contract.VNode)) {
		t.Errorf("the vnode's configuration is not the contract's type: %#v", cfg.Type())
	}
	b := g.Get(addrs.Resource{Type: contract.VNode, Name: "b"}).Config
	for _, attr := range contract.OpenVZAttributes {
		if v := b.GetAttr(attr.Attribute); !v.IsNull() {
			t.Errorf("node b: %s = %#v, want null", attr.Attribute, v)
		}
	}
}
