package topoview

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// Point is a position in the picture's units (CSS pixels at zoom 1).
type Point struct{ X, Y float64 }

// Layout is where Place put each switch and node of a model.
type Layout struct {
	Switches []Point // as Model.Switches
	Nodes    []Point // as Model.Nodes
	// Width and Height bound the picture: every position is at least
	// Margin from each edge.
	Width, Height float64
}

// Sizes of the picture, in its units.
const (
	NodeRadius   = 8   // a node's symbol
	SwitchRadius = 16  // half a switch's symbol
	Margin       = 60  // around the picture, room for labels
	nodeSpacing  = 30  // the least distance between two nodes' centres
	arcSpacing   = 70  // between nodes on a ring that is not full
	rowSpacing   = 50  // between a few nodes in a row between two switches
	ringFirst    = 120 // the first ring of nodes around their switch
	ringStep     = 36  // between rings
	switchGap    = 60  // between two switches' areas
)

// group is the nodes on one set of switches.
type group struct {
	switches []int
	nodes    []int
}

// Place lays m out: deterministic (the same model gives the same layout,
// to the bit) and linear in the number of nodes, with a force layout
// between switches alone (at most about 3e7 pair steps in all).
func Place(m *Model) *Layout {
	l := &Layout{Switches: make([]Point, len(m.Switches)), Nodes: make([]Point, len(m.Nodes))}
	index := make(map[string]int, len(m.Switches))
	for i, s := range m.Switches {
		index[s.Name] = i
	}

	// Nodes grouped by the switches they are on, groups in the order of
	// their first node.
	var groups []*group
	byKey := map[string]*group{}
	var alone []int // nodes on no switch
	for ni, n := range m.Nodes {
		var sw []int
		for _, i := range n.Interfaces {
			if s, ok := index[i.Switch]; ok { // FromGraph and FromPlan add every switch named
				sw = append(sw, s)
			}
		}
		sort.Ints(sw)
		sw = uniq(sw)
		if len(sw) == 0 {
			alone = append(alone, ni)
			continue
		}
		var k strings.Builder
		for _, s := range sw {
			k.WriteString(strconv.Itoa(s))
			k.WriteByte(',')
		}
		g := byKey[k.String()]
		if g == nil {
			g = &group{switches: sw}
			byKey[k.String()] = g
			groups = append(groups, g)
		}
		g.nodes = append(g.nodes, ni)
	}

	// Each switch's area: its rings of nodes on it alone.
	leaves := make([][]int, len(m.Switches))
	for _, g := range groups {
		if len(g.switches) == 1 {
			leaves[g.switches[0]] = g.nodes
		}
	}
	radius := make([]float64, len(m.Switches))
	for s := range m.Switches {
		radius[s] = SwitchRadius + 20
		if k := len(leaves[s]); k > 0 {
			radius[s] = ringRadius(ringsFor(k)-1) + NodeRadius + 24
		}
	}

	// Switches pulled together by the nodes they share, each pair as far
	// apart as their areas and the cluster of shared nodes need.
	type edge struct {
		a, b         int
		weight, want float64
	}
	pairs := map[[2]int]*edge{}
	var edges []*edge
	// A switch's clusters of shared nodes go around it: hub is the
	// distance at which they fit side by side.
	hub := make([]float64, len(m.Switches))
	biggest := make([]float64, len(m.Switches)) // its biggest cluster's radius
	for _, g := range groups {
		if len(g.switches) < 2 {
			continue
		}
		c := clusterRadius(len(g.nodes))
		for _, s := range g.switches {
			hub[s] += (2*c + nodeSpacing) / (2 * math.Pi)
			biggest[s] = math.Max(biggest[s], c)
		}
	}
	for _, g := range groups {
		if len(g.switches) < 2 {
			continue
		}
		c := clusterRadius(len(g.nodes))
		for i, a := range g.switches {
			for _, b := range g.switches[i+1:] {
				e := pairs[[2]int{a, b}]
				if e == nil {
					e = &edge{a: a, b: b}
					pairs[[2]int{a, b}] = e
					edges = append(edges, e)
				}
				e.weight += float64(len(g.nodes))
				e.want = math.Max(e.want, math.Max(radius[a]+radius[b]+2*c+switchGap, 2*math.Max(hub[a], hub[b])))
			}
		}
	}
	// A switch's area: its rings, or the clusters around it.
	area := make([]float64, len(m.Switches))
	for s := range area {
		area[s] = radius[s]
		if hub[s] > 0 {
			area[s] = math.Max(area[s], hub[s]+biggest[s])
		}
	}
	placeSwitches(l.Switches, area, func(visit func(a, b int, weight, want float64)) {
		for _, e := range edges {
			visit(e.a, e.b, e.weight, e.want)
		}
	})

	// Nodes on one switch on rings around it, starting opposite the
	// switches it shares nodes with.
	away := make([]Point, len(m.Switches))
	for _, e := range edges {
		pa, pb := l.Switches[e.a], l.Switches[e.b]
		away[e.a] = Point{away[e.a].X + pa.X - pb.X, away[e.a].Y + pa.Y - pb.Y}
		away[e.b] = Point{away[e.b].X + pb.X - pa.X, away[e.b].Y + pb.Y - pa.Y}
	}
	for s, ns := range leaves {
		start := -math.Pi / 2
		if away[s].X != 0 || away[s].Y != 0 {
			start = math.Atan2(away[s].Y, away[s].X)
		}
		c := l.Switches[s]
		for ring, done := 0, 0; done < len(ns); ring++ {
			r := ringRadius(ring)
			n := min(ringCapacity(r), len(ns)-done)
			step := math.Min(2*math.Pi/float64(n), arcSpacing/r)
			for i := 0; i < n; i++ {
				a := start + (float64(i)-float64(n-1)/2)*step
				l.Nodes[ns[done+i]] = Point{c.X + r*math.Cos(a), c.Y + r*math.Sin(a)}
			}
			done += n
		}
	}

	// Nodes on several switches in a cluster (a sunflower) at the
	// middle of their switches; a few on two in a row across them.
	for _, g := range groups {
		if len(g.switches) < 2 {
			continue
		}
		var c Point
		for _, s := range g.switches {
			c.X += l.Switches[s].X
			c.Y += l.Switches[s].Y
		}
		c.X /= float64(len(g.switches))
		c.Y /= float64(len(g.switches))
		if len(g.switches) == 2 && len(g.nodes) <= 6 {
			// A few nodes between two switches: in a row across the line
			// between them, room for their labels.
			a, b := l.Switches[g.switches[0]], l.Switches[g.switches[1]]
			dx, dy := b.X-a.X, b.Y-a.Y
			d := math.Hypot(dx, dy)
			if d == 0 {
				dx, dy, d = 1, 0, 1
			}
			px, py := -dy/d, dx/d
			for i, ni := range g.nodes {
				off := (float64(i) - float64(len(g.nodes)-1)/2) * rowSpacing
				l.Nodes[ni] = Point{c.X + px*off, c.Y + py*off}
			}
			continue
		}
		const golden = 2.399963229728653 // radians: π(3-√5)
		for i, ni := range g.nodes {
			r := nodeSpacing * 0.62 * math.Sqrt(float64(i))
			a := float64(i) * golden
			l.Nodes[ni] = Point{c.X + r*math.Cos(a), c.Y + r*math.Sin(a)}
		}
	}

	separate(l)

	// Nodes on no switch in rows below everything else.
	minX, minY, maxX, maxY := bounds(l)
	if len(alone) > 0 {
		perRow := max(1, int((maxX-minX)/nodeSpacing/2)+1)
		for i, ni := range alone {
			l.Nodes[ni] = Point{minX + float64(i%perRow)*nodeSpacing*2, maxY + 2*nodeSpacing + float64(i/perRow)*nodeSpacing*2}
		}
		minX, minY, maxX, maxY = bounds(l)
	}

	// Into the picture's frame, rounded to a tenth so that the written
	// numbers are short.
	move := func(p Point) Point {
		return Point{math.Round((p.X-minX+Margin)*10) / 10, math.Round((p.Y-minY+Margin)*10) / 10}
	}
	for i := range l.Switches {
		l.Switches[i] = move(l.Switches[i])
	}
	for i := range l.Nodes {
		l.Nodes[i] = move(l.Nodes[i])
	}
	l.Width = math.Ceil(maxX - minX + 2*Margin)
	l.Height = math.Ceil(maxY - minY + 2*Margin)
	return l
}

func uniq(s []int) []int {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func ringRadius(ring int) float64 { return ringFirst + float64(ring)*ringStep }

func ringCapacity(r float64) int { return max(1, int(2*math.Pi*r/nodeSpacing)) }

// ringsFor returns how many rings k nodes take.
func ringsFor(k int) int {
	rings := 0
	for k > 0 {
		k -= ringCapacity(ringRadius(rings))
		rings++
	}
	return rings
}

func clusterRadius(n int) float64 { return nodeSpacing*0.62*math.Sqrt(float64(n)) + NodeRadius }

// placeSwitches is a force layout of the switches (after Fruchterman and
// Reingold's: a spring between two switches that share nodes, at rest at
// the distance their areas and shared nodes need; between others a push
// apart, scaled by their areas, that ends at a few times that; and a weak
// pull to the middle, so that parts of the experiment that share no node
// stay close), from the switches on a circle in order, for a number of
// iterations fixed by the number of switches.
func placeSwitches(p []Point, radius []float64, edges func(func(a, b int, weight, want float64))) {
	n := len(p)
	if n == 0 {
		return
	}
	total := 0.0
	for _, r := range radius {
		total += 2*r + switchGap
	}
	circle := total / (2 * math.Pi)
	for i := range p {
		a := math.Pi + 2*math.Pi*float64(i)/float64(n)
		p[i] = Point{circle * math.Cos(a), circle * math.Sin(a)}
	}
	if n == 1 {
		p[0] = Point{}
		return
	}
	// Two switches that share nodes are held at their distance by the
	// spring between them alone.
	linked := map[[2]int]bool{}
	edges(func(a, b int, _, _ float64) { linked[[2]int{min(a, b), max(a, b)}] = true })
	iterations := min(300, max(30, int(3e7/float64(n*n))))
	disp := make([]Point, n)
	temp0 := circle / 4
	for it := 0; it < iterations; it++ {
		temp := temp0 * (1 - float64(it)/float64(iterations))
		for i := range disp {
			disp[i] = Point{-p[i].X * 0.05, -p[i].Y * 0.05}
		}
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				dx, dy := p[i].X-p[j].X, p[i].Y-p[j].Y
				d := math.Hypot(dx, dy)
				if d < 1e-3 {
					dx, dy, d = float64(i-j), 1, math.Hypot(float64(i-j), 1)
				}
				need := radius[i] + radius[j] + switchGap
				if d > 2.5*need || linked[[2]int{i, j}] {
					continue // far enough: parts that share nothing pack close
				}
				f := need * need / d / d
				disp[i].X += dx * f
				disp[i].Y += dy * f
				disp[j].X -= dx * f
				disp[j].Y -= dy * f
			}
		}
		edges(func(a, b int, _, want float64) {
			dx, dy := p[a].X-p[b].X, p[a].Y-p[b].Y
			d := math.Hypot(dx, dy)
			if d < 1e-3 {
				return
			}
			f := 0.5 * (d - want) / d // a spring, at rest at want
			disp[a].X -= dx * f
			disp[a].Y -= dy * f
			disp[b].X += dx * f
			disp[b].Y += dy * f
		})
		for i := range p {
			d := math.Hypot(disp[i].X, disp[i].Y)
			if d < 1e-9 {
				continue
			}
			s := math.Min(d, temp) / d
			p[i].X += disp[i].X * s
			p[i].Y += disp[i].Y * s
		}
	}
	// No two switches' areas overlap.
	for pass := 0; pass < 50; pass++ {
		moved := false
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				dx, dy := p[j].X-p[i].X, p[j].Y-p[i].Y
				d := math.Hypot(dx, dy)
				need := radius[i] + radius[j]
				if d >= need {
					continue
				}
				if d < 1e-3 {
					dx, dy, d = 1, float64(j-i), math.Hypot(1, float64(j-i))
				}
				push := (need - d) / 2 / d
				p[i].X -= dx * push
				p[i].Y -= dy * push
				p[j].X += dx * push
				p[j].Y += dy * push
				moved = true
			}
		}
		if !moved {
			break
		}
	}
}

// separate moves nodes apart that are closer than nodeSpacing to each
// other or to a switch (a few passes over a grid of cells, switches
// fixed).
func separate(l *Layout) {
	type cell struct{ x, y int }
	key := func(p Point) cell {
		return cell{int(math.Floor(p.X / nodeSpacing)), int(math.Floor(p.Y / nodeSpacing))}
	}
	for pass := 0; pass < 6; pass++ {
		grid := make(map[cell][]int, len(l.Nodes))
		for i, p := range l.Nodes {
			k := key(p)
			grid[k] = append(grid[k], i)
		}
		moved := false
		for i := range l.Nodes {
			k := key(l.Nodes[i])
			for dx := -1; dx <= 1; dx++ {
				for dy := -1; dy <= 1; dy++ {
					for _, j := range grid[cell{k.x + dx, k.y + dy}] {
						if j <= i {
							continue
						}
						a, b := &l.Nodes[i], &l.Nodes[j]
						ex, ey := b.X-a.X, b.Y-a.Y
						d := math.Hypot(ex, ey)
						if d >= nodeSpacing {
							continue
						}
						if d < 1e-3 {
							ex, ey, d = 1, float64(j-i)*0.01, math.Hypot(1, float64(j-i)*0.01)
						}
						push := (nodeSpacing - d) / 2 / d
						a.X -= ex * push
						a.Y -= ey * push
						b.X += ex * push
						b.Y += ey * push
						moved = true
					}
				}
			}
		}
		for i := range l.Nodes {
			for _, s := range l.Switches {
				ex, ey := l.Nodes[i].X-s.X, l.Nodes[i].Y-s.Y
				d := math.Hypot(ex, ey)
				need := float64(SwitchRadius + nodeSpacing)
				if d >= need {
					continue
				}
				if d < 1e-3 {
					ex, ey, d = 0, 1, 1
				}
				l.Nodes[i].X = s.X + ex*need/d
				l.Nodes[i].Y = s.Y + ey*need/d
				moved = true
			}
		}
		if !moved {
			break
		}
	}

}

func bounds(l *Layout) (minX, minY, maxX, maxY float64) {
	minX, minY = math.Inf(1), math.Inf(1)
	maxX, maxY = math.Inf(-1), math.Inf(-1)
	see := func(p Point, r float64) {
		minX, minY = math.Min(minX, p.X-r), math.Min(minY, p.Y-r)
		maxX, maxY = math.Max(maxX, p.X+r), math.Max(maxY, p.Y+r)
	}
	for _, p := range l.Switches {
		see(p, SwitchRadius)
	}
	for _, p := range l.Nodes {
		see(p, NodeRadius)
	}
	if math.IsInf(minX, 1) {
		return 0, 0, 0, 0
	}
	return minX, minY, maxX, maxY
}
