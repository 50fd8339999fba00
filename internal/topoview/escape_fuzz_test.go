package topoview

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"github.com/benito-net/benito/plan"
	"github.com/zclconf/go-cty/cty"
)

// FuzzSVG: whatever the names and addresses hold, the SVG is well-formed
// XML, and each name reads back from its data-name attribute as written
// (a character XML forbids replaced).
func FuzzSVG(f *testing.F) {
	f.Add("lan1", "a", "eth0", "10.0.1.10/24", "50ms")
	f.Add(`<x a="1">&amp;`, "'\"", "\x00\x01", "\xff\xfe", "]]>")
	f.Fuzz(func(t *testing.T, sw, node, iface, addr, latency string) {
		m := &Model{Experiment: node + sw, Planned: true,
			Switches: []*Switch{{Address: "switch." + sw, Name: sw, Kind: "vde", Subnet: addr, Action: Create}},
			Nodes: []*Node{{Address: "vnode." + node, Name: node, Type: iface, Action: Update,
				Interfaces: []*Interface{{Name: iface, Switch: sw, Address: addr, Latency: latency, Action: Destroy}}}},
		}
		var b bytes.Buffer
		if err := WriteSVG(&b, m, Place(m)); err != nil {
			t.Fatal(err)
		}
		d := xml.NewDecoder(&b)
		names := map[string]bool{}
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("not well-formed: %v\n%s", err, b.String())
			}
			if se, ok := tok.(xml.StartElement); ok {
				for _, a := range se.Attr {
					if a.Name.Local == "data-name" {
						names[a.Value] = true
					}
				}
			}
		}
		for _, want := range []string{sw, node} {
			if !names[xmlSafe(want)] {
				t.Errorf("data-name %q not found in %v", xmlSafe(want), names)
			}
		}
	})
}

// xmlSafe is s as an XML reader reads it back from esc's form.
func xmlSafe(s string) string {
	var out strings.Builder
	d := xml.NewDecoder(strings.NewReader("<a>" + esc(s) + "</a>"))
	for {
		tok, err := d.Token()
		if err != nil {
			return out.String()
		}
		if cd, ok := tok.(xml.CharData); ok {
			out.Write(cd)
		}
	}
}

// TestSensitive: a value the plan marks sensitive is not shown.
func TestSensitive(t *testing.T) {
	iface := cty.ObjectVal(map[string]cty.Value{
		"name": cty.StringVal("eth0"), "switch": cty.StringVal("lan1"),
		"ip4_address": cty.StringVal("10.9.9.9"), "ip4_netmask": cty.StringVal("255.255.255.0"),
	})
	node := cty.ObjectVal(map[string]cty.Value{
		"name": cty.StringVal("a"), "type": cty.StringVal("process"),
		"interfaces": cty.ListVal([]cty.Value{iface}),
	})
	p := &plan.Plan{Experiment: "x", Changes: []*plan.Change{{
		Action: plan.Create, Before: cty.NullVal(node.Type()), After: node, Type: node.Type(),
		AfterSensitive: []string{"interfaces"},
	}}}
	p.Changes[0].Addr.Type, p.Changes[0].Addr.Name = "vnode", "a"
	m := FromPlan(p)
	for _, wr := range writers {
		var b bytes.Buffer
		if err := wr.write(&b, m, Place(m)); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "10.9.9.9") {
			t.Errorf("%s shows the sensitive address", wr.ext)
		}
		if !strings.Contains(b.String(), `vnode.a`) {
			t.Errorf("%s lacks the node", wr.ext)
		}
	}
	// Without the mark, the address is shown: the test can fail.
	p.Changes[0].AfterSensitive = nil
	var b bytes.Buffer
	m = FromPlan(p)
	WriteSVG(&b, m, Place(m))
	if !strings.Contains(b.String(), "10.9.9.9/24") {
		t.Errorf("the address is not shown when it is not sensitive")
	}
}
