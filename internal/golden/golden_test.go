package golden

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestEveryPackageAcceptsUpdate: every package of the module with tests
// imports this one, so that `go test ./... -update` does not stop at a
// package whose test binary does not know the flag.
func TestEveryPackageAcceptsUpdate(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the module's root: %v", err)
	}
	self, _ := filepath.Abs(".")
	const path = "github.com/benito-net/benito/internal/golden"
	tests := map[string]bool{}   // directory → has tests
	imports := map[string]bool{} // directory → a test imports this package
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p == self || p != root && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil && p != root {
				// Another module (examples/policy): go test ./... does
				// not enter it.
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		dir := filepath.Dir(p)
		tests[dir] = true
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if s, _ := strconv.Unquote(imp.Path.Value); s == path {
				imports[dir] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir := range tests {
		if !imports[dir] {
			rel, _ := filepath.Rel(root, dir)
			t.Errorf("%s: no test imports %s; add a golden_flag_test.go as the other packages have", rel, path)
		}
	}
}
