package main

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/lower"
	"github.com/google/go-cmp/cmp"
)

// TestFormat1StateUpgrades applies an experiment with instances of count
// and for_each (testdata/upgrade) for real, turns its state into what the
// format-1 release recorded (format_version 1, vnode.h-0), and checks that
// this benito reads it, plans no change at all (nothing replaced: host
// names, devices and MACs are what they were), renames the addresses on
// the next apply, and then speaks vnode.h[0] everywhere: state list, exec,
// -replace, -target.
//
// The format-1 state is made by renaming with lower.V1Addr; that the names
// are the format-1 release's is checked twice: here, against the addresses
// that release gave this experiment (testdata/upgrade/v1.txt, from its
// `benito graph`), and in package lower, attribute for attribute
// (TestV1Addr).
func TestFormat1StateUpgrades(t *testing.T) {
	requireRoot(t)
	tmp := t.TempDir()
	dir, root := filepath.Join(tmp, "exp"), filepath.Join(tmp, "config")
	name := fmt.Sprintf("upgrade-%04x", rand.Intn(1<<16))
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "testdata", "upgrade", "main.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src = []byte(strings.Replace(string(src), `experiment "upgrade"`, fmt.Sprintf("experiment %q", name), 1))
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	v := "config_root=" + root
	leaveNoRoots(t)
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "benito.state")); err != nil {
			return
		}
		if r := benito(t, "", "destroy", "-auto-approve", "-var", v, dir); r.code != 0 {
			t.Errorf("cleaning up %s:\n%s", name, r)
		}
	})

	if r := benito(t, "", "apply", "-auto-approve", "-var", v, dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}

	// The state as the format-1 release would have written it.
	statePath := filepath.Join(dir, "benito.state")
	var f map[string]any
	if err := json.Unmarshal(mustRead(t, statePath), &f); err != nil {
		t.Fatal(err)
	}
	if f["format_version"] != 2.0 {
		t.Fatalf("this benito wrote format %v", f["format_version"])
	}
	v1 := func(s string) string {
		a, err := addrs.ParseResource(s)
		if err != nil {
			t.Fatal(err)
		}
		return lower.V1Addr(a).String()
	}
	f["format_version"] = 1
	var got []string
	for _, r := range f["resources"].([]any) {
		r := r.(map[string]any)
		r["address"] = v1(r["address"].(string))
		got = append(got, r["address"].(string))
		for i, d := range r["dependencies"].([]any) {
			r["dependencies"].([]any)[i] = v1(d.(string))
		}
	}
	slices.Sort(got)
	want := strings.Fields(string(mustRead(t, filepath.Join(repoRoot(t), "testdata", "upgrade", "v1.txt"))))
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("not the format-1 release's addresses (-release +renamed):\n%s", d)
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(statePath, data, 0o600); err != nil {
		t.Fatal(err)
	}

	// Without the configuration the old names stay, and a note says why.
	r := benito(t, "", "state", "list", "-C", dir, "vnode")
	if r.code != 0 || r.stdout != "vnode.g-x\nvnode.h-0\nvnode.h-1\nvnode.r\n" || !strings.Contains(r.stderr, "written by an earlier benito") {
		t.Errorf("state list of a format-1 state:\n%s", r)
	}

	// Nothing to do, nothing replaced.
	r = benito(t, "", "plan", "-detailed-exitcode", "-no-color", "-var", v, dir)
	if r.code != 0 || !strings.Contains(r.stdout, "No changes.") {
		t.Fatalf("plan of the unchanged configuration on a format-1 state:\n%s", r)
	}
	r = benito(t, "", "plan", "-json", "-var", v, dir)
	var jp struct {
		ResourceChanges []struct {
			Address string
			Change  struct{ Actions []string }
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &jp); err != nil {
		t.Fatalf("plan -json: %v\n%s", err, r)
	}
	var noops []string
	for _, c := range jp.ResourceChanges {
		if !slices.Equal(c.Change.Actions, []string{"no-op"}) {
			t.Errorf("%s: %v", c.Address, c.Change.Actions)
		}
		noops = append(noops, c.Address)
	}
	for _, a := range []string{`vnode.h[0]`, `vnode.g["x"]`, `route.h[1]["10.0.0.0/24"]`, `port.lan[0]["g[\"x\"].eth0"]`, `startup.h[0]`, `config_file.route["h[1]"]`} {
		if !slices.Contains(noops, a) {
			t.Errorf("the plan has no %s: %v", a, noops)
		}
	}
	if len(noops) != len(want) {
		t.Errorf("%d resources planned, %d recorded", len(noops), len(want))
	}

	// An apply with nothing to do still saves the new addresses.
	if r := benito(t, "", "apply", "-auto-approve", "-var", v, dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	if !strings.Contains(string(mustRead(t, statePath)), `"format_version": 2,`) {
		t.Errorf("the state was not rewritten in format 2")
	}
	r = benito(t, "", "state", "list", "-C", dir, "vnode", "route.h[0]")
	if want := "route.h[0][\"10.0.1.0/24\"]\nvnode.g[\"x\"]\nvnode.h[0]\nvnode.h[1]\nvnode.r\n"; r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Errorf("state list after the upgrade: want\n%s\ngot %s", want, r)
	}

	r = benito(t, "", "state", "show", "-C", dir, "vnode.h-0")
	if r.code != 1 || !strings.Contains(r.stderr, "no resource vnode.h-0 in the state (did you mean vnode.h[0]?)") {
		t.Errorf("state show of an old address:\n%s", r)
	}
	r = benito(t, "", "state", "show", "-C", dir, `route.h[0]["10.0.1.0/24"]`)
	if r.code != 0 || !strings.Contains(r.stdout, `# route.h[0]["10.0.1.0/24"]:`) || !strings.Contains(r.stdout, `node        = "h-0"`) {
		t.Errorf("state show of a route of h[0]:\n%s", r)
	}

	// Inside, the node is still called h-0; exec finds it by either name.
	for _, node := range []string{"h[0]", "h-0"} {
		if r := benito(t, "", "exec", "-C", dir, node, "--", "hostname"); r.code != 0 || r.stdout != "h-0\n" {
			t.Errorf("exec %s hostname:\n%s", node, r)
		}
	}

	// -replace takes what lives inside the node with it; -target warns.
	r = benito(t, "", "plan", "-no-color", "-replace", "vnode.h[0]", "-var", v, dir)
	for _, want := range []string{
		"# vnode.h[0] will be replaced, as requested",
		`# route.h[0]["10.0.1.0/24"] must be replaced`,
		`# mount.h[0]["/mnt"] must be replaced`,
		"# startup.h[0] must be replaced",
		"Plan: 4 to add, 0 to change, 4 to destroy.",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan -replace lacks %q:\n%s", want, r)
		}
	}
	r = benito(t, "", "plan", "-no-color", "-replace", "vnode.h-0", "-var", v, dir)
	if r.code != 1 || !strings.Contains(r.stderr, "-replace=vnode.h-0 names no resource") || !strings.Contains(r.stderr, "Did you mean vnode.h[0]?") {
		t.Errorf("plan -replace of an old address:\n%s", r)
	}
	r = benito(t, "", "plan", "-no-color", "-target", `vnode.g["x"]`, "-var", v, dir)
	if r.code != 0 || !strings.Contains(r.stderr, "Warning: Resource targeting is in effect") || !strings.Contains(r.stdout, "No changes.") {
		t.Errorf("plan -target:\n%s", r)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
