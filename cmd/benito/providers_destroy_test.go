package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benito-net/benito/providers/discovery"
)

// TestChangedProviderDestroy: a provider binary replaced after benito
// init is refused by plan and apply, but destroy takes down what the old
// one made, warning with the provider, both checksums and the way out;
// the lock file stays as it was.
func TestChangedProviderDestroy(t *testing.T) {
	e := newProviderEnv(t, helloExperiment)
	install(t, buildHello(t, "0.1.0"), e.plugins, "hello")
	e.must(t, "init", e.exp)
	lockPath := filepath.Join(e.exp, discovery.LockFileName)
	lock, err := os.ReadFile(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	locked, diags := discovery.ReadLock(e.exp)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	expected := locked.Providers["hello"].Hashes[0]
	e.must(t, "apply", "-auto-approve", e.exp)
	world := filepath.Join(e.root, "world.txt")
	if _, err := os.Stat(world); err != nil {
		t.Fatal(err)
	}

	bin := install(t, buildHello(t, "0.2.0"), e.plugins, "hello")
	actual, err := discovery.Hash(bin)
	if err != nil {
		t.Fatal(err)
	}
	if actual == expected {
		t.Fatal("the two builds have one checksum")
	}
	e.fails(t, "run `benito init -upgrade`", "plan", e.exp)
	e.fails(t, "run `benito init -upgrade`", "apply", "-auto-approve", e.exp)
	if _, err := os.Stat(world); err != nil {
		t.Fatalf("a refused apply touched what was made: %v", err)
	}

	r := e.must(t, "destroy", "-auto-approve", e.exp)
	for _, want := range []string{"Warning", `Provider "hello" does not match the lock file`, expected, actual, "benito init -upgrade"} {
		if !strings.Contains(r.stderr+r.stdout, want) {
			t.Errorf("destroy does not say %q:\n%s", want, r)
		}
	}
	if _, err := os.Stat(world); !os.IsNotExist(err) {
		t.Errorf("%s is still there after destroy (%v)", world, err)
	}
	if after, _ := os.ReadFile(lockPath); !bytes.Equal(after, lock) {
		t.Errorf("destroy changed the lock file:\n%s\nthen\n%s", lock, after)
	}
	// Still refused for anything but a destroy.
	e.fails(t, "run `benito init -upgrade`", "plan", e.exp)
}
