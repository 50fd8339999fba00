package main

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

// joinedLAN is an experiment whose LAN is a host bridge it does not own,
// with a host interface as its uplink: a process node on it reaches what
// is behind the uplink.
const joinedLAN = `
experiment %q {}

site {
  config_root  = %q
  default_type = "process"
}

variable "uplink" {
  type    = string
  default = null
}

switch "lan" {
  kind     = "bridge"
  existing = %q
  uplink   = var.uplink
  subnet   = "10.254.%d.0/29"
}

vnode "a" {
  interface "eth0" {
    switch      = switch.lan
    ip4_address = "10.254.%d.1"
  }
}
`

// TestJoinExistingBridge: a switch joins a bridge the test made (standing
// for the host's br0) and a veth end (standing for a NIC) as its uplink;
// the veth's other end is in a namespace of the test with an address. The
// node pings across; dropping the uplink releases it in place; destroy
// leaves the bridge and the veth as they were, out of the bridge; a
// missing bridge is refused at plan with the block's file and line.
func TestJoinExistingBridge(t *testing.T) {
	requireRoot(t)
	tmp := t.TempDir()
	n := rand.Intn(1 << 16)
	name := fmt.Sprintf("join-%04x", n)
	id := fmt.Sprintf("%04x", n)
	hostBr, nic, peer, ns := "bjx"+id, "bju"+id, "bjv"+id, "bjns"+id
	t.Cleanup(func() {
		exec.Command("ip", "link", "del", nic).Run()
		exec.Command("ip", "link", "del", hostBr).Run()
		exec.Command("ip", "netns", "del", ns).Run()
	})
	for _, args := range [][]string{
		{"link", "add", hostBr, "type", "bridge"},
		{"link", "set", hostBr, "up"},
		{"netns", "add", ns},
		{"link", "add", nic, "type", "veth", "peer", "name", peer, "netns", ns},
		{"link", "set", nic, "up"},
		{"-n", ns, "addr", "add", fmt.Sprintf("10.254.%d.2/29", n&0xff), "dev", peer},
		{"-n", ns, "link", "set", peer, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	dir := filepath.Join(tmp, "exp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(bridge string) {
		src := fmt.Sprintf(joinedLAN, name, filepath.Join(tmp, "config"), bridge, n&0xff, n&0xff)
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	leaveNoRoots(t)
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "benito.state")); err == nil {
			write(hostBr)
			if r := benito(t, "", "destroy", "-auto-approve", dir); r.code != 0 {
				t.Errorf("cleaning up:\n%s", r)
			}
		}
	})
	masterOf := func(dev string) string {
		l, err := netlink.LinkByName(dev)
		if err != nil {
			t.Fatalf("%s: %v", dev, err)
		}
		if l.Attrs().MasterIndex == 0 {
			return ""
		}
		m, _ := netlink.LinkByIndex(l.Attrs().MasterIndex)
		return m.Attrs().Name
	}

	// Refused at plan when the bridge is missing: the block's place and
	// what to do.
	write("bjmissing" + id[:4])
	r := benito(t, "", "plan", "-no-color", dir)
	if r.code == 0 || !strings.Contains(r.stderr, "main.hcl:14:1") || !strings.Contains(r.stderr, "is not on this host. Create it") {
		t.Fatalf("plan with a missing bridge:\n%s", r)
	}

	write(hostBr)
	r = benito(t, "", "apply", "-auto-approve", "-var", "uplink="+nic, dir)
	if r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	if m := masterOf(nic); m != hostBr {
		t.Fatalf("the uplink %s is in %q, want %s", nic, m, hostBr)
	}
	ping(t, dir, "a", fmt.Sprintf("10.254.%d.2", n&0xff), 2)
	if r := benito(t, "", "plan", "-detailed-exitcode", "-var", "uplink="+nic, dir); r.code != 0 {
		t.Fatalf("plan after apply: want no changes\n%s", r)
	}

	// Without the uplink: released in place.
	r = benito(t, "", "apply", "-auto-approve", "-no-color", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "0 added, 1 changed, 0 destroyed") {
		t.Fatalf("dropping the uplink:\n%s", r)
	}
	if m := masterOf(nic); m != "" {
		t.Fatalf("the dropped uplink %s is still in %s", nic, m)
	}
	if r := benito(t, "", "apply", "-auto-approve", "-var", "uplink="+nic, dir); r.code != 0 {
		t.Fatalf("apply with the uplink again:\n%s", r)
	}

	if r := benito(t, "", "destroy", "-auto-approve", "-var", "uplink="+nic, dir); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	if left := leftovers(t, name); len(left) > 0 {
		t.Errorf("destroy left on the host:\n%s", strings.Join(left, "\n"))
	}
	br, err := netlink.LinkByName(hostBr)
	if err != nil {
		t.Fatalf("destroy deleted the host's bridge %s: %v", hostBr, err)
	}
	if br.Attrs().Flags&1 == 0 || br.Attrs().Alias != "" {
		t.Errorf("destroy reconfigured the host's bridge: flags %v, alias %q", br.Attrs().Flags, br.Attrs().Alias)
	}
	if m := masterOf(nic); m != "" {
		t.Errorf("the uplink %s is still in %s after destroy", nic, m)
	}
	ports, _ := exec.Command("ip", "-o", "link", "show", "master", hostBr).Output()
	if len(strings.TrimSpace(string(ports))) != 0 {
		t.Errorf("destroy left ports in the host's bridge:\n%s", ports)
	}
}
