package topdl_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/benito-net/benito/topdl"
)

// FuzzRead: the reader never panics, and whatever it accepts maps to HCL
// and writes out as TopDL that it accepts again.
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.xml")
	more, _ := filepath.Glob("testdata/errors/*.xml")
	for _, p := range append(files, more...) {
		if src, err := os.ReadFile(p); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte("<experiment><substrates><name>a</name></substrates></experiment>"))
	f.Add([]byte("<topology><elements><computer><name>x</name><interface><substrate>a</substrate></interface></computer></elements></topology>"))
	f.Fuzz(func(t *testing.T, src []byte) {
		top, diags := topdl.Read("fuzz.xml", src, topdl.Options{})
		if top == nil {
			if !diags.HasErrors() {
				t.Fatal("no topology and no error")
			}
			return
		}
		if _, hdiags := topdl.ToHCL(top, topdl.HCLOptions{Name: "fuzz"}); hdiags.HasErrors() {
			return // addresses could not be allocated: reported, fine
		}
		out := topdl.Marshal(top)
		if _, diags := topdl.Read("again.xml", out, topdl.Options{}); diags.HasErrors() {
			t.Fatalf("Marshal wrote what Read refuses: %v\n%s", diags, out)
		}
	})
}
