package testenv

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	_ "github.com/benito-net/benito/internal/golden"
)

// recorder is a testing.TB that records a skip or a failure instead of
// ending the goroutine.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = sprintf(format, args...)
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = sprintf(format, args...)
}

func sprintf(format string, args ...any) string {
	var b strings.Builder
	fmt.Fprintf(&b, format, args...)
	return b.String()
}

func TestCI(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  bool
	}{{"", false}, {"false", false}, {"0", false}, {"true", true}, {"1", true}, {"yes", true}} {
		t.Setenv("CI", tc.value)
		if got := CI(); got != tc.want {
			t.Errorf("CI=%q: CI() = %v, want %v", tc.value, got, tc.want)
		}
	}
}

// TestMissing: outside CI a missing program skips with the marker, the
// program and its package; in CI the same reason fails the test.
func TestMissing(t *testing.T) {
	const name = "benito-testenv-no-such-program"
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		r := &recorder{TB: t}
		Command(r, name, "some-package")
		got, other := r.skipped, r.failed
		if ci != "" {
			got, other = r.failed, r.skipped
		}
		if other != "" || !strings.HasPrefix(got, Marker+" ") || !strings.Contains(got, name) || !strings.Contains(got, "apt-get install some-package") {
			t.Errorf("CI=%q: skipped %q, failed %q", ci, r.skipped, r.failed)
		}
	}
	r := &recorder{TB: t}
	if path := Command(r, "sh", "dash"); r.skipped != "" || r.failed != "" || !filepath.IsAbs(path) {
		t.Errorf("sh: path %q, skipped %q, failed %q", path, r.skipped, r.failed)
	}
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		r := &recorder{TB: t}
		Unavailable(r, "needs a host without /dev/kvm")
		got, other := r.skipped, r.failed
		if ci != "" {
			got, other = r.failed, r.skipped
		}
		if other != "" || got != Marker+" needs a host without /dev/kvm" && !strings.HasPrefix(got, Marker+" needs a host without /dev/kvm (CI is set") {
			t.Errorf("Unavailable, CI=%q: skipped %q, failed %q", ci, r.skipped, r.failed)
		}
	}
	t.Setenv("CI", "true")
	r = &recorder{TB: t}
	Root(r)
	if (os.Geteuid() == 0) != (r.failed == "") || r.skipped != "" {
		t.Errorf("Root as uid %d in CI: skipped %q, failed %q", os.Geteuid(), r.skipped, r.failed)
	}
}

// TestNoHandMadeChecks: no test of the module checks for root or looks a
// program up itself, where it could skip in CI without failing: it calls
// Root or Command.
func TestNoHandMadeChecks(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the module's root: %v", err)
	}
	self, _ := filepath.Abs(".")
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == self || strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "vendor" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		names := map[string]string{} // local import name → path
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			local := p[strings.LastIndex(p, "/")+1:]
			if imp.Name != nil {
				local = imp.Name.Name
			}
			names[local] = p
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			x, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			switch call := names[x.Name] + "." + sel.Sel.Name; call {
			case "os.Geteuid", "os/exec.LookPath":
				rel, _ := filepath.Rel(root, fset.Position(sel.Pos()).Filename)
				t.Errorf("%s:%d: %s: use testenv.Root or testenv.Command, which fail in CI instead of skipping", rel, fset.Position(sel.Pos()).Line, call)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
