package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// helloBuilds caches builds of examples/provider-hello by version.
var helloBuilds sync.Map

// buildHello builds the example provider, with the version given, and
// returns its path (shared by the tests; copy it to use it).
func buildHello(t *testing.T, version string) string {
	t.Helper()
	if p, ok := helloBuilds.Load(version); ok {
		return p.(string)
	}
	out := filepath.Join(filepath.Dir(benitoBin), "hello-"+version)
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version="+version, "-o", out, "../../examples/provider-hello")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the example provider: %v\n%s", err, b)
	}
	helloBuilds.Store(version, out)
	return out
}

// install copies a binary into dir as benito-provider-NAME.
func install(t *testing.T, bin, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "benito-provider-"+name)
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// providerEnv is a test's own home and plugin path.
type providerEnv struct {
	root, exp, home, plugins string
}

func newProviderEnv(t *testing.T, config string) *providerEnv {
	t.Helper()
	root := t.TempDir()
	e := &providerEnv{root: root, exp: filepath.Join(root, "exp"), home: filepath.Join(root, "home"), plugins: filepath.Join(root, "plugins")}
	for _, d := range []string{e.exp, e.home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	site := `site {
  config_root = "` + filepath.Join(root, "cfg") + `"
  run_root    = "` + filepath.Join(root, "run") + `"
}
`
	if err := os.WriteFile(filepath.Join(e.exp, "main.hcl"), []byte(site+strings.ReplaceAll(config, "ROOT", root)), 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *providerEnv) run(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env := []string{"NO_COLOR=1", "HOME=" + e.home, "BENITO_PLUGIN_PATH=" + e.plugins}
	code := run(args, strings.NewReader(""), &out, &errb, env)
	return result{code, out.String(), errb.String()}
}

func (e *providerEnv) must(t *testing.T, args ...string) result {
	t.Helper()
	r := e.run(t, args...)
	if r.code != 0 {
		t.Fatalf("benito %s: %s", strings.Join(args, " "), r)
	}
	return r
}

func (e *providerEnv) fails(t *testing.T, want string, args ...string) result {
	t.Helper()
	r := e.run(t, args...)
	if r.code == 0 || !strings.Contains(r.stderr, want) {
		t.Fatalf("benito %s: want a failure saying %q, got %s", strings.Join(args, " "), want, r)
	}
	return r
}

const helloExperiment = `
experiment "hello" {
  required_providers {
    hello = { source = "example.org/benito/hello", version = ">= 0.1" }
  }
}

resource "hello_greeting" "world" {
  path = "ROOT/world.txt"
  name = "world"
}
`

func TestThirdPartyProvider(t *testing.T) {
	e := newProviderEnv(t, helloExperiment)
	install(t, buildHello(t, "0.1.0"), e.plugins, "hello")

	// Nothing runs a provider the lock file does not name.
	e.fails(t, "run `benito init`", "plan", e.exp)

	r := e.must(t, "init", e.exp)
	if !strings.Contains(r.stdout, "hello 0.1.0 (example.org/benito/hello)") {
		t.Errorf("init output:\n%s", r.stdout)
	}
	lock, err := os.ReadFile(filepath.Join(e.exp, ".benito.lock.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`provider "hello"`, `version     = "0.1.0"`, `constraints = ">= 0.1"`, `"sha256:`} {
		if !strings.Contains(string(lock), want) {
			t.Errorf("lock file lacks %q:\n%s", want, lock)
		}
	}
	// init again keeps the lock file byte for byte.
	e.must(t, "init", e.exp)
	if again, _ := os.ReadFile(filepath.Join(e.exp, ".benito.lock.hcl")); !bytes.Equal(again, lock) {
		t.Errorf("a second init changed the lock file:\n%s\nthen\n%s", lock, again)
	}

	r = e.must(t, "plan", e.exp)
	if !strings.Contains(r.stdout, `+ resource "hello_greeting" "world"`) || !strings.Contains(r.stdout, `Hello, world!\n`) {
		t.Errorf("plan:\n%s", r.stdout)
	}
	e.must(t, "apply", "-auto-approve", e.exp)
	world := filepath.Join(e.root, "world.txt")
	if b, err := os.ReadFile(world); err != nil || string(b) != "Hello, world!\n" {
		t.Fatalf("after apply, %s holds %q (%v)", world, b, err)
	}
	if r := e.must(t, "plan", e.exp); !strings.Contains(r.stdout, "no changes are needed") {
		t.Errorf("plan after apply:\n%s", r.stdout)
	}

	r = e.must(t, "providers", e.exp)
	for _, want := range []string{"hello     example.org/benito/hello  0.1.0", filepath.Join(e.plugins, "benito-provider-hello"), "hello_greeting", "config    built in"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("benito providers lacks %q:\n%s", want, r.stdout)
		}
	}
	s1 := e.must(t, "providers", "schema", "-json", e.exp).stdout
	s2 := e.must(t, "providers", "schema", "-json", e.exp).stdout
	if s1 != s2 || !strings.Contains(s1, `"hello_greeting": {`) || !strings.Contains(s1, `"force_new": true`) {
		t.Errorf("schema -json is not deterministic or lacks hello_greeting:\n%s", s1)
	}

	// Another binary in its place is refused until init -upgrade.
	install(t, buildHello(t, "0.2.0"), e.plugins, "hello")
	e.fails(t, "run `benito init -upgrade`", "plan", e.exp)
	e.fails(t, "benito init -upgrade", "init", e.exp)
	r = e.must(t, "init", "-upgrade", e.exp)
	if !strings.Contains(r.stdout, "hello 0.2.0") {
		t.Errorf("init -upgrade:\n%s", r.stdout)
	}
	// Removed from the experiment while its resource is in the state: the
	// plan says what it holds and what to do, and the state is untouched.
	main := filepath.Join(e.exp, "main.hcl")
	withHello, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(main, []byte("experiment \"hello\" {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = e.fails(t, `Provider "hello" is needed to destroy what it made`, "plan", e.exp)
	if !strings.Contains(r.stderr, "hello_greeting.world") || !strings.Contains(r.stderr, "add it back to required_providers") {
		t.Errorf("no resource or advice:\n%s", r)
	}
	if err := os.WriteFile(main, withHello, 0o644); err != nil {
		t.Fatal(err)
	}
	e.must(t, "destroy", "-auto-approve", e.exp)
	if _, err := os.Stat(world); !os.IsNotExist(err) {
		t.Errorf("%s is still there after destroy (%v)", world, err)
	}
}

func TestThirdPartyProviderErrors(t *testing.T) {
	t.Run("missing binary", func(t *testing.T) {
		e := newProviderEnv(t, helloExperiment)
		r := e.fails(t, `Provider "hello" not found`, "init", e.exp)
		if !strings.Contains(r.stderr, "main.hcl:") || !strings.Contains(r.stderr, "benito-provider-hello") {
			t.Errorf("no position or binary name:\n%s", r)
		}
	})
	t.Run("bad constraint", func(t *testing.T) {
		e := newProviderEnv(t, strings.Replace(helloExperiment, ">= 0.1", ">= 9.0", 1))
		install(t, buildHello(t, "0.1.0"), e.plugins, "hello")
		e.fails(t, "is version 0.1.0: the experiment requires >= 9.0", "init", e.exp)
	})
	t.Run("malformed constraint", func(t *testing.T) {
		e := newProviderEnv(t, strings.Replace(helloExperiment, ">= 0.1", "newest", 1))
		e.fails(t, "Invalid version constraint", "validate", e.exp)
	})
	t.Run("undeclared provider", func(t *testing.T) {
		e := newProviderEnv(t, `
experiment "x" {}
resource "hello_greeting" "a" {
  path = "ROOT/a"
  name = "a"
}
`)
		e.fails(t, "Add it to the experiment block", "validate", e.exp)
	})
	t.Run("undeclared node type", func(t *testing.T) {
		e := newProviderEnv(t, `
experiment "x" {}
vnode "a" { type = "hello" }
`)
		r := e.fails(t, `Undeclared provider "hello"`, "validate", e.exp)
		if !strings.Contains(r.stderr, "main.hcl:7:1") || !strings.Contains(r.stderr, "required_providers") {
			t.Errorf("no position or advice:\n%s", r)
		}
	})
	t.Run("unknown attribute", func(t *testing.T) {
		e := newProviderEnv(t, strings.Replace(helloExperiment, `name = "world"`, `name = "world"
  colour = "red"`, 1))
		install(t, buildHello(t, "0.1.0"), e.plugins, "hello")
		e.must(t, "init", e.exp)
		r := e.fails(t, `An argument named "colour" is not expected in hello_greeting.world`, "plan", e.exp)
		// The diagnostic points at the attribute, not at its block.
		if at := "main.hcl:" + lineOf(t, filepath.Join(e.exp, "main.hcl"), `colour = "red"`); !strings.Contains(r.stderr, "Unsupported argument") || !strings.Contains(r.stderr, at) {
			t.Errorf("not an unsupported argument at %s:\n%s", at, r)
		}
	})
	t.Run("misspelt attribute", func(t *testing.T) {
		e := newProviderEnv(t, strings.Replace(helloExperiment, `name = "world"`, `name = "world"
  greting = "Ciao"`, 1))
		install(t, buildHello(t, "0.1.0"), e.plugins, "hello")
		e.must(t, "init", e.exp)
		r := e.fails(t, `Did you mean "greeting"?`, "plan", e.exp)
		if at := "main.hcl:" + lineOf(t, filepath.Join(e.exp, "main.hcl"), `greting = "Ciao"`); !strings.Contains(r.stderr, at) {
			t.Errorf("not at %s:\n%s", at, r)
		}
	})
}

// lineOf returns the number of the line of file that holds text, as a
// string.
func lineOf(t *testing.T, file, text string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, text) {
			return strconv.Itoa(i + 1)
		}
	}
	t.Fatalf("%s has no line with %q", file, text)
	return ""
}
