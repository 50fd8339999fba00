package topoview

import (
	"bytes"
	"io"
	"math"
	"testing"
)

// TestPlaceDeterministic: the same model gives the same layout, to the
// bit, and the same bytes in every format, however often it is drawn; a
// model built anew from the same experiment too.
func TestPlaceDeterministic(t *testing.T) {
	for name, build := range map[string]func() *Model{
		"quickstart": func() *Model { return quickstart(t) },
		"generated":  func() *Model { return generated(t, 300) },
	} {
		first := Place(build())
		var want [3]bytes.Buffer
		m := build()
		for i, wr := range writers {
			if err := wr.write(&want[i], m, first); err != nil {
				t.Fatal(err)
			}
		}
		for run := 0; run < 3; run++ {
			m := build()
			l := Place(m)
			if !sameLayout(first, l) {
				t.Fatalf("%s: run %d laid out differently", name, run)
			}
			for i, wr := range writers {
				var b bytes.Buffer
				if err := wr.write(&b, m, l); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(b.Bytes(), want[i].Bytes()) {
					t.Fatalf("%s: run %d wrote different %s", name, run, wr.ext)
				}
			}
		}
	}
}

func sameLayout(a, b *Layout) bool {
	if a.Width != b.Width || a.Height != b.Height || len(a.Nodes) != len(b.Nodes) || len(a.Switches) != len(b.Switches) {
		return false
	}
	for i := range a.Nodes {
		if a.Nodes[i] != b.Nodes[i] {
			return false
		}
	}
	for i := range a.Switches {
		if a.Switches[i] != b.Switches[i] {
			return false
		}
	}
	return true
}

// TestPlaceReadable checks what makes the 1,000-node picture readable:
// everything inside the frame, no two nodes closer than the spacing
// (within a rounding), no node on a switch, each node on one switch
// within its rings, and switches apart.
func TestPlaceReadable(t *testing.T) {
	m := generated(t, 1000)
	l := Place(m)
	if len(l.Nodes) != 1000 {
		t.Fatalf("%d nodes", len(l.Nodes))
	}
	in := func(p Point) bool {
		return p.X >= Margin-1 && p.Y >= Margin-1 && p.X <= l.Width-Margin+1 && p.Y <= l.Height-Margin+1
	}
	for i, p := range l.Nodes {
		if !in(p) {
			t.Errorf("node %s at %v outside %vx%v", m.Nodes[i].Name, p, l.Width, l.Height)
		}
	}
	close := 0
	for i := range l.Nodes {
		for j := i + 1; j < len(l.Nodes); j++ {
			if d := math.Hypot(l.Nodes[i].X-l.Nodes[j].X, l.Nodes[i].Y-l.Nodes[j].Y); d < nodeSpacing*0.8 {
				close++
			}
		}
		for s, q := range l.Switches {
			if d := math.Hypot(l.Nodes[i].X-q.X, l.Nodes[i].Y-q.Y); d < SwitchRadius+NodeRadius {
				t.Errorf("node %s on switch %s", m.Nodes[i].Name, m.Switches[s].Name)
			}
		}
	}
	// The separation passes are bounded: a few pairs may stay close.
	if close > len(l.Nodes)/50 {
		t.Errorf("%d pairs of nodes closer than %v", close, nodeSpacing*0.8)
	}
	for i := range l.Switches {
		for j := i + 1; j < len(l.Switches); j++ {
			if d := math.Hypot(l.Switches[i].X-l.Switches[j].X, l.Switches[i].Y-l.Switches[j].Y); d < 4*SwitchRadius {
				t.Errorf("switches %s and %s %v apart", m.Switches[i].Name, m.Switches[j].Name, d)
			}
		}
	}
}

// TestPlaceLeaves: a switch's nodes that are on it alone sit on its
// rings, the first opposite the other switch.
func TestPlaceLeaves(t *testing.T) {
	m := quickstart(t)
	l := Place(m)
	pos := map[string]Point{}
	for i, n := range m.Nodes {
		pos[n.Name] = l.Nodes[i]
	}
	for i, s := range m.Switches {
		pos[s.Name] = l.Switches[i]
	}
	// a ── lan1 ── router ── lan2 ── b, left to right.
	order := []string{"a", "lan1", "router", "lan2", "b"}
	for i := 1; i < len(order); i++ {
		if !(pos[order[i-1]].X < pos[order[i]].X) {
			t.Errorf("%s (%v) is not left of %s (%v)", order[i-1], pos[order[i-1]], order[i], pos[order[i]])
		}
	}
	if d := math.Hypot(pos["a"].X-pos["lan1"].X, pos["a"].Y-pos["lan1"].Y); math.Abs(d-ringFirst) > 0.2 {
		t.Errorf("a is %v from lan1, not on its first ring (%v)", d, ringFirst)
	}
}

// BenchmarkTopology1000 builds the model of the generated 1,000-node
// experiment (from its lowered graph), lays it out and writes the HTML
// page, as benito graph -type=topology does after lowering.
func BenchmarkTopology1000(b *testing.B) {
	g := graphOf(b, generatedDir(b, 1000))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := FromGraph(g)
		if err := WriteHTML(io.Discard, m, Place(m)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPlaceOdd: models FromGraph and FromPlan never make (no switch, a
// link to a switch the model lacks, nothing at all) are drawn without a
// panic.
func TestPlaceOdd(t *testing.T) {
	for _, m := range []*Model{
		{Experiment: "empty"},
		{Experiment: "lone", Nodes: []*Node{{Address: "vnode.a", Name: "a", Type: "process"}, {Address: "vnode.b", Name: "b", Type: "qemu"}}},
		{Experiment: "dangling", Nodes: []*Node{{Address: "vnode.a", Name: "a", Type: "openvz", Interfaces: []*Interface{{Name: "eth0", Switch: "nowhere"}}}}},
	} {
		l := Place(m)
		for _, wr := range writers {
			if err := wr.write(io.Discard, m, l); err != nil {
				t.Errorf("%s: %s: %v", m.Experiment, wr.ext, err)
			}
		}
	}
}
