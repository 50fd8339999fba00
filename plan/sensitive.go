package plan

import (
	"reflect"
	"slices"

	"github.com/zclconf/go-cty/cty"
)

// hiddenType is what a sensitive value is replaced by before it is
// rendered: a capsule, so that the human renderer, which writes a capsule
// as "(" + its name + ")", prints "(sensitive value)" as Terraform does, and
// so that no string or number a renderer could print holds the secret.
var hiddenType = cty.Capsule("sensitive value", reflect.TypeOf(hiddenID(0)))

type hiddenID int

// Two capsules are equal when they wrap the same pointer: an unchanged
// sensitive attribute gets the same one on both sides (and shows as
// unchanged), a changed one a different one on each side.
var (
	hiddenSame   = hiddenID(0)
	hiddenBefore = hiddenID(1)
	hiddenAfter  = hiddenID(2)
)

// isHidden reports whether v stands for a sensitive value.
func isHidden(v cty.Value) bool { return v != cty.NilVal && v.Type().Equals(hiddenType) }

// hide replaces, in the objects before and after, the attributes named in
// bs or as (the sensitive attributes of either side: both sides of such an
// attribute are hidden) by a stand-in, unless they are null (nothing to
// hide) or unknown (nothing known yet): for the human renderer a capsule
// that prints as (sensitive value); for JSON (null) a null, the
// *_sensitive objects saying why. It returns the values unchanged when
// nothing is sensitive.
func hide(before, after cty.Value, bs, as []string, null bool) (cty.Value, cty.Value) {
	if len(bs) == 0 && len(as) == 0 {
		return before, after
	}
	names := slices.Concat(bs, as)
	slices.Sort(names)
	names = slices.Compact(names)
	bm, am := attrMap(before), attrMap(after)
	for _, n := range names {
		b, bok := bm[n]
		a, aok := am[n]
		bHide := bok && !b.IsNull() && b.IsKnown()
		aHide := aok && !a.IsNull() && a.IsKnown()
		same := bHide && aHide && b.RawEquals(a)
		switch {
		case bHide && null:
			bm[n] = cty.NullVal(b.Type())
		case bHide:
			bm[n] = cty.CapsuleVal(hiddenType, pick(same, &hiddenSame, &hiddenBefore))
		}
		switch {
		case aHide && null:
			am[n] = cty.NullVal(a.Type())
		case aHide:
			am[n] = cty.CapsuleVal(hiddenType, pick(same, &hiddenSame, &hiddenAfter))
		}
	}
	return objectOf(before, bm), objectOf(after, am)
}

func pick(same bool, a, b *hiddenID) *hiddenID {
	if same {
		return a
	}
	return b
}

// attrMap returns the attributes of a known, non-null object, or nil.
func attrMap(v cty.Value) map[string]cty.Value {
	if v == cty.NilVal || v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() {
		return nil
	}
	return v.AsValueMap()
}

func objectOf(orig cty.Value, m map[string]cty.Value) cty.Value {
	if m == nil {
		return orig
	}
	return cty.ObjectVal(m)
}

// hideOutput replaces a sensitive output's values by the stand-in.
func hideOutput(o *Output) (before, after cty.Value) {
	before, after = o.Before, o.After
	if !o.Sensitive {
		return before, after
	}
	same := valuesEqual(before, after)
	if before != cty.NilVal && !before.IsNull() && before.IsKnown() {
		before = cty.CapsuleVal(hiddenType, pick(same, &hiddenSame, &hiddenBefore))
	}
	if after != cty.NilVal && !after.IsNull() && after.IsKnown() {
		after = cty.CapsuleVal(hiddenType, pick(same, &hiddenSame, &hiddenAfter))
	}
	return before, after
}
