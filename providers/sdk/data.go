package sdk

import (
	"errors"
	"fmt"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/sdk/internal/govalue"
	"github.com/zclconf/go-cty/cty"
)

// ResourceData is one resource as a callback sees it: its address, its
// values (planned ones in Create and Update, the last known ones in Read
// and Delete) and, in Update, the values before the change.
type ResourceData struct {
	address string
	typ     string
	schema  *providers.ResourceSchema
	meta    any

	vals  map[string]cty.Value
	prior map[string]cty.Value // nil unless updating

	gone     bool
	partial  bool
	setErr   error
	warnings []string
}

func newData(address, typ string, schema *providers.ResourceSchema, meta any, v cty.Value) *ResourceData {
	return &ResourceData{address: address, typ: typ, schema: schema, meta: meta, vals: attrMap(schema, v)}
}

// attrMap splits an object value into its attributes, filling in nulls for
// attributes it lacks.
func attrMap(schema *providers.ResourceSchema, v cty.Value) map[string]cty.Value {
	m := make(map[string]cty.Value, len(schema.Attributes))
	for name, a := range schema.Attributes {
		if !v.IsNull() && v.Type().IsObjectType() && v.Type().HasAttribute(name) {
			m[name] = v.GetAttr(name)
		} else {
			m[name] = cty.NullVal(a.Type)
		}
	}
	return m
}

func (d *ResourceData) value() cty.Value {
	m := make(map[string]cty.Value, len(d.vals))
	for k, v := range d.vals {
		m[k] = govalue.KnownOrNull(v)
	}
	return cty.ObjectVal(m)
}

// Address is the resource's address, such as hello_greeting.world.
func (d *ResourceData) Address() string { return d.address }

// Type is the resource's type, such as hello_greeting.
func (d *ResourceData) Type() string { return d.typ }

// Meta is what the provider's Configure returned.
func (d *ResourceData) Meta() any { return d.meta }

// Get returns an attribute's value as a Go value: nil when null or not yet
// known, else string, bool, int64 (whole numbers) or float64, []any, or
// map[string]any. It panics on an attribute the schema does not declare:
// that is a bug in the provider.
func (d *ResourceData) Get(name string) any {
	return govalue.ToGo(d.raw(name))
}

func (d *ResourceData) raw(name string) cty.Value {
	v, ok := d.vals[name]
	if !ok {
		panic(fmt.Sprintf("sdk: %s has no attribute %q", d.typ, name))
	}
	return v
}

// IsNull reports whether an attribute is unset (or not yet known).
func (d *ResourceData) IsNull(name string) bool {
	v := d.raw(name)
	return v.IsNull() || !v.IsKnown()
}

// GetString returns a string attribute, "" when null.
func (d *ResourceData) GetString(name string) string {
	s, _ := d.Get(name).(string)
	return s
}

// GetBool returns a bool attribute, false when null.
func (d *ResourceData) GetBool(name string) bool {
	b, _ := d.Get(name).(bool)
	return b
}

// GetInt returns a number attribute as an int64 (truncated), 0 when null.
func (d *ResourceData) GetInt(name string) int64 {
	switch n := d.Get(name).(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return 0
}

// GetFloat returns a number attribute as a float64, 0 when null.
func (d *ResourceData) GetFloat(name string) float64 {
	switch n := d.Get(name).(type) {
	case int64:
		return float64(n)
	case float64:
		return n
	}
	return 0
}

// GetList returns a list attribute, nil when null.
func (d *ResourceData) GetList(name string) []any {
	l, _ := d.Get(name).([]any)
	return l
}

// GetMap returns a map or object attribute, nil when null.
func (d *ResourceData) GetMap(name string) map[string]any {
	m, _ := d.Get(name).(map[string]any)
	return m
}

// Set sets an attribute from a Go value (nil sets it null). A value that
// does not fit the attribute's type is an error, which is also reported
// as the resource's diagnostic if the callback ignores it.
func (d *ResourceData) Set(name string, value any) error {
	a := d.schema.Attributes[name]
	if a == nil {
		err := fmt.Errorf("set %q: %s has no such attribute", name, d.typ)
		d.setErr = errors.Join(d.setErr, err)
		return err
	}
	v, err := govalue.ToCty(value, a.Type)
	if err != nil {
		err = fmt.Errorf("set %q: %w", name, err)
		d.setErr = errors.Join(d.setErr, err)
		return err
	}
	d.vals[name] = v
	return nil
}

// HasChange reports whether an attribute differs from its value before
// the change (always false outside Update).
func (d *ResourceData) HasChange(name string) bool {
	if d.prior == nil {
		return false
	}
	return !providers.ValuesEqual(d.prior[name], d.raw(name))
}

// GetChange returns an attribute's value before and after the change
// (outside Update, both are the current value).
func (d *ResourceData) GetChange(name string) (old, new any) {
	cur := d.Get(name)
	if d.prior == nil {
		return cur, cur
	}
	return govalue.ToGo(d.prior[name]), cur
}

// SetGone says, in Read or Import, that the resource does not exist.
func (d *ResourceData) SetGone() { d.gone = true }

// SetPartial says, in Create or Update before returning an error, that
// the resource exists in the state d now describes: benito records it
// (tainted, after a failed create) instead of forgetting it.
func (d *ResourceData) SetPartial() { d.partial = true }

// Warn adds a warning that benito shows with the resource's address.
func (d *ResourceData) Warn(format string, args ...any) {
	d.warnings = append(d.warnings, fmt.Sprintf(format, args...))
}

// PlanData is a planned change as CustomizePlan sees it: Get returns
// planned values (nil for what is known only after apply), GetPrior the
// values before the change (nil on create).
type PlanData struct {
	ResourceData
	replace map[string]bool
}

// Creating reports whether the resource does not exist yet.
func (p *PlanData) Creating() bool { return p.prior == nil }

// GetPrior returns an attribute's value before the change, nil on create.
func (p *PlanData) GetPrior(name string) any {
	if p.prior == nil {
		return nil
	}
	return govalue.ToGo(p.prior[name])
}

// IsKnown reports whether an attribute's planned value is known now.
func (p *PlanData) IsKnown(name string) bool { return p.raw(name).IsWhollyKnown() }

// SetUnknown marks a computed attribute as known only after apply.
func (p *PlanData) SetUnknown(name string) {
	a := p.schema.Attributes[name]
	if a == nil {
		p.setErr = errors.Join(p.setErr, fmt.Errorf("set %q unknown: %s has no such attribute", name, p.typ))
		return
	}
	p.vals[name] = cty.UnknownVal(a.Type)
}

// ForceNew makes the change a replacement because of attribute name.
func (p *PlanData) ForceNew(name string) {
	if p.schema.Attributes[name] == nil {
		p.setErr = errors.Join(p.setErr, fmt.Errorf("force new %q: %s has no such attribute", name, p.typ))
		return
	}
	p.replace[name] = true
}

// AttributeError is an error about one attribute; benito points at it.
type AttributeError struct {
	Attribute string
	Err       error
}

func (e *AttributeError) Error() string { return fmt.Sprintf("%s: %v", e.Attribute, e.Err) }
func (e *AttributeError) Unwrap() error { return e.Err }
