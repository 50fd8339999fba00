package hcl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/benito-net/benito/model"
)

func TestVariablePrecedence(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"main.hcl": `experiment "v" {}
variable "name" { default = "default" }
variable "n" {
  type    = number
  default = 1
}
variable "tags" {
  type    = list(string)
  default = []
}
variable "opt" {
  type = object({
    a = string
    b = optional(number, 7)
  })
  default = { a = "x" }
}
output "name" { value = var.name }
output "n" { value = var.n }
output "tags" { value = var.tags }
output "opt" { value = var.opt }
`,
		"one.vars":  "name = \"file one\"\nn = 10\n",
		"two.vars":  "name = \"file two\"\n",
		"other.txt": "",
	})
	one, two := filepath.Join(dir, "one.vars"), filepath.Join(dir, "two.vars")
	tests := []struct {
		name string
		opts Options
		want map[string]cty.Value
	}{
		{
			name: "defaults",
			want: map[string]cty.Value{"name": cty.StringVal("default"), "n": cty.NumberIntVal(1)},
		},
		{
			name: "environment over default",
			opts: Options{Environ: []string{"BENITO_VAR_name=env", "BENITO_VAR_n=2", "BENITO_VAR_unknown=x", "PATH=/bin"}},
			want: map[string]cty.Value{"name": cty.StringVal("env"), "n": cty.NumberIntVal(2)},
		},
		{
			name: "files over environment, later files over earlier",
			opts: Options{Environ: []string{"BENITO_VAR_name=env", "BENITO_VAR_n=2"}, VarFiles: []string{one, two}},
			want: map[string]cty.Value{"name": cty.StringVal("file two"), "n": cty.NumberIntVal(10)},
		},
		{
			name: "-var over files, later -var over earlier",
			opts: Options{VarFiles: []string{one}, Vars: []string{"n=3", "name=cli", "n=4"}},
			want: map[string]cty.Value{"name": cty.StringVal("cli"), "n": cty.NumberIntVal(4)},
		},
		{
			name: "string values are literal, others are expressions",
			opts: Options{Vars: []string{"name=a = b, \"c\"", "tags=[\"x\", \"y\"]", `opt={ a = "z", b = 1 }`}},
			want: map[string]cty.Value{
				"name": cty.StringVal(`a = b, "c"`),
				"tags": cty.ListVal([]cty.Value{cty.StringVal("x"), cty.StringVal("y")}),
				"opt":  cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("z"), "b": cty.NumberIntVal(1)}),
			},
		},
		{
			name: "optional attributes take their defaults",
			want: map[string]cty.Value{
				"tags": cty.ListValEmpty(cty.String),
				"opt":  cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x"), "b": cty.NumberIntVal(7)}),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := Load(dir, tt.opts)
			if diags.HasErrors() {
				t.Fatalf("unexpected errors:\n%s", diagText(cfg, diags))
			}
			got := map[string]cty.Value{}
			for _, o := range cfg.Experiment.Outputs {
				if _, ok := tt.want[o.Name]; ok {
					got[o.Name] = o.Value
				}
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b cty.Value) bool { return a.RawEquals(b) })); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVariableFileErrors(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"main.hcl":  "experiment \"v\" {}\nvariable \"n\" {\n  type = number\n  default = 1\n}\n",
		"bad.vars":  "n = \n",
		"more.vars": "m = 1\n",
	})
	tests := []struct {
		name     string
		opts     Options
		errors   []string
		warnings int
	}{
		{name: "syntax error", opts: Options{VarFiles: []string{filepath.Join(dir, "bad.vars")}}, errors: []string{"bad.vars:1: Invalid expression"}},
		{name: "missing file", opts: Options{VarFiles: []string{filepath.Join(dir, "none.vars")}}, errors: []string{"-: Failed to read file"}},
		{name: "undeclared name warns", opts: Options{VarFiles: []string{filepath.Join(dir, "more.vars")}}, warnings: 1},
		{name: "unparsable -var", opts: Options{Vars: []string{"n=1 +"}}, errors: []string{"<value for var.n>:1: Missing expression"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := Load(dir, tt.opts)
			if diff := cmp.Diff(tt.errors, errorLines(diags)); diff != "" {
				t.Errorf("errors (-want +got):\n%s\n%s", diff, diagText(cfg, diags))
			}
			warnings := len(diags) - len(diags.Errs())
			if warnings != tt.warnings {
				t.Errorf("got %d warnings, want %d", warnings, tt.warnings)
			}
			for _, d := range diags {
				if d.Subject != nil && cfg.Files[d.Subject.Filename] == nil {
					t.Errorf("diagnostic in %s, which Files lacks, so it cannot be printed with its source", d.Subject.Filename)
				}
			}
		})
	}
}

func TestVarFileNotReadAsConfig(t *testing.T) {
	// A variable file kept beside the configuration must not end in .hcl,
	// or Load reads it as configuration; this pins that behaviour.
	dir := writeDir(t, map[string]string{"main.hcl": "experiment \"v\" {}\n", "x.vars": "a = 1\n"})
	if err := os.WriteFile(filepath.Join(dir, "y.hcl"), []byte("a = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := Load(dir, Options{})
	if diff := cmp.Diff([]string{"y.hcl:1: Unsupported argument"}, errorLines(diags)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestSensitiveVariable: a sensitive variable's value keeps its mark into
// the attributes that may hold it, is refused where it would become part of
// a name or the experiment's shape, makes an output say sensitive, and is
// never shown in a message.
func TestSensitiveVariable(t *testing.T) {
	const secret = "s3cret-9d2"
	head := `experiment "s" {}
variable "token" {
  sensitive = true
  default   = "` + secret + `"
}
`
	t.Run("allowed", func(t *testing.T) {
		cfg, diags := Load(writeDir(t, map[string]string{"main.hcl": head + `
vnode "a" {
  type    = "process"
  startup = "run --token ${var.token}"
  os      = "linux"
  attributes = { key = var.token }
}
vnode "m" {
  for_each = { x = var.token }
  type     = "process"
  startup  = each.value
}
output "t" {
  value     = upper(var.token)
  sensitive = true
}
`}), Options{})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		vn := cfg.Experiment.VNodes[0]
		want := map[string]bool{"startup": true, "attributes": true}
		if diff := cmp.Diff(want, vn.Sensitive); diff != "" {
			t.Errorf("vnode's sensitive attributes (-want +got):\n%s", diff)
		}
		if m := cfg.Experiment.VNodes[1]; m.Name != "m-x" || !m.Sensitive["startup"] || m.Startup != secret {
			t.Errorf("a for_each over a map of sensitive values: %s, sensitive %v, startup %q", m.Name, m.Sensitive, m.Startup)
		}
		if vn.Startup != "run --token "+secret {
			t.Errorf("startup %q", vn.Startup)
		}
		if o := cfg.Experiment.Outputs[0]; !o.Sensitive || !o.Value.HasMark(model.Sensitive) {
			t.Errorf("output: sensitive %v, value %#v", o.Sensitive, o.Value)
		}
	})
	t.Run("secrets", func(t *testing.T) {
		cfg, diags := Load(writeDir(t, map[string]string{"main.hcl": head + `
variable "keys" {
  type      = map(number)
  sensitive = true
  default   = { a = 123456, b = 7 }
}
variable "plain" { default = "not-a-secret" }
`}), Options{})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		if diff := cmp.Diff([]string{secret, "123456"}, cfg.Secrets); diff != "" {
			t.Errorf("secrets (-want +got):\n%s", diff)
		}
	})
	t.Run("bad -var", func(t *testing.T) {
		cfg, diags := Load(writeDir(t, map[string]string{"main.hcl": `experiment "s" {}
variable "n" {
  type      = number
  sensitive = true
}
`}), Options{Vars: []string{"n=" + secret + "}"}})
		if !diags.HasErrors() {
			t.Fatal("a -var that does not parse was taken")
		}
		for name, f := range cfg.Files {
			if strings.Contains(string(f.Bytes), secret) {
				t.Errorf("the text of a sensitive -var is kept for diagnostics to show, as %s", name)
			}
		}
		if strings.Contains(diags.Error(), secret) {
			t.Errorf("a message shows the secret: %v", diags)
		}
	})
	for _, tc := range []struct{ name, body, want string }{
		{"count", `vnode "a" { count = length(var.token) }`, "count cannot take a value derived from a sensitive variable"},
		{"for_each", `vnode "a" { for_each = toset([var.token]) }`, "for_each cannot take a value derived from a sensitive variable"},
		{"for_each map", `vnode "a" { for_each = var.token == "" ? {} : { a = 1 } }`, "for_each cannot take a value derived from a sensitive variable"},
		{"address", `switch "lan" {}
vnode "a" {
  interface "eth0" {
    switch      = switch.lan
    ip4_address = var.token
  }
}`, "ip4_address cannot take a value derived from a sensitive variable"},
		{"site", `site { run_root = "/run/${var.token}" }`, "A site setting cannot take"},
		{"switch name", `vnode "a" {
  interface "eth0" { switch = { name = var.token, kind = "vde" } }
}`, "switch cannot take a value derived from a sensitive variable"},
		{"switch string", `vnode "a" {
  interface "eth0" { switch = var.token }
}`, "switch cannot take a value derived from a sensitive variable"},
		{"output", `output "t" { value = var.token }`, "Output refers to sensitive values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := Load(writeDir(t, map[string]string{"main.hcl": head + tc.body + "\n"}), Options{})
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.want) {
				t.Errorf("diagnostics %v, want an error with %q", diags, tc.want)
			}
			if strings.Contains(diags.Error(), secret) {
				t.Errorf("a message shows the secret: %v", diags)
			}
		})
	}
}

// TestSensitiveValueInFunctionError: a function that quotes its argument in
// its error (cty hands functions that do not handle marks their arguments
// unmarked) does not show a sensitive value.
func TestSensitiveValueInFunctionError(t *testing.T) {
	const secret = "s3cret-fn-77"
	_, diags := Load(writeDir(t, map[string]string{"main.hcl": `experiment "s" {}
variable "token" {
  sensitive = true
  default   = "` + secret + `"
}
locals {
  x = cidrhost(var.token, 1)
}
vnode "a" {
  startup = local.x
}
`}), Options{})
	if !diags.HasErrors() {
		t.Fatal("cidrhost of a string that is no prefix did not fail")
	}
	if strings.Contains(diags.Error(), secret) {
		t.Errorf("a message shows the secret: %v", diags)
	}
	if !strings.Contains(diags.Error(), "(sensitive value)") {
		t.Errorf("the message does not say it hides something: %v", diags)
	}
}
