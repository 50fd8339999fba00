package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	tfjson "github.com/hashicorp/terraform-json"
)

// exampleDirs lists every experiment under examples/: each directory
// holding .hcl files, relative to examples/.
func exampleDirs(t *testing.T) []string {
	t.Helper()
	root := filepath.Join(repoRoot(t), "examples")
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".hcl") {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err == nil && !slices.Contains(dirs, rel) {
			dirs = append(dirs, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 6 {
		t.Fatalf("found only the examples %v", dirs)
	}
	return dirs
}

// TestExamplesReadByTerraformJSON plans every example from empty state
// (without root: planning reads nothing of the host), and checks that
// hashicorp/terraform-json unmarshals and validates `plan -json` and
// `show -json` of the saved plan (the same bytes), and that what it reads
// back is the plan: addresses, mode, type, name, index and provider_name
// of every resource change, planned values for every resource that will
// exist, and a configuration with every node and switch block and its
// expressions' references.
func TestExamplesReadByTerraformJSON(t *testing.T) {
	for _, ex := range exampleDirs(t) {
		t.Run(ex, func(t *testing.T) {
			tmp := t.TempDir()
			dir := filepath.Join(tmp, "exp")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			src := filepath.Join(repoRoot(t), "examples", ex)
			var text string
			entries, err := os.ReadDir(src)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if strings.HasSuffix(e.Name(), ".hcl") {
					data := mustRead(t, filepath.Join(src, e.Name()))
					text += string(data)
					if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			var vars []string
			if strings.Contains(text, `variable "config_root"`) {
				vars = append(vars, "-var", "config_root="+filepath.Join(tmp, "config"))
			}
			if strings.Contains(text, `variable "users"`) {
				vars = append(vars, "-var", "users="+t.TempDir())
			}
			env := []string{"NO_COLOR=1", "HOME=" + filepath.Join(tmp, "home"), "BENITO_PLUGIN_PATH=" + filepath.Join(tmp, "plugins")}
			cli := func(args ...string) result {
				t.Helper()
				var out, errb bytes.Buffer
				code := run(args, strings.NewReader(""), &out, &errb, env)
				r := result{code, out.String(), errb.String()}
				if code != 0 {
					t.Fatalf("benito %s:\n%s", strings.Join(args, " "), r)
				}
				return r
			}
			if strings.Contains(text, "required_providers") {
				// The third-party provider example: its provider built
				// and locked, as its README says.
				install(t, buildHello(t, "0.1.0"), filepath.Join(tmp, "plugins"), "hello")
				cli("init", dir)
			}
			planFile := filepath.Join(tmp, "exp.plan")
			planned := cli(append(append([]string{"plan", "-json", "-refresh=false", "-out", planFile}, vars...), dir)...).stdout
			shown := cli("show", "-json", planFile).stdout
			if planned != shown {
				t.Errorf("show -json of the saved plan differs from plan -json")
			}
			checkTerraformJSON(t, []byte(planned))
		})
	}
}

// checkTerraformJSON reads a plan's JSON with terraform-json and checks it
// against the same JSON read plainly.
func checkTerraformJSON(t *testing.T, out []byte) *tfjson.Plan {
	t.Helper()
	var tp tfjson.Plan
	if err := json.Unmarshal(out, &tp); err != nil {
		t.Fatalf("terraform-json: %v", err)
	}
	if err := tp.Validate(); err != nil {
		t.Fatalf("terraform-json Validate: %v", err)
	}
	var raw struct {
		ResourceChanges []struct {
			Address  string `json:"address"`
			Type     string `json:"type"`
			Name     string `json:"name"`
			Provider string `json:"provider"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatal(err)
	}
	if len(tp.ResourceChanges) == 0 || len(tp.ResourceChanges) != len(raw.ResourceChanges) {
		t.Fatalf("terraform-json read %d resource changes of %d", len(tp.ResourceChanges), len(raw.ResourceChanges))
	}
	var exist []string
	blocks := map[string]bool{}
	for i, rc := range tp.ResourceChanges {
		want := raw.ResourceChanges[i]
		if rc.Address != want.Address || rc.Mode != tfjson.ManagedResourceMode || rc.Type != want.Type || rc.Name != want.Name ||
			rc.ProviderName != want.Provider || rc.ProviderName == "" {
			t.Errorf("resource change %d read as %q %q %q %q %q; the JSON says %+v", i, rc.Address, rc.Mode, rc.Type, rc.Name, rc.ProviderName, want)
		}
		// The address is the type, the name and the index.
		addr := rc.Type + "." + rc.Name
		switch k := rc.Index.(type) {
		case nil:
		case []any:
			for _, e := range k {
				addr += "[" + jsonText(t, e) + "]"
			}
		default:
			addr += "[" + jsonText(t, k) + "]"
		}
		if addr != rc.Address {
			t.Errorf("%s: type, name and index %q %q %v make %s", rc.Address, rc.Type, rc.Name, rc.Index, addr)
		}
		if !rc.Change.Actions.Create() {
			// Empty state: everything is created.
			t.Errorf("%s: actions %v of a plan from empty state", rc.Address, rc.Change.Actions)
		}
		if rc.Change.BeforeSensitive != false {
			t.Errorf("%s: before_sensitive %v of a create", rc.Address, rc.Change.BeforeSensitive)
		}
		if _, ok := rc.Change.AfterSensitive.(map[string]any); !ok {
			t.Errorf("%s: after_sensitive %v", rc.Address, rc.Change.AfterSensitive)
		}
		exist = append(exist, rc.Address)
		// What lowering makes of a block's contents has no block of
		// its own.
		if !slices.Contains([]string{"port", "route", "mount", "startup", "config_file"}, rc.Type) {
			blocks[rc.Type+"."+rc.Name] = true
		}
	}
	if tp.PlannedValues == nil || tp.PlannedValues.RootModule == nil {
		t.Fatal("no planned_values")
	}
	var got []string
	for _, r := range tp.PlannedValues.RootModule.Resources {
		got = append(got, r.Address)
		if r.Mode != tfjson.ManagedResourceMode || r.ProviderName == "" || r.AttributeValues == nil {
			t.Errorf("planned value %s: mode %q, provider_name %q, values %v", r.Address, r.Mode, r.ProviderName, r.AttributeValues)
		}
	}
	if !slices.Equal(got, exist) {
		t.Errorf("planned values of %v, resources %v", got, exist)
	}
	if tp.Config == nil || tp.Config.RootModule == nil {
		t.Fatal("no configuration")
	}
	configured := map[string]bool{}
	for _, r := range tp.Config.RootModule.Resources {
		configured[r.Address] = true
		if r.Mode != tfjson.ManagedResourceMode || r.Address != r.Type+"."+r.Name {
			t.Errorf("configuration resource %s: mode %q, type %q, name %q", r.Address, r.Mode, r.Type, r.Name)
		}
		// Every vnode's interfaces name their switch.
		if r.Type == "vnode" {
			ifaces := r.Expressions["interface"]
			if ifaces == nil {
				continue
			}
			for _, b := range ifaces.NestedBlocks {
				sw := b["switch"]
				if b["name"] == nil || sw == nil || len(sw.References) == 0 && sw.ConstantValue == nil {
					t.Errorf("%s: interface %v: no name, or its switch neither a reference nor a constant", r.Address, b)
				}
			}
		}
	}
	for b := range blocks {
		if !configured[b] {
			t.Errorf("%s is planned, and the configuration has no block %s: %v", b, b, configured)
		}
	}
	return &tp
}

// jsonText is a key as an address writes it: a number as it is, a string
// quoted.
func jsonText(t *testing.T, v any) string {
	t.Helper()
	switch v.(type) {
	case float64, string:
		return string(mustJSON(t, v))
	}
	t.Fatalf("index element %v", v)
	return ""
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// TestQuickstartConfigurationReferences: the quickstart's configuration,
// read by terraform-json, says which switch each interface is on, by its
// expression's references.
func TestQuickstartConfigurationReferences(t *testing.T) {
	dir, _, _ := experimentNamed(t, "quickstart", "quickstart")
	r := benito(t, "", "plan", "-json", "-refresh=false", dir)
	if r.code != 0 {
		t.Fatal(r)
	}
	tp := checkTerraformJSON(t, []byte(r.stdout))
	refs := map[string][]string{}
	for _, res := range tp.Config.RootModule.Resources {
		if res.Type != "vnode" {
			continue
		}
		for _, b := range res.Expressions["interface"].NestedBlocks {
			name, _ := b["name"].ConstantValue.(string)
			refs[res.Address+" "+name] = b["switch"].References
		}
	}
	want := map[string][]string{
		"vnode.a eth0":      {"switch.lan1"},
		"vnode.b eth0":      {"switch.lan2"},
		"vnode.router eth0": {"switch.lan1"},
		"vnode.router eth1": {"switch.lan2"},
	}
	if d := cmp.Diff(want, refs); d != "" {
		t.Errorf("interface switch references (-want +got):\n%s", d)
	}
	out := tp.Config.RootModule.Outputs["b_address"]
	if out == nil || !slices.Equal(out.Expression.References, []string{`vnode.b.interface["eth0"].ip4_address`, `vnode.b.interface["eth0"]`, "vnode.b.interface", "vnode.b"}) {
		t.Errorf("output b_address: %+v", out)
	}
}
