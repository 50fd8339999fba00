package lower

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/model"
	"github.com/benito-net/benito/state"
	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

func experiment(nodes ...string) *model.Experiment {
	exp := &model.Experiment{
		Name:     "t",
		Site:     map[string]string{model.SiteConfigRoot: "/cfg", model.SiteRunRoot: "/run/b"},
		Switches: []*model.Switch{{Name: "br0", Kind: model.KindBridge}, {Name: "lan0", Kind: model.KindVDE}},
	}
	for i, n := range nodes {
		exp.VNodes = append(exp.VNodes, &model.VNode{
			Name: n, Type: model.TypeProcess,
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
		if r.Addr.Type == TypePort {
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
		if r.Addr.Type != TypePort {
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
	for _, d := range g.Get(addrs.Resource{Type: TypeVNode, Name: "a"}).DependsOn {
		deps = append(deps, d.String())
	}
	wantDeps := []string{`config_file.hosts`, `config_file.route["a"]`, `port.lan0["a.eth0"]`, `switch.br0`, `switch.lan0`}
	if d := cmp.Diff(wantDeps, deps); d != "" {
		t.Errorf("vnode.a depends on (-want +got):\n%s", d)
	}
}

func TestInterfacesCarryWhatPlatformsNeed(t *testing.T) {
	g := lowerOK(t, experiment("a"), nil)
	ifs := g.Get(addrs.Resource{Type: TypeVNode, Name: "a"}).Config.GetAttr("interfaces").AsValueSlice()
	eth0, eth1 := ifs[0], ifs[1]
	if eth0.GetAttr("vde_socket").AsString() != "/run/b/t/switch/lan0.ctl" || !eth0.GetAttr("vde_port").RawEquals(cty.NumberIntVal(1)) {
		t.Errorf("eth0 on a VDE switch: %#v", eth0)
	}
	if eth0.GetAttr("ip4_netmask").AsString() != "255.255.255.0" || eth0.GetAttr("mac_address").AsString() != model.DeriveMAC("t", "a", "eth0").String() {
		t.Errorf("eth0 addresses: %#v", eth0)
	}
	if !eth1.GetAttr("vde_socket").IsNull() || eth1.GetAttr("bridge").AsString() != model.DeviceName("t", "br0") {
		t.Errorf("eth1 on a bridge: %#v", eth1)
	}
	if n := len(eth0.GetAttr("host_device").AsString()); n > model.IFNameMax {
		t.Errorf("host device name of %d bytes exceeds IFNAMSIZ", n)
	}
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

func TestStaticRoutingWarnsThatRoutesAreNotComputed(t *testing.T) {
	exp := experiment("a")
	exp.Routing = "static"
	_, diags := Lower(exp, nil)
	if diags.HasErrors() || len(diags) != 1 || diags[0].Summary != "Routes are not computed yet" {
		t.Errorf("got %v", diags)
	}
}
