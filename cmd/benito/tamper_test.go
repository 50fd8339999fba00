package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTamperedStateFilesOutside: a state edited so that a config file's
// recorded id leads out of the config directory with "../" (as a state
// file, or a backup copied over it, can be) makes no command print or
// delete the file it names: plan, a saved plan made without
// refresh, and destroy are refused, naming the resource and attribute,
// and the file outside stays as it was. (This made benito print the
// file's content in a plan's drift and delete it on destroy.)
func TestTamperedStateFilesOutside(t *testing.T) {
	dir, v, root, name := experiment(t, "demo")
	if r := benito(t, "", "apply", "-auto-approve", "-var", v, dir); r.code != 0 {
		t.Fatal(r)
	}
	const secret = "root:not-benito's\n"
	outside := filepath.Join(filepath.Dir(root), "secret")
	if err := os.WriteFile(outside, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	statePath := filepath.Join(dir, "benito.state")
	good, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	hosts := filepath.Join(root, name, "hosts")
	escape := filepath.Join(root, name) + "/../../secret"
	if filepath.Clean(escape) != outside {
		t.Fatalf("%s does not lead to %s", escape, outside)
	}
	bad := bytes.Replace(good, []byte(`"id": "`+hosts+`"`), []byte(`"id": "`+escape+`"`), 1)
	if bytes.Equal(bad, good) {
		t.Fatalf("the state records no id %q:\n%s", hosts, good)
	}
	if err := os.WriteFile(statePath, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	// Whatever the test does, the experiment's own state comes back
	// before its cleanup destroys the experiment.
	t.Cleanup(func() { os.WriteFile(statePath, good, 0o600) })

	check := func(what string, r result) {
		t.Helper()
		out := r.stdout + r.stderr
		if r.code == 0 {
			t.Errorf("%s of the tampered state succeeded:\n%s", what, r)
		}
		for _, want := range []string{"Refused the recorded id of config_file.hosts", escape, "benito state rm"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: the output lacks %q:\n%s", what, want, r)
			}
		}
		if strings.Contains(out, "not-benito's") {
			t.Errorf("%s printed the file outside the config directory:\n%s", what, r)
		}
		if data, err := os.ReadFile(outside); err != nil || string(data) != secret {
			t.Fatalf("after %s the file outside is %q, %v", what, data, err)
		}
	}
	check("plan", benito(t, "", "plan", "-no-color", "-var", v, dir))
	check("destroy", benito(t, "", "destroy", "-auto-approve", "-var", v, dir))
	planFile := filepath.Join(t.TempDir(), "destroy.plan")
	if r := benito(t, "", "plan", "-destroy", "-refresh=false", "-out", planFile, "-var", v, dir); r.code != 0 {
		t.Fatalf("a destroy plan without refresh (nothing read from the host):\n%s", r)
	}
	check("apply of a saved destroy plan", benito(t, "", "apply", planFile))
	if _, err := os.Stat(hosts); err != nil {
		t.Errorf("the experiment's own hosts file: %v", err)
	}
}
