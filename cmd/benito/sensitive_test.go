package main

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/model"
)

// TestSensitiveVariableForReal applies a process node whose startup
// command uses a sensitive variable: no plan (human, JSON, saved), apply
// output, state show or destroy shows the value; the plan file is 0600;
// topology.xml, which holds the command, is 0600 while hosts stays 0644;
// the node's logs are 0600; no process of the host has the value in its
// arguments, and the command saw it.
func TestSensitiveVariableForReal(t *testing.T) {
	requireRoot(t)
	const secret = "s3cret-e2e-5b1d"
	tmp := t.TempDir()
	root, seen := filepath.Join(tmp, "config"), filepath.Join(tmp, "seen")
	v := "token=" + secret
	dir, name := sensitiveExperiment(t, tmp, "echo got=${var.token} >"+seen+"; sleep 300", v)
	hidden := func(what string, r result) {
		t.Helper()
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("%s shows the secret:\n%s", what, r)
		}
		if !strings.Contains(r.stdout, "(sensitive value)") && !strings.Contains(r.stdout, "_sensitive") {
			t.Errorf("%s does not say it hides something:\n%s", what, r)
		}
	}
	planFile := filepath.Join(tmp, "p.plan")
	r := benito(t, "", "plan", "-no-color", "-var", v, "-out", planFile, dir)
	if r.code != 0 {
		t.Fatalf("plan:\n%s", r)
	}
	hidden("plan", r)
	if fi, err := os.Stat(planFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the saved plan (which holds the value): %v, %v; want mode 600", fi.Mode(), err)
	}
	hidden("show -json of the saved plan", benito(t, "", "show", "-json", planFile))
	hidden("show of the saved plan", benito(t, "", "show", "-no-color", planFile))

	r = benito(t, "", "apply", "-no-color", planFile)
	if r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	hidden("apply", r)
	if !strings.Contains(r.stdout, "token = (sensitive value)") {
		t.Errorf("apply's outputs:\n%s", r.stdout)
	}
	if b, err := os.ReadFile(seen); err != nil || strings.TrimSpace(string(b)) != "got="+secret {
		t.Errorf("the startup command did not see the value: %q, %v", b, err)
	}
	mode := func(path string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	if m := mode(filepath.Join(root, name, "topology.xml")); m != 0o600 {
		t.Errorf("topology.xml holds the command: mode %o, want 600", m)
	}
	if m := mode(filepath.Join(root, name, "hosts")); m != 0o644 {
		t.Errorf("hosts holds nothing secret and is every node's /etc/hosts: mode %o, want 644", m)
	}
	runDir := filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name)
	logs, _ := filepath.Glob(filepath.Join(runDir, "log", "*"))
	if len(logs) == 0 {
		t.Errorf("no logs in %s", runDir)
	}
	for _, l := range logs {
		if m := mode(l); m != 0o600 {
			t.Errorf("%s: mode %o, want 600", l, m)
		}
	}
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, c := range cmdlines {
		if b, _ := os.ReadFile(c); strings.Contains(string(b), secret) {
			t.Errorf("%s shows the secret: %q", c, b)
		}
	}
	exported := filepath.Join(tmp, "exported.xml")
	if r := benito(t, "", "export", "topdl", "-var", v, "-o", exported, dir); r.code != 0 {
		t.Errorf("export topdl:\n%s", r)
	} else if m := mode(exported); m != 0o600 {
		t.Errorf("the exported TopDL holds the command: mode %o, want 600", m)
	}
	hidden("state show", benito(t, "", "state", "show", "-C", dir, "startup.a"))
	hidden("plan after apply", benito(t, "", "plan", "-no-color", "-var", "token=other-"+secret, dir))

	r = benito(t, "", "destroy", "-auto-approve", "-no-color", "-var", v, dir)
	if r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	if strings.Contains(r.stdout+r.stderr, secret) {
		t.Errorf("destroy shows the secret:\n%s", r)
	}
}

// sensitiveExperiment writes, in tmp/exp, an experiment of one process node
// whose startup command is startup, with a sensitive variable token, and
// destroys it (with -var v) when the test ends with it applied.
func sensitiveExperiment(t *testing.T, tmp, startup, v string) (dir, name string) {
	t.Helper()
	name = fmt.Sprintf("sens-%04x", rand.Intn(1<<16))
	dir = filepath.Join(tmp, "exp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	hcl := fmt.Sprintf(`experiment %q {}
site {
  default_type = "process"
  config_root  = %q
}
variable "token" {
  type      = string
  sensitive = true
}
switch "lan" {
  kind   = "bridge"
  subnet = "10.0.9.0/24"
}
vnode "a" {
  startup = %q
  interface "eth0" {
    switch      = switch.lan
    ip4_address = "10.0.9.10"
  }
}
output "token" {
  value     = var.token
  sensitive = true
}
`, name, filepath.Join(tmp, "config"), startup)
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	leaveNoRoots(t)
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "benito.state")); err != nil {
			return
		}
		if r := benito(t, "", "destroy", "-auto-approve", "-var", v, dir); r.code != 0 {
			t.Errorf("cleaning up %s:\n%s", name, r)
		}
	})
	return dir, name
}

// TestSensitiveValueInProviderError: a startup command that prints its
// secret and fails makes the provider quote its log in the error; benito
// masks the value there too.
func TestSensitiveValueInProviderError(t *testing.T) {
	requireRoot(t)
	const secret = "s3cret-err-93ac"
	v := "token=" + secret
	dir, _ := sensitiveExperiment(t, t.TempDir(), "echo leaked=${var.token}; exit 3", v)
	r := benito(t, "", "apply", "-auto-approve", "-no-color", "-var", v, dir)
	if r.code == 0 {
		t.Fatalf("apply of a failing startup command succeeded:\n%s", r)
	}
	if !strings.Contains(r.stderr, "leaked=(sensitive value)") {
		t.Errorf("the error does not quote the command's output, masked:\n%s", r)
	}
	if strings.Contains(r.stdout+r.stderr, secret) {
		t.Errorf("the error shows the secret:\n%s", r)
	}
}
