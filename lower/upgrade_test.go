package lower

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/contract"
	benitohcl "github.com/benito-net/benito/hcl"
	"github.com/benito-net/benito/internal/golden"
	"github.com/benito-net/benito/state"
	"github.com/google/go-cmp/cmp"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// v1Resource is one resource as the last release with format-1 addresses
// (commit 6bdecc7) lowered testdata/v1/main.hcl: testdata/v1/v1.txt, which
// that release wrote. It is the record of what states of that release hold.
type v1Resource struct {
	addr      addrs.Resource
	provider  string
	dependsOn []addrs.Resource
	container string
	config    string // JSON
}

func readV1(t *testing.T) []*v1Resource {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "v1", "v1.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*v1Resource
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "\t") {
			a, err := addrs.ParseResource(line)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, &v1Resource{addr: a})
			continue
		}
		r := out[len(out)-1]
		field, value, _ := strings.Cut(strings.TrimPrefix(line, "\t"), " ")
		switch field {
		case "provider":
			r.provider = value
		case "depends_on":
			for _, d := range strings.Fields(value) {
				a, err := addrs.ParseResource(d)
				if err != nil {
					t.Fatal(err)
				}
				r.dependsOn = append(r.dependsOn, a)
			}
		case "container":
			r.container = value
		case "config":
			r.config = value
		}
	}
	return out
}

func lowerV1Config(t *testing.T, prior *state.State) *Graph {
	t.Helper()
	cfg, diags := benitohcl.Load(filepath.Join("testdata", "v1"), benitohcl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return lowerOK(t, cfg.Experiment, prior)
}

// hideDevices replaces the host device names of experiment "upgrade" in
// v, old or new, by "(device)".
func hideDevices(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = hideDevices(e)
		}
	case []any:
		for i, e := range x {
			x[i] = hideDevices(e)
		}
	case string:
		if contract.HasDeviceTag("upgrade", x) {
			return "(device)"
		}
	}
	return v
}

func configJSON(t *testing.T, r *Resource) string {
	t.Helper()
	js, err := ctyjson.Marshal(r.Config, r.Config.Type())
	if err != nil {
		t.Fatal(err)
	}
	return string(js)
}

// sinceV1 takes out of a resource's attributes, as JSON, what lowering
// changed after the format-1 release, which has nothing to do with
// addresses: the hosts file nodes see (vnode.hosts_file) and its loopback
// lines, the routes' source addresses, and host device names (derived
// anew in issue 13: a state recording the old names has its devices
// replaced, deleted by the names it recorded). And the vnode attributes
// of QEMU machines (issue 14): a state recorded before them reads them as
// null (the engine conforms it to the schema), which they are here but
// for the mounts of a node with mount blocks, whose vnode is then updated
// in place once (a process node's update leaves its mounts, which its
// mount resources made, alone). So are those of OpenVZ containers
// (issue 15): null unless set, and a tap's ip4_address, a bridge's existing and uplink (issue 18).
func sinceV1(t *testing.T, js string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	hideDevices(m)
	delete(m, "hosts_file")
	delete(m, "source")
	for _, a := range []string{"accel", "machine", "kernel", "initrd", "kernel_args", "guest_config", "forwards", "ctid", "hostname", "diskspace", "nameservers", "init", "ip4_address", "existing", "uplink"} {
		if v, ok := m[a]; ok && v == nil {
			delete(m, a)
		}
	}
	delete(m, "mounts")
	if c, ok := m["content"].(string); ok {
		m["content"] = strings.Replace(c, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n", "", 1)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestV1Addr: every resource of the configuration maps, through V1Addr, to
// the resource the format-1 release made for it, one to one, with the same
// provider, dependencies and container, and the same attributes: the host
// names in them (hostnames, devices, MACs, files) did not change.
func TestV1Addr(t *testing.T) {
	old := readV1(t)
	byAddr := map[addrs.Resource]*v1Resource{}
	for _, r := range old {
		byAddr[r.addr] = r
	}
	g := lowerV1Config(t, nil)
	if len(g.Resources) != len(old) {
		t.Errorf("%d resources, the format-1 release made %d", len(g.Resources), len(old))
	}
	seen := map[addrs.Resource]bool{}
	var listing strings.Builder
	for _, r := range g.Resources {
		v1 := V1Addr(r.Addr)
		fmt.Fprintf(&listing, "%s <- %s\n", r.Addr, v1)
		o := byAddr[v1]
		if o == nil {
			t.Errorf("%s: the format-1 release made no %s", r.Addr, v1)
			continue
		}
		if seen[v1] {
			t.Errorf("%s: %s is the format-1 address of two resources", r.Addr, v1)
		}
		seen[v1] = true
		if r.Provider != o.provider {
			t.Errorf("%s: provider %s, was %s", r.Addr, r.Provider, o.provider)
		}
		var deps []addrs.Resource
		for _, d := range r.DependsOn {
			deps = append(deps, V1Addr(d))
		}
		if d := cmp.Diff(o.dependsOn, deps); d != "" {
			t.Errorf("%s: dependencies, in format 1 (-was +now):\n%s", r.Addr, d)
		}
		container := "."
		if r.Container != (addrs.Resource{}) {
			container = V1Addr(r.Container).String()
		}
		if container != o.container {
			t.Errorf("%s: container %s, was %s", r.Addr, container, o.container)
		}
		if got, was := sinceV1(t, configJSON(t, r)), sinceV1(t, o.config); got != was {
			t.Errorf("%s: attributes changed:\n%s", r.Addr, cmp.Diff(was, got))
		}
	}
	// The addresses as they are now, and what they were, for review.
	golden.Check(t, filepath.Join("testdata", "v1", "v2.txt"), []byte(listing.String()))
}

// TestUpgradeState: a state as the format-1 release recorded the
// configuration upgrades to exactly the addresses and dependencies of the
// graph, and ports keep the numbers recorded under their format-1
// addresses.
func TestUpgradeState(t *testing.T) {
	st := state.New("upgrade")
	st.V1Addrs = true
	// The recorded port numbers are not the ones a fresh lowering picks:
	// lowering must find them under the format-1 addresses.
	number := 40
	for _, o := range readV1(t) {
		attrs := json.RawMessage(o.config)
		if o.addr.Type == contract.Port {
			var m map[string]any
			if err := json.Unmarshal(attrs, &m); err != nil {
				t.Fatal(err)
			}
			m["number"] = number
			number--
			attrs, _ = json.Marshal(m)
		}
		st.Resources[o.addr] = &state.Resource{Addr: o.addr, Provider: o.provider, Attributes: attrs, Dependencies: o.dependsOn}
	}
	// A resource the configuration no longer has keeps its address.
	gone := addrs.Resource{Type: contract.VNode, Name: "h-5"}
	st.Resources[gone] = &state.Resource{Addr: gone, Provider: "process", Attributes: json.RawMessage(`{}`)}
	recorded := map[addrs.Resource]json.RawMessage{}
	for a, r := range st.Resources {
		recorded[a] = r.Attributes
	}

	g := lowerV1Config(t, st)
	UpgradeState(g, st)
	if st.V1Addrs {
		t.Error("the state is still marked V1Addrs")
	}
	var want, got []string
	for _, r := range g.Resources {
		want = append(want, fmt.Sprint(r.Addr, r.DependsOn))
	}
	want = append(want, fmt.Sprint(gone, []addrs.Resource(nil)))
	for _, a := range st.SortedAddrs() {
		got = append(got, fmt.Sprint(a, st.Resources[a].Dependencies))
	}
	slices.Sort(want)
	slices.Sort(got)
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("upgraded state (-want +got):\n%s", d)
	}
	for _, r := range g.Resources {
		rec := st.Resources[r.Addr]
		if rec.Addr != r.Addr {
			t.Errorf("%s is stored under %s", rec.Addr, r.Addr)
		}
		if !bytes.Equal(rec.Attributes, recorded[V1Addr(r.Addr)]) {
			t.Errorf("%s: attributes changed on the way", r.Addr)
		}
		if r.Addr.Type == contract.Port {
			var m struct{ Number int }
			if err := json.Unmarshal(rec.Attributes, &m); err != nil {
				t.Fatal(err)
			}
			if lowered := r.Config.GetAttr("number").AsBigFloat(); !lowered.IsInt() || lowered.String() != fmt.Sprint(m.Number) {
				t.Errorf("%s: lowered with port number %s, recorded %d", r.Addr, lowered, m.Number)
			}
		}
	}

	// A second upgrade, or one of a state of format 2, changes nothing.
	before := fmt.Sprint(st.SortedAddrs())
	UpgradeState(g, st)
	if after := fmt.Sprint(st.SortedAddrs()); after != before {
		t.Errorf("a second upgrade moved: %s", cmp.Diff(before, after))
	}
}

func TestV1AddrOfKeys(t *testing.T) {
	for _, tc := range []struct{ now, was string }{
		{`vnode.a`, `vnode.a`},
		{`vnode.h-9`, `vnode.h-9`},
		{`vnode.h[0]`, `vnode.h-0`},
		{`vnode.g["east"]`, `vnode.g-east`},
		{`startup.h[1]`, `startup.h-1`},
		{`startup.a`, `startup.a`},
		{`route.a["10.0.0.0/24"]`, `route.a["10.0.0.0/24"]`},
		{`route.h[0]["10.0.0.0/24"]`, `route.h-0["10.0.0.0/24"]`},
		{`mount.g["east"]["/mnt"]`, `mount.g-east["/mnt"]`},
		{`port.lan0["a.eth0"]`, `port.lan0["a.eth0"]`},
		{`port.lan0["h[0].eth0"]`, `port.lan0["h-0.eth0"]`},
		{`port.lan[1]["g[\"east\"].eth1"]`, `port.lan-1["g-east.eth1"]`},
		{`port.lan[1]["tap.t[1]"]`, `port.lan-1["tap.t-1"]`},
		{`port.lan0["tap.t0"]`, `port.lan0["tap.t0"]`},
		{`config_file.route["h[0]"]`, `config_file.route["h-0"]`},
		{`config_file.route["a"]`, `config_file.route["a"]`},
		{`config_file.hosts`, `config_file.hosts`},
		{`hello_greeting.x[1]`, `hello_greeting.x-1`},
	} {
		a, err := addrs.ParseResource(tc.now)
		if err != nil {
			t.Fatal(err)
		}
		if got := V1Addr(a).String(); got != tc.was {
			t.Errorf("V1Addr(%s) = %s, want %s", tc.now, got, tc.was)
		}
	}
}
