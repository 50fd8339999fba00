package topoview

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benito-net/benito/internal/golden"
)

var writers = []struct {
	ext   string
	write func(io.Writer, *Model, *Layout) error
}{{"html", WriteHTML}, {"svg", WriteSVG}, {"dot", WriteDOT}}

// TestGolden draws examples/quickstart, and a plan that creates,
// updates, replaces and destroys, in the three formats.
func TestGolden(t *testing.T) {
	models := map[string]*Model{"quickstart": quickstart(t), "plan": FromPlan(planFixture(t))}
	for name, m := range models {
		l := Place(m)
		for _, wr := range writers {
			var b bytes.Buffer
			if err := wr.write(&b, m, l); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", name+"."+wr.ext), b.Bytes())
		}
	}
}

// TestPlanActions checks the plan fixture's model element by element:
// every action the picture colours appears, on the element it belongs to.
func TestPlanActions(t *testing.T) {
	m := FromPlan(planFixture(t))
	got := map[string]Action{}
	for _, s := range m.Switches {
		got["switch "+s.Name] = s.Action
	}
	for _, n := range m.Nodes {
		got["node "+n.Name] = n.Action
		for _, i := range n.Interfaces {
			got["link "+n.Name+"."+i.Name] = i.Action
		}
	}
	want := map[string]Action{
		"switch lan1": NoOp, "switch lan2": Replace,
		"node a": Update, "link a.eth0": Update, "link a.eth1": Destroy,
		"node c": Destroy, "link c.eth0": Destroy,
		"node d": Create, "link d.eth0": Create,
		"link router.eth0": NoOp,
	}
	for k, a := range want {
		if got[k] != a {
			t.Errorf("%s: %q, want %q (all: %v)", k, got[k], a, got)
		}
	}
	for _, n := range m.Nodes {
		if n.Name == "d" {
			i := n.Interfaces[0]
			if i.Latency != "25ms" || i.Capacity != "10Mbit" || i.Loss != "0.5%" || i.Address != "10.0.2.20/24" {
				t.Errorf("d.eth0: %+v", i)
			}
		}
	}
}

// TestEscape: names and addresses are escaped in every format.
func TestEscape(t *testing.T) {
	evil := `<x a="1" b='2'>&amp;"\` + "\n"
	m := &Model{Experiment: evil, Planned: true,
		Switches: []*Switch{{Address: `switch["` + evil + `"]`, Name: evil, Kind: "vde", Subnet: evil, Action: Create}},
		Nodes: []*Node{{Address: `vnode["` + evil + `"]`, Name: evil, Type: evil, Action: Destroy,
			Interfaces: []*Interface{{Name: evil, Switch: evil, Address: evil, Latency: evil, Action: Update}}}},
	}
	l := Place(m)
	for _, wr := range writers {
		var b bytes.Buffer
		if err := wr.write(&b, m, l); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		switch wr.ext {
		case "dot":
			if strings.Contains(out, `<x a="1"`) || strings.Contains(out, "\n\"\\") {
				t.Errorf("dot: unescaped:\n%s", out)
			}
			if !strings.Contains(out, `"<x a=\"1\" b='2'>&amp;\"\\\n"`) {
				t.Errorf("dot: name not quoted as expected:\n%s", out)
			}
		default:
			if strings.Contains(out, "<x") || strings.Contains(out, `a="1"`) {
				t.Errorf("%s: unescaped:\n%s", wr.ext, out)
			}
			if !strings.Contains(out, "&lt;x a=&#34;1&#34; b=&#39;2&#39;&gt;&amp;amp;&#34;") {
				t.Errorf("%s: name not escaped as expected", wr.ext)
			}
		}
	}
}
