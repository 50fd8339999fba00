package providers

import (
	"sort"

	"github.com/zclconf/go-cty/cty"
)

// Schema is everything a provider serves.
type Schema struct {
	// ResourceTypes maps a resource type name (vnode, switch, ...) to its schema.
	ResourceTypes map[string]*ResourceSchema
}

// TypeNames returns the resource type names in sorted order.
func (s *Schema) TypeNames() []string {
	names := make([]string, 0, len(s.ResourceTypes))
	for n := range s.ResourceTypes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ResourceSchema describes the attributes of one resource type.
type ResourceSchema struct {
	Version     int64
	Description string
	Attributes  map[string]*Attribute

	implied    cty.Type
	configType cty.Type
}

// Attribute describes one attribute of a resource type.
type Attribute struct {
	Type        cty.Type
	Description string

	// Required attributes must be set in configuration; Optional ones may be;
	// Computed ones are set by the provider (Optional+Computed: the provider
	// fills in a value when the configuration leaves it null).
	Required bool
	Optional bool
	Computed bool

	// ForceNew says that a change to this attribute cannot be made in place.
	// It is advice for the SDK's default planning; the provider's Plan answer
	// (RequiresReplace) is what the engine acts on.
	ForceNew bool
}

// ImpliedType is the cty object type of a resource of this schema.
func (s *ResourceSchema) ImpliedType() cty.Type {
	if s.implied != cty.NilType {
		return s.implied
	}
	atys := make(map[string]cty.Type, len(s.Attributes))
	for name, a := range s.Attributes {
		atys[name] = a.Type
	}
	s.implied = cty.Object(atys)
	return s.implied
}

// ConfigType is the object type of a resource's configuration: the
// attributes that are Required or Optional, without those only the
// provider computes. Proposed values in PlanChange have this type.
func (s *ResourceSchema) ConfigType() cty.Type {
	if s.configType != cty.NilType {
		return s.configType
	}
	atys := make(map[string]cty.Type, len(s.Attributes))
	for name, a := range s.Attributes {
		if a.Required || a.Optional {
			atys[name] = a.Type
		}
	}
	s.configType = cty.Object(atys)
	return s.configType
}

// AttributeNames returns the attribute names in sorted order.
func (s *ResourceSchema) AttributeNames() []string {
	names := make([]string, 0, len(s.Attributes))
	for n := range s.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
