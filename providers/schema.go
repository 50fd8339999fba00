package providers

import (
	"fmt"
	"sort"
	"sync"

	"github.com/benito-net/benito/contract"
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
	runTime    []string // sorted
	generated  []string // sorted
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
			a := s.Attributes[name]
			if a.ForceNew {
				s.forceNew = append(s.forceNew, name)
			}
			if a.RunTime && a.Computed && !a.Optional && !a.Required {
				s.runTime = append(s.runTime, name)
			}
			if a.Generated && a.Type == cty.String {
				s.generated = append(s.generated, name)
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

	// RunTime says that the value describes the running object rather
	// than what was asked of it (a pid, a process's start time, a
	// namespace's inode, a command's status): it changes without anyone
	// changing the resource. Plans do not show it (unless it forces a
	// replacement) and do not compare it: a difference in run-time
	// attributes alone is neither a change to apply nor drift (the
	// refreshed value is still recorded). It marks Computed-only
	// attributes; on any other it is ignored. The provider's own checks
	// (a read that finds the process gone) are unaffected.
	RunTime bool

	// Generated says that the value is a generated file's content, which
	// plans summarise (its line count, and a short diff on a change)
	// rather than print whole; `benito show -json` and `plan -json` keep
	// it all. It marks string attributes; on any other it is ignored.
	Generated bool
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

// RunTimeNames returns the names of the run-time attributes (Attribute.RunTime
// on a Computed-only attribute) in sorted order. The slice is shared: do
// not modify it.
func (s *ResourceSchema) RunTimeNames() []string {
	s.derive()
	return s.runTime
}

// GeneratedNames returns the names of the generated string attributes
// (Attribute.Generated) in sorted order. The slice is shared: do not
// modify it.
func (s *ResourceSchema) GeneratedNames() []string {
	s.derive()
	return s.generated
}

// FromContract returns the schema of the built-in resource type typ as a
// provider serving it declares it: every attribute lowering sets
// (contract.Attributes), required where lowering always sets it and
// optional otherwise; the attributes named in forceNew cannot change in
// place; computed adds the attributes the provider sets itself, each
// Computed only. A provider serving a built-in type builds its schema with
// it, so that it accepts exactly the contract.
//
// It panics on a type that is not built in, a forceNew name the contract
// lacks, or a computed attribute that is not only computed or that clashes
// with the contract: a provider's schema is fixed when it is built.
func FromContract(typ string, forceNew []string, computed map[string]*Attribute) *ResourceSchema {
	attrs := contract.Attributes(typ)
	if attrs == nil {
		panic(fmt.Sprintf("providers.FromContract: %q is not a built-in resource type", typ))
	}
	rs := &ResourceSchema{Description: contract.Describe(typ), Attributes: make(map[string]*Attribute, len(attrs)+len(computed))}
	for _, a := range attrs {
		rs.Attributes[a.Name] = &Attribute{Type: a.Type, Description: a.Description, Required: a.Required, Optional: !a.Required, Generated: a.Generated}
	}
	for _, name := range forceNew {
		a := rs.Attributes[name]
		if a == nil {
			panic(fmt.Sprintf("providers.FromContract: %s has no attribute %q to force replacement", typ, name))
		}
		a.ForceNew = true
	}
	for name, a := range computed {
		if rs.Attributes[name] != nil || !a.Computed || a.Optional || a.Required {
			panic(fmt.Sprintf("providers.FromContract: %s.%s must be a computed-only attribute of the provider's own", typ, name))
		}
		rs.Attributes[name] = a
	}
	return rs
}
