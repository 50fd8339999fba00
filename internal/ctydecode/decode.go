// Package ctydecode decodes the JSON form of cty values (what
// cty/json.Marshal writes) several times faster than cty/json.Unmarshal,
// whose token-by-token reading dominates refreshing a large state. It
// accepts exactly what cty/json.Unmarshal accepts for the types benito
// stores, and falls back to it for dynamic types.
package ctydecode

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// FromJSON decodes data, the cty/json encoding of a value of type ty.
func FromJSON(data []byte, ty cty.Type) (cty.Value, error) {
	if hasDynamic(ty) {
		return ctyjson.Unmarshal(data, ty)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return cty.NilVal, err
	}
	if dec.More() {
		return cty.NilVal, fmt.Errorf("extraneous data after the value")
	}
	return fromAny(x, ty, nil)
}

func hasDynamic(ty cty.Type) bool {
	switch {
	case ty == cty.DynamicPseudoType:
		return true
	case ty.IsObjectType():
		for _, at := range ty.AttributeTypes() {
			if hasDynamic(at) {
				return true
			}
		}
	case ty.IsTupleType():
		for _, et := range ty.TupleElementTypes() {
			if hasDynamic(et) {
				return true
			}
		}
	case ty.IsCollectionType():
		return hasDynamic(ty.ElementType())
	}
	return false
}

func fromAny(x any, ty cty.Type, path cty.Path) (cty.Value, error) {
	if x == nil {
		return cty.NullVal(ty), nil
	}
	fail := func(want string) (cty.Value, error) {
		return cty.NilVal, path.NewErrorf("%s required, but have %T", want, x)
	}
	switch {
	case ty == cty.String:
		s, ok := x.(string)
		if !ok {
			return fail("string")
		}
		return cty.StringVal(s), nil
	case ty == cty.Number:
		n, ok := x.(json.Number)
		if !ok {
			return fail("number")
		}
		v, err := cty.ParseNumberVal(string(n))
		if err != nil {
			return cty.NilVal, path.NewError(err)
		}
		return v, nil
	case ty == cty.Bool:
		b, ok := x.(bool)
		if !ok {
			return fail("bool")
		}
		return cty.BoolVal(b), nil
	case ty.IsObjectType():
		m, ok := x.(map[string]any)
		if !ok {
			return fail("object")
		}
		atys := ty.AttributeTypes()
		for k := range m {
			if _, ok := atys[k]; !ok {
				return cty.NilVal, path.NewErrorf("unsupported attribute %q", k)
			}
		}
		attrs := make(map[string]cty.Value, len(atys))
		for name, at := range atys {
			v, err := fromAny(m[name], at, append(path, cty.GetAttrStep{Name: name}))
			if err != nil {
				return cty.NilVal, err
			}
			attrs[name] = v
		}
		return cty.ObjectVal(attrs), nil
	case ty.IsMapType():
		m, ok := x.(map[string]any)
		if !ok {
			return fail("object")
		}
		if len(m) == 0 {
			return cty.MapValEmpty(ty.ElementType()), nil
		}
		vals := make(map[string]cty.Value, len(m))
		for k, e := range m {
			v, err := fromAny(e, ty.ElementType(), append(path, cty.IndexStep{Key: cty.StringVal(k)}))
			if err != nil {
				return cty.NilVal, err
			}
			vals[k] = v
		}
		return cty.MapVal(vals), nil
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		arr, ok := x.([]any)
		if !ok {
			return fail("array")
		}
		if ty.IsTupleType() && len(arr) != len(ty.TupleElementTypes()) {
			return cty.NilVal, path.NewErrorf("tuple of %d elements required, but have %d", len(ty.TupleElementTypes()), len(arr))
		}
		vals := make([]cty.Value, len(arr))
		for i, e := range arr {
			et := cty.NilType
			if ty.IsTupleType() {
				et = ty.TupleElementTypes()[i]
			} else {
				et = ty.ElementType()
			}
			v, err := fromAny(e, et, append(path, cty.IndexStep{Key: cty.NumberIntVal(int64(i))}))
			if err != nil {
				return cty.NilVal, err
			}
			vals[i] = v
		}
		switch {
		case ty.IsTupleType():
			return cty.TupleVal(vals), nil
		case len(vals) == 0 && ty.IsListType():
			return cty.ListValEmpty(ty.ElementType()), nil
		case len(vals) == 0:
			return cty.SetValEmpty(ty.ElementType()), nil
		case ty.IsListType():
			return cty.ListVal(vals), nil
		default:
			return cty.SetVal(vals), nil
		}
	}
	return cty.NilVal, path.NewErrorf("cannot decode a %s", ty.FriendlyName())
}
