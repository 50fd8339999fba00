package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/testenv"
	"github.com/benito-net/benito/model"
)

// TestSwitchPorts applies the quickstart (lan1 a bridge, lan2 a VDE
// switch), pings across both so the switches learn the nodes' MACs, and
// reads the live port tables: every node's port with its MAC; then a plug
// killed by hand (empty) and a stranger plugged into a port of its own
// (unknown) show as mismatches; destroy leaves nothing.
func TestSwitchPorts(t *testing.T) {
	requireRoot(t)
	testenv.Command(t, "vde_plug", "vde2")
	dir, name := realExperiment(t, "quickstart")
	// And a TAP on lan2: its port is expected as tap.mon.
	if err := os.WriteFile(filepath.Join(dir, "tap.hcl"), []byte("tap \"mon\" {\n  switch = switch.lan2\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := benito(t, "", "apply", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	ping(t, dir, "a", "10.0.2.10", 1)

	read := func() portTable {
		t.Helper()
		r := benito(t, "", "switch", "ports", "-C", dir, "-json", "lan2")
		var table portTable
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &table) != nil {
			t.Fatalf("switch ports -json lan2:\n%s", r)
		}
		return table
	}
	// macOf is the MAC of NODE.IFACE, read in the node.
	macOf := func(nodeIface string) string {
		t.Helper()
		node, iface, _ := strings.Cut(nodeIface, ".")
		// (Not /sys/class/net: the node's sysfs is the host's.)
		r := benito(t, "", "exec", "-C", dir, node, "--", "ip", "-o", "link", "show", iface)
		m := regexp.MustCompile(`link/ether ([0-9a-f:]+) `).FindStringSubmatch(r.stdout)
		if r.code != 0 || m == nil {
			t.Fatalf("the MAC of %s:\n%s", nodeIface, r)
		}
		return m[1]
	}
	table := read()
	if table.Kind != "vde" || table.Management != filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name, "switch", "lan2.mgmt") || len(table.Ports) != 3 {
		t.Fatalf("lan2's table: %+v", table)
	}
	plugPid := map[string]int{}
	for _, p := range table.Ports {
		if p.Expected == "tap.mon" {
			if p.Status != portOK || len(p.Plugged) != 1 || !strings.HasPrefix(p.Plugged[0], "vde_plug2tap:") || p.ExpectedMAC != "" {
				t.Errorf("tap.mon's port: %+v", p)
			}
			continue
		}
		mac := macOf(p.Expected)
		if p.Status != portOK || len(p.Plugged) != 1 || !strings.HasPrefix(p.Plugged[0], "vde_plug2tap:") || p.ExpectedMAC != mac || !reflect.DeepEqual(p.MACs, []string{mac}) {
			t.Errorf("port %d of lan2 (%s has MAC %s): %+v", *p.Number, p.Expected, mac, p)
		}
		m := regexp.MustCompile(`pid=([0-9]+)`).FindStringSubmatch(p.Plugged[0])
		if m == nil {
			t.Fatalf("no pid in %q", p.Plugged[0])
		}
		plugPid[p.Expected], _ = strconv.Atoi(m[1])
	}
	r := benito(t, "", "switch", "ports", "-C", dir, "lan2")
	if r.code != 0 || !regexp.MustCompile(`(?m)^1 +vde_plug2tap: user=root pid=[0-9]+ +b\.eth0 +`+macOf("b.eth0")+` +ok$`).MatchString(r.stdout) {
		t.Errorf("the table of lan2:\n%s", r)
	}

	// The bridge: its members, each a node's host-side device, with the MAC
	// learned on it.
	r = benito(t, "", "switch", "ports", "-C", dir, "-json", "lan1")
	var bridge portTable
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &bridge) != nil {
		t.Fatalf("switch ports -json lan1:\n%s", r)
	}
	if bridge.Kind != "bridge" || len(bridge.Ports) != 2 {
		t.Fatalf("lan1's table: %+v", bridge)
	}
	for _, p := range bridge.Ports {
		if mac := macOf(p.Expected); p.Status != portOK || !reflect.DeepEqual(p.Plugged, []string{"veth"}) || p.Device == "" || p.ExpectedMAC != mac || !reflect.DeepEqual(p.MACs, []string{mac}) {
			t.Errorf("member %s of lan1 (%s has MAC %s): %+v", p.Device, p.Expected, mac, p)
		}
	}

	// b's plug killed by hand; a stranger plugged into a port of its own
	// (the switch's first free one).
	if err := syscall.Kill(plugPid["b.eth0"], syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	stranger := exec.Command("vde_plug", filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name, "switch", "lan2.ctl"))
	in, err := stranger.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := stranger.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); stranger.Process.Kill(); stranger.Wait() })
	var strangerPort int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		statuses := map[int]string{}
		for _, p := range read().Ports {
			statuses[*p.Number] = p.Status
			if p.Status == portUnknown {
				strangerPort = *p.Number
			}
		}
		want := map[int]string{1: portEmpty, 2: portOK, 3: portOK, strangerPort: portUnknown}
		if strangerPort > 3 && reflect.DeepEqual(statuses, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after b's plug was killed and a stranger plugged in: %v, want b's port 1 empty, 2 and 3 ok and the stranger's unknown", statuses)
		}
	}
	r = benito(t, "", "switch", "ports", "-C", dir, "lan2")
	if r.code != 0 || !strings.Contains(r.stdout, "2 port(s) differ from the state (empty: 1, no port: 0, unknown: 1)") ||
		!regexp.MustCompile(`(?m)^`+strconv.Itoa(strangerPort)+` +vdeplug: user=root pid=[0-9]+ +- +- +unknown$`).MatchString(r.stdout) {
		t.Errorf("the mismatches in the table:\n%s", r)
	}

	r = benito(t, "", "switch", "ports", "-C", dir, "lan")
	if r.code != 1 || !strings.Contains(r.stderr, `there is no switch "lan" in the state. Did you mean "lan1"? The switches are: lan1, lan2.`) {
		t.Errorf("an unknown switch:\n%s", r)
	}

	// The switch killed: an error that says where to look.
	killSwitch(t, filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name), "lan2")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		r = benito(t, "", "switch", "ports", "-C", dir, "lan2")
		if r.code == 1 && strings.Contains(r.stderr, "reading the ports of switch.lan2: connecting to vde_switch's management socket") &&
			strings.Contains(r.stderr, "(is the experiment applied? benito plan shows what is missing)") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a switch killed:\n%s", r)
		}
	}

	if r := benito(t, "", "destroy", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	in.Close()
	stranger.Process.Kill()
	stranger.Wait()
	if left := leftovers(t, name); len(left) > 0 {
		t.Errorf("destroy left on the host:\n%s", strings.Join(left, "\n"))
	}
}
