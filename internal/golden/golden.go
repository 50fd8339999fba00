// Package golden holds the -update flag of benito's golden-file tests and
// the comparison they share. Every test package imports it, so that
// `go test ./... -update` is accepted by all of them and rewrites every
// golden file in one run.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// Update is set by -update: golden files are rewritten instead of
// compared.
var Update = flag.Bool("update", false, "rewrite golden files instead of comparing with them")

// Check compares got with the golden file at path, or rewrites the file
// under -update.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test with -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("output differs from %s (run go test with -update if the change is intended):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}
