package main

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/model"
	"github.com/vishvananda/netlink"
)

// previousDeviceName is a host device name as releases before issue 13
// derived it: "b", the experiment's tag, "-", and the owner's names joined
// with "-" (hashed when too long).
func previousDeviceName(experiment string, parts ...string) string {
	prefix := contract.DeviceTag(experiment) + "-"
	name := prefix + strings.Join(parts, "-")
	if len(name) <= contract.IFNameMax {
		return name
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return prefix + strings.ToLower(base32.StdEncoding.EncodeToString(sum[:]))[:contract.IFNameMax-len(prefix)]
}

// namedDevices is an experiment with a device of each kind hostnet and
// process make: a bridge switch, a bridge, a TAP on it, a node's veth.
const namedDevices = `
experiment %q {}

site {
  config_root  = %q
  default_type = "process"
}

switch "lan" {
  kind   = "bridge"
  subnet = "10.0.7.0/24"
}

bridge "ctl" {}

tap "t" {
  bridge = bridge.ctl
}

vnode "a" {
  interface "eth0" {
    switch      = switch.lan
    ip4_address = "10.0.7.1"
  }
}
`

// TestPreviousDeviceNames turns an applied experiment into what the
// previous release left (devices named by its derivation, without
// aliases, and a state recording those names), and checks that this
// release plans and applies it to today's names, deleting the old devices
// by their recorded names, and destroys it leaving nothing; and that it
// destroys such an experiment directly, leaving nothing.
func TestPreviousDeviceNames(t *testing.T) {
	t.Run("apply", func(t *testing.T) { previousDeviceNames(t, true) })
	t.Run("destroy", func(t *testing.T) { previousDeviceNames(t, false) })
}

func previousDeviceNames(t *testing.T, upgrade bool) {
	requireRoot(t)
	tmp := t.TempDir()
	name := fmt.Sprintf("names-%04x", rand.Intn(1<<16))
	dir := filepath.Join(tmp, "exp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(fmt.Sprintf(namedDevices, name, filepath.Join(tmp, "config"))), 0o644); err != nil {
		t.Fatal(err)
	}
	leaveNoRoots(t)
	t.Cleanup(func() {
		if r := benito(t, "", "destroy", "-auto-approve", dir); r.code != 0 {
			t.Errorf("cleaning up:\n%s", r)
		}
		for _, l := range leftovers(t, name) {
			if dev, ok := strings.CutPrefix(l, "link "); ok {
				exec.Command("ip", "link", "del", strings.Split(dev, "@")[0]).Run()
			}
		}
	})
	if r := benito(t, "", "apply", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	runDir := filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name)
	renames := map[string]string{ // today's name -> the previous release's
		contract.DeviceName(runDir, contract.DeviceOfSwitch, "lan"):      previousDeviceName(name, "lan"),
		contract.DeviceName(runDir, contract.DeviceOfBridge, "ctl"):      previousDeviceName(name, "ctl"),
		contract.DeviceName(runDir, contract.DeviceOfTap, "t"):           previousDeviceName(name, "t", "t"),
		contract.DeviceName(runDir, contract.DeviceOfVNode, "a", "eth0"): previousDeviceName(name, "a", "eth0"),
	}
	statePath := filepath.Join(dir, "benito.state")
	st, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	for now, was := range renames {
		l, err := netlink.LinkByName(now)
		if err != nil {
			t.Fatalf("device %s after apply: %v", now, err)
		}
		if !strings.HasPrefix(l.Attrs().Alias, "benito ") {
			t.Errorf("device %s has the alias %q", now, l.Attrs().Alias)
		}
		for _, args := range [][]string{{"set", "dev", now, "down"}, {"set", "dev", now, "name", was}, {"set", "dev", was, "alias", ""}, {"set", "dev", was, "up"}} {
			if out, err := exec.Command("ip", append([]string{"link"}, args...)...).CombinedOutput(); err != nil {
				t.Fatalf("ip link %s: %v %s", strings.Join(args, " "), err, out)
			}
		}
		if !strings.Contains(string(st), `"`+now+`"`) {
			t.Fatalf("the state does not record %s", now)
		}
		st = []byte(strings.ReplaceAll(string(st), `"`+now+`"`, `"`+was+`"`))
	}
	if err := os.WriteFile(statePath, st, 0o600); err != nil {
		t.Fatal(err)
	}

	if !upgrade {
		if r := benito(t, "", "destroy", "-auto-approve", dir); r.code != 0 {
			t.Fatalf("destroy of the previous release's experiment:\n%s", r)
		}
		if left := leftovers(t, name); len(left) > 0 {
			t.Errorf("destroy left on the host:\n%s", strings.Join(left, "\n"))
		}
		return
	}
	r := benito(t, "", "plan", "-no-color", dir)
	if r.code != 0 {
		t.Fatalf("plan of the previous release's experiment:\n%s", r)
	}
	for _, want := range []string{"switch.lan must be replaced", "bridge.ctl must be replaced", "tap.t must be replaced", "vnode.a will be updated in-place"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the plan lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := benito(t, "", "apply", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("apply of the previous release's experiment:\n%s", r)
	}
	for now, was := range renames {
		if _, err := netlink.LinkByName(was); err == nil {
			t.Errorf("the previous release's %s is left", was)
		}
		if _, err := netlink.LinkByName(now); err != nil {
			t.Errorf("%s: %v", now, err)
		}
	}
	if r := benito(t, "", "plan", "-detailed-exitcode", dir); r.code != 0 {
		t.Errorf("the apply did not converge:\n%s", r)
	}
	if r := benito(t, "", "destroy", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	if left := leftovers(t, name); len(left) > 0 {
		t.Errorf("destroy left on the host:\n%s", strings.Join(left, "\n"))
	}
}

// TestExperimentFromTwoDirectories applies the quickstart from one
// directory and then, under the same name, from a second: the second's
// plan, apply and destroy are refused naming the first directory, and the
// first's nodes keep running.
func TestExperimentFromTwoDirectories(t *testing.T) {
	requireRoot(t)
	first, name := realExperiment(t, "quickstart")
	second, _, _ := experimentNamed(t, "quickstart", name)
	if r := benito(t, "", "apply", "-auto-approve", first); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	for _, args := range [][]string{{"plan", second}, {"apply", "-auto-approve", second}, {"destroy", "-auto-approve", second}} {
		r := benito(t, "", args...)
		if r.code != 1 || !strings.Contains(r.stderr, "applied from the directory "+first) {
			t.Errorf("benito %s from the second directory:\n%s", args[0], r)
		}
	}
	ping(t, first, "a", "10.0.2.10", 1)
	if r := benito(t, "", "destroy", "-auto-approve", first); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	if left := leftovers(t, name); len(left) > 0 {
		t.Errorf("destroy left on the host:\n%s", strings.Join(left, "\n"))
	}
}
