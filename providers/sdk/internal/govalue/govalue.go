package govalue

import (
	"fmt"
	"math"
	"math/big"
	"sort"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// ToGo turns a known cty value into the Go value an author sees: nil for
// null, string, bool, int64 for a whole number that fits (float64
// otherwise), []any for lists, sets and tuples, map[string]any for maps and
// objects.
func ToGo(v cty.Value) any {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return v.AsString()
	case ty == cty.Bool:
		return v.True()
	case ty == cty.Number:
		bf := v.AsBigFloat()
		if bf.IsInt() {
			if n, acc := bf.Int64(); acc == big.Exact {
				return n
			}
		}
		f, _ := bf.Float64()
		return f
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		out := make([]any, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, ToGo(e))
		}
		return out
	case ty.IsMapType() || ty.IsObjectType():
		out := make(map[string]any, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = ToGo(e)
		}
		return out
	}
	return nil
}

// ToCty turns a Go value into a cty value of type ty.
func ToCty(x any, ty cty.Type) (cty.Value, error) {
	v, err := implied(x)
	if err != nil {
		return cty.NilVal, err
	}
	if v == cty.NilVal {
		return cty.NullVal(ty), nil
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		return cty.NilVal, fmt.Errorf("%s is not a %s: %v", describeGo(x), ty.FriendlyName(), err)
	}
	return cv, nil
}

// implied is a cty value for a Go value, of the type the Go value suggests;
// cty.NilVal for nil.
func implied(x any) (cty.Value, error) {
	switch t := x.(type) {
	case nil:
		return cty.NilVal, nil
	case cty.Value:
		return t, nil
	case string:
		return cty.StringVal(t), nil
	case bool:
		return cty.BoolVal(t), nil
	case int:
		return cty.NumberIntVal(int64(t)), nil
	case int8:
		return cty.NumberIntVal(int64(t)), nil
	case int16:
		return cty.NumberIntVal(int64(t)), nil
	case int32:
		return cty.NumberIntVal(int64(t)), nil
	case int64:
		return cty.NumberIntVal(t), nil
	case uint:
		return cty.NumberUIntVal(uint64(t)), nil
	case uint8:
		return cty.NumberUIntVal(uint64(t)), nil
	case uint16:
		return cty.NumberUIntVal(uint64(t)), nil
	case uint32:
		return cty.NumberUIntVal(uint64(t)), nil
	case uint64:
		return cty.NumberUIntVal(t), nil
	case float32:
		return floatVal(float64(t))
	case float64:
		return floatVal(t)
	case []string:
		elems := make([]any, len(t))
		for i, s := range t {
			elems[i] = s
		}
		return implied(elems)
	case []any:
		if len(t) == 0 {
			return cty.EmptyTupleVal, nil
		}
		vals := make([]cty.Value, len(t))
		for i, e := range t {
			v, err := implied(e)
			if err != nil {
				return cty.NilVal, fmt.Errorf("element %d: %w", i, err)
			}
			if v == cty.NilVal {
				v = cty.NullVal(cty.DynamicPseudoType)
			}
			vals[i] = v
		}
		return cty.TupleVal(vals), nil
	case map[string]string:
		m := make(map[string]any, len(t))
		for k, s := range t {
			m[k] = s
		}
		return implied(m)
	case map[string]any:
		if len(t) == 0 {
			return cty.EmptyObjectVal, nil
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		vals := make(map[string]cty.Value, len(t))
		for _, k := range keys {
			v, err := implied(t[k])
			if err != nil {
				return cty.NilVal, fmt.Errorf("key %q: %w", k, err)
			}
			if v == cty.NilVal {
				v = cty.NullVal(cty.DynamicPseudoType)
			}
			vals[k] = v
		}
		return cty.ObjectVal(vals), nil
	}
	return cty.NilVal, fmt.Errorf("%s is not a value benito can store (use string, int64, float64, bool, []any or map[string]any)", describeGo(x))
}

func floatVal(f float64) (cty.Value, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return cty.NilVal, fmt.Errorf("%v is not a number benito can store", f)
	}
	return cty.NumberFloatVal(f), nil
}

func describeGo(x any) string {
	switch x.(type) {
	case string:
		return fmt.Sprintf("the string %q", x)
	}
	return fmt.Sprintf("%v (%T)", x, x)
}

// KnownOrNull replaces unknown values with nulls, deep: what a provider
// returns must be wholly known.
func KnownOrNull(v cty.Value) cty.Value {
	if v.IsWhollyKnown() {
		return v
	}
	out, _ := cty.Transform(v, func(_ cty.Path, v cty.Value) (cty.Value, error) {
		if !v.IsKnown() {
			return cty.NullVal(v.Type()), nil
		}
		return v, nil
	})
	return out
}
