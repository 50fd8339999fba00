package hostnet

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/testenv"
	"github.com/benito-net/benito/providers"
	"github.com/vishvananda/netlink"
	"github.com/zclconf/go-cty/cty"
)

// TestSweep: the switch daemon and the TAP's plug are born in their
// cgroups; with the state lost, Sweep finds the switch, the TAP and the
// bridge from the host alone, and removes everything of them.
func TestSweep(t *testing.T) {
	testenv.Root(t)
	testenv.Command(t, "vde_switch", "vde2")
	root := t.TempDir()
	exp := "sw" + tag(t)
	runDir := filepath.Join(root, exp)
	p := New()
	if d := p.Configure(context.Background(), providers.ConfigureRequest{Experiment: exp, Site: map[string]string{contract.SiteRunRoot: root}}).Diagnostics; d.HasErrors() {
		t.Fatal(d.Err())
	}
	h := &harness{t: t, p: p, runDir: runDir}
	socket := filepath.Join(runDir, "switch", "lan.ctl")
	tapName := contract.DeviceName(runDir, contract.DeviceOfTap, "t")
	brName := contract.DeviceName(runDir, contract.DeviceOfBridge, "b")
	sw := &res{addr: "switch.lan", typ: contract.Switch}
	pt := &res{addr: `port.lan["t.eth0"]`, typ: contract.Port}
	tap := &res{addr: "tap.t", typ: contract.Tap}
	br := &res{addr: "bridge.b", typ: contract.Bridge}
	t.Cleanup(func() {
		h.destroy(tap, br, pt, sw)
		for _, d := range []string{tapName, brName} {
			if l, err := netlink.LinkByName(d); err == nil {
				netlink.LinkDel(l)
			}
		}
		p.Close()
	})
	h.apply(sw, h.config(contract.Switch, map[string]any{"name": "lan", "kind": "vde", "ports": 4, "socket": socket}))
	h.apply(pt, h.config(contract.Port, map[string]any{"switch": "lan", "socket": socket, "number": 1, "node": "t", "interface": "eth0"}))
	h.apply(tap, h.config(contract.Tap, map[string]any{"name": tapName, "switch": "lan", "socket": socket, "port": 1}))
	h.apply(br, h.config(contract.Bridge, map[string]any{"name": "b", "device": brName}))

	hier, err := daemon.HostHierarchy()
	if err != nil {
		t.Fatal(err)
	}
	for pid, g := range map[int]daemon.Group{int(num(sw.val, "pid")): p.switchGroup(socket), int(num(tap.val, "plug_pid")): p.tapGroup(tapName)} {
		if got, _ := daemon.GroupOf(pid, hier); got != g.Path() {
			t.Errorf("process %d is in cgroup %q, want %q", pid, got, g.Path())
		}
	}

	// The state is lost: Sweep alone finds them.
	resp := p.Sweep(context.Background(), providers.SweepRequest{})
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics.Err())
	}
	var got []string
	for _, o := range resp.Objects {
		got = append(got, o.Type+" "+o.KeyAttribute+"="+o.Key)
	}
	want := []string{"bridge device=" + brName, "switch socket=" + socket, "tap name=" + tapName}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Sweep found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	pids := []int{int(num(sw.val, "pid")), int(num(tap.val, "plug_pid"))}
	resp = p.Sweep(context.Background(), providers.SweepRequest{Remove: resp.Objects})
	if resp.Diagnostics.HasErrors() || len(resp.Objects) != 0 {
		t.Fatalf("Sweep removing them: left %+v, %v", resp.Objects, resp.Diagnostics.Err())
	}
	sw.val, pt.val, tap.val, br.val = cty.NilVal, cty.NilVal, cty.NilVal, cty.NilVal
	for _, d := range []string{tapName, brName} {
		if linkExists(d) {
			t.Errorf("device %s is still there", d)
		}
	}
	for _, pid := range pids {
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil && !strings.Contains(string(b), ") Z ") {
			t.Errorf("process %d still runs: %s", pid, b)
		}
	}
	if g, _ := providers.ExperimentGroup(runDir, Name); g.Exists() {
		t.Errorf("%s is still there", g)
	}
	if _, err := os.Lstat(runDir); err == nil {
		t.Errorf("the run directory %s is still there", runDir)
	}
}
