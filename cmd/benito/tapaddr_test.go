package main

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/model"
)

// tapAddressed is an experiment with a TAP on a bridge carrying a
// host-side address from the benchmark range 198.18.0.0/15, which no real
// network of the host uses.
const tapAddressed = `
experiment %q {}

site {
  config_root = %q
}

variable "tap_addr" {
  type = string
}

bridge "ctl" {}

tap "mon" {
  bridge      = bridge.ctl
  ip4_address = var.tap_addr
  ip4_netmask = 30
}
`

// TestTapAddress applies a tap with a host-side address: ip addr shows it
// on the TAP, the plan shows it, changing it updates the tap in place, and
// destroy leaves neither the TAP nor the address.
func TestTapAddress(t *testing.T) {
	requireRoot(t)
	tmp := t.TempDir()
	n := rand.Intn(1 << 16)
	name := fmt.Sprintf("tapaddr-%04x", n)
	dir := filepath.Join(tmp, "exp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(fmt.Sprintf(tapAddressed, name, filepath.Join(tmp, "config"))), 0o644); err != nil {
		t.Fatal(err)
	}
	a1 := fmt.Sprintf("198.18.%d.1", n&0xff)
	a2 := fmt.Sprintf("198.19.%d.5", n&0xff)
	leaveNoRoots(t)
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "benito.state")); err == nil {
			if r := benito(t, "", "destroy", "-auto-approve", "-var", "tap_addr="+a1, dir); r.code != 0 {
				t.Errorf("cleaning up:\n%s", r)
			}
		}
	})
	runDir := filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name)
	tap := contract.DeviceName(runDir, contract.DeviceOfTap, "mon")
	ipAddr := func() string {
		out, err := exec.Command("ip", "-4", "-o", "addr", "show", "dev", tap).CombinedOutput()
		if err != nil {
			t.Fatalf("ip addr show dev %s: %v\n%s", tap, err, out)
		}
		return string(out)
	}

	r := benito(t, "", "plan", "-no-color", "-var", "tap_addr="+a1, dir)
	if r.code != 0 || !strings.Contains(r.stdout, `+ ip4_address = "`+a1+`/30"`) {
		t.Fatalf("the plan does not show the address:\n%s", r)
	}
	if r := benito(t, "", "apply", "-auto-approve", "-var", "tap_addr="+a1, dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	if out := ipAddr(); !strings.Contains(out, "inet "+a1+"/30 ") {
		t.Fatalf("ip addr of %s after apply:\n%s\nwant %s/30", tap, out, a1)
	}
	if r := benito(t, "", "plan", "-detailed-exitcode", "-var", "tap_addr="+a1, dir); r.code != 0 {
		t.Fatalf("plan after apply: want no changes\n%s", r)
	}

	// Drift: the address removed by hand shows in the plan, and apply puts
	// it back.
	if out, err := exec.Command("ip", "addr", "del", a1+"/30", "dev", tap).CombinedOutput(); err != nil {
		t.Fatalf("ip addr del: %v\n%s", err, out)
	}
	r = benito(t, "", "plan", "-no-color", "-var", "tap_addr="+a1, dir)
	if !strings.Contains(r.stdout, "tap.mon will be updated in-place") {
		t.Fatalf("the plan does not see the address removed:\n%s", r)
	}
	if r := benito(t, "", "apply", "-auto-approve", "-var", "tap_addr="+a1, dir); r.code != 0 {
		t.Fatalf("repairing apply:\n%s", r)
	}
	if out := ipAddr(); !strings.Contains(out, "inet "+a1+"/30 ") {
		t.Fatalf("ip addr of %s after repair:\n%s", tap, out)
	}

	// A new address: the tap is updated in place, the old address goes.
	r = benito(t, "", "apply", "-auto-approve", "-no-color", "-var", "tap_addr="+a2, dir)
	if r.code != 0 || !strings.Contains(r.stdout, "tap.mon will be updated in-place") || !strings.Contains(r.stdout, "0 added, 1 changed, 0 destroyed") {
		t.Fatalf("changing the address:\n%s", r)
	}
	if out := ipAddr(); !strings.Contains(out, "inet "+a2+"/30 ") || strings.Contains(out, a1) {
		t.Fatalf("ip addr of %s after the change:\n%s\nwant only %s/30", tap, out, a2)
	}

	if r := benito(t, "", "destroy", "-auto-approve", "-var", "tap_addr="+a2, dir); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	if left := leftovers(t, name); len(left) > 0 {
		t.Errorf("destroy left on the host:\n%s", strings.Join(left, "\n"))
	}
	out, _ := exec.Command("ip", "-4", "-o", "addr").Output()
	for _, a := range []string{a1, a2} {
		if strings.Contains(string(out), "inet "+a+"/") {
			t.Errorf("address %s left on the host after destroy:\n%s", a, out)
		}
	}
}
