package lower

import (
	"github.com/zclconf/go-cty/cty"

	"github.com/benito-net/benito/model"
)

// lowerResources lowers the generic resource blocks: each is one resource
// of its own type, served by the provider its type names, with the block's
// attributes as its configuration. The engine conforms the configuration
// to the provider's schema, which reports attributes it lacks or needs.
func (l *lowerer) lowerResources() {
	for _, r := range l.exp.Resources {
		cfg := cty.EmptyObjectVal
		if len(r.Attrs) > 0 {
			attrs := make(map[string]cty.Value, len(r.Attrs))
			for name, v := range r.Attrs {
				attrs[name] = wholeMark(v)
			}
			cfg = cty.ObjectVal(attrs)
		}
		l.addUnique(&Resource{
			Addr:       r.Addr.Resource(r.Type),
			Provider:   r.Provider,
			Config:     cfg,
			DependsOn:  dedupe(refs(r.DependsOn)),
			DeclRange:  r.DeclRange,
			AttrRanges: r.AttrRanges,
		})
	}
}

// wholeMark returns v with the Sensitive mark on the whole value when it
// is anywhere inside: a resource's configuration carries marks on its
// top-level attributes only (Resource.Config), which the plan hides whole.
func wholeMark(v cty.Value) cty.Value {
	if !v.ContainsMarked() {
		return v
	}
	v, marks := v.UnmarkDeep()
	if _, ok := marks[model.Sensitive]; ok {
		v = v.Mark(model.Sensitive)
	}
	return v
}
