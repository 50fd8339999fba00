package hostnet

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/testenv"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// recorded is a value of typ as a state holds it: attrs, and the
// computed attributes null.
func (h *harness) recorded(typ string, attrs map[string]any) cty.Value {
	h.t.Helper()
	return cty.ObjectVal(mergeNull(h, typ, h.config(typ, attrs)))
}

// wantRefused checks that r, as a tampered state records it, is refused
// naming the recorded attribute attr: by a read, by the read before a
// destroy and by a delete.
func (h *harness) wantRefused(r *res, attr string) {
	h.t.Helper()
	ctx := context.Background()
	want := "Refused the recorded " + attr + " of " + r.addr
	for _, existence := range []bool{false, true} {
		resp := h.p.ReadResources(ctx, providers.ReadResourcesRequest{ExistenceOnly: existence, Resources: []providers.ReadResource{
			{Address: r.addr, Type: r.typ, Current: r.val, Private: r.priv},
		}})
		if err := resp.Diagnostics.Err(); err == nil || !strings.Contains(err.Error(), want) {
			h.t.Errorf("reading %s (existence only: %v): %v; want %q", r.addr, existence, err, want)
		}
	}
	ar := h.p.ApplyResource(ctx, providers.ApplyResourceRequest{Address: r.addr, Type: r.typ, Prior: r.val, Planned: cty.NullVal(r.val.Type()), PlannedPrivate: r.priv})
	if err := ar.Diagnostics.Err(); err == nil || !strings.Contains(err.Error(), want) {
		h.t.Errorf("deleting %s: %v; want %q", r.addr, err, want)
	}
	if !ar.New.RawEquals(r.val) {
		h.t.Errorf("deleting %s: the refused delete returned %#v, not the prior value", r.addr, ar.New)
	}
}

// TestRecordedSocketOutside records, as a tampered state would, sockets
// that are not the experiment's switches: a directory elsewhere (a delete
// ran os.RemoveAll on it), and one in the switch directory that is a
// symbolic link out of it. Reads and deletes refuse them; the directory
// and its file survive.
func TestRecordedSocketOutside(t *testing.T) {
	h := newHarness(t)
	outside := t.TempDir()
	keep := filepath.Join(outside, "keep")
	if err := os.WriteFile(keep, []byte("not benito's"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A link where a switch's socket goes, leading out.
	if err := os.MkdirAll(filepath.Join(h.runDir, "switch"), 0o755); err != nil {
		t.Fatal(err)
	}
	link := h.socket("evil")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	tapName := "bhr" + tag(t)
	for _, socket := range []string{outside, link, filepath.Join(outside, "switch", "lan.ctl")} {
		for _, r := range []*res{
			{addr: "switch.lan", typ: contract.Switch, val: h.recorded(contract.Switch, map[string]any{"name": "lan", "kind": "vde", "ports": 4, "socket": socket})},
			{addr: `port.lan["a.eth0"]`, typ: contract.Port, val: h.recorded(contract.Port, map[string]any{"switch": "lan", "socket": socket, "number": 1})},
			{addr: "tap.t", typ: contract.Tap, val: h.recorded(contract.Tap, map[string]any{"name": tapName, "switch": "lan", "socket": socket, "port": 1})},
		} {
			h.wantRefused(r, "socket")
		}
		if _, err := os.Stat(keep); err != nil {
			t.Fatalf("after the refusals of socket %s: %v", socket, err)
		}
	}
	if _, err := os.Lstat(link); err != nil {
		t.Errorf("the link: %v", err)
	}
	// Nor is such a socket imported.
	imp := h.p.ImportResource(context.Background(), providers.ImportResourceRequest{Address: "switch.lan", Type: contract.Switch, ID: outside})
	if err := imp.Diagnostics.Err(); err == nil || !strings.Contains(err.Error(), "is not the socket of a switch of this experiment") {
		t.Errorf("importing %s: %v", outside, err)
	}
}

// sleeper starts a process that is not benito's and returns it; it is
// killed with the test.
func sleeper(t *testing.T) daemon.Process {
	t.Helper()
	cmd := exec.Command(testenv.Command(t, "sleep", "coreutils"), "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	proc, err := daemon.FromPid(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	return proc
}

// TestRecordedPidStranger records, as a tampered state would, a stranger's
// process (pid and start time) as a switch's daemon and a TAP's plug, and
// in a switch's pid file: reads and deletes refuse them, and the process
// lives on.
func TestRecordedPidStranger(t *testing.T) {
	h := newHarness(t)
	proc := sleeper(t)
	socket := h.socket("lan")
	tapName := "bhr" + tag(t)
	for _, r := range []*res{
		{addr: "switch.lan", typ: contract.Switch, val: h.recorded(contract.Switch, map[string]any{"name": "lan", "kind": "vde", "ports": 4, "socket": socket}), priv: encodePrivate(proc)},
		{addr: "tap.t", typ: contract.Tap, val: h.recorded(contract.Tap, map[string]any{"name": tapName, "switch": "lan", "socket": socket, "port": 1}), priv: encodePrivate(proc)},
		{addr: "tap.b", typ: contract.Tap, val: h.recorded(contract.Tap, map[string]any{"name": tapName}), priv: encodePrivate(proc)},
	} {
		attr := "pid"
		if r.typ == contract.Tap {
			attr = "plug_pid"
		}
		h.wantRefused(r, attr)
		if !proc.Alive() {
			t.Fatalf("after the refusals of %s, the stranger is dead", r.addr)
		}
	}
	// The switch's pid file names the stranger.
	if err := os.MkdirAll(filepath.Dir(socket), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pidPath(socket), []byte(strconv.Itoa(proc.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sw := &res{addr: "switch.lan", typ: contract.Switch, val: h.recorded(contract.Switch, map[string]any{"name": "lan", "kind": "vde", "ports": 4, "socket": socket})}
	h.wantRefused(sw, "socket")
	// A create does not adopt, nor stop, it either.
	if err := h.tryApply(&res{addr: "switch.lan", typ: contract.Switch}, h.config(contract.Switch, map[string]any{"name": "lan", "kind": "vde", "ports": 4, "socket": socket})); err == nil || !strings.Contains(err.Error(), "Refused the recorded socket") {
		t.Errorf("creating the switch over the pid file: %v", err)
	}
	if !proc.Alive() {
		t.Fatal("a pid file made benito stop a stranger")
	}
}

// TestRecordedOtherExperiment records, as a tampered state would, what
// belongs to another experiment's running switch: its vde_switch and its
// TAP's vde_plug2tap as this experiment's (each under this experiment's
// own socket), and its socket. Reads and deletes refuse them; the other
// switch and plug keep running and serving.
func TestRecordedOtherExperiment(t *testing.T) {
	id := tag(t)
	testenv.Command(t, "vde_switch", "vde2")
	a, b := harnessFor(t, "bhra"+id), harnessFor(t, "bhrb"+id)
	bSocket := b.socket("lan")
	bTap := "bhrb" + id
	bsw := &res{addr: "switch.lan", typ: contract.Switch}
	bpt := &res{addr: `port.lan["t"]`, typ: contract.Port}
	btap := &res{addr: "tap.t", typ: contract.Tap}
	t.Cleanup(func() {
		b.destroy(btap, bpt, bsw)
		exec.Command("ip", "link", "del", bTap).Run()
	})
	b.apply(bsw, b.config(contract.Switch, map[string]any{"name": "lan", "kind": "vde", "ports": 4, "socket": bSocket}))
	b.apply(bpt, b.config(contract.Port, map[string]any{"switch": "lan", "socket": bSocket, "number": 1}))
	b.apply(btap, b.config(contract.Tap, map[string]any{"name": bTap, "switch": "lan", "socket": bSocket, "port": 1}))
	bSwitch, _ := decodePrivate(bsw.priv)
	bPlug, _ := decodePrivate(btap.priv)

	aSocket := a.socket("lan")
	for _, c := range []struct {
		r    *res
		attr string
	}{
		{&res{addr: "switch.lan", typ: contract.Switch, val: a.recorded(contract.Switch, map[string]any{"name": "lan", "kind": "vde", "ports": 4, "socket": aSocket}), priv: bsw.priv}, "pid"},
		{&res{addr: "tap.t", typ: contract.Tap, val: a.recorded(contract.Tap, map[string]any{"name": "bhra" + id, "switch": "lan", "socket": aSocket, "port": 1}), priv: btap.priv}, "plug_pid"},
		// B's plug as a TAP of A on B's TAP's name: still not A's socket.
		{&res{addr: "tap.t", typ: contract.Tap, val: a.recorded(contract.Tap, map[string]any{"name": bTap, "switch": "lan", "socket": aSocket, "port": 1}), priv: btap.priv}, "plug_pid"},
		// B's socket itself: A must not manage, read or shut down B's switch.
		{&res{addr: "switch.lan", typ: contract.Switch, val: a.recorded(contract.Switch, map[string]any{"name": "lan", "kind": "vde", "ports": 4, "socket": bSocket})}, "socket"},
		{&res{addr: `port.lan["t"]`, typ: contract.Port, val: a.recorded(contract.Port, map[string]any{"switch": "lan", "socket": bSocket, "number": 1})}, "socket"},
	} {
		a.wantRefused(c.r, c.attr)
		if !bSwitch.Alive() || !bPlug.Alive() {
			t.Fatalf("after the refusals of %s, B's switch or plug is gone", c.r.addr)
		}
	}
	for i, v := range b.read(bsw, bpt, btap) {
		if v.IsNull() {
			t.Errorf("B's resource %d reads back as gone", i)
		}
	}
	// A's own switch works as before beside them.
	asw := &res{addr: "switch.lan", typ: contract.Switch}
	t.Cleanup(func() { a.destroy(asw) })
	a.apply(asw, a.config(contract.Switch, map[string]any{"name": "lan", "kind": "vde", "ports": 4, "socket": aSocket}))
	if v := a.read(asw)[0]; v.IsNull() {
		t.Error("A's switch reads back as gone")
	}
	a.destroy(asw)
	deadline := time.Now().Add(time.Second)
	for !bSwitch.Alive() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !bSwitch.Alive() {
		t.Error("A's destroy stopped B's switch")
	}
}
