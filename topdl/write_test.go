package topdl

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"testing"
)

// BenchmarkMarshal10k writes a topology shaped like the 10,000-node
// experiment of docs/benchmarks.md (lowering writes it as topology.xml on
// every plan): 110 switches, 10,000 computers of two shaped interfaces.
//
//	go test ./topdl -run XXX -bench Marshal10k -benchmem
func BenchmarkMarshal10k(b *testing.B) {
	t := benchTopology(10000)
	out := Marshal(t)
	if len(out) != cap(out) {
		b.Fatalf("sized %d bytes, wrote %d", cap(out), len(out))
	}
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		Marshal(t)
	}
}

func benchTopology(nodes int) *Topology {
	t := &Topology{Version: "1.0", Attributes: []Attribute{{Name: "benito:routing", Value: "static"}}}
	for i := range 110 {
		t.Substrates = append(t.Substrates, &Substrate{
			Name:       fmt.Sprintf("sw%d", i),
			Capacity:   &Capacity{Rate: 100000, Kind: "max"},
			Latency:    &Latency{Time: 2.5},
			Attributes: []Attribute{{Name: "benito:switch_kind", Value: "vde"}, {Name: AttrVDESwitch, Value: fmt.Sprintf("/run/benito/exp/switch/sw%d.ctl", i)}},
		})
	}
	for i := range nodes {
		c := &Computer{Name: fmt.Sprintf("n%d", i), OS: []OS{{Name: "Linux"}}, Attributes: []Attribute{{Name: "type", Value: "process"}, {Name: "note", Value: "a <router> & \"host\""}}}
		for j := range 2 {
			c.Interfaces = append(c.Interfaces, &Interface{
				Name: fmt.Sprintf("eth%d", j), Substrate: fmt.Sprintf("sw%d", (i+j*7)%110),
				Capacity: &Capacity{Rate: 100000}, Latency: &Latency{Time: 5, Kind: "average"},
				Attributes: []Attribute{{Name: "ip4_address", Value: fmt.Sprintf("10.%d.%d.%d", j, i/250, i%250+1)}, {Name: "ip4_netmask", Value: "255.255.0.0"}, {Name: "benito:vde_port", Value: fmt.Sprint(i%64 + 1)}},
			})
		}
		t.Computers = append(t.Computers, c)
	}
	return t
}

// text writes, and counts, what xml.EscapeText writes, for every byte
// alone and in context, and for strings that need nothing escaped.
func TestText(t *testing.T) {
	cases := []string{"", "plain", "10.0.0.1", "/run/benito/exp/sw1.ctl", "a <router> & \"host\"", "it's", "tab\there", "new\nline", "cr\r", "über", "\xff\xfe", "\x7f", "\u2028", "\U0001F600", "\uFFFE"}
	for c := range 256 {
		cases = append(cases, string([]byte{byte(c)}), "x"+string([]byte{byte(c)})+"y")
	}
	for _, s := range cases {
		var want bytes.Buffer
		_ = xml.EscapeText(&want, []byte(s))
		w, sizer := &writer{}, &writer{sizing: true}
		w.text(s)
		sizer.text(s)
		if string(w.b) != want.String() || sizer.n != want.Len() {
			t.Errorf("text(%q) = %q (sized %d), want %q", s, w.b, sizer.n, want.String())
		}
	}
}

// Marshal sizes its buffer exactly: the counting pass and the writing
// pass agree.
func TestMarshalSized(t *testing.T) {
	top := benchTopology(50)
	top.Computers[3].Software = []Software{{Location: "http://x/a.tgz", Install: "/usr/local"}}
	top.Computers[4].OS = []OS{{Name: "Linux", Version: "6.1", Distribution: "Debian", DistributionVersion: "12"}}
	top.Computers[5].Name = "bad\xffname"
	out := Marshal(top)
	if len(out) != cap(out) {
		t.Errorf("sized %d bytes, wrote %d", cap(out), len(out))
	}
}
