package providers

import (
	"github.com/zclconf/go-cty/cty"
)

// DefaultPlan plans a change the way most resources want it planned:
// configured values are taken as given; a computed attribute the
// configuration leaves null keeps its prior value, or becomes unknown
// ("known after apply") on create; a change to an attribute marked ForceNew
// requires replacement, and then computed attributes become unknown again.
//
// proposed must be a non-null object holding (at least) the schema's
// configurable attributes (ConfigType); prior is null for a create.
// Attributes listed in set override both and are taken as they are, for
// computed values the provider already knows at plan time (a null there is
// a known null, not "known after apply").
func DefaultPlan(schema *ResourceSchema, prior, proposed cty.Value, set map[string]cty.Value) (planned cty.Value, requiresReplace []cty.Path) {
	get := func(name string) cty.Value {
		if v, ok := set[name]; ok {
			return v
		}
		if proposed.Type().HasAttribute(name) {
			return proposed.GetAttr(name)
		}
		return cty.NullVal(schema.Attributes[name].Type)
	}
	creating := prior.IsNull()
	if !creating {
		for _, name := range schema.ForceNewNames() {
			a := schema.Attributes[name]
			pv, nv := prior.GetAttr(name), get(name)
			if a.Computed && nv.IsNull() {
				continue
			}
			if !ValuesEqual(pv, nv) {
				requiresReplace = append(requiresReplace, cty.GetAttrPath(name))
			}
		}
	}
	replacing := len(requiresReplace) > 0
	attrs := make(map[string]cty.Value, len(schema.Attributes))
	for name, a := range schema.Attributes {
		if v, ok := set[name]; ok {
			attrs[name] = v
			continue
		}
		v := get(name)
		if a.Computed && v.IsNull() {
			switch {
			case creating || replacing:
				v = cty.UnknownVal(a.Type)
			default:
				v = prior.GetAttr(name)
			}
		}
		attrs[name] = v
	}
	return cty.ObjectVal(attrs), requiresReplace
}

// PlanEach plans every change of req with DefaultPlan, for the providers
// whose resources need nothing else: a delete plans null, a type the schema
// lacks is an error naming provider, and known returns, for a change to
// plan, the computed attributes the provider already knows (DefaultPlan's
// set; nil for none). Private data is carried over from the prior value.
func PlanEach(provider string, schema *Schema, req PlanResourcesRequest, known func(c PlanChange) map[string]cty.Value) PlanResourcesResponse {
	resp := PlanResourcesResponse{Changes: make([]PlannedChange, len(req.Changes))}
	for i, c := range req.Changes {
		rs := schema.ResourceTypes[c.Type]
		if rs == nil {
			resp.Diagnostics = append(resp.Diagnostics, Errorf(c.Address, "The %s provider does not serve resources of type %q", provider, c.Type)...)
			resp.Changes[i] = PlannedChange{Planned: c.Proposed}
			continue
		}
		if c.Proposed.IsNull() {
			resp.Changes[i] = PlannedChange{Planned: c.Proposed, PlannedPrivate: c.PriorPrivate}
			continue
		}
		var set map[string]cty.Value
		if known != nil {
			set = known(c)
		}
		planned, replace := DefaultPlan(rs, c.Prior, c.Proposed, set)
		resp.Changes[i] = PlannedChange{Planned: planned, PlannedPrivate: c.PriorPrivate, RequiresReplace: replace}
	}
	return resp
}

// ValuesEqual reports whether two values are equal and wholly known: two
// nulls are equal, a value holding unknowns equals nothing (what is
// unknown may change).
func ValuesEqual(a, b cty.Value) bool {
	if a.IsNull() || b.IsNull() {
		return a.IsNull() && b.IsNull()
	}
	// benito marks no values, so structural equality is equality, and
	// RawEquals finds it (stopping at the first difference) without
	// building result values as Equals does. Equal values that hold
	// unknowns still differ: what is unknown may change.
	if !a.IsMarked() && !b.IsMarked() {
		if !a.Type().Equals(b.Type()) {
			return false
		}
		return knownEqual(a, b)
	}
	if !a.IsWhollyKnown() || !b.IsWhollyKnown() {
		return false
	}
	return a.Equals(b).True()
}

// knownEqual reports whether unmarked a and b, of the same type, are equal
// and wholly known. It is RawEquals for benito's values, without its cost:
// cty compares strings through Equals, which normalizes both again, and
// checks the types at every level; a refresh compares every attribute of
// every resource. Sets and dynamic values are left to RawEquals.
func knownEqual(a, b cty.Value) bool {
	if !a.IsKnown() || !b.IsKnown() {
		return false
	}
	if a.IsNull() || b.IsNull() {
		return a.IsNull() && b.IsNull()
	}
	ty := a.Type()
	switch {
	case ty == cty.String:
		return a.AsString() == b.AsString()
	case ty == cty.Bool:
		return a.True() == b.True()
	case ty == cty.Number:
		// Equal as numbers is equal. Otherwise cty's equality decides
		// between fractions: 0.1 parsed from the state (512 bits) equals
		// 0.1 from a float64, as they print alike.
		x, y := a.AsBigFloat(), b.AsBigFloat()
		if x.Cmp(y) == 0 {
			return true
		}
		if x.IsInt() && y.IsInt() {
			return false
		}
		return a.RawEquals(b)
	case ty.IsObjectType():
		for name := range ty.AttributeTypes() {
			if !knownEqual(a.GetAttr(name), b.GetAttr(name)) {
				return false
			}
		}
		return true
	case ty.IsListType() || ty.IsTupleType():
		n := a.LengthInt()
		if n != b.LengthInt() {
			return false
		}
		for ai, bi := a.ElementIterator(), b.ElementIterator(); ai.Next() && bi.Next(); {
			_, av := ai.Element()
			_, bv := bi.Element()
			if !knownEqual(av, bv) {
				return false
			}
		}
		return true
	case ty.IsMapType():
		if a.LengthInt() != b.LengthInt() {
			return false
		}
		for it := a.ElementIterator(); it.Next(); {
			k, av := it.Element()
			if !b.HasIndex(k).True() || !knownEqual(av, b.Index(k)) {
				return false
			}
		}
		return true
	}
	return a.RawEquals(b) && a.IsWhollyKnown()
}
