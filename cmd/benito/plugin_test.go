package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benito-net/benito/providers/discovery"
)

// TestProviderCrashMidApply runs apply with a config provider that crashes
// part-way: the error names the provider and the resource, what was
// applied before is in the state, and the next plan shows what remains.
func TestProviderCrashMidApply(t *testing.T) {
	tmp := t.TempDir()
	dir, root := filepath.Join(tmp, "exp"), filepath.Join(tmp, "config")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := `experiment "crash" {
  required_providers {
    crashtest = { source = "benito.test/crashtest", version = ">= 0" }
  }
}
site {
  config_root = "` + root + `"
  run_root    = "` + filepath.Join(tmp, "run") + `"
}
resource "crashtest_file" "f" {
  count   = 6
  path    = "extra/f${count.index}"
  content = "file ${count.index}\n"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	// The provider is a third-party one to this benito: a script on the
	// plugin path that runs this test binary in provider mode.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	plugins := filepath.Join(dir, ".benito", "plugins")
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\nexec '" + exe + "' provider " + crashTestProvider + "\n"
	if err := os.WriteFile(filepath.Join(plugins, discovery.BinaryPrefix+crashTestProvider), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if r := benito(t, "", "init", dir); r.code != 0 {
		t.Fatal(r)
	}

	const at = `crashtest_file.f[3]`
	t.Setenv(envCrashAt, at)
	r := benito(t, "", "apply", "-auto-approve", "-parallelism=1", dir)
	if r.code == 0 {
		t.Fatalf("apply with a crashing provider succeeded:\n%s", r)
	}
	for _, want := range []string{
		`Provider "crashtest" crashed while applying ` + at,
		"panic: test provider crashing on purpose at " + at,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r)
		}
	}

	os.Unsetenv(envCrashAt)
	list := benito(t, "", "state", "list", "-state", filepath.Join(dir, "benito.state"))
	if list.code != 0 {
		t.Fatal(list)
	}
	applied := strings.Fields(list.stdout)
	if len(applied) == 0 || strings.Contains(list.stdout, at+"\n") {
		t.Errorf("state after the crash:\n%s", list.stdout)
	}
	plan := benito(t, "", "plan", "-no-color", dir)
	if plan.code != 0 || !strings.Contains(plan.stdout, "# crashtest_file.f[3] will be created") {
		t.Fatalf("plan after the crash:\n%s", plan)
	}
	for _, a := range applied {
		if strings.Contains(plan.stdout, a+" will be created") {
			t.Errorf("plan re-creates %s, applied before the crash:\n%s", a, plan.stdout)
		}
	}
	again := benito(t, "", "apply", "-auto-approve", dir)
	if again.code != 0 {
		t.Fatalf("apply after the crash:\n%s", again)
	}
	data, err := os.ReadFile(filepath.Join(root, "crash", "extra", "f3"))
	if err != nil || string(data) != "file 3\n" {
		t.Errorf("f3: %q %v", data, err)
	}
}
