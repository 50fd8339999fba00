package hcl

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/benito-net/benito/internal/suggest"
)

// schema checks a native body against an hcl.BodySchema without copying it.
// hclsyntax's Body.Content allocates several maps per call, which for ten
// thousand vnodes with nested blocks costs more than evaluating them; this
// reports the same diagnostics and hands back the body's own attributes.
type schema struct {
	attrs    map[string]bool
	names    []string // attribute names in schema order, for suggestions
	required []string
	blocks   map[string][]string // block type → label names
	types    []string
}

// content is a body's attributes and blocks that a schema accepted. Unknown
// attributes stay in the map, reported; nothing looks them up.
type content struct {
	attrs  map[string]*hclsyntax.Attribute
	blocks []*hclsyntax.Block
}

func compile(s *hcl.BodySchema) *schema {
	c := &schema{attrs: map[string]bool{}, blocks: map[string][]string{}}
	for _, a := range s.Attributes {
		c.attrs[a.Name] = true
		c.names = append(c.names, a.Name)
		if a.Required {
			c.required = append(c.required, a.Name)
		}
	}
	for _, b := range s.Blocks {
		c.blocks[b.Type] = b.LabelNames
		c.types = append(c.types, b.Type)
	}
	return c
}

func (s *schema) decode(body *hclsyntax.Body) (content, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	for _, name := range s.required {
		if body.Attributes[name] == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Missing required argument",
				Detail:   fmt.Sprintf("The argument %q is required, but no definition was found.", name),
				Subject:  body.MissingItemRange().Ptr(),
			})
		}
	}
	for name, a := range body.Attributes {
		if s.attrs[name] {
			continue
		}
		var unused []string
		for _, n := range s.names {
			if body.Attributes[n] == nil {
				unused = append(unused, n)
			}
		}
		hint := ""
		if sug := nearestInOrder(name, unused); sug != "" {
			hint = fmt.Sprintf(" Did you mean %q?", sug)
		} else if _, isBlock := s.blocks[name]; isBlock {
			hint = fmt.Sprintf(" Did you mean to define a block of type %q?", name)
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unsupported argument",
			Detail:   fmt.Sprintf("An argument named %q is not expected here.%s", name, hint),
			Subject:  a.NameRange.Ptr(),
		})
	}
	c := content{attrs: body.Attributes}
	for _, b := range body.Blocks {
		labels, ok := s.blocks[b.Type]
		if !ok {
			hint := ""
			if sug := nearestInOrder(b.Type, s.types); sug != "" {
				hint = fmt.Sprintf(" Did you mean %q?", sug)
			} else if s.attrs[b.Type] {
				hint = fmt.Sprintf(" Did you mean to define argument %q? If so, use the equals sign to assign it a value.", b.Type)
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unsupported block type",
				Detail:   fmt.Sprintf("Blocks of type %q are not expected here.%s", b.Type, hint),
				Subject:  b.TypeRange.Ptr(),
			})
			continue
		}
		switch {
		case len(b.Labels) > len(labels):
			detail := fmt.Sprintf("No labels are expected for %s blocks.", b.Type)
			if len(labels) > 0 {
				detail = fmt.Sprintf("Only %d labels (%s) are expected for %s blocks.", len(labels), strings.Join(labels, ", "), b.Type)
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Extraneous label for %s", b.Type),
				Detail:   detail,
				Subject:  b.LabelRanges[len(labels)].Ptr(),
				Context:  hcl.RangeBetween(b.TypeRange, b.OpenBraceRange).Ptr(),
			})
			continue
		case len(b.Labels) < len(labels):
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Missing %s for %s", labels[len(b.Labels)], b.Type),
				Detail:   fmt.Sprintf("All %s blocks must have %d labels (%s).", b.Type, len(labels), strings.Join(labels, ", ")),
				Subject:  b.OpenBraceRange.Ptr(),
				Context:  hcl.RangeBetween(b.TypeRange, b.OpenBraceRange).Ptr(),
			})
			continue
		}
		c.blocks = append(c.blocks, b)
	}
	return c, diags
}

// nearestInOrder is HCL's own suggestion rule: the first close name.
func nearestInOrder(given string, names []string) string {
	for _, n := range names {
		if suggest.Distance(given, n, suggest.Threshold) < suggest.Threshold {
			return n
		}
	}
	return ""
}
