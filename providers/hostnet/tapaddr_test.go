package hostnet

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/vishvananda/netlink"
)

// benchAddrs returns two /30 host addresses in the benchmark range
// 198.18.0.0/15 (RFC 2544), which no real network of the host uses; the
// third octet comes from the test's tag so parallel runs do not collide.
func benchAddrs(id string) (string, string) {
	var n int
	fmt.Sscanf(id[:2], "%x", &n)
	return fmt.Sprintf("198.18.%d.1/30", n), fmt.Sprintf("198.19.%d.5/30", n)
}

// ipAddr is `ip -4 -o addr show dev` of a device: what a person checks.
func ipAddr(t *testing.T, dev string) string {
	t.Helper()
	return mustRun(t, "ip", "-4", "-o", "addr", "show", "dev", dev)
}

// TestTapAddress: a TAP with a host-side address has it after create, a
// changed address is changed in place, drift reads back, destroy leaves
// nothing.
func TestTapAddress(t *testing.T) {
	h := newHarness(t)
	id := tag(t)
	brDev, tapDev := "bab"+id, "bat"+id
	t.Cleanup(func() {
		for _, d := range []string{tapDev, brDev} {
			exec.Command("ip", "link", "del", d).Run()
		}
	})
	a1, a2 := benchAddrs(id)
	br := &res{addr: "bridge.ctl", typ: contract.Bridge}
	tap := &res{addr: "tap.t", typ: contract.Tap}
	h.apply(br, h.config(contract.Bridge, map[string]any{"name": "ctl", "device": brDev}))
	h.apply(tap, h.config(contract.Tap, map[string]any{"name": tapDev, "bridge": brDev, "ip4_address": a1}))
	if out := ipAddr(t, tapDev); !strings.Contains(out, "inet "+a1+" ") {
		t.Fatalf("after create, ip addr of %s:\n%s\nwant %s", tapDev, out, a1)
	}
	if v := h.read(tap)[0]; str(v, "ip4_address") != a1 {
		t.Fatalf("reads back %#v", v)
	}

	// A changed address is changed in place: the old one goes.
	if rr := h.apply(tap, h.config(contract.Tap, map[string]any{"name": tapDev, "bridge": brDev, "ip4_address": a2})); len(rr) != 0 {
		t.Fatalf("changing the address replaced the TAP: %v", rr)
	}
	out := ipAddr(t, tapDev)
	if !strings.Contains(out, "inet "+a2+" ") || strings.Contains(out, "inet "+a1+" ") {
		t.Fatalf("after the change, ip addr of %s:\n%s\nwant only %s", tapDev, out, a2)
	}

	// Drift: the address removed by hand reads back as none; another
	// added by hand reads back as that one; apply puts the planned one
	// back and removes the other.
	mustRun(t, "ip", "addr", "del", a2, "dev", tapDev)
	v := h.read(tap)[0]
	if v.IsNull() || !v.GetAttr("ip4_address").IsNull() {
		t.Fatalf("TAP without its address reads back as %#v", v)
	}
	mustRun(t, "ip", "addr", "add", a1, "dev", tapDev)
	v = h.read(tap)[0]
	if str(v, "ip4_address") != a1 {
		t.Fatalf("TAP with another address reads back as %#v", v)
	}
	tap.val = v
	if rr := h.apply(tap, h.config(contract.Tap, map[string]any{"name": tapDev, "bridge": brDev, "ip4_address": a2})); len(rr) != 0 {
		t.Fatalf("restoring the address replaced the TAP: %v", rr)
	}
	out = ipAddr(t, tapDev)
	if !strings.Contains(out, "inet "+a2+" ") || strings.Contains(out, "inet "+a1+" ") {
		t.Fatalf("after restoring, ip addr of %s:\n%s\nwant only %s", tapDev, out, a2)
	}

	// No address: removed in place.
	if rr := h.apply(tap, h.config(contract.Tap, map[string]any{"name": tapDev, "bridge": brDev})); len(rr) != 0 {
		t.Fatalf("removing the address replaced the TAP: %v", rr)
	}
	if out := ipAddr(t, tapDev); strings.Contains(out, "inet ") {
		t.Fatalf("after removing the address, ip addr of %s:\n%s", tapDev, out)
	}
	h.apply(tap, h.config(contract.Tap, map[string]any{"name": tapDev, "bridge": brDev, "ip4_address": a1}))

	h.destroy(tap, br)
	for _, d := range []string{tapDev, brDev} {
		if linkExists(d) {
			t.Errorf("%s left after destroy", d)
		}
	}
	as, err := netlink.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if p := prefixOf(a).String(); p == a1 || p == a2 {
			t.Errorf("address %s left on the host after destroy", p)
		}
	}
}
