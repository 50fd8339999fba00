package discovery

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/benito-net/benito/model"
)

// TestResolveChangedBinary: a binary whose checksum the lock does not
// record is an error, except for a destroy, where it is a warning that
// names the provider, both checksums and benito init -upgrade.
func TestResolveChangedBinary(t *testing.T) {
	dir := t.TempDir()
	plugins := filepath.Join(dir, ".benito", "plugins")
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(plugins, BinaryPrefix+"hello")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	actual, err := Hash(bin)
	if err != nil {
		t.Fatal(err)
	}
	const expected = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	l := &Lock{Providers: map[string]*Locked{"hello": {Name: "hello", Source: "example.org/h", Version: "0.1.0", Hashes: []string{expected}}}}
	if err := l.Write(dir); err != nil {
		t.Fatal(err)
	}
	rng := hcl.Range{Filename: "main.hcl", Start: hcl.Pos{Line: 3, Column: 5}}
	exp := &model.Experiment{RequiredProviders: []*model.RequiredProvider{{Name: "hello", Source: "example.org/h", DeclRange: rng}}}
	none := func(string) bool { return false }
	env := []string{"HOME=" + dir}

	got, diags := Resolve(exp, dir, env, none, ResolveOptions{})
	if !diags.HasErrors() || got["hello"] != nil {
		t.Fatalf("a changed binary was resolved for a plan: %v, %v", got, diags)
	}
	if d := diags[0].Detail; !strings.Contains(d, actual) || !strings.Contains(d, "benito init -upgrade") {
		t.Errorf("the error does not say the checksum and what to do: %s", d)
	}

	got, diags = Resolve(exp, dir, env, none, ResolveOptions{Destroy: true})
	if diags.HasErrors() || len(diags) != 1 || diags[0].Severity != hcl.DiagWarning {
		t.Fatalf("for a destroy, want one warning, got %v", diags)
	}
	if r := got["hello"]; r == nil || r.Path != bin {
		t.Fatalf("for a destroy, resolved %v", got)
	}
	d := diags[0]
	for _, want := range []string{`"hello"`, expected, actual, "benito init -upgrade"} {
		if !strings.Contains(d.Summary+" "+d.Detail, want) {
			t.Errorf("the warning does not say %q: %s: %s", want, d.Summary, d.Detail)
		}
	}
	if d.Subject == nil || *d.Subject != rng {
		t.Errorf("the warning points at %v, want the required_providers entry %v", d.Subject, rng)
	}

	// A binary that matches resolves without a word, for either.
	l.Providers["hello"].Hashes = []string{actual}
	if err := l.Write(dir); err != nil {
		t.Fatal(err)
	}
	for _, o := range []ResolveOptions{{}, {Destroy: true}} {
		if got, diags := Resolve(exp, dir, env, none, o); len(diags) != 0 || got["hello"] == nil {
			t.Errorf("%+v: a locked binary: %v, %v", o, got, diags)
		}
	}
}
