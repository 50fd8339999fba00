package main

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benito-net/benito/internal/testenv"
)

// TestDeterTopDLRoutes applies a routed TopDL file as DETER's tools wrote
// it (no node types, no routes, no benito attributes) with process nodes
// (the site's default_type, in a .hcl file of its own): a ping from inside
// a crosses the router to b over the routes benito computed, with nothing
// added by hand, and destroy leaves nothing. Once imported with benito
// import topdl, once read directly as the directory's .xml file.
func TestDeterTopDLRoutes(t *testing.T) {
	testenv.Root(t)
	src, err := os.ReadFile(topdlFixture(t, "deter-routed.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, how := range []string{"import", "direct"} {
		t.Run(how, func(t *testing.T) {
			name := fmt.Sprintf("deter-%04x", rand.Intn(1<<16))
			tmp := t.TempDir()
			dir := filepath.Join(tmp, "exp")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			site := fmt.Sprintf("site {\n  default_type = \"process\"\n  config_root  = %q\n}\n", filepath.Join(tmp, "config"))
			if err := os.WriteFile(filepath.Join(dir, "site.hcl"), []byte(site), 0o644); err != nil {
				t.Fatal(err)
			}
			xml := filepath.Join(dir, name+".xml")
			if how == "import" {
				xml = filepath.Join(tmp, name+".xml")
			}
			if err := os.WriteFile(xml, src, 0o644); err != nil {
				t.Fatal(err)
			}
			if how == "import" {
				if r := benito(t, "", "import", "topdl", xml, "-o", dir); r.code != 0 {
					t.Fatalf("import:\n%s", r)
				}
				if b, _ := os.ReadFile(filepath.Join(dir, name+".hcl")); !strings.Contains(string(b), `routing = "static"`) {
					t.Errorf("the imported experiment does not compute routes:\n%s", b)
				}
			}
			leaveNoRoots(t)
			t.Cleanup(func() {
				if _, err := os.Stat(filepath.Join(dir, "benito.state")); err == nil {
					if r := benito(t, "", "destroy", "-auto-approve", dir); r.code != 0 {
						t.Errorf("cleaning up %s:\n%s", name, r)
					}
				}
			})
			if r := benito(t, "", "apply", "-auto-approve", dir); r.code != 0 || !strings.Contains(r.stdout, "Apply complete!") {
				t.Fatalf("apply:\n%s", r)
			}
			ping(t, dir, "a", "10.0.2.10", 2)
			if r := benito(t, "", "destroy", "-auto-approve", dir); r.code != 0 {
				t.Fatalf("destroy:\n%s", r)
			}
			if left := leftovers(t, name); len(left) > 0 {
				t.Errorf("destroy left on the host:\n%s", strings.Join(left, "\n"))
			}
		})
	}
}
