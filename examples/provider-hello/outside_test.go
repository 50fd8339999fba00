package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// goModBlock is the go.mod of docs/providers.md: a fenced block that
// starts with a module line.
var goModBlock = regexp.MustCompile("(?s)```\n(module [^\n]*\n.*?)```")

// TestOutsideModule builds this provider the way docs/providers.md tells
// an author to: in a module of its own, whose go.mod is the one the page
// shows, with its replace directive pointed at this checkout. Nothing is
// downloaded: benito's dependencies are already in the module cache, and
// their checksums in benito's go.sum.
func TestOutsideModule(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "providers.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := goModBlock.FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/providers.md shows no go.mod (a fenced block starting with a module line)")
	}
	const placeholder = "=> ../benito"
	if !strings.Contains(string(m[1]), placeholder) {
		t.Fatalf("the go.mod of docs/providers.md has no %q to point at a checkout:\n%s", placeholder, m[1])
	}
	mod := t.TempDir()
	files := map[string]string{
		"go.mod":  strings.Replace(string(m[1]), placeholder, "=> "+root, 1),
		"main.go": "",
		"go.sum":  "",
	}
	for name := range files {
		if files[name] != "" {
			continue
		}
		from := name
		if name == "go.sum" {
			from = filepath.Join(root, "go.sum")
		}
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(mod, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// go mod tidy reads the go.mod of every module in the provider's
	// graph, older versions included, which a fresh machine's module
	// cache does not hold (benito's own build needs fewer): it fetches
	// them from the module proxy, as a provider author's does. It also
	// wants what the tests of benito's dependencies import, which may not
	// be fetched: -e goes on without it. The build that follows, with
	// go.mod read-only, shows that tidy wrote all the provider needs.
	env := append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	for _, args := range [][]string{{"mod", "tidy", "-e"}, {"build", "-mod=readonly", "-o", filepath.Join(mod, "benito-provider-hello"), "."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = mod, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s in a module of its own: %v\n%s\ngo.mod:\n%s", strings.Join(args, " "), err, out, files["go.mod"])
		}
	}
	if st, err := os.Stat(filepath.Join(mod, "benito-provider-hello")); err != nil || st.Mode()&0o111 == 0 {
		t.Fatalf("no provider binary: %v", err)
	}
}
