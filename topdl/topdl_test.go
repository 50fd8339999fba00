package topdl_test

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/benito-net/benito/contract"
	benitohcl "github.com/benito-net/benito/hcl"
	"github.com/benito-net/benito/internal/golden"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/model"
	"github.com/benito-net/benito/topdl"
)

// realDir holds DETER's own TopDL files (shared/topdl next to the
// repository). Their licence keeps them out of the repository, so the
// tests that read them skip when they are absent.
const realDir = "../../shared/topdl"

// fixtures returns the TopDL files to test every property on: ours, and
// DETER's when present.
func fixtures(t *testing.T) []string {
	t.Helper()
	ours, _ := filepath.Glob("testdata/*.xml")
	real, _ := filepath.Glob(filepath.Join(realDir, "*.xml"))
	if len(real) == 0 {
		t.Logf("%s not found: DETER's own files are not tested", realDir)
	}
	return append(ours, real...)
}

func expName(path string) string { return strings.TrimSuffix(filepath.Base(path), ".xml") }

// importFile reads and maps a TopDL file, failing on errors.
func importFile(t *testing.T, path string) (*topdl.Topology, *topdl.HCL) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return importBytes(t, path, src)
}

func importBytes(t *testing.T, path string, src []byte) (*topdl.Topology, *topdl.HCL) {
	t.Helper()
	top, diags := topdl.Read(path, src, topdl.Options{})
	if diags.HasErrors() {
		t.Fatalf("Read: %v", diags)
	}
	h, diags := topdl.ToHCL(top, topdl.HCLOptions{Name: expName(path), Source: filepath.Base(path)})
	if diags.HasErrors() {
		t.Fatalf("ToHCL: %v", diags)
	}
	return top, h
}

// load evaluates HCL text as the only file of an experiment directory.
func load(t *testing.T, name string, src []byte) *model.Experiment {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name+".hcl"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := benitohcl.Load(dir, benitohcl.Options{})
	if diags.HasErrors() {
		t.Fatalf("the imported HCL does not load: %v\n%s", diags, src)
	}
	return cfg.Experiment
}

// TestImportGolden checks the HCL made from each of our fixtures.
func TestImportGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.xml")
	for _, path := range files {
		t.Run(expName(path), func(t *testing.T) {
			top, h := importFile(t, path)
			golden.Check(t, filepath.Join("testdata", "golden", expName(path)+".hcl"), h.Src)
			// Warnings (typos, what was dropped) are part of the contract too.
			src, _ := os.ReadFile(path)
			_, rdiags := topdl.Read(path, src, topdl.Options{})
			_, hdiags := topdl.ToHCL(top, topdl.HCLOptions{Name: expName(path)})
			var b strings.Builder
			for _, d := range append(rdiags, hdiags...) {
				b.WriteString(d.Error() + "\n")
			}
			golden.Check(t, filepath.Join("testdata", "golden", expName(path)+".diags"), []byte(b.String()))
			// Formatting is stable: hclwrite would not change the output.
			if f := hclwrite.Format(h.Src); !bytes.Equal(f, h.Src) {
				t.Errorf("hclwrite.Format changes the output:\n%s", f)
			}
			if again := load(t, expName(path), h.Src); again == nil {
				t.Fatal("no experiment")
			}
			if len(h.Lines) != strings.Count(string(h.Src), "\n") {
				t.Errorf("line map has %d lines, the HCL %d", len(h.Lines), strings.Count(string(h.Src), "\n"))
			}
		})
	}
}

// TestErrors checks that each bad file is refused with the element's path
// and line, and that nothing is produced.
func TestErrors(t *testing.T) {
	files, _ := filepath.Glob("testdata/errors/*.xml")
	if len(files) == 0 {
		t.Fatal("no error fixtures")
	}
	for _, path := range files {
		t.Run(expName(path), func(t *testing.T) {
			src, _ := os.ReadFile(path)
			top, diags := topdl.Read(filepath.Base(path), src, topdl.Options{})
			if top != nil || !diags.HasErrors() {
				t.Fatalf("Read accepted a bad file: %v", diags)
			}
			var b strings.Builder
			for _, d := range diags {
				if d.Subject == nil || d.Subject.Start.Line < 1 {
					t.Errorf("diagnostic without a line: %v", d)
				}
				b.WriteString(d.Error() + "\n")
			}
			golden.Check(t, filepath.Join("testdata", "errors", expName(path)+".txt"), []byte(b.String()))
		})
	}
}

// TestTruncated cuts a real file at every byte: each cut is refused at
// the place the file now ends, not at its first line.
func TestTruncated(t *testing.T) {
	src, err := os.ReadFile("testdata/routed.xml")
	if err != nil {
		t.Fatal(err)
	}
	root := bytes.Index(src, []byte("<experiment>"))
	end := bytes.LastIndex(src, []byte("</experiment>"))
	for n := 1; n < end; n++ {
		cut := src[:n]
		top, diags := topdl.Read("cut.xml", cut, topdl.Options{})
		if top != nil || !diags.HasErrors() {
			t.Fatalf("cut at byte %d: accepted", n)
		}
		d, want := diags[0], "Truncated XML"
		if n <= root && d.Summary == "Not a TopDL file" {
			want = d.Summary // between the prolog's parts: no element yet
		}
		if d.Summary != want || d.Subject == nil || d.Subject.Start.Byte != n {
			t.Fatalf("cut at byte %d (line %d): got %q at %v, want %q at the end of the file", n, bytes.Count(cut, []byte("\n"))+1, d.Summary, d.Subject, want)
		}
	}
}

func TestExtraTypes(t *testing.T) {
	src, _ := os.ReadFile("testdata/errors/unknown-type.xml")
	if _, diags := topdl.Read("x.xml", src, topdl.Options{Types: []string{"xen"}}); diags.HasErrors() {
		t.Fatalf("a type the caller serves was refused: %v", diags)
	}
	// benito import: accepted with a warning that says what to declare.
	top, diags := topdl.Read("x.xml", src, topdl.Options{AnyType: true})
	if top == nil || diags.HasErrors() || len(diags) != 1 || !strings.Contains(diags[0].Detail, "required_providers") {
		t.Fatalf("AnyType: got %v", diags)
	}
}

// TestThirdPartyType: a TopDL file in an experiment directory may use the
// node type of a provider the experiment's .hcl file requires; without
// the declaration it is refused, at the XML.
func TestThirdPartyType(t *testing.T) {
	src, _ := os.ReadFile("testdata/errors/unknown-type.xml")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "topo.xml"), src, 0o644)
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(`experiment "x" {
  required_providers {
    xen = { source = "example.org/benito/xen", version = ">= 0.1" }
  }
}
`), 0o644)
	cfg, diags := benitohcl.Load(dir, benitohcl.Options{})
	if diags.HasErrors() {
		t.Fatalf("a required provider's node type was refused: %v", diags)
	}
	if n := cfg.Experiment.VNodes; len(n) != 1 || n[0].Type != "xen" || filepath.Base(n[0].DeclRange.Filename) != "topo.xml" {
		t.Fatalf("got vnodes %v", n)
	}

	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(`experiment "x" {}`), 0o644)
	_, diags = benitohcl.Load(dir, benitohcl.Options{})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), `Unknown node type "xen"`) || filepath.Base(diags[0].Subject.Filename) != "topo.xml" {
		t.Fatalf("an undeclared type: got %v", diags)
	}
}

// TestUnformatted: the text Load parses (ToHCL's Unformatted) is the
// imported text without its spacing, and its line map is the same.
func TestUnformatted(t *testing.T) {
	for _, path := range fixtures(t) {
		t.Run(expName(path), func(t *testing.T) {
			top, h := importFile(t, path)
			u, diags := topdl.ToHCL(top, topdl.HCLOptions{Name: expName(path), Source: filepath.Base(path), Unformatted: true})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if d := cmp.Diff(string(h.Src), string(hclwrite.Format(u.Src))); d != "" {
				t.Errorf("formatted, the unformatted text differs (-imported +unformatted):\n%s", d)
			}
			if d := cmp.Diff(h.Lines, u.Lines); d != "" {
				t.Errorf("line maps differ (-formatted +unformatted):\n%s", d)
			}
			if _, diags := hclsyntax.ParseConfig(u.Src, "u.hcl", hcl.InitialPos); diags.HasErrors() {
				t.Errorf("the unformatted text does not parse: %v\n%s", diags, u.Src)
			}
		})
	}
}

// TestCounts: every fixture, DETER's files too, imports, loads and lowers, with
// as many switches, nodes and ports as the file has substrates, created
// computers and their interfaces. Planning needs the platforms' providers,
// and only process nodes have one yet: the counts are checked on the
// lowered graph, which is what a plan shows one for one.
func TestCounts(t *testing.T) {
	for _, path := range fixtures(t) {
		t.Run(expName(path), func(t *testing.T) {
			top, h := importFile(t, path)
			exp := load(t, expName(path), h.Src)
			g, diags := lower.Lower(exp, nil)
			if diags.HasErrors() {
				t.Fatalf("lowering: %v", diags)
			}
			want := map[string]int{contract.Switch: len(top.Substrates), contract.VNode: 0, contract.Port: 0}
			for _, c := range top.Computers {
				if a, ok := topdl.Attr(c.Attributes, topdl.AttrNodeType); ok && a.Value == topdl.TypeEmbeddedPnode {
					continue
				}
				want[contract.VNode]++
				want[contract.Port] += len(c.Interfaces)
			}
			got := map[string]int{contract.Switch: 0, contract.VNode: 0, contract.Port: 0}
			for _, r := range g.Resources {
				if _, ok := want[r.Addr.Type]; ok {
					got[r.Addr.Type]++
				}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("resource counts (-file +graph):\n%s", d)
			}
		})
	}
}

// TestRoundTrip: import, export, import again gives the same experiment.
func TestRoundTrip(t *testing.T) {
	for _, path := range fixtures(t) {
		t.Run(expName(path), func(t *testing.T) {
			_, h := importFile(t, path)
			name := expName(path)
			exp1 := load(t, name, h.Src)
			xml := topdl.Marshal(topdl.FromExperiment(exp1, topdl.Assigned{}, topdl.FromOptions{Export: true}))
			_, h2 := importBytes(t, path, xml)
			exp2 := load(t, name, h2.Src)
			if d := cmp.Diff(meaning(exp1), meaning(exp2), cmpOpts...); d != "" {
				t.Errorf("import ∘ export changed the experiment (-first +second):\n%s\nexported:\n%s", d, xml)
			}
			// And the export is a fixed point.
			xml2 := topdl.Marshal(topdl.FromExperiment(exp2, topdl.Assigned{}, topdl.FromOptions{Export: true}))
			if d := cmp.Diff(string(xml), string(xml2)); d != "" {
				t.Errorf("export of the re-imported experiment differs:\n%s", d)
			}
		})
	}
}

var cmpOpts = []cmp.Option{
	cmpopts.IgnoreTypes(hcl.Range{}),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmpopts.EquateEmpty(),
}

// meaning fills in what the model leaves to derivation (MACs), so that a
// MAC fixed in the file equals the one derived.
func meaning(exp *model.Experiment) *model.Experiment {
	for _, n := range exp.VNodes {
		for _, i := range n.Interfaces {
			if i.MAC == nil {
				i.MAC = model.DeriveMAC(exp.Name, n.Name, i.Name)
			}
		}
	}
	return exp
}

// TestDirectoryXML: a .xml file in the experiment directory is loaded as
// the experiment, and diagnostics point at the XML.
func TestDirectoryXML(t *testing.T) {
	dir := t.TempDir()
	src, _ := os.ReadFile("testdata/routed.xml")
	os.WriteFile(filepath.Join(dir, "routed.xml"), src, 0o644)
	cfg, diags := benitohcl.Load(dir, benitohcl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	exp := cfg.Experiment
	if exp.Name != "routed" || len(exp.VNodes) != 3 || len(exp.Switches) != 2 || exp.Routing != "static" {
		t.Fatalf("got experiment %q with %d nodes, %d switches, routing %q", exp.Name, len(exp.VNodes), len(exp.Switches), exp.Routing)
	}
	for _, n := range exp.VNodes {
		if !strings.HasSuffix(n.DeclRange.Filename, "routed.xml") || n.DeclRange.Start.Line < 5 {
			t.Errorf("vnode %s points at %s, not at the XML", n.Name, n.DeclRange)
		}
	}

	// An error in the XML points at the XML.
	bad := t.TempDir()
	src, _ = os.ReadFile("testdata/errors/missing-substrate.xml")
	os.WriteFile(filepath.Join(bad, "exp.xml"), src, 0o644)
	cfg, diags = benitohcl.Load(bad, benitohcl.Options{})
	if !diags.HasErrors() || cfg.Experiment != nil {
		t.Fatal("a bad TopDL file was accepted")
	}
	if s := diags[0].Subject; s == nil || filepath.Base(s.Filename) != "exp.xml" || s.Start.Line != 7 {
		t.Errorf("diagnostic at %v, want exp.xml:7", s)
	}
	if cfg.Files[filepath.Join(bad, "exp.xml")] == nil {
		t.Error("the XML file is not in Files, for the source snippet")
	}

	// A problem found only when evaluating (a switch subnet the addresses
	// are not in) is moved to the XML line the HCL was made from.
	subnet := t.TempDir()
	src, _ = os.ReadFile("testdata/routed.xml")
	src = []byte(strings.Replace(string(src), "<name>lan1</name>", "<name>lan1</name><attribute><attribute>benito:subnet</attribute><value>10.9.0.0/24</value></attribute>", 1))
	os.WriteFile(filepath.Join(subnet, "r.xml"), src, 0o644)
	_, diags = benitohcl.Load(subnet, benitohcl.Options{})
	if !diags.HasErrors() {
		t.Fatal("addresses outside the subnet were accepted")
	}
	for _, d := range diags {
		if d.Subject == nil || filepath.Base(d.Subject.Filename) != "r.xml" {
			t.Errorf("diagnostic not at the XML: %v", d)
		}
	}
}

// TestRoutingDefault: a TopDL experiment gets the routes DETER computed
// (routing "static") unless its file, or the .hcl file that declares the
// experiment, says otherwise; a .hcl file with only a site block leaves
// the experiment to the TopDL file.
func TestRoutingDefault(t *testing.T) {
	deter, err := os.ReadFile("testdata/deter-routed.xml")
	if err != nil {
		t.Fatal(err)
	}
	none := strings.Replace(string(deter), "</experiment>",
		"  <attribute><attribute>benito:routing</attribute><value>none</value></attribute>\n</experiment>", 1)
	for _, tc := range []struct {
		name, xml, hcl string
		wantName       string
		wantRouting    string
		wantType       string
	}{
		{"alone", string(deter), "", "deter-routed", "static", contract.NodeQEMU},
		{"routing none in the file", none, "", "deter-routed", "", contract.NodeQEMU},
		{"with a site block", string(deter), "site {\n  default_type = \"process\"\n}\n", "deter-routed", "static", contract.NodeProcess},
		{"experiment declared", string(deter), "experiment \"x\" {}\n", "x", "", contract.NodeQEMU},
		{"experiment declared static", string(deter), "experiment \"x\" {\n  routing = \"static\"\n}\n", "x", "static", contract.NodeQEMU},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "deter-routed.xml"), []byte(tc.xml), 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.hcl != "" {
				if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(tc.hcl), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cfg, diags := benitohcl.Load(dir, benitohcl.Options{})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			exp := cfg.Experiment
			if exp.Name != tc.wantName || exp.Routing != tc.wantRouting || exp.VNodes[0].Type != tc.wantType {
				t.Errorf("experiment %q, routing %q, node type %q; want %q, %q, %q", exp.Name, exp.Routing, exp.VNodes[0].Type, tc.wantName, tc.wantRouting, tc.wantType)
			}
			// The export says the routing, none included, so that
			// importing it again does not default it.
			again := t.TempDir()
			xml := topdl.Marshal(topdl.FromExperiment(exp, topdl.Assigned{}, topdl.FromOptions{Export: true}))
			if err := os.WriteFile(filepath.Join(again, "deter-routed.xml"), xml, 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, diags = benitohcl.Load(again, benitohcl.Options{})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if got := cfg.Experiment.Routing; got != exp.Routing {
				t.Errorf("exported and imported again, routing %q became %q:\n%s", exp.Routing, got, xml)
			}
		})
	}
}

// TestTopologyFile: the config directory's topology.xml (written by
// lowering) is what Marshal writes, and reads back.
func TestTopologyFile(t *testing.T) {
	_, h := importFile(t, "testdata/routed.xml")
	exp := load(t, "routed", h.Src)
	g, _ := lower.Lower(exp, nil)
	for _, r := range g.Resources {
		if r.Addr.Type == contract.ConfigFile && r.Addr.Name == "topology" {
			content := r.Config.GetAttr("content").AsString()
			if _, diags := topdl.Read("topology.xml", []byte(content), topdl.Options{}); diags.HasErrors() {
				t.Fatalf("topology.xml does not read back: %v", diags)
			}
			if !strings.Contains(content, "<attribute>benito:vde_port</attribute>") {
				t.Errorf("topology.xml lacks the port numbers:\n%s", content)
			}
			return
		}
	}
	t.Fatal("no topology.xml")
}

func TestSite(t *testing.T) {
	files, _ := filepath.Glob("testdata/site/*.conf")
	if len(files) == 0 {
		t.Fatal("no site fixtures")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, _ := os.ReadFile(path)
			out, diags := topdl.ImportSite(filepath.Base(path), src)
			var b strings.Builder
			b.Write(out)
			for _, d := range diags {
				b.WriteString("# diagnostic: " + d.Error() + "\n")
			}
			golden.Check(t, strings.TrimSuffix(path, ".conf")+".golden", []byte(b.String()))
			if diags.HasErrors() {
				if out != nil {
					t.Error("output despite errors")
				}
				return
			}
			// The block loads as the site of an experiment.
			exp := load(t, "site", append([]byte("experiment \"s\" {}\n"), out...))
			if exp.Site["exec_root"] == "" && !strings.Contains(path, "bad") {
				t.Errorf("exec_root not in the site: %v", exp.Site)
			}
		})
	}
}
