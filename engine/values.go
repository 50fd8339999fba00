package engine

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/internal/ctydecode"
	"github.com/benito-net/benito/internal/suggest"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/providers"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// conform shapes a lowered configuration into the provider schema's object
// type: attributes the configuration does not set are null, values are
// converted to the attribute's type, and attributes the schema does not
// know or required attributes left null are errors.
func conform(rs *providers.ResourceSchema, cfg cty.Value) (cty.Value, []problem) {
	var problems []problem
	cfgType := cfg.Type()
	if cfgType.Equals(rs.ConfigType()) {
		// The common case, when lowering and the provider agree on the
		// type: only required attributes need a look.
		for name, a := range rs.Attributes {
			if a.Required && cfg.GetAttr(name).IsNull() {
				problems = append(problems, problem{kind: missingAttr, attr: name})
			}
		}
		sortProblems(problems)
		return cfg, problems
	}
	attrs := make(map[string]cty.Value, len(rs.Attributes))
	for name, a := range rs.Attributes {
		if !a.Required && !a.Optional {
			if cfgType.HasAttribute(name) && !cfg.GetAttr(name).IsNull() {
				problems = append(problems, problem{kind: computedAttr, attr: name})
			}
			continue
		}
		if !cfgType.HasAttribute(name) {
			if a.Required {
				problems = append(problems, problem{kind: missingAttr, attr: name})
			}
			attrs[name] = cty.NullVal(a.Type)
			continue
		}
		v := cfg.GetAttr(name)
		if !v.Type().Equals(a.Type) {
			cv, err := convert.Convert(v, a.Type)
			if err != nil {
				problems = append(problems, problem{kind: wrongType, attr: name, err: err})
				cv = cty.NullVal(a.Type)
			}
			v = cv
		}
		if a.Required && v.IsNull() {
			problems = append(problems, problem{kind: missingAttr, attr: name})
		}
		attrs[name] = v
	}
	for name := range cfgType.AttributeTypes() {
		if rs.Attributes[name] == nil {
			problems = append(problems, problem{kind: unknownAttr, attr: name})
		}
	}
	sortProblems(problems)
	return cty.ObjectVal(attrs), problems
}

// problem is something wrong with a configuration attribute, as conform
// finds it.
type problem struct {
	kind problemKind
	attr string
	err  error // wrongType: the conversion's
}

type problemKind uint8

const (
	missingAttr  problemKind = iota // required, and not set
	unknownAttr                     // not in the provider's schema
	computedAttr                    // set by the provider only
	wrongType                       // not convertible to the attribute's type
)

func sortProblems(ps []problem) {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].attr != ps[j].attr {
			return ps[i].attr < ps[j].attr
		}
		return ps[i].kind < ps[j].kind
	})
}

// diagnostic describes p for resource r of schema rs, pointing at the
// attribute when lowering knows where it is set (a generic resource's),
// else at the block.
func (p problem) diagnostic(r *lower.Resource, rs *providers.ResourceSchema) *hcl.Diagnostic {
	subject := r.DeclRange
	if rng, ok := r.AttrRanges[p.attr]; ok {
		subject = rng
	}
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Subject: &subject}
	in := fmt.Sprintf("%s (resource type %q, provider %q)", r.Addr, r.Addr.Type, r.Provider)
	switch p.kind {
	case missingAttr:
		d.Summary = "Missing required argument"
		d.Detail = fmt.Sprintf("The argument %q is required by %s, but was not set.", p.attr, in)
	case unknownAttr:
		d.Summary = "Unsupported argument"
		names := make([]string, 0, len(rs.Attributes))
		for name, a := range rs.Attributes {
			if a.Required || a.Optional {
				names = append(names, name)
			}
		}
		hint := ""
		if s := suggest.Nearest(p.attr, names); s != "" {
			hint = fmt.Sprintf(" Did you mean %q?", s)
		}
		d.Detail = fmt.Sprintf("An argument named %q is not expected in %s.%s", p.attr, in, hint)
	case computedAttr:
		d.Summary = "Value for unconfigurable attribute"
		d.Detail = fmt.Sprintf("The attribute %q of %s is computed by the provider and cannot be set.", p.attr, in)
	case wrongType:
		d.Summary = "Incorrect attribute value type"
		d.Detail = fmt.Sprintf("Inappropriate value for attribute %q of %s: %v.", p.attr, in, p.err)
	}
	return d
}

// encodeAttrs is the stored form of a resource's value. Unknown values,
// which only a pending create can hold, are stored as null.
func encodeAttrs(v cty.Value, ty cty.Type) (json.RawMessage, error) {
	if !v.IsWhollyKnown() {
		v = unknownsAsNull(v)
	}
	return ctyjson.Marshal(v, ty)
}

// decodeAttrs is the live form of a stored resource value, of the
// provider schema's type ty. A value recorded under an earlier schema of
// the provider (an attribute it no longer has, one it has since gained,
// one whose type changed) is conformed to ty, attribute by attribute: what
// ty lacks is dropped, what does not decode is null. The names of what
// was dropped or nulled come back in changed; the provider's Read then
// says what exists (a value it cannot recognise reads as gone).
func decodeAttrs(raw json.RawMessage, ty cty.Type) (v cty.Value, changed []string, err error) {
	v, err = ctydecode.FromJSON(raw, ty)
	if err == nil || !ty.IsObjectType() {
		return v, nil, err
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil || fields == nil {
		return cty.NilVal, nil, err // not an object at all: unreadable
	}
	attrs := make(map[string]cty.Value, len(ty.AttributeTypes()))
	for name, at := range ty.AttributeTypes() {
		f, ok := fields[name]
		if !ok {
			attrs[name] = cty.NullVal(at)
			continue
		}
		av, aerr := ctydecode.FromJSON(f, at)
		if aerr != nil {
			av = cty.NullVal(at)
			changed = append(changed, name)
		}
		attrs[name] = av
	}
	for name := range fields {
		if !ty.HasAttribute(name) {
			changed = append(changed, name)
		}
	}
	sort.Strings(changed)
	return cty.ObjectVal(attrs), changed, nil
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

// pathString writes an attribute path as HCL does.
var pathString = providers.PathString

// valuesEqual is the engine's notion of "nothing changed".
var valuesEqual = providers.ValuesEqual

// equalBut is valuesEqual for two values of a resource schema's implied
// type that looks past the attributes named in skip (sorted): its
// run-time attributes, a difference in which alone is neither drift nor
// a change to apply.
func equalBut(a, b cty.Value, skip []string) bool {
	if valuesEqual(a, b) {
		return true
	}
	if len(skip) == 0 || a.IsNull() || b.IsNull() || !a.IsKnown() || !b.IsKnown() ||
		!a.Type().IsObjectType() || !a.Type().Equals(b.Type()) {
		return false
	}
	for name := range a.Type().AttributeTypes() {
		if _, found := slices.BinarySearch(skip, name); found {
			continue
		}
		if !valuesEqual(a.GetAttr(name), b.GetAttr(name)) {
			return false
		}
	}
	return true
}

// schemaChange gathers the resources of one provider and type whose
// recorded values were conformed to the provider's current schema.
type schemaChange struct {
	provider, typ string
	addrs         []addrs.Resource
	attrs         map[string]bool // dropped, or unreadable and now null
}

// schemaChangeWarnings is one warning per provider and type whose
// recorded values an earlier schema wrote, sorted.
func schemaChangeWarnings(m map[string]*schemaChange) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, key := range slices.Sorted(maps.Keys(m)) {
		sc := m[key]
		list := make([]string, 0, 3)
		for i, a := range sc.addrs {
			if i == 3 {
				list = append(list, fmt.Sprintf("and %d more", len(sc.addrs)-3))
				break
			}
			list = append(list, a.String())
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  fmt.Sprintf("State written under an earlier schema of provider %q", sc.provider),
			Detail: fmt.Sprintf("%d %s resource(s) (%s) were recorded with attributes provider %q no longer has or reads differently (%s): "+
				"an earlier benito or provider made them. They were read back from the host as they are; what the provider no longer recognises reads as gone, and the plan makes it anew.",
				len(sc.addrs), sc.typ, strings.Join(list, ", "), sc.provider, strings.Join(slices.Sorted(maps.Keys(sc.attrs)), ", ")),
		})
	}
	return diags
}
