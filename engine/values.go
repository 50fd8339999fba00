package engine

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/benito-net/benito/internal/ctydecode"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// conform shapes a lowered configuration into the provider schema's object
// type: attributes the configuration does not set are null, values are
// converted to the attribute's type, and attributes the schema does not
// know or required attributes left null are errors.
func conform(rs *providers.ResourceSchema, cfg cty.Value) (cty.Value, []string) {
	var problems []string
	cfgType := cfg.Type()
	if cfgType.Equals(rs.ConfigType()) {
		// The common case, when lowering and the provider agree on the
		// type: only required attributes need a look.
		for name, a := range rs.Attributes {
			if a.Required && cfg.GetAttr(name).IsNull() {
				problems = append(problems, fmt.Sprintf("the required attribute %q is not set", name))
			}
		}
		sort.Strings(problems)
		return cfg, problems
	}
	attrs := make(map[string]cty.Value, len(rs.Attributes))
	for name, a := range rs.Attributes {
		if !a.Required && !a.Optional {
			if cfgType.HasAttribute(name) && !cfg.GetAttr(name).IsNull() {
				problems = append(problems, fmt.Sprintf("attribute %q is computed by the provider and cannot be set", name))
			}
			continue
		}
		if !cfgType.HasAttribute(name) {
			if a.Required {
				problems = append(problems, fmt.Sprintf("the required attribute %q is not set", name))
			}
			attrs[name] = cty.NullVal(a.Type)
			continue
		}
		v := cfg.GetAttr(name)
		if !v.Type().Equals(a.Type) {
			cv, err := convert.Convert(v, a.Type)
			if err != nil {
				problems = append(problems, fmt.Sprintf("attribute %q: %v", name, err))
				cv = cty.NullVal(a.Type)
			}
			v = cv
		}
		if a.Required && v.IsNull() {
			problems = append(problems, fmt.Sprintf("the required attribute %q is not set", name))
		}
		attrs[name] = v
	}
	for name := range cfgType.AttributeTypes() {
		if rs.Attributes[name] == nil {
			problems = append(problems, fmt.Sprintf("the provider does not support attribute %q", name))
		}
	}
	sort.Strings(problems)
	return cty.ObjectVal(attrs), problems
}

// encodeAttrs is the stored form of a resource's value. Unknown values,
// which only a pending create can hold, are stored as null.
func encodeAttrs(v cty.Value, ty cty.Type) (json.RawMessage, error) {
	if !v.IsWhollyKnown() {
		v = unknownsAsNull(v)
	}
	return ctyjson.Marshal(v, ty)
}

// decodeAttrs is the live form of a stored resource value.
func decodeAttrs(raw json.RawMessage, ty cty.Type) (cty.Value, error) {
	return ctydecode.FromJSON(raw, ty)
}

func unknownsAsNull(v cty.Value) cty.Value {
	out, _ := cty.Transform(v, func(_ cty.Path, v cty.Value) (cty.Value, error) {
		if !v.IsKnown() {
			return cty.NullVal(v.Type()), nil
		}
		return v, nil
	})
	return out
}

// pathString renders a cty.Path as users write attribute paths:
// interfaces[0].latency.
func pathString(p cty.Path) string {
	var b strings.Builder
	for i, step := range p {
		switch s := step.(type) {
		case cty.GetAttrStep:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.Name)
		case cty.IndexStep:
			switch s.Key.Type() {
			case cty.String:
				fmt.Fprintf(&b, "[%q]", s.Key.AsString())
			case cty.Number:
				fmt.Fprintf(&b, "[%s]", s.Key.AsBigFloat().Text('f', -1))
			}
		}
	}
	return b.String()
}

// valuesEqual is the engine's notion of "nothing changed".
var valuesEqual = providers.ValuesEqual
