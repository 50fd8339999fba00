package topoview

import (
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/netmask"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/plan"
	"github.com/zclconf/go-cty/cty"
)

// Action is what a plan does to an element of the picture.
type Action string

// The actions. A model built without a plan has None everywhere.
const (
	None    Action = ""
	NoOp    Action = "no-op"
	Create  Action = "create"
	Update  Action = "update"
	Replace Action = "replace"
	Destroy Action = "destroy"
)

// Actions lists the actions of a plan in the order the legend shows them.
var Actions = []Action{Create, Update, Replace, Destroy, NoOp}

func actionOf(a plan.Action) Action {
	switch a {
	case plan.Create:
		return Create
	case plan.Update:
		return Update
	case plan.DeleteThenCreate:
		return Replace
	case plan.Delete:
		return Destroy
	}
	return NoOp
}

// Model is what the picture shows.
type Model struct {
	Experiment string
	// Planned is set for a model built from a plan: every element has an
	// action.
	Planned  bool
	Switches []*Switch // sorted by name
	Nodes    []*Node   // sorted by name
}

// Switch is a switch of the experiment.
type Switch struct {
	Address string // the resource's address, "switch.lan1"
	Name    string // its name, which interfaces refer to
	Kind    string // "vde" or "bridge"
	Subnet  string // "" when unset
	Action  Action
}

// Node is a vnode.
type Node struct {
	Address    string // "vnode.a"
	Name       string
	Type       string // process, qemu, openvz, or a third party's
	Action     Action
	Interfaces []*Interface // sorted by name
}

// Interface is one of a node's interfaces: a link from the node to Switch.
type Interface struct {
	Name    string
	Switch  string // the switch's name
	Address string // "10.0.1.10/24", "10.0.1.10" without a netmask, or ""
	// Shaping of what the node sends: "" when unset.
	Latency  string // "50ms"
	Capacity string // "100Mbit"
	Loss     string // "0.5%"
	Action   Action
}

// Shaped reports whether the link is shaped.
func (i *Interface) Shaped() bool {
	return i.Latency != "" || i.Capacity != "" || i.Loss != ""
}

// Shaping is the link's shaping in words: "latency 50ms, 100Mbit, loss
// 0.5%", or "".
func (i *Interface) Shaping() string {
	var parts []string
	if i.Latency != "" {
		parts = append(parts, "latency "+i.Latency)
	}
	if i.Capacity != "" {
		parts = append(parts, i.Capacity)
	}
	if i.Loss != "" {
		parts = append(parts, "loss "+i.Loss)
	}
	return strings.Join(parts, ", ")
}

// FromGraph builds the model of a lowered experiment, with no actions.
func FromGraph(g *lower.Graph) *Model {
	m := &Model{Experiment: g.Experiment}
	for _, r := range g.Resources {
		switch r.Addr.Type {
		case contract.Switch:
			m.Switches = append(m.Switches, switchOf(r.Addr.String(), r.Config, None))
		case contract.VNode:
			n := nodeOf(r.Addr.String(), r.Config, None)
			n.Interfaces = interfacesOf(r.Config)
			m.Nodes = append(m.Nodes, n)
		}
	}
	m.finish()
	return m
}

// FromPlan builds the model of what p does: each element from its planned
// value (its value before, for one the plan destroys), with its action. An
// interface of an updated node is compared with the node's interface of
// the same name before: added (create), removed (destroy, drawn from its
// value before), changed (update) or the same (no-op); the interfaces of a
// node created, replaced, destroyed or left alone take the node's action.
func FromPlan(p *plan.Plan) *Model {
	m := &Model{Experiment: p.Experiment, Planned: true}
	for _, c := range p.Changes {
		a := actionOf(c.Action)
		v := hide(c.After, c.AfterSensitive)
		if a == Destroy {
			v = hide(c.Before, c.BeforeSensitive)
		}
		if v == cty.NilVal || v.IsNull() || !v.IsKnown() {
			continue
		}
		switch c.Addr.Type {
		case contract.Switch:
			m.Switches = append(m.Switches, switchOf(c.Addr.String(), v, a))
		case contract.VNode:
			n := nodeOf(c.Addr.String(), v, a)
			after := interfacesOf(v)
			if a != Update {
				for _, i := range after {
					i.Action = a
				}
				n.Interfaces = after
			} else {
				before := hide(c.Before, c.BeforeSensitive)
				n.Interfaces = diffInterfaces(interfacesOf(before), after, before, v)
			}
			m.Nodes = append(m.Nodes, n)
		}
	}
	m.finish()
	return m
}

// diffInterfaces gives each interface of an updated node its action.
func diffInterfaces(before, after []*Interface, bv, av cty.Value) []*Interface {
	raw := func(v cty.Value) map[string]cty.Value {
		out := map[string]cty.Value{}
		for _, o := range listOf(v, "interfaces") {
			if name := str(o, "name"); name != "" {
				out[name] = o
			}
		}
		return out
	}
	rb, ra := raw(bv), raw(av)
	var out []*Interface
	for _, i := range after {
		old, ok := rb[i.Name]
		switch {
		case !ok:
			i.Action = Create
		case sameValue(old, ra[i.Name]):
			i.Action = NoOp
		default:
			i.Action = Update
		}
		out = append(out, i)
	}
	for _, i := range before {
		if _, ok := ra[i.Name]; !ok {
			i.Action = Destroy
			out = append(out, i)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// sameValue compares two values; an unknown part is a difference.
func sameValue(a, b cty.Value) bool {
	a, _ = a.UnmarkDeep()
	b, _ = b.UnmarkDeep()
	if !a.IsWhollyKnown() || !b.IsWhollyKnown() {
		return false
	}
	return a.Equals(b).True()
}

// finish sorts the model and adds the switches interfaces name that no
// resource describes (a plan made with -target, say), so every link has
// both ends.
func (m *Model) finish() {
	have := map[string]bool{}
	for _, s := range m.Switches {
		have[s.Name] = true
	}
	for _, n := range m.Nodes {
		for _, i := range n.Interfaces {
			if !have[i.Switch] {
				have[i.Switch] = true
				m.Switches = append(m.Switches, &Switch{Name: i.Switch, Action: i.Action})
			}
		}
	}
	sort.SliceStable(m.Switches, func(a, b int) bool { return m.Switches[a].Name < m.Switches[b].Name })
	sort.SliceStable(m.Nodes, func(a, b int) bool { return m.Nodes[a].Name < m.Nodes[b].Name })
}

func switchOf(addr string, v cty.Value, a Action) *Switch {
	name := str(v, "name")
	if name == "" {
		name = addr
	}
	return &Switch{Address: addr, Name: name, Kind: str(v, "kind"), Subnet: str(v, "subnet"), Action: a}
}

func nodeOf(addr string, v cty.Value, a Action) *Node {
	name := str(v, "name")
	if name == "" {
		name = addr
	}
	return &Node{Address: addr, Name: name, Type: str(v, "type"), Action: a}
}

func interfacesOf(v cty.Value) []*Interface {
	var out []*Interface
	for _, o := range listOf(v, "interfaces") {
		i := &Interface{
			Name:    str(o, "name"),
			Switch:  str(o, "switch"),
			Address: str(o, "ip4_address"),
			Latency: str(o, "latency"),
		}
		if i.Address != "" {
			if bits, err := netmask.Parse(str(o, "ip4_netmask")); err == nil {
				i.Address += "/" + strconv.Itoa(bits)
			}
		}
		if c := num(o, "capacity"); c != nil {
			i.Capacity = formatRate(c)
		}
		if l := num(o, "loss"); l != nil {
			i.Loss = l.Text('g', -1) + "%"
		}
		out = append(out, i)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// formatRate writes bits per second the way the language reads them:
// "100Mbit", "1.5Gbit", "64kbit", "300bit".
func formatRate(bps *big.Float) string {
	for _, u := range []struct {
		name string
		size float64
	}{{"Gbit", 1e9}, {"Mbit", 1e6}, {"kbit", 1e3}} {
		f, _ := bps.Float64()
		if f >= u.size {
			return strconv.FormatFloat(f/u.size, 'f', -1, 64) + u.name
		}
	}
	return bps.Text('f', -1) + "bit"
}

// sensitive marks the attributes of a plan's value that it names as
// sensitive, as lowering marks a graph's (model.Sensitive): the picture
// shows neither.
type sensitive struct{}

// hidden is what the picture shows for a sensitive value.
const hidden = "(sensitive value)"

func hide(v cty.Value, names []string) cty.Value {
	if len(names) == 0 || v == cty.NilVal || v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() {
		return v
	}
	attrs := v.AsValueMap()
	for _, n := range names {
		if a, ok := attrs[n]; ok {
			attrs[n] = a.Mark(sensitive{})
		}
	}
	return cty.ObjectVal(attrs)
}

// get returns v's attribute name, or a null value when v is not an object
// with a known value there.
func get(v cty.Value, name string) cty.Value {
	if v == cty.NilVal || v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return v.GetAttr(name)
}

// str returns a string attribute: "" when null, "(known after apply)" when
// unknown.
func str(v cty.Value, name string) string {
	a := get(v, name)
	switch {
	case a.IsMarked():
		return hidden
	case !a.IsKnown():
		return "(known after apply)"
	case a.IsNull() || a.Type() != cty.String:
		return ""
	}
	return a.AsString()
}

func num(v cty.Value, name string) *big.Float {
	a := get(v, name)
	if a.IsMarked() || !a.IsKnown() || a.IsNull() || a.Type() != cty.Number {
		return nil
	}
	return a.AsBigFloat()
}

func listOf(v cty.Value, name string) []cty.Value {
	a := get(v, name)
	if a.IsMarked() || !a.IsKnown() || a.IsNull() || !(a.Type().IsListType() || a.Type().IsTupleType()) {
		return nil
	}
	var out []cty.Value
	for it := a.ElementIterator(); it.Next(); {
		_, e := it.Element()
		out = append(out, e)
	}
	return out
}

// String describes the model in one line, for messages and tests.
func (m *Model) String() string {
	links := 0
	for _, n := range m.Nodes {
		links += len(n.Interfaces)
	}
	return fmt.Sprintf("%s: %d nodes, %d switches, %d links", m.Experiment, len(m.Nodes), len(m.Switches), links)
}
