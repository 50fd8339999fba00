package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/contract"
	benitohcl "github.com/benito-net/benito/hcl"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/state"
	"github.com/benito-net/benito/topdl"
)

func topdlFixture(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(repoRoot(t), "topdl", "testdata", name)
}

func TestImportTopDL(t *testing.T) {
	out := filepath.Join(t.TempDir(), "exp")
	r := benito(t, "", "import", "topdl", topdlFixture(t, "routed.xml"), "-o", out)
	if r.code != 0 {
		t.Fatalf("import failed:\n%s", r)
	}
	path := filepath.Join(out, "routed.hcl")
	want, err := os.ReadFile(topdlFixture(t, "golden/routed.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("imported file differs from the golden:\n%s", got)
	}
	if !strings.Contains(r.stdout, "2 switches, 3 vnodes") {
		t.Errorf("summary missing:\n%s", r)
	}

	// No overwrite without -force.
	os.WriteFile(path, []byte("# mine\n"), 0o644)
	if r := benito(t, "", "import", "topdl", topdlFixture(t, "routed.xml"), "-o", out); r.code == 0 || !strings.Contains(r.stderr, "-force") {
		t.Errorf("overwrote without -force:\n%s", r)
	}
	if b, _ := os.ReadFile(path); string(b) != "# mine\n" {
		t.Error("the file was changed")
	}
	if r := benito(t, "", "import", "topdl", "-force", "-name", "routed", topdlFixture(t, "routed.xml"), "-o", out); r.code != 0 {
		t.Errorf("-force failed:\n%s", r)
	}
}

func TestImportTopDLBadWritesNothing(t *testing.T) {
	out := filepath.Join(t.TempDir(), "exp")
	r := benito(t, "", "import", "topdl", topdlFixture(t, "errors/missing-substrate.xml"), "-o", out)
	if r.code == 0 {
		t.Fatalf("a bad file was imported:\n%s", r)
	}
	if !strings.Contains(r.stderr, "missing-substrate.xml:7") || !strings.Contains(r.stderr, `Unknown substrate "link9"`) ||
		!strings.Contains(r.stderr, "Nothing was written") {
		t.Errorf("diagnostic should name the file, line and problem:\n%s", r)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("something was written: %v", err)
	}
}

// TestImportTopDLThirdPartyType: a node type no built-in platform serves
// is imported with a warning that says to require its provider.
func TestImportTopDLThirdPartyType(t *testing.T) {
	out := filepath.Join(t.TempDir(), "exp")
	r := benito(t, "", "import", "topdl", topdlFixture(t, "errors/unknown-type.xml"), "-o", out)
	if r.code != 0 || !strings.Contains(r.stderr, `Third-party node type "xen"`) || !strings.Contains(r.stderr, "required_providers") {
		t.Fatalf("import of a third-party type:\n%s", r)
	}
	if b, err := os.ReadFile(filepath.Join(out, "unknown-type.hcl")); err != nil || !strings.Contains(string(b), `type = "xen"`) {
		t.Errorf("imported %q, %v", b, err)
	}
}

func TestImportSite(t *testing.T) {
	r := benito(t, "", "import", "site", topdlFixture(t, "site/deter.conf"))
	if r.code != 0 {
		t.Fatalf("import site failed:\n%s", r)
	}
	for _, s := range []string{"site {", `exec_root = "/share/containers"`, `default_type = "process"`, "url_base"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("output lacks %q:\n%s", s, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "frobnicate") {
		t.Errorf("unknown keys should be warned about:\n%s", r)
	}
	// DETER keys benito does not honour: a warning each, saying why and
	// what to do instead, and a comment rather than a site entry.
	for _, s := range []string{"switch_shaping told DETER", "Set those on a switch or interface to shape its links", "switched_containers told DETER", "Set kind on a switch, or switch_kind in the site block"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("the warning lacks %q:\n%s", s, r)
		}
	}
	for _, s := range []string{"  switch_shaping =", "  switched_containers ="} {
		if strings.Contains(r.stdout, s) {
			t.Errorf("an ignored key is a site entry (%q):\n%s", s, r.stdout)
		}
	}
	out := filepath.Join(t.TempDir(), "site.hcl")
	if r := benito(t, "", "import", "site", topdlFixture(t, "site/deter.conf"), "-o", out); r.code != 0 {
		t.Fatalf("import site -o failed:\n%s", r)
	}
	if b, _ := os.ReadFile(out); !strings.Contains(string(b), "site {") {
		t.Errorf("site.hcl: %s", b)
	}
}

// TestExportTopDL: an experiment directory holding only a TopDL file
// exports to TopDL that reads back, with MACs, sockets and ports.
func TestExportTopDL(t *testing.T) {
	dir := t.TempDir()
	src, _ := os.ReadFile(topdlFixture(t, "mapping.xml"))
	os.WriteFile(filepath.Join(dir, "mapping.xml"), src, 0o644)
	r := benito(t, "", "export", "topdl", dir)
	if r.code != 0 {
		t.Fatalf("export failed:\n%s", r)
	}
	top, diags := topdl.Read("export.xml", []byte(r.stdout), topdl.Options{})
	if diags.HasErrors() {
		t.Fatalf("the export does not read back: %v\n%s", diags, r.stdout)
	}
	if len(top.Computers) != 4 || len(top.Substrates) != 3 {
		t.Errorf("exported %d computers and %d substrates, want 4 and 3", len(top.Computers), len(top.Substrates))
	}
	for _, s := range []string{"benito:mac_address", "benito:vde_switch", "benito:vde_port", "<value>02:00:00:00:00:01</value>"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("export lacks %s", s)
		}
	}
	out := filepath.Join(t.TempDir(), "x.xml")
	if r := benito(t, "", "export", "topdl", dir, "-o", out); r.code != 0 {
		t.Fatalf("export -o failed:\n%s", r)
	}
	if b, _ := os.ReadFile(out); string(b) != r.stdout {
		t.Error("-o wrote something else than standard output")
	}
}

// TestValidateTopDLDiagnostics: a TopDL file in the experiment directory
// is read by validate, and its errors point at the XML.
func TestValidateTopDLDiagnostics(t *testing.T) {
	dir := t.TempDir()
	src, _ := os.ReadFile(topdlFixture(t, "errors/not-ipv4.xml"))
	os.WriteFile(filepath.Join(dir, "exp.xml"), src, 0o644)
	r := benito(t, "", "validate", dir)
	if r.code == 0 {
		t.Fatalf("validate accepted a bad TopDL file:\n%s", r)
	}
	if !strings.Contains(r.stderr, "exp.xml:9") || !strings.Contains(r.stderr, "fd00::1") {
		t.Errorf("diagnostic should point at exp.xml:9:\n%s", r)
	}
}

// TestExportUsesState: what the state records wins over what lowering
// would plan.
func TestExportUsesState(t *testing.T) {
	dir := t.TempDir()
	src, _ := os.ReadFile(topdlFixture(t, "routed.xml"))
	os.WriteFile(filepath.Join(dir, "routed.xml"), src, 0o644)
	cfg, diags := benitohcl.Load(dir, benitohcl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	g, _ := lower.Lower(cfg.Experiment, nil)
	st := state.New("routed")
	st.Resources[addrs.Resource{Type: contract.VNode, Name: "a"}] = &state.Resource{
		Attributes: []byte(`{"interfaces":[{"name":"eth0","mac_address":"02:aa:bb:cc:dd:ee","vde_socket":"/x/lan1.ctl","vde_port":7}]}`),
	}
	st.Resources[addrs.Resource{Type: contract.Switch, Name: "lan1"}] = &state.Resource{Attributes: []byte(`{"socket":"/x/lan1.ctl"}`)}
	a := assigned(g, st)
	if got := a.MAC("a", "eth0").String(); got != "02:aa:bb:cc:dd:ee" {
		t.Errorf("MAC %s, want the state's", got)
	}
	if got := a.Port("lan1", "a", "eth0"); got != 7 {
		t.Errorf("port %d, want the state's 7", got)
	}
	if got := a.Socket("lan1"); got != "/x/lan1.ctl" {
		t.Errorf("socket %q, want the state's", got)
	}
	if got := a.Port("lan2", "b", "eth0"); got == 0 {
		t.Error("a node missing from the state should get its planned port")
	}
}
