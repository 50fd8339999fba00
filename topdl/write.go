package topdl

import (
	"encoding/xml"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/netmask"
	"github.com/benito-net/benito/model"
)

// Marshal writes t as TopDL 1.0, indented, in the element order of fedd's
// writer, with an XML declaration. Substrates and computers keep their
// order in t.
func Marshal(t *Topology) []byte {
	// Twice: once counting, to allocate the document once (a large
	// experiment's is tens of megabytes, written on every plan), then
	// writing it.
	sizer := &writer{sizing: true}
	sizer.topology(t)
	w := &writer{b: make([]byte, 0, sizer.n)}
	w.topology(t)
	return w.b
}

// writer appends the document to b, or, sizing, only counts its bytes in n.
type writer struct {
	b      []byte
	sizing bool
	n      int
}

func (w *writer) topology(t *Topology) {
	w.str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<experiment>\n")
	v := t.Version
	if v == "" {
		v = "1.0"
	}
	w.elem(2, "version", v)
	for _, s := range t.Substrates {
		w.str("  <substrates>\n")
		w.elem(4, "name", s.Name)
		w.shaping(4, s.Capacity, s.Latency)
		w.attrs(4, s.Attributes)
		w.str("  </substrates>\n")
	}
	for _, c := range t.Computers {
		w.str("  <elements>\n    <computer>\n")
		w.elem(6, "name", c.Name)
		for _, o := range c.OS {
			w.str("      <os>\n")
			for _, f := range [][2]string{{"name", o.Name}, {"version", o.Version}, {"distribution", o.Distribution}, {"distributionversion", o.DistributionVersion}} {
				if f[1] != "" {
					w.elem(8, f[0], f[1])
				}
			}
			w.str("      </os>\n")
		}
		for _, s := range c.Software {
			w.str("      <software>\n")
			w.elem(8, "location", s.Location)
			if s.Install != "" {
				w.elem(8, "install", s.Install)
			}
			w.str("      </software>\n")
		}
		for _, ifc := range c.Interfaces {
			w.str("      <interface>\n")
			w.elem(8, "substrate", ifc.Substrate)
			w.elem(8, "name", ifc.Name)
			w.shaping(8, ifc.Capacity, ifc.Latency)
			w.attrs(8, ifc.Attributes)
			w.str("      </interface>\n")
		}
		w.attrs(6, c.Attributes)
		w.str("    </computer>\n  </elements>\n")
	}
	w.attrs(2, t.Attributes)
	w.str("</experiment>\n")
}

func (w *writer) str(s string) {
	if w.sizing {
		w.n += len(s)
		return
	}
	w.b = append(w.b, s...)
}

// Write makes w an io.Writer, for xml.EscapeText.
func (w *writer) Write(p []byte) (int, error) {
	if w.sizing {
		w.n += len(p)
	} else {
		w.b = append(w.b, p...)
	}
	return len(p), nil
}

func (w *writer) shaping(indent int, c *Capacity, l *Latency) {
	if c != nil {
		w.shape(indent, "capacity", "rate", c.Rate, c.Kind)
	}
	if l != nil {
		w.shape(indent, "latency", "time", l.Time, l.Kind)
	}
}

func (w *writer) shape(indent int, name, field string, v float64, kind string) {
	w.openTag(indent, name)
	var num [32]byte
	w.element(indent+2, field, string(strconv.AppendFloat(num[:0], v, 'f', 6, 64)), false)
	w.elem(indent+2, "kind", kindOr(kind))
	w.closeTag(indent, name)
}

func kindOr(k string) string {
	if k == "" {
		return "max"
	}
	return k
}

// spaces indents: the deepest element is 10 deep.
const spaces = "                "

func (w *writer) openTag(indent int, name string) {
	w.str(spaces[:indent])
	w.str("<")
	w.str(name)
	w.str(">\n")
}

func (w *writer) closeTag(indent int, name string) {
	w.str(spaces[:indent])
	w.str("</")
	w.str(name)
	w.str(">\n")
}

// elem writes an element of text, escaped.
func (w *writer) elem(indent int, name, value string) { w.element(indent, name, value, true) }

func (w *writer) element(indent int, name, value string, escape bool) {
	w.str(spaces[:indent])
	w.str("<")
	w.str(name)
	w.str(">")
	if escape {
		w.text(value)
	} else {
		w.str(value)
	}
	w.str("</")
	w.str(name)
	w.str(">\n")
}

// text writes s escaped as xml.EscapeText does. Most values need nothing
// escaped and are written as they are; the others go to xml.EscapeText,
// which also replaces what XML cannot hold.
func (w *writer) text(s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\'' || c == '&' || c == '<' || c == '>' {
			_ = xml.EscapeText(w, []byte(s))
			return
		}
	}
	w.str(s)
}

func (w *writer) attrs(indent int, list []Attribute) {
	for _, a := range list {
		w.openTag(indent, "attribute")
		w.elem(indent+2, "attribute", a.Name)
		w.elem(indent+2, "value", a.Value)
		w.closeTag(indent, "attribute")
	}
}

// Assigned is what benito assigned to an experiment's parts; FromExperiment
// records it in benito: attributes. A nil function leaves its attributes
// out, except MAC: a nil MAC (or a nil result) derives the MAC as lowering
// does.
type Assigned struct {
	// Socket returns a VDE switch's control socket.
	Socket func(sw string) string
	// Port returns the VDE port number of a node's interface.
	Port func(sw, node, iface string) int
	// MAC returns the MAC address of a node's interface.
	MAC func(node, iface string) net.HardwareAddr
}

// FromOptions tune FromExperiment.
type FromOptions struct {
	// Export adds what DETER's config directory keeps elsewhere or had no
	// field for, so that importing the result gives the same experiment:
	// routes (the route/<node> files), switch subnets and the experiment's
	// routing. The config directory's topology.xml leaves them out.
	Export bool
}

// FromExperiment turns an evaluated experiment into a Topology: switches
// become substrates (Linux bridges too, marked benito:switch_kind), vnodes
// computers.
func FromExperiment(exp *model.Experiment, a Assigned, opts FromOptions) *Topology {
	t := &Topology{Version: "1.0"}
	kinds := map[string]string{}
	shapings := map[string]model.Shaping{}
	for _, sw := range exp.Switches {
		kinds[sw.Name] = sw.Kind
		shapings[sw.Name] = sw.Shaping
		s := &Substrate{Name: sw.Name}
		s.Capacity, s.Latency = fromShaping(sw.Shaping)
		s.Attributes = append(s.Attributes, Attribute{Name: "benito:switch_kind", Value: sw.Kind})
		if sw.Kind == contract.KindVDE && a.Socket != nil {
			s.Attributes = append(s.Attributes, Attribute{Name: AttrVDESwitch, Value: a.Socket(sw.Name)})
		}
		if opts.Export && sw.Subnet.IsValid() {
			s.Attributes = append(s.Attributes, Attribute{Name: "benito:subnet", Value: sw.Subnet.String()})
		}
		if sw.Shaping.Loss != 0 {
			s.Attributes = append(s.Attributes, Attribute{Name: "benito:loss", Value: formatLoss(sw.Shaping.Loss)})
		}
		if sw.Ports != 0 {
			s.Attributes = append(s.Attributes, Attribute{Name: "benito:ports", Value: strconv.Itoa(sw.Ports)})
		}
		if sw.Group != "" {
			s.Attributes = append(s.Attributes, Attribute{Name: "benito:group", Value: sw.Group})
		}
		if sw.Mode != "" {
			s.Attributes = append(s.Attributes, Attribute{Name: "benito:mode", Value: sw.Mode})
		}
		t.Substrates = append(t.Substrates, s)
	}
	for _, n := range exp.VNodes {
		c := &Computer{Name: n.Name}
		// Attributes of the node's own that ToHCL spread over the map go
		// back where they came from.
		own := map[string]string{}
		ifcAttrs := map[string][]Attribute{}
		var keys []string
		for k := range n.Attrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if n.OS != "" {
			c.OS = []OS{{Name: n.OS}}
		}
		for _, k := range keys {
			v := n.Attrs[k]
			switch {
			case strings.HasPrefix(k, "interface."):
				rest := strings.TrimPrefix(k, "interface.")
				if ifc, name, ok := strings.Cut(rest, "."); ok {
					ifcAttrs[ifc] = append(ifcAttrs[ifc], Attribute{Name: name, Value: v})
					continue
				}
			case k == "os.version" || k == "os.distribution" || k == "os.distributionversion":
				if len(c.OS) == 0 {
					c.OS = []OS{{}}
				}
				switch k {
				case "os.version":
					c.OS[0].Version = v
				case "os.distribution":
					c.OS[0].Distribution = v
				default:
					c.OS[0].DistributionVersion = v
				}
				continue
			case strings.HasPrefix(k, "software."):
				// software.N.location, software.N.install
				parts := strings.Split(k, ".")
				if i, err := strconv.Atoi(parts[min(1, len(parts)-1)]); err == nil && len(parts) == 3 && i >= 0 && i < 1000 {
					for len(c.Software) <= i {
						c.Software = append(c.Software, Software{})
					}
					switch parts[2] {
					case "location":
						c.Software[i].Location = v
						continue
					case "install":
						c.Software[i].Install = v
						continue
					}
				}
			}
			own[k] = v
		}
		for _, ifc := range n.Interfaces {
			i := &Interface{Name: ifc.Name, Substrate: ifc.Switch}
			// The model fills an interface's shaping in from its switch:
			// write only what the interface sets differently.
			shaping, swShaping := ifc.Shaping, shapings[ifc.Switch]
			if shaping.Capacity == swShaping.Capacity {
				shaping.Capacity = 0
			}
			if shaping.Latency == swShaping.Latency {
				shaping.Latency = 0
			}
			if shaping.Loss == swShaping.Loss {
				shaping.Loss = 0
			}
			i.Capacity, i.Latency = fromShaping(shaping)
			if ifc.Address.IsValid() {
				i.Attributes = append(i.Attributes,
					Attribute{Name: AttrIP4Address, Value: ifc.Address.Addr().String()},
					Attribute{Name: AttrIP4Netmask, Value: netmask.Format(ifc.Address.Bits())})
			}
			mac := ifc.MAC
			if mac == nil && a.MAC != nil {
				mac = a.MAC(n.Name, ifc.Name)
			}
			if mac == nil {
				mac = model.DeriveMAC(exp.Name, n.Name, ifc.Name)
			}
			i.Attributes = append(i.Attributes, Attribute{Name: AttrMAC, Value: mac.String()})
			if kinds[ifc.Switch] == contract.KindVDE {
				if a.Socket != nil {
					i.Attributes = append(i.Attributes, Attribute{Name: AttrVDESwitch, Value: a.Socket(ifc.Switch)})
				}
				if a.Port != nil {
					i.Attributes = append(i.Attributes, Attribute{Name: AttrVDEPort, Value: strconv.Itoa(a.Port(ifc.Switch, n.Name, ifc.Name))})
				}
			}
			if ifc.MTU != 0 {
				i.Attributes = append(i.Attributes, Attribute{Name: "benito:mtu", Value: strconv.Itoa(ifc.MTU)})
			}
			if shaping.Loss != 0 {
				i.Attributes = append(i.Attributes, Attribute{Name: "benito:loss", Value: formatLoss(shaping.Loss)})
			}
			i.Attributes = append(i.Attributes, ifcAttrs[ifc.Name]...)
			c.Interfaces = append(c.Interfaces, i)
		}
		add := func(name, value string) { c.Attributes = append(c.Attributes, Attribute{Name: name, Value: value}) }
		add(AttrNodeType, n.Type)
		if n.Partition != "" {
			add(AttrPartition, n.Partition)
		}
		if n.Startup != "" {
			add(AttrStartup, n.Startup)
		}
		if n.Ghost {
			add(AttrGhost, "true")
		}
		if n.Image != "" {
			if n.Type == contract.NodeOpenVZ {
				add(AttrOpenVZTemplate, n.Image)
			} else {
				add("benito:image", n.Image)
			}
		}
		if n.Diskspace != 0 {
			add(AttrOpenVZDisk, strconv.FormatInt(n.Diskspace, 10))
		}
		if n.Memory != 0 {
			add("benito:memory", strconv.FormatInt(n.Memory, 10))
		}
		if n.CPUs != 0 {
			add("benito:cpus", strconv.FormatInt(n.CPUs, 10))
		}
		for _, k := range keys {
			if v, ok := own[k]; ok {
				add(k, v)
			}
		}
		if opts.Export {
			for _, r := range n.Routes {
				add("benito:route", FormatRoute(r))
			}
		}
		t.Computers = append(t.Computers, c)
	}
	if opts.Export {
		// By name: a route of every node of a large experiment would
		// otherwise scan every computer.
		byName := make(map[string]*Computer, len(t.Computers))
		for _, c := range t.Computers {
			byName[c.Name] = c
		}
		for _, r := range exp.Routes {
			if c := byName[r.Node]; c != nil {
				c.Attributes = append(c.Attributes, Attribute{Name: "benito:route", Value: FormatRoute(r)})
			}
		}
		// Always: an import without it takes RoutingDefault.
		routing := exp.Routing
		if routing == "" {
			routing = "none"
		}
		t.Attributes = append(t.Attributes, Attribute{Name: "benito:routing", Value: routing})
	}
	return t
}

func fromShaping(s model.Shaping) (*Capacity, *Latency) {
	var c *Capacity
	var l *Latency
	if s.Capacity > 0 {
		c = &Capacity{Rate: float64(s.Capacity) / 1000, Kind: "max"}
	}
	if s.Latency > 0 {
		l = &Latency{Time: s.Latency.Seconds() * 1000, Kind: "max"}
	}
	return c, l
}

func formatLoss(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) + "%" }

// FormatRoute renders a route in `ip route` syntax, the form of DETER's
// route/<node> files and of the benito:route attribute.
func FormatRoute(r *model.Route) string {
	var b strings.Builder
	b.WriteString(r.Destination.String())
	if r.Gateway.IsValid() {
		b.WriteString(" via " + r.Gateway.String())
	}
	if r.Device != "" {
		b.WriteString(" dev " + r.Device)
	}
	if r.Metric != 0 {
		b.WriteString(" metric " + strconv.Itoa(r.Metric))
	}
	return b.String()
}

// ParseRoute reads a route in the form FormatRoute writes: DEST [via GW]
// [dev IFACE] [metric N], DEST a prefix or "default".
func ParseRoute(s string) (dest netip.Prefix, gw netip.Addr, dev string, metric int, err error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return dest, gw, "", 0, fmt.Errorf("the route is empty")
	}
	if f[0] == "default" {
		f[0] = "0.0.0.0/0"
	}
	dest, err = netip.ParsePrefix(f[0])
	if err != nil || !dest.Addr().Is4() {
		return dest, gw, "", 0, fmt.Errorf("%q is not an IPv4 prefix", f[0])
	}
	for i := 1; i < len(f); i += 2 {
		if i+1 >= len(f) {
			return dest, gw, "", 0, fmt.Errorf("%q has no value", f[i])
		}
		switch v := f[i+1]; f[i] {
		case "via":
			gw, err = netip.ParseAddr(v)
			if err != nil || !gw.Is4() {
				return dest, gw, "", 0, fmt.Errorf("%q is not an IPv4 gateway", v)
			}
		case "dev":
			dev = v
		case "metric":
			metric, err = strconv.Atoi(v)
			if err != nil || metric < 0 {
				return dest, gw, "", 0, fmt.Errorf("%q is not a metric", v)
			}
		default:
			return dest, gw, "", 0, fmt.Errorf("unknown word %q (expected via, dev or metric)", f[i])
		}
	}
	return dest, gw, dev, metric, nil
}
