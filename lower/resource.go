package lower

import (
	"github.com/zclconf/go-cty/cty"
)

// lowerResources lowers the generic resource blocks: each is one resource
// of its own type, served by the provider its type names, with the block's
// attributes as its configuration. The engine conforms the configuration
// to the provider's schema, which reports attributes it lacks or needs.
func (l *lowerer) lowerResources() {
	for _, r := range l.exp.Resources {
		cfg := cty.EmptyObjectVal
		if len(r.Attrs) > 0 {
			cfg = cty.ObjectVal(r.Attrs)
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
