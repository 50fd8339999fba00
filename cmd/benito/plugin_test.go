package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/benito-net/benito/providers/discovery"
)

// TestProviderCrashMidApply runs apply with a third-party provider that
// crashes part-way through 40 changes, ten at a time: benito prints one
// error naming the provider and its binary, with what was in flight and
// the provider's last words, then the list of changes it skipped (not one
// error per change); what was applied before is in the state, and the
// next plan shows what remains.
func TestProviderCrashMidApply(t *testing.T) {
	tmp := t.TempDir()
	dir, root := filepath.Join(tmp, "exp"), filepath.Join(tmp, "config")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const at = `crashtest_file.f[3]`
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
  count   = 30
  path    = "extra/f${count.index}"
  content = "file ${count.index}\n"
}
# Depends on the change that crashes the provider.
resource "crashtest_file" "g" {
  count      = 5
  path       = "extra/g${count.index}"
  content    = "g\n"
  depends_on = [` + at + `]
}
# Depends on a change benito never sends.
resource "crashtest_file" "h" {
  count      = 5
  path       = "extra/h${count.index}"
  content    = "h\n"
  depends_on = [crashtest_file.f[29]]
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
	binary := filepath.Join(plugins, discovery.BinaryPrefix+crashTestProvider)
	script := "#!/bin/sh\nexec '" + exe + "' provider " + crashTestProvider + "\n"
	if err := os.WriteFile(binary, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if r := benito(t, "", "init", dir); r.code != 0 {
		t.Fatal(r)
	}

	t.Setenv(envCrashAt, at)
	r := benito(t, "", "apply", "-auto-approve", "-parallelism=10", "-no-color", dir)
	if r.code == 0 {
		t.Fatalf("apply with a crashing provider succeeded:\n%s", r)
	}
	if n := strings.Count(r.stderr, "Error: "); n != 1 {
		t.Errorf("%d errors, want one:\n%s", n, r.stderr)
	}
	summary := fmt.Sprintf("Error: Provider %q (%s) crashed\n", crashTestProvider, binary)
	for _, want := range []string{
		summary,
		"In flight when it ended (benito does not know whether ",
		"  creating " + at + "\n",
		"panic: test provider crashing on purpose at " + at,
		"Skipped:\n",
		"  crashtest_file.g[0] (because " + at + " failed)\n",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	// What was in flight, as the error lists it, and what was skipped.
	_, rest, _ := strings.Cut(r.stderr, "In flight when it ended")
	inFlight, _, _ := strings.Cut(rest, "\n\n")
	var flew []string
	for _, l := range strings.Split(inFlight, "\n")[1:] {
		flew = append(flew, strings.TrimPrefix(l, "  creating "))
	}
	_, skippedList, _ := strings.Cut(r.stderr, "Skipped:\n")
	skipped := map[string]string{}
	for _, l := range strings.Split(skippedList, "\n") {
		a, why, ok := strings.Cut(strings.TrimPrefix(l, "  "), " (")
		if !strings.HasPrefix(l, "  ") || !ok {
			break
		}
		skipped[a] = why
	}

	os.Unsetenv(envCrashAt)
	list := benito(t, "", "state", "list", "-state", filepath.Join(dir, "benito.state"))
	if list.code != 0 {
		t.Fatal(list)
	}
	// A create in flight when the provider ended stays recorded, pending:
	// what the provider made of it is unknown, so the next plan replaces
	// it rather than creating over it.
	var applied []string
	for _, l := range strings.Split(strings.TrimSpace(list.stdout), "\n") {
		a, status, _ := strings.Cut(l, " ")
		switch {
		case slices.Contains(flew, a) && status != "(pending)":
			t.Errorf("%s was in flight when the provider ended, and the state does not record it pending: %q", a, l)
		case !slices.Contains(flew, a):
			applied = append(applied, a)
		}
	}
	// Every change is applied, was in flight, or is in the list of skipped
	// changes, with its reason: exactly one of these.
	var all []string
	for _, b := range []struct {
		name string
		n    int
	}{{"f", 30}, {"g", 5}, {"h", 5}} {
		for i := range b.n {
			all = append(all, fmt.Sprintf("crashtest_file.%s[%d]", b.name, i))
		}
	}
	for _, a := range all {
		why, isSkipped := skipped[a]
		n := 0
		for _, in := range [][]string{applied, flew} {
			if slices.Contains(in, a) {
				n++
			}
		}
		if isSkipped {
			n++
		}
		if n != 1 {
			t.Errorf("%s: in the state %v, in flight %v, skipped %v (%s)", a, slices.Contains(applied, a), slices.Contains(flew, a), isSkipped, why)
		}
		switch {
		case strings.HasPrefix(a, "crashtest_file.g"):
			if why != "because "+at+" failed)" {
				t.Errorf("%s skipped %q", a, why)
			}
		case strings.HasPrefix(a, "crashtest_file.h") && isSkipped:
			// Why depends on how far the apply had got when f[3]
			// crashed the provider (on a loaded machine, f[29] may
			// already have been sent).
			want := "because crashtest_file.f[29] was skipped)"
			switch f29 := "crashtest_file.f[29]"; {
			case slices.Contains(flew, f29):
				want = "because crashtest_file.f[29] failed)"
			case slices.Contains(applied, f29):
				want = `provider "crashtest" had ended)`
			}
			if why != want {
				t.Errorf("%s skipped %q, want %q", a, why, want)
			}
		case isSkipped && why != `provider "crashtest" had ended)`:
			t.Errorf("%s skipped %q", a, why)
		}
	}
	// At least the changes that depend on the crashing one are skipped
	// (how many others were sent before the crash depends on the load).
	if len(skipped) < 5 || slices.Contains(applied, at) {
		t.Errorf("%d skipped; the crashing change in the state %v", len(skipped), slices.Contains(applied, at))
	}

	plan := benito(t, "", "plan", "-no-color", dir)
	if plan.code != 0 {
		t.Fatalf("plan after the crash:\n%s", plan)
	}
	for _, a := range all {
		created := strings.Contains(plan.stdout, "# "+a+" will be created")
		replaced := strings.Contains(plan.stdout, "# "+a+" is tainted, so must be replaced")
		switch {
		case slices.Contains(flew, a) && (!replaced || created):
			t.Errorf("plan after the crash: %s, in flight, replaced %v, created %v; want replaced", a, replaced, created)
		case slices.Contains(applied, a) && (replaced || created):
			t.Errorf("plan after the crash: %s, applied, replaced %v, created %v; want neither", a, replaced, created)
		case !slices.Contains(flew, a) && !slices.Contains(applied, a) && (replaced || !created):
			t.Errorf("plan after the crash: %s, skipped, replaced %v, created %v; want created", a, replaced, created)
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
