package engine

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/providers"
)

// TestConformDiagnostics: each problem with a generic resource's
// configuration is reported at the attribute it concerns (a missing one
// at the block), with what to do.
func TestConformDiagnostics(t *testing.T) {
	rs := &providers.ResourceSchema{Attributes: map[string]*providers.Attribute{
		"path":     {Type: cty.String, Required: true},
		"greeting": {Type: cty.String, Optional: true},
		"count":    {Type: cty.Number, Optional: true},
		"id":       {Type: cty.String, Computed: true},
	}}
	at := func(line int) hcl.Range {
		return hcl.Range{Filename: "main.hcl", Start: hcl.Pos{Line: line, Column: 3}, End: hcl.Pos{Line: line, Column: 10}}
	}
	r := &lower.Resource{
		Addr:     addrs.Resource{Type: "hello_greeting", Name: "a"},
		Provider: "hello",
		Config: cty.ObjectVal(map[string]cty.Value{
			"greting": cty.StringVal("Ciao"),
			"count":   cty.StringVal("many"),
			"id":      cty.StringVal("x"),
		}),
		DeclRange:  at(1),
		AttrRanges: map[string]hcl.Range{"greting": at(2), "count": at(3), "id": at(4)},
	}
	_, problems := conform(rs, r.Config)
	var got []string
	for _, p := range problems {
		d := p.diagnostic(r, rs)
		got = append(got, d.Subject.String()+": "+d.Summary+": "+d.Detail)
	}
	want := []string{
		`main.hcl:3,3-10: Incorrect attribute value type: Inappropriate value for attribute "count" of hello_greeting.a (resource type "hello_greeting", provider "hello"): a number is required.`,
		`main.hcl:2,3-10: Unsupported argument: An argument named "greting" is not expected in hello_greeting.a (resource type "hello_greeting", provider "hello"). Did you mean "greeting"?`,
		`main.hcl:4,3-10: Value for unconfigurable attribute: The attribute "id" of hello_greeting.a (resource type "hello_greeting", provider "hello") is computed by the provider and cannot be set.`,
		`main.hcl:1,3-10: Missing required argument: The argument "path" is required by hello_greeting.a (resource type "hello_greeting", provider "hello"), but was not set.`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
