package plugin

import (
	"fmt"
	"math/big"
	"sort"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/plugin/proto"
	"github.com/zclconf/go-cty/cty"
)

// This file converts between the providers package's Go values and their
// wire form. Both sides use it, so whatever one encodes the other decodes.

// encodeValue encodes v against the codec's type, in cty's msgpack format
// (valuecodec.go). cty.NilVal (no value) is the empty DynamicValue; a null
// value is msgpack nil.
func (c *typeCodec) encodeValue(v cty.Value) (*proto.DynamicValue, error) {
	if v == cty.NilVal {
		return &proto.DynamicValue{}, nil
	}
	b, err := c.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &proto.DynamicValue{Msgpack: b}, nil
}

// decodeValue is encodeValue's inverse.
func (c *typeCodec) decodeValue(dv *proto.DynamicValue) (cty.Value, error) {
	if dv == nil || len(dv.Msgpack) == 0 {
		return cty.NilVal, nil
	}
	return c.Unmarshal(dv.Msgpack)
}

// schemaToProto converts a schema for the wire, sorted by name.
func schemaToProto(s *providers.Schema) (*proto.Schema, error) {
	out := &proto.Schema{}
	for _, name := range s.TypeNames() {
		rs := s.ResourceTypes[name]
		rt := &proto.Schema_ResourceType{Name: name, Version: rs.Version, Description: rs.Description, Exec: rs.Exec}
		for _, an := range rs.AttributeNames() {
			a := rs.Attributes[an]
			ty, err := a.Type.MarshalJSON()
			if err != nil {
				return nil, fmt.Errorf("resource type %s, attribute %s: %w", name, an, err)
			}
			rt.Attributes = append(rt.Attributes, &proto.Schema_Attribute{
				Name: an, Type: ty, Description: a.Description,
				Required: a.Required, Optional: a.Optional, Computed: a.Computed, ForceNew: a.ForceNew,
				RunTime: a.RunTime, Generated: a.Generated,
			})
		}
		out.ResourceTypes = append(out.ResourceTypes, rt)
	}
	return out, nil
}

// schemaFromProto is schemaToProto's inverse.
func schemaFromProto(p *proto.Schema) (providers.Schema, error) {
	s := providers.Schema{ResourceTypes: make(map[string]*providers.ResourceSchema, len(p.GetResourceTypes()))}
	for _, rt := range p.GetResourceTypes() {
		rs := &providers.ResourceSchema{Version: rt.Version, Description: rt.Description, Exec: rt.Exec, Attributes: make(map[string]*providers.Attribute, len(rt.Attributes))}
		for _, a := range rt.Attributes {
			var ty cty.Type
			if err := ty.UnmarshalJSON(a.Type); err != nil {
				return providers.Schema{}, fmt.Errorf("resource type %s, attribute %s: type %s: %w", rt.Name, a.Name, a.Type, err)
			}
			rs.Attributes[a.Name] = &providers.Attribute{
				Type: ty, Description: a.Description,
				Required: a.Required, Optional: a.Optional, Computed: a.Computed, ForceNew: a.ForceNew,
				RunTime: a.RunTime, Generated: a.Generated,
			}
		}
		s.ResourceTypes[rt.Name] = rs
	}
	return s, nil
}

func diagsToProto(in providers.Diagnostics) []*proto.Diagnostic {
	if len(in) == 0 {
		return nil
	}
	out := make([]*proto.Diagnostic, len(in))
	for i, d := range in {
		pd := &proto.Diagnostic{Summary: d.Summary, Detail: d.Detail, Address: d.Address, Attribute: pathToProto(d.Attribute)}
		if d.Severity == providers.Warning {
			pd.Severity = proto.Diagnostic_WARNING
		}
		out[i] = pd
	}
	return out
}

func hostObjectsToProto(in []providers.HostObject) []*proto.HostObject {
	if len(in) == 0 {
		return nil
	}
	out := make([]*proto.HostObject, len(in))
	for i, o := range in {
		out[i] = &proto.HostObject{Type: o.Type, KeyAttribute: o.KeyAttribute, Key: o.Key, Description: o.Description}
	}
	return out
}

func hostObjectsFromProto(in []*proto.HostObject) []providers.HostObject {
	if len(in) == 0 {
		return nil
	}
	out := make([]providers.HostObject, len(in))
	for i, o := range in {
		out[i] = providers.HostObject{Type: o.Type, KeyAttribute: o.KeyAttribute, Key: o.Key, Description: o.Description}
	}
	return out
}

func diagsFromProto(in []*proto.Diagnostic) providers.Diagnostics {
	if len(in) == 0 {
		return nil
	}
	out := make(providers.Diagnostics, len(in))
	for i, pd := range in {
		d := providers.Diagnostic{Summary: pd.Summary, Detail: pd.Detail, Address: pd.Address, Attribute: pathFromProto(pd.Attribute)}
		if pd.Severity == proto.Diagnostic_WARNING {
			d.Severity = providers.Warning
		}
		out[i] = d
	}
	return out
}

// pathToProto converts a path of attribute names and string or integer
// keys. A step of another kind (a set element, a fractional number) has no
// wire form: the path stops before it, still pointing at what holds it.
func pathToProto(p cty.Path) *proto.AttributePath {
	if len(p) == 0 {
		return nil
	}
	out := &proto.AttributePath{Steps: make([]*proto.AttributePath_Step, 0, len(p))}
	for _, step := range p {
		var s *proto.AttributePath_Step
		switch st := step.(type) {
		case cty.GetAttrStep:
			s = &proto.AttributePath_Step{Selector: &proto.AttributePath_Step_AttributeName{AttributeName: st.Name}}
		case cty.IndexStep:
			k := st.Key
			switch {
			case k.IsNull() || !k.IsKnown():
			case k.Type() == cty.String:
				s = &proto.AttributePath_Step{Selector: &proto.AttributePath_Step_ElementKeyString{ElementKeyString: k.AsString()}}
			case k.Type() == cty.Number:
				if i, acc := k.AsBigFloat().Int64(); acc == big.Exact {
					s = &proto.AttributePath_Step{Selector: &proto.AttributePath_Step_ElementKeyInt{ElementKeyInt: i}}
				}
			}
		}
		if s == nil {
			break
		}
		out.Steps = append(out.Steps, s)
	}
	return out
}

func pathFromProto(p *proto.AttributePath) cty.Path {
	if p == nil || len(p.Steps) == 0 {
		return nil
	}
	out := make(cty.Path, 0, len(p.Steps))
	for _, s := range p.Steps {
		switch sel := s.Selector.(type) {
		case *proto.AttributePath_Step_AttributeName:
			out = append(out, cty.GetAttrStep{Name: sel.AttributeName})
		case *proto.AttributePath_Step_ElementKeyString:
			out = append(out, cty.IndexStep{Key: cty.StringVal(sel.ElementKeyString)})
		case *proto.AttributePath_Step_ElementKeyInt:
			out = append(out, cty.IndexStep{Key: cty.NumberIntVal(sel.ElementKeyInt)})
		}
	}
	return out
}

func pathsToProto(in []cty.Path) []*proto.AttributePath {
	if len(in) == 0 {
		return nil
	}
	out := make([]*proto.AttributePath, len(in))
	for i, p := range in {
		out[i] = pathToProto(p)
		if out[i] == nil {
			out[i] = &proto.AttributePath{}
		}
	}
	return out
}

func pathsFromProto(in []*proto.AttributePath) []cty.Path {
	if len(in) == 0 {
		return nil
	}
	out := make([]cty.Path, len(in))
	for i, p := range in {
		out[i] = pathFromProto(p)
	}
	return out
}

// types looks up a schema's resource types, each with the codecs of its
// values compiled once, when the schema is loaded: every value a call
// carries goes through one of them, where codecOf's shared cache would
// cost a lock and a map lookup per value, contended by the batches the
// engine sends from every core at once.
type types map[string]*resourceType

// resourceType is a resource type's schema and the codecs of its values:
// implied for state values, config for configurations, attrs for each
// attribute's (planned values sent by difference: planned.go).
type resourceType struct {
	*providers.ResourceSchema
	implied, config *typeCodec
	attrs           map[string]*typeCodec
}

func newTypes(m map[string]*providers.ResourceSchema) types {
	t := make(types, len(m))
	for name, rs := range m {
		if rs != nil {
			rt := &resourceType{ResourceSchema: rs, implied: codecOf(rs.ImpliedType()), config: codecOf(rs.ConfigType()), attrs: make(map[string]*typeCodec, len(rs.Attributes))}
			for an, a := range rs.Attributes {
				rt.attrs[an] = codecOf(a.Type)
			}
			t[name] = rt
		}
	}
	return t
}

func (t types) of(typ string) (*resourceType, error) {
	if rs := t[typ]; rs != nil {
		return rs, nil
	}
	names := make([]string, 0, len(t))
	for n := range t {
		names = append(names, n)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("resource type %q is not in the provider's schema (it serves %v)", typ, names)
}
