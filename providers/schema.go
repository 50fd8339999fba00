package providers

import (
	"sort"
	"sync"

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

// ResourceSchema describes the attributes of one resource type. Its
// derived forms (ImpliedType, ConfigType, AttributeNames) are computed once,
// on first use, and safe to use from many goroutines; do not change
// Attributes after that.
type ResourceSchema struct {
	Version     int64
	Description string
	Attributes  map[string]*Attribute

	// Exec says that the provider runs commands inside resources of this
	// type (Provider.Exec): a node type whose platform can reach inside
	// its nodes declares it, and benito exec refuses the others.
	Exec bool

	once       sync.Once
	implied    cty.Type
	configType cty.Type
	names      []string // sorted
	forceNew   []string // sorted
}

func (s *ResourceSchema) derive() {
	s.once.Do(func() {
		all := make(map[string]cty.Type, len(s.Attributes))
		cfg := make(map[string]cty.Type, len(s.Attributes))
		for name, a := range s.Attributes {
			all[name] = a.Type
			if a.Required || a.Optional {
				cfg[name] = a.Type
			}
			s.names = append(s.names, name)
		}
		sort.Strings(s.names)
		for _, name := range s.names {
			if s.Attributes[name].ForceNew {
				s.forceNew = append(s.forceNew, name)
			}
		}
		s.implied = cty.Object(all)
		s.configType = cty.Object(cfg)
	})
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
	s.derive()
	return s.implied
}

// ConfigType is the object type of a resource's configuration: the
// attributes that are Required or Optional, without those only the
// provider computes. Proposed values in PlanChange have this type.
func (s *ResourceSchema) ConfigType() cty.Type {
	s.derive()
	return s.configType
}

// AttributeNames returns the attribute names in sorted order. The slice is
// shared: do not modify it.
func (s *ResourceSchema) AttributeNames() []string {
	s.derive()
	return s.names
}

// ForceNewNames returns the names of the ForceNew attributes in sorted
// order. The slice is shared: do not modify it.
func (s *ResourceSchema) ForceNewNames() []string {
	s.derive()
	return s.forceNew
}
