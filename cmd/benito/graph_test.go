package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benito-net/benito/internal/golden"
	"github.com/benito-net/benito/internal/pty"
)

// TestGraphTopologyPicture draws examples/quickstart as the README shows
// it: docs/examples/quickstart-topology.svg is the command's output, byte
// for byte, so the picture is never stale (go test -update rewrites it).
func TestGraphTopologyPicture(t *testing.T) {
	root := repoRoot(t)
	r := benito(t, "", "graph", "-type=topology", "-format=svg", filepath.Join(root, "examples", "quickstart"))
	if r.code != 0 {
		t.Fatal(r)
	}
	golden.Check(t, filepath.Join(root, "docs", "examples", "quickstart-topology.svg"), []byte(r.stdout))

	// -o: the format from the extension, the same bytes as printed.
	dir := t.TempDir()
	for _, c := range []struct{ file, format string }{{"q.svg", "svg"}, {"q.html", "html"}, {"q.dot", "dot"}, {"q.gv", "dot"}} {
		out := filepath.Join(dir, c.file)
		if r := benito(t, "", "graph", "-type=topology", "-o", out, filepath.Join(root, "examples", "quickstart")); r.code != 0 || r.stdout != "" {
			t.Fatalf("-o %s:\n%s", c.file, r)
		}
		printed := benito(t, "", "graph", "-type=topology", "-format="+c.format, filepath.Join(root, "examples", "quickstart"))
		written, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if string(written) != printed.stdout {
			t.Errorf("-o %s differs from -format=%s", c.file, c.format)
		}
	}
	// The resource graph is still the default, in DOT.
	if r := benito(t, "", "graph", filepath.Join(root, "examples", "quickstart")); r.code != 0 || !strings.HasPrefix(r.stdout, `digraph "quickstart" {`) {
		t.Errorf("graph:\n%s", r)
	}
}

// TestGraphTopologyPlan draws a saved plan of examples/demo: every
// element to be created, in the create colour, lan2's shaping shown on its
// links.
func TestGraphTopologyPlan(t *testing.T) {
	dir, v, _, name := experiment(t, "demo")
	planFile := filepath.Join(t.TempDir(), "demo.plan")
	if r := benito(t, "", "plan", "-out", planFile, "-var", v, dir); r.code != 0 {
		t.Fatal(r)
	}
	r := benito(t, "", "graph", "-type=topology", "-plan", planFile, "-format=dot")
	if r.code != 0 {
		t.Fatal(r)
	}
	for _, want := range []string{
		`graph "` + name + `" {`,
		`"vnode.a" [shape = "circle", style = "filled", label = "", xlabel = "a", color = "#1a7f37"`,
		`"switch.lan2" [shape = "box", style = "filled", label = "lan2\nvde 10.0.2.0/24", color = "#1a7f37"`,
		`"vnode.host[\"b\"]" -- "switch.lan2" [label = "eth0 10.0.2.10/24\nlatency 10ms", color = "#1a7f37", style = "dashed"];`,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the plan's picture lacks %s:\n%s", want, r)
		}
	}
	r = benito(t, "", "graph", "-type=topology", "-plan", planFile, "-format=html")
	if r.code != 0 || !strings.Contains(r.stdout, `<g class="node a-create" data-address="vnode.a"`) || !strings.Contains(r.stdout, "create (6)") {
		t.Errorf("the plan's page:\n%s", r)
	}
}

// TestGraphFlags: wrong combinations are refused, saying what to do.
func TestGraphFlags(t *testing.T) {
	quickstart := filepath.Join(repoRoot(t), "examples", "quickstart")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-type=picture", quickstart}, `-type must be "resources" or "topology", not "picture"`},
		{[]string{"-type=topology", "-format=png", quickstart}, `-format must be html, svg or dot, not "png"`},
		{[]string{"-format=svg", quickstart}, "the resource graph is written in DOT only (-format=dot); for an HTML or SVG picture, draw the topology: -type=topology"},
		{[]string{"-plan", "x.plan", quickstart}, "-plan colours the topology picture: add -type=topology"},
		{[]string{"-type=topology", "-o", "picture.png", quickstart}, "-o picture.png: cannot tell the format from the file's extension; give -format=html, svg or dot"},
		{[]string{"-type=topology", "-plan", "x.plan", quickstart}, "give a directory or -plan PLANFILE, not both"},
	} {
		r := benito(t, "", append([]string{"graph"}, c.args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("graph %s: want exit 1 and %q:\n%s", strings.Join(c.args, " "), c.want, r)
		}
	}
}

// TestGraphTopologyTerminal: an HTML page or an SVG is not printed on a
// terminal; DOT is.
func TestGraphTopologyTerminal(t *testing.T) {
	master, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer tty.Close()
	go io.Copy(io.Discard, master) // what DOT prints
	quickstart := filepath.Join(repoRoot(t), "examples", "quickstart")
	var stderr strings.Builder
	for _, format := range []string{"html", "svg"} {
		stderr.Reset()
		args := []string{"graph", "-type=topology", quickstart}
		if format != "html" {
			args = append(args, "-format="+format)
		}
		code := run(args, strings.NewReader(""), tty, &stderr, []string{"NO_COLOR=1"})
		want := "will not print an " + strings.ToUpper(format) + " picture to a terminal: write it to a file with -o FILE (such as -o topology." + format + ")"
		if code != 1 || !strings.Contains(stderr.String(), want) {
			t.Errorf("-format=%s on a terminal: exit %d, want 1 and %q:\n%s", format, code, want, stderr.String())
		}
	}
	stderr.Reset()
	if code := run([]string{"graph", "-type=topology", "-format=dot", quickstart}, strings.NewReader(""), tty, &stderr, []string{"NO_COLOR=1"}); code != 0 {
		t.Errorf("-format=dot on a terminal: exit %d:\n%s", code, stderr.String())
	}
}
