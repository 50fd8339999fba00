package main

import (
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/model"
	"github.com/vishvananda/netlink"
)

// TestImportBridge adopts a bridge made by hand as bridge.ctl of the
// configuration: the next plan updates it in place rather than creating
// it, apply manages it, and destroy removes it.
func TestImportBridge(t *testing.T) {
	requireRoot(t)
	name := fmt.Sprintf("imp-%04x", rand.Intn(1<<16))
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "exp")
	src := fmt.Sprintf(`experiment %q {}
site {
  config_root = %q
}
bridge "ctl" {}
`, name, filepath.Join(tmp, "config"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	leaveNoRoots(t)
	dev := contract.DeviceName(filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name), contract.DeviceOfBridge, "ctl")
	if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: dev}}); err != nil {
		t.Fatal(err)
	}
	exists := func() bool {
		_, err := netlink.LinkByName(dev)
		var nf netlink.LinkNotFoundError
		if err != nil && !errors.As(err, &nf) {
			t.Fatal(err)
		}
		return err == nil
	}
	t.Cleanup(func() {
		if l, err := netlink.LinkByName(dev); err == nil {
			netlink.LinkDel(l)
		}
	})

	if r := benito(t, "", "import", "-C", dir, "bridge.ctrl", dev); r.code != 1 || !strings.Contains(r.stderr, "The configuration declares no bridge.ctrl") || !strings.Contains(r.stderr, "Did you mean bridge.ctl?") {
		t.Errorf("importing as an address the configuration lacks:\n%s", r)
	}
	if r := benito(t, "", "import", "-C", dir, "bridge.ctl", dev+"x"); r.code != 1 || !strings.Contains(r.stderr, "no bridge named "+dev+"x") {
		t.Errorf("importing an object that does not exist:\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "benito.state")); err == nil {
		t.Errorf("a failed import wrote the state")
	}
	if r := benito(t, "", "import", "topld", "x.xml"); r.code != 1 || !strings.Contains(r.stderr, "did you mean benito import topdl?") {
		t.Errorf("a misspelt subcommand:\n%s", r)
	}

	r := benito(t, "", "import", "-C", dir, "bridge.ctl", dev)
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf(`Imported bridge.ctl from %q (provider "hostnet")`, dev)) {
		t.Fatalf("import:\n%s", r)
	}
	if r := benito(t, "", "state", "show", "-C", dir, "bridge.ctl"); r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("device = %q", dev)) {
		t.Errorf("the imported bridge in the state:\n%s", r)
	}
	if r := benito(t, "", "import", "-C", dir, "bridge.ctl", dev); r.code != 1 || !strings.Contains(r.stderr, "bridge.ctl is in the state already") {
		t.Errorf("importing twice:\n%s", r)
	}
	plan := benito(t, "", "plan", "-no-color", dir)
	if plan.code != 0 || !strings.Contains(plan.stdout, "bridge.ctl will be updated in-place") || strings.Contains(plan.stdout, "bridge.ctl will be created") {
		t.Errorf("plan after the import:\n%s", plan)
	}
	if r := benito(t, "", "apply", "-auto-approve", dir); r.code != 0 || !exists() {
		t.Fatalf("apply after the import (bridge there: %v):\n%s", exists(), r)
	}
	if r := benito(t, "", "plan", "-no-color", "-detailed-exitcode", dir); r.code != 0 {
		t.Errorf("plan after apply is not empty:\n%s", r)
	}
	if r := benito(t, "", "destroy", "-auto-approve", dir); r.code != 0 || exists() {
		t.Errorf("destroy (bridge still there: %v):\n%s", exists(), r)
	}
}
