package process

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/testenv"
	"github.com/benito-net/benito/model"
	"github.com/benito-net/benito/providers"
	"github.com/vishvananda/netlink"
	"github.com/zclconf/go-cty/cty"
)

// needRoot skips a test that needs root when not root, and fails it in
// CI, which must run it.
func needRoot(t *testing.T) {
	t.Helper()
	testenv.Root(t)
}

func randTag(t *testing.T) string {
	t.Helper()
	b := make([]byte, 3)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// env is one test experiment: a configured provider, a run directory and
// a unique tag for host device names.
type env struct {
	t      *testing.T
	p      *Provider
	tag    string
	runDir string
	state  map[string]cty.Value // address -> applied value
	priv   map[string][]byte    // address -> private data
	types  map[string]string    // address -> resource type
	order  []string             // creation order, for destroy
}

func newEnv(t *testing.T) *env {
	t.Helper()
	needRoot(t)
	tag := randTag(t)
	root := t.TempDir()
	p := New()
	if d := p.Configure(context.Background(), providers.ConfigureRequest{Experiment: "t" + tag, Site: map[string]string{contract.SiteRunRoot: root}}).Diagnostics; d.HasErrors() {
		t.Fatal(d.Err())
	}
	e := &env{t: t, p: p, tag: tag, runDir: filepath.Join(root, "t"+tag), state: map[string]cty.Value{}, priv: map[string][]byte{}, types: map[string]string{}}
	// Destroy whatever the test made, in reverse order, also when it
	// failed half-way.
	t.Cleanup(func() {
		for i := len(e.order) - 1; i >= 0; i-- {
			addr := e.order[i]
			if v, ok := e.state[addr]; ok && !v.IsNull() {
				resp := p.ApplyResource(context.Background(), providers.ApplyResourceRequest{Address: addr, Type: e.types[addr], Prior: v, Planned: cty.NullVal(v.Type())})
				if resp.Diagnostics.HasErrors() {
					t.Errorf("cleanup of %s: %v", addr, resp.Diagnostics.Err())
				}
			}
		}
		// The pin directory stays mounted after a test that failed
		// before its nodes were recorded: unmount it, or the temporary
		// directory cannot go.
		providers.Prune(func() { prunePinDir(layout{e.runDir, Name}) })
	})
	return e
}

// bridge makes a Linux bridge for the test, removed at cleanup.
func (e *env) bridge(suffix string) string {
	e.t.Helper()
	name := "bt" + e.tag + suffix
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name, Flags: net.FlagUp}}
	if err := netlink.LinkAdd(br); err != nil {
		e.t.Fatalf("bridge %s: %v", name, err)
	}
	e.t.Cleanup(func() {
		if l, err := netlink.LinkByName(name); err == nil {
			netlink.LinkDel(l)
		}
	})
	return name
}

type ifc struct {
	name, bridge, addr string // addr as CIDR
	vdeSocket          string
	vdePort            int
	latency            string
}

func (e *env) ifaceVal(node string, f ifc) cty.Value {
	null := func(ty cty.Type) cty.Value { return cty.NullVal(ty) }
	v := map[string]cty.Value{
		"name":        cty.StringVal(f.name),
		"switch":      cty.StringVal("sw"),
		"switch_kind": cty.StringVal(contract.KindBridge),
		"vde_socket":  null(cty.String),
		"vde_port":    null(cty.Number),
		"bridge":      null(cty.String),
		"host_device": cty.StringVal("v" + e.tag + node + strings.TrimPrefix(f.name, "eth")),
		"mac_address": cty.StringVal(model.DeriveMAC("t"+e.tag, node, f.name).String()),
		"ip4_address": null(cty.String),
		"ip4_netmask": null(cty.String),
		"mtu":         null(cty.Number),
		"capacity":    null(cty.Number),
		"latency":     null(cty.String),
		"loss":        null(cty.Number),
	}
	if f.bridge != "" {
		v["bridge"] = cty.StringVal(f.bridge)
	} else {
		v["switch_kind"] = cty.StringVal(contract.KindVDE)
		v["vde_socket"] = cty.StringVal(f.vdeSocket)
		v["vde_port"] = cty.NumberIntVal(int64(f.vdePort))
	}
	if f.addr != "" {
		ip, n, err := net.ParseCIDR(f.addr)
		if err != nil {
			e.t.Fatal(err)
		}
		v["ip4_address"] = cty.StringVal(ip.String())
		v["ip4_netmask"] = cty.StringVal(net.IP(n.Mask).String())
	}
	if f.latency != "" {
		v["latency"] = cty.StringVal(f.latency)
	}
	return cty.ObjectVal(v)
}

func (e *env) nodeConfig(name string, mountNS bool, ifs ...ifc) cty.Value {
	vals := make([]cty.Value, len(ifs))
	for i, f := range ifs {
		vals[i] = e.ifaceVal(name, f)
	}
	list := cty.ListValEmpty(contract.Interface)
	if len(vals) > 0 {
		list = cty.ListVal(vals)
	}
	addressed := 0
	for _, f := range ifs {
		if f.addr != "" {
			addressed++
		}
	}
	return cty.ObjectVal(map[string]cty.Value{
		"name":            cty.StringVal(name),
		"type":            cty.StringVal(contract.NodeProcess),
		"startup":         cty.NullVal(cty.String),
		"os":              cty.NullVal(cty.String),
		"image":           cty.NullVal(cty.String),
		"partition":       cty.NullVal(cty.String),
		"ghost":           cty.False,
		"memory":          cty.NullVal(cty.Number),
		"cpus":            cty.NullVal(cty.Number),
		"attributes":      cty.MapValEmpty(cty.String),
		"interfaces":      list,
		"config_dir":      cty.StringVal("/nonexistent"),
		"run_dir":         cty.StringVal(e.runDir),
		"hosts_file":      cty.NullVal(cty.String),
		"mount_namespace": cty.BoolVal(mountNS),
		"ip_forward":      cty.BoolVal(addressed > 1),
		"mounts":          cty.NullVal(cty.List(contract.NodeMount)),
		"accel":           cty.NullVal(cty.String),
		"machine":         cty.NullVal(cty.String),
		"kernel":          cty.NullVal(cty.String),
		"initrd":          cty.NullVal(cty.String),
		"kernel_args":     cty.NullVal(cty.String),
		"guest_config":    cty.NullVal(cty.String),
		"forwards":        cty.NullVal(cty.List(contract.Forward)),
		"ctid":            cty.NullVal(cty.Number),
		"hostname":        cty.NullVal(cty.String),
		"diskspace":       cty.NullVal(cty.Number),
		"nameservers":     cty.NullVal(cty.List(cty.String)),
		"init":            cty.NullVal(cty.List(cty.String)),
	})
}

func routeConfig(node, dst, gw string) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"node":        cty.StringVal(node),
		"destination": cty.StringVal(dst),
		"gateway":     cty.StringVal(gw),
		"device":      cty.NullVal(cty.String),
		"metric":      cty.NullVal(cty.Number),
		"source":      cty.NullVal(cty.String),
	})
}

func mountConfig(node, source, target string, readOnly bool) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"node":      cty.StringVal(node),
		"node_type": cty.StringVal(contract.NodeProcess),
		"source":    cty.StringVal(source),
		"target":    cty.StringVal(target),
		"read_only": cty.BoolVal(readOnly),
	})
}

// plan plans one resource against what the env recorded.
func (e *env) plan(typ, addr string, config cty.Value) providers.PlannedChange {
	e.t.Helper()
	rs := e.p.schema.ResourceTypes[typ]
	prior, ok := e.state[addr]
	if !ok {
		prior = cty.NullVal(rs.ImpliedType())
	}
	proposed := cty.NullVal(rs.ConfigType())
	if !config.IsNull() {
		proposed = conform(rs, config)
	}
	if d := e.p.ValidateResources(context.Background(), providers.ValidateResourcesRequest{Resources: []providers.ValidateResource{{Address: addr, Type: typ, Config: proposed}}}).Diagnostics; d.HasErrors() {
		e.t.Fatalf("validate %s: %v", addr, d.Err())
	}
	resp := e.p.PlanResources(context.Background(), providers.PlanResourcesRequest{Changes: []providers.PlanChange{{Address: addr, Type: typ, Prior: prior, Proposed: proposed}}})
	if resp.Diagnostics.HasErrors() {
		e.t.Fatalf("plan %s: %v", addr, resp.Diagnostics.Err())
	}
	return resp.Changes[0]
}

func conform(rs *providers.ResourceSchema, config cty.Value) cty.Value {
	attrs := map[string]cty.Value{}
	for name := range rs.ConfigType().AttributeTypes() {
		attrs[name] = config.GetAttr(name)
	}
	return cty.ObjectVal(attrs)
}

// apply plans and applies config for addr the way the engine does
// (replace as delete then create) and records the result.
func (e *env) apply(typ, addr string, config cty.Value) providers.PlannedChange {
	e.t.Helper()
	pc := e.plan(typ, addr, config)
	prior, ok := e.state[addr]
	if !ok {
		prior = cty.NullVal(e.p.schema.ResourceTypes[typ].ImpliedType())
		e.order = append(e.order, addr)
		e.types[addr] = typ
	}
	if len(pc.RequiresReplace) > 0 && !prior.IsNull() {
		e.do(typ, addr, prior, cty.NullVal(prior.Type()))
		prior = cty.NullVal(prior.Type())
		pc = e.plan(typ, addr, config)
	}
	if config.IsNull() {
		e.do(typ, addr, prior, cty.NullVal(prior.Type()))
		return pc
	}
	e.do(typ, addr, prior, pc.Planned)
	return pc
}

func (e *env) do(typ, addr string, prior, planned cty.Value) {
	e.t.Helper()
	resp := e.p.ApplyResource(context.Background(), providers.ApplyResourceRequest{Address: addr, Type: typ, Prior: prior, Planned: planned, PlannedPrivate: e.priv[addr]})
	e.state[addr] = resp.New
	e.priv[addr] = resp.Private
	if resp.Diagnostics.HasErrors() {
		e.t.Fatalf("apply %s: %v", addr, resp.Diagnostics.Err())
	}
}

// destroy deletes addr and forgets it.
func (e *env) destroy(addr string) {
	e.t.Helper()
	v := e.state[addr]
	e.do(e.types[addr], addr, v, cty.NullVal(v.Type()))
}

// read reads addr back and records what it read.
func (e *env) read(addr string) cty.Value {
	e.t.Helper()
	resp := e.p.ReadResources(context.Background(), providers.ReadResourcesRequest{Resources: []providers.ReadResource{{Address: addr, Type: e.types[addr], Current: e.state[addr], Private: e.priv[addr]}}})
	if resp.Diagnostics.HasErrors() {
		e.t.Fatalf("read %s: %v", addr, resp.Diagnostics.Err())
	}
	v := resp.Resources[0].New
	e.priv[addr] = resp.Resources[0].Private
	e.state[addr] = v
	return v
}

// run runs a command inside node's namespaces, like benito exec.
func (e *env) run(node string, args ...string) (string, error) {
	e.t.Helper()
	ns, err := e.p.findNode(node)
	if err != nil {
		return "", err
	}
	out, err := exec.Command("nsenter", append(append(ns.enterArgs(), "--"), args...)...).CombinedOutput()
	return string(out), err
}

// ping pings addr from node once and returns the round trip time.
func (e *env) ping(node, addr string) (time.Duration, error) {
	e.t.Helper()
	out, err := e.run(node, "ping", "-c", "1", "-W", "2", "-n", addr)
	if err != nil {
		return 0, err
	}
	i := strings.Index(out, "time=")
	if i < 0 {
		return 0, nil
	}
	f := strings.Fields(out[i+5:])
	d, err := time.ParseDuration(f[0] + "ms")
	return d, err
}

func (e *env) mustPing(node, addr string) time.Duration {
	e.t.Helper()
	var (
		d   time.Duration
		err error
	)
	// The first packet may wait for ARP and for the bridge's port to
	// forward; a few tries absorb that.
	for i := 0; i < 3; i++ {
		if d, err = e.ping(node, addr); err == nil {
			return d
		}
	}
	e.t.Fatalf("ping %s from %s: %v", addr, node, err)
	return 0
}

func applyReq(typ, addr string, prior, planned cty.Value) providers.ApplyResourceRequest {
	return providers.ApplyResourceRequest{Address: addr, Type: typ, Prior: prior, Planned: planned}
}
