package sdk

import (
	"context"
	"fmt"
	"maps"
	"os/exec"
	"slices"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/sdk/internal/govalue"
	"github.com/zclconf/go-cty/cty"
)

// Type is the type of an attribute's value. Use String, Number, Bool and
// the ListOf, MapOf and ObjectOf helpers; the zero Type is invalid.
type Type struct{ ty cty.Type }

// The primitive types.
var (
	String = Type{cty.String}
	Number = Type{cty.Number}
	Bool   = Type{cty.Bool}
)

// ListOf is an ordered list of elem.
func ListOf(elem Type) Type { return Type{cty.List(elem.ty)} }

// MapOf is a map from strings to elem.
func MapOf(elem Type) Type { return Type{cty.Map(elem.ty)} }

// ObjectOf is an object with the attributes named.
func ObjectOf(attrs map[string]Type) Type {
	m := make(map[string]cty.Type, len(attrs))
	for k, t := range attrs {
		m[k] = t.ty
	}
	return Type{cty.Object(m)}
}

// String returns the type as benito's schemas print it ("string",
// "list(string)", ...).
func (t Type) String() string {
	if t.ty == cty.NilType {
		return "invalid"
	}
	return t.ty.FriendlyName()
}

// Attribute declares one attribute of a resource type.
type Attribute struct {
	Type        Type
	Description string

	// Required attributes must be set in the configuration; Optional ones
	// may be. Computed attributes are set by the provider (Optional and
	// Computed: the provider fills in a value when the configuration
	// leaves it unset).
	Required bool
	Optional bool
	Computed bool

	// ForceNew says a change to the attribute replaces the resource
	// (destroy, then create) instead of updating it in place.
	ForceNew bool

	// RunTime marks a Computed-only attribute whose value describes the
	// running object, not what was asked of it: a pid, a start time, a
	// status. benito's plans neither show nor compare it, so that a
	// restarted process is not reported as changed outside benito; Read
	// still decides whether the object exists.
	RunTime bool

	// Generated marks a string attribute holding a generated file's
	// content: plans show its line count and a short diff, not the whole
	// text.
	Generated bool

	// Default is the value of an Optional attribute the configuration
	// leaves unset, as a Go value of the attribute's type.
	Default any

	// Validate, when set, checks a configured (non-null) value at
	// validation time, before anything is planned.
	Validate func(value any) error
}

// Resource declares a resource type and implements its life cycle. Create,
// Read and Delete are required; without Update every change replaces.
type Resource struct {
	Description string
	Attributes  map[string]*Attribute

	// Create makes the resource from d's planned values and sets the
	// computed attributes. When it fails after making something, call
	// d.SetPartial before returning the error: benito then records what
	// was made as tainted, and replaces it on the next apply.
	Create func(ctx context.Context, d *ResourceData) error

	// Read refreshes d from what exists; call d.SetGone when the resource
	// no longer exists. Leaving d unchanged says nothing drifted.
	Read func(ctx context.Context, d *ResourceData) error

	// Update changes the resource in place: d holds the planned values,
	// d.GetChange and d.HasChange tell what changed.
	Update func(ctx context.Context, d *ResourceData) error

	// Delete removes the resource; d holds its last known values. Deleting
	// something already gone is not an error.
	Delete func(ctx context.Context, d *ResourceData) error

	// CustomizePlan, when set, adjusts a planned create, update or replace
	// after the default planning: set values known at plan time, or force
	// a replacement.
	CustomizePlan func(ctx context.Context, d *PlanData) error

	// Import, when set, fills d with the object the id names (then Read
	// runs). Call d.SetGone when no such object exists.
	Import func(ctx context.Context, id string, d *ResourceData) error

	// Exec, when set, lets benito exec run commands inside resources of
	// this type (the nodes of a platform): it returns the command of this
	// host that runs args inside the resource d holds (nsenter into a
	// container, ssh into a virtual machine, ...), neither started nor
	// with its streams set, or an error saying why it cannot (the node is
	// not running). The SDK runs it with the user's streams, on a
	// pseudo-terminal when the user is at one, with the user's environment
	// followed by cmd.Env, passes on window sizes and signals, and reports
	// how it ended.
	Exec func(ctx context.Context, d *ResourceData, args []string) (*exec.Cmd, error)
}

// Config is what Configure receives of the experiment.
type Config struct {
	// Experiment is the experiment's name: keep what two experiments make
	// on one host apart with it.
	Experiment string
	// Site holds the experiment's site settings, every value a string.
	Site map[string]string
}

// Provider is a provider: its name (the prefix of its resource types, or
// the vnode type it serves), its version and its resource types.
type Provider struct {
	Name    string
	Version string
	// Resources maps a resource type name (hello_greeting, vnode) to its
	// declaration.
	Resources map[string]*Resource
	// Configure, when set, is called once before any resource is touched;
	// what it returns is handed to every callback as d.Meta().
	Configure func(ctx context.Context, c Config) (any, error)
	// Sweep, when set, serves providers.Provider.Sweep: it removes the
	// objects of remove (found by an earlier call; one already gone is no
	// error), then returns what the provider made on the host for the
	// configured experiment, found from the host alone (not from
	// benito's state). meta is what Configure returned. Without it, the
	// provider reports nothing on the host.
	Sweep func(ctx context.Context, meta any, remove []HostObject) ([]HostObject, error)
}

// HostObject is something a provider made on the host, named by the
// resource it belongs to (providers.HostObject).
type HostObject = providers.HostObject

// check reports declaration mistakes, which are the author's, not the
// user's: Serve and InProcess refuse a provider that has any. It returns
// the Defaults as values, by resource type and attribute, converted here
// once rather than on every plan.
func (p *Provider) check() (defaults map[string]map[string]cty.Value, err error) {
	if p.Name == "" {
		return nil, fmt.Errorf("sdk: the provider has no Name")
	}
	defaults = map[string]map[string]cty.Value{}
	for _, typ := range slices.Sorted(maps.Keys(p.Resources)) {
		r := p.Resources[typ]
		if r == nil {
			return nil, fmt.Errorf("sdk: resource type %q is nil", typ)
		}
		if r.Create == nil || r.Read == nil || r.Delete == nil {
			return nil, fmt.Errorf("sdk: resource type %q needs Create, Read and Delete", typ)
		}
		for _, an := range slices.Sorted(maps.Keys(r.Attributes)) {
			a := r.Attributes[an]
			switch {
			case a == nil:
				return nil, fmt.Errorf("sdk: %s: attribute %q is nil", typ, an)
			case a.Type.ty == cty.NilType:
				return nil, fmt.Errorf("sdk: %s: attribute %q has no Type", typ, an)
			case a.Required && (a.Optional || a.Computed):
				return nil, fmt.Errorf("sdk: %s: attribute %q is Required, so it cannot also be Optional or Computed", typ, an)
			case !a.Required && !a.Optional && !a.Computed:
				return nil, fmt.Errorf("sdk: %s: attribute %q must be Required, Optional or Computed", typ, an)
			case a.Default != nil && !a.Optional:
				return nil, fmt.Errorf("sdk: %s: attribute %q has a Default, so it must be Optional", typ, an)
			case a.RunTime && (!a.Computed || a.Optional):
				return nil, fmt.Errorf("sdk: %s: attribute %q is RunTime, so it must be Computed only (the provider sets it; the configuration cannot)", typ, an)
			case a.Generated && a.Type.ty != cty.String:
				return nil, fmt.Errorf("sdk: %s: attribute %q is Generated (a file's content), so its Type must be String", typ, an)
			}
			if a.Default != nil {
				v, err := govalue.ToCty(a.Default, a.Type.ty)
				if err != nil {
					return nil, fmt.Errorf("sdk: %s: the Default of attribute %q: %v", typ, an, err)
				}
				if defaults[typ] == nil {
					defaults[typ] = map[string]cty.Value{}
				}
				defaults[typ][an] = v
			}
		}
	}
	return defaults, nil
}

// schema is the provider's schema as benito sees it. A resource without
// Update has every configurable attribute ForceNew.
func (p *Provider) schema() providers.Schema {
	s := providers.Schema{ResourceTypes: make(map[string]*providers.ResourceSchema, len(p.Resources))}
	for typ, r := range p.Resources {
		rs := &providers.ResourceSchema{Description: r.Description, Exec: r.Exec != nil, Attributes: make(map[string]*providers.Attribute, len(r.Attributes))}
		for name, a := range r.Attributes {
			rs.Attributes[name] = &providers.Attribute{
				Type:        a.Type.ty,
				Description: a.Description,
				Required:    a.Required,
				Optional:    a.Optional,
				Computed:    a.Computed,
				ForceNew:    a.ForceNew || (r.Update == nil && (a.Required || a.Optional)),
				RunTime:     a.RunTime,
				Generated:   a.Generated,
			}
		}
		s.ResourceTypes[typ] = rs
	}
	return s
}
