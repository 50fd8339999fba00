package providers

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"github.com/benito-net/benito/contract"
)

// RefuseOpenVZ returns an error for each attribute of a vnode's
// configuration cfg that configures an OpenVZ container alone
// (contract.OpenVZAttributes), for a platform that is not one: it refuses
// the node at plan rather than ignore what it was asked. Each error is on
// the attribute and names it as the language does, with the node and its
// type nodeType. An attribute that is null, unknown or an empty list
// configures nothing and passes.
func RefuseOpenVZ(address string, cfg cty.Value, nodeType string) Diagnostics {
	var diags Diagnostics
	if cfg.IsNull() || !cfg.IsKnown() {
		return nil
	}
	name := AttrString(cfg, "name")
	for _, a := range contract.OpenVZAttributes {
		if !cfg.Type().HasAttribute(a.Attribute) {
			continue
		}
		v := cfg.GetAttr(a.Attribute)
		if v.IsNull() || !v.IsKnown() || (v.Type().IsListType() && v.LengthInt() == 0) {
			continue
		}
		diags = append(diags, Diagnostic{
			Address:   address,
			Attribute: cty.GetAttrPath(a.Attribute),
			Summary:   fmt.Sprintf("Not for a %s node", nodeType),
			Detail: fmt.Sprintf("%s configures an OpenVZ container, and node %q is of type %q. Remove %s, or set type = %q.",
				a.Language, name, nodeType, a.Language, contract.NodeOpenVZ),
		})
	}
	return diags
}
