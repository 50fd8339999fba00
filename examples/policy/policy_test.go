package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
)

// benito is the benito binary the tests plan with, built from this
// repository by TestMain.
var benito string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "benito-policy-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	benito = filepath.Join(dir, "benito")
	build := exec.Command("go", "build", "-o", benito, "./cmd/benito")
	build.Dir = filepath.Join("..", "..")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building benito:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run runs benito and returns its standard output.
func run(t *testing.T, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(benito, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	if err := cmd.Run(); err != nil {
		t.Fatalf("benito %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// experiment writes src (or, when src is "", examples/shaped-link) into
// a new experiment directory.
func experiment(t *testing.T, src string) string {
	t.Helper()
	if src == "" {
		data, err := os.ReadFile(filepath.Join("..", "shaped-link", "main.hcl"))
		if err != nil {
			t.Fatal(err)
		}
		src = string(data)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// deny evaluates policy.rego on a JSON plan and returns its denials,
// sorted.
func deny(t *testing.T, plan []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(plan))
	dec.UseNumber()
	var input any
	if err := dec.Decode(&input); err != nil {
		t.Fatalf("the plan is not JSON: %v", err)
	}
	rs, err := rego.New(
		rego.Query("data.benito.plan.deny"),
		rego.Load([]string{"policy.rego"}, nil),
		rego.Input(input),
	).Eval(context.Background())
	if err != nil {
		t.Fatalf("evaluating the policy: %v", err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		t.Fatalf("the policy gave %v", rs)
	}
	var msgs []string
	for _, m := range rs[0].Expressions[0].Value.([]any) {
		msgs = append(msgs, m.(string))
	}
	slices.Sort(msgs)
	return msgs
}

func TestLatencyPolicy(t *testing.T) {
	dir := experiment(t, "")
	// shaped-link's link delays 50ms: allowed.
	if got := deny(t, run(t, "plan", "-json", "-refresh=false", dir)); len(got) != 0 {
		t.Errorf("a 50ms link is denied: %v", got)
	}
	if got := deny(t, run(t, "plan", "-json", "-refresh=false", "-var", "latency=100ms", dir)); len(got) != 0 {
		t.Errorf("a 100ms link is denied: %v", got)
	}
	// 150ms: each node's interface on the link is denied.
	got := deny(t, run(t, "plan", "-json", "-refresh=false", "-var", "latency=150ms", dir))
	want := []string{
		"vnode.a: interface eth0 would have a latency of 150ms, more than 100ms",
		"vnode.b: interface eth0 would have a latency of 150ms, more than 100ms",
	}
	if !slices.Equal(got, want) {
		t.Errorf("a 150ms link: denials %q, want %q", got, want)
	}
	// The saved plan, through show -json, says the same.
	planFile := filepath.Join(t.TempDir(), "slow.plan")
	run(t, "plan", "-refresh=false", "-var", "latency=150ms", "-out", planFile, dir)
	if shown := deny(t, run(t, "show", "-json", planFile)); !slices.Equal(shown, want) {
		t.Errorf("show -json of the saved plan: denials %q, want %q", shown, want)
	}
}

const labelled = `
experiment "policy-destroy" {}

site {
  default_type = "process"
}

switch "lan" {
  kind   = "vde"
  subnet = "10.0.0.0/24"
}

vnode "scratch" {
  attributes = { label = "scratch" }
  interface "eth0" {
    switch      = switch.lan
    ip4_address = "10.0.0.1"
  }
}

vnode "keep" {
  interface "eth0" {
    switch      = switch.lan
    ip4_address = "10.0.0.2"
  }
}
`

func TestDestroyPolicy(t *testing.T) {
	dir := experiment(t, labelled)
	created := run(t, "plan", "-json", "-refresh=false", dir)
	if got := deny(t, created); len(got) != 0 {
		t.Errorf("creating the nodes is denied: %v", got)
	}
	writeState(t, dir, created)

	// Destroying everything destroys the unlabelled node: denied.
	got := deny(t, run(t, "plan", "-destroy", "-json", "-refresh=false", dir))
	want := []string{`vnode.keep would be destroyed, and it has no label (attributes = { label = "..." })`}
	if !slices.Equal(got, want) {
		t.Errorf("destroying both nodes: denials %q, want %q", got, want)
	}
	// Removing the labelled node from the configuration destroys only
	// it: allowed.
	scratch := labelled[strings.Index(labelled, `vnode "scratch"`):strings.Index(labelled, `vnode "keep"`)]
	src := strings.Replace(labelled, scratch, "", 1)
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := run(t, "plan", "-json", "-refresh=false", dir)
	if !bytes.Contains(plan, []byte(`"address": "vnode.scratch"`)) || !bytes.Contains(plan, []byte(`"delete_because_no_resource_config"`)) {
		t.Fatalf("the plan does not destroy vnode.scratch:\n%s", plan)
	}
	if got := deny(t, plan); len(got) != 0 {
		t.Errorf("destroying the labelled node is denied: %v", got)
	}
}

// writeState records in dir's state what a plan from empty state would
// create, as an apply would (the values known when planning: ids and
// other computed attributes stay unset), so that plans run against it
// without anything made on the host.
func writeState(t *testing.T, dir string, plan []byte) {
	t.Helper()
	var p struct {
		Experiment    string `json:"experiment"`
		PlannedValues struct {
			RootModule struct {
				Resources []struct {
					Address      string          `json:"address"`
					Type         string          `json:"type"`
					ProviderName string          `json:"provider_name"`
					Values       json.RawMessage `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"planned_values"`
	}
	if err := json.Unmarshal(plan, &p); err != nil {
		t.Fatal(err)
	}
	type resource struct {
		Address      string          `json:"address"`
		Type         string          `json:"type"`
		Provider     string          `json:"provider"`
		Attributes   json.RawMessage `json:"attributes"`
		Dependencies []string        `json:"dependencies"`
	}
	st := struct {
		FormatVersion int            `json:"format_version"`
		Experiment    string         `json:"experiment"`
		Lineage       string         `json:"lineage"`
		Serial        int            `json:"serial"`
		Outputs       map[string]any `json:"outputs"`
		Resources     []resource     `json:"resources"`
	}{FormatVersion: 2, Experiment: p.Experiment, Lineage: "5f0c6b7e-2d4a-4c1e-9b3f-7a8d9e0f1a2b", Serial: 1, Outputs: map[string]any{}}
	for _, r := range p.PlannedValues.RootModule.Resources {
		st.Resources = append(st.Resources, resource{Address: r.Address, Type: r.Type, Provider: r.ProviderName, Attributes: r.Values, Dependencies: []string{}})
	}
	if len(st.Resources) == 0 {
		t.Fatal("the plan creates nothing")
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "benito.state"), data, 0o600); err != nil {
		t.Fatal(err)
	}
}
