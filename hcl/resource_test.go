package hcl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func loadString(t *testing.T, src string) (*Config, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := Load(dir, Options{})
	var msgs []string
	for _, d := range diags {
		msgs = append(msgs, d.Error())
	}
	return cfg, strings.Join(msgs, "\n")
}

func TestResourceBlocks(t *testing.T) {
	cfg, errs := loadString(t, `
experiment "x" {
  required_providers {
    hello = { source = "example.org/benito/hello", version = ">= 0.1" }
  }
}
resource "hello_greeting" "a" {
  count = 2
  path  = "/tmp/a-${count.index}"
  name  = "n${count.index}"
}
resource "hello_greeting" "b" {
  path       = hello_greeting.a[0].path
  name       = "b"
  depends_on = [hello_greeting.a]
}
`)
	if errs != "" {
		t.Fatal(errs)
	}
	exp := cfg.Experiment
	if len(exp.RequiredProviders) != 1 || exp.RequiredProviders[0].Name != "hello" || exp.RequiredProviders[0].Version != ">= 0.1" {
		t.Fatalf("required providers: %+v", exp.RequiredProviders)
	}
	var names []string
	for _, r := range exp.Resources {
		names = append(names, r.Addr.Resource(r.Type).String()+"("+r.Name+"):"+r.Provider)
	}
	if got, want := strings.Join(names, " "), "hello_greeting.a[0](a-0):hello hello_greeting.a[1](a-1):hello hello_greeting.b(b):hello"; got != want {
		t.Fatalf("resources: %s, want %s", got, want)
	}
	b := exp.Resources[2]
	if !b.Attrs["path"].RawEquals(cty.StringVal("/tmp/a-0")) {
		t.Errorf("b.path = %#v", b.Attrs["path"])
	}
	if len(b.DependsOn) != 2 || b.DependsOn[0].String() != "hello_greeting.a[0]" || b.DependsOn[1].String() != "hello_greeting.a[1]" {
		t.Errorf("b.depends_on = %+v", b.DependsOn)
	}
}

func TestResourceErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"undeclared provider", `experiment "x" {}
resource "hello_greeting" "a" { name = "x" }`, `main.hcl:2,1-30: Undeclared provider "hello"; Resource type "hello_greeting" is served by provider "hello", which the experiment does not require. Add it to the experiment block`},
		{"bad constraint", `experiment "x" {
  required_providers {
    hello = { source = "s", version = "at least one" }
  }
}`, `main.hcl:3,13-55: Invalid version constraint`},
		{"missing source", `experiment "x" {
  required_providers {
    hello = { version = ">= 1" }
  }
}`, `Missing provider source`},
		{"reserved type", `experiment "x" {}
resource "vnode" "a" {}`, `Reserved resource type "vnode"`},
		{"nested block", `experiment "x" {
  required_providers {
    hello = { source = "s" }
  }
}
resource "hello_greeting" "a" {
  inner {}
}`, `main.hcl:7,3-8: Unsupported block in a resource`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := loadString(t, tc.src)
			if !strings.Contains(errs, tc.want) {
				t.Errorf("got\n%s\nwant it to contain\n%s", errs, tc.want)
			}
		})
	}
}
