package hcl

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/model"
)

// kindResource is the generic resource "TYPE" "NAME" block, served by a
// third-party provider; kindRequiredProviders its provider list inside
// the experiment block.
const (
	kindResource          = "resource"
	kindRequiredProviders = "required_providers"
)

// reservedTypes are the resource types benito's own blocks and lowering
// make: a generic block of one of them would collide with them.
var reservedTypes = map[string]bool{
	kindSwitch: true, kindBridge: true, kindVNode: true, kindTap: true, kindRoute: true,
	"port": true, "mount": true, "startup": true, "config_file": true,
	kindVariable: true, kindLocal: true, "var": true, "count": true, "each": true,
	kindOutput: true, kindSite: true, kindExperiment: true, kindResource: true,
}

// collectResource declares a resource "TYPE" "NAME" block. It is
// addressed as TYPE.NAME, and TYPE becomes a name references may start with.
func (d *decls) collectResource(hb *hclsyntax.Block) hcl.Diagnostics {
	typ, name := hb.Labels[0], hb.Labels[1]
	var diags hcl.Diagnostics
	switch {
	case !addrs.ValidName(typ) || strings.Contains(typ, "-") || !hclsyntax.ValidIdentifier(typ):
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Invalid resource type %q", typ),
			Detail: "A resource type is the provider's name, '_' and the type's own name, in letters, digits and '_', " +
				"such as \"hello_greeting\".",
			Subject: hb.LabelRanges[0].Ptr(),
		})
	case reservedTypes[typ]:
		hint := ""
		if typ == kindSwitch || typ == kindBridge || typ == kindVNode || typ == kindTap || typ == kindRoute {
			hint = fmt.Sprintf(" Write a %s block instead: %s %q { ... }.", typ, typ, name)
		}
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Reserved resource type %q", typ),
			Detail:   fmt.Sprintf("benito makes resources of type %q itself, so a resource block cannot.%s", typ, hint),
			Subject:  hb.LabelRanges[0].Ptr(),
		})
	}
	addr := typ + "." + name
	if prev := d.byAddr[addr]; prev != nil {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Duplicate resource %s", addr),
			Detail: fmt.Sprintf("A resource %q %q was already declared at %s. Labels of one resource type must be unique: "+
				"rename or remove one of them.", typ, name, rangeString(prev.def)),
			Subject: hb.LabelRanges[1].Ptr(),
		})
	}
	b := &block{kind: kindResource, rtype: typ, name: name, addr: addr, def: hb.DefRange(), body: hb.Body, label: hb.LabelRanges[1]}
	diags = append(diags, checkName("resource", name, b.label)...)
	_, b.counted = hb.Body.Attributes["count"]
	_, b.forEach = hb.Body.Attributes["for_each"]
	if d.resourceTypes == nil {
		d.resourceTypes = map[string]bool{}
	}
	d.resourceTypes[typ] = true
	d.add(b)
	return diags
}

// isMeta reports whether an attribute of a resource block is a
// meta-argument rather than the provider's.
func isMeta(name string) bool { return name == "count" || name == "for_each" || name == "depends_on" }

func (e *evaluator) evalResource(b *block) {
	for _, nb := range b.body.Blocks {
		e.errorf(nb.TypeRange, "Unsupported block in a resource",
			"A resource block holds attributes only (NAME = VALUE); write %s = { ... } for a structured value.", nb.Type)
	}
	content := content{attrs: b.body.Attributes}
	insts, ok := e.expand(b, content)
	if !ok {
		return
	}
	deps := e.dependsOn(content)
	attrs := make([]*hclsyntax.Attribute, 0, len(b.body.Attributes))
	for name, a := range b.body.Attributes {
		if !isMeta(name) {
			attrs = append(attrs, a)
		}
	}
	slices.SortFunc(attrs, func(x, y *hclsyntax.Attribute) int { return cmp.Compare(x.Name, y.Name) })
	provider := model.ResourceProvider(b.rtype)
	var vals []cty.Value
	for _, in := range insts {
		r := &model.Resource{
			Type: b.rtype, Name: in.name, Addr: in.addr, Provider: provider,
			Attrs:      make(map[string]cty.Value, len(attrs)),
			AttrRanges: make(map[string]hcl.Range, len(attrs)),
			DependsOn:  deps, DeclRange: b.def,
		}
		failed := false
		for _, a := range attrs {
			v, ok := e.value(in.ctx, a.Expr)
			if !ok {
				failed = true
				continue
			}
			r.Attrs[a.Name] = v
			r.AttrRanges[a.Name] = a.SrcRange
		}
		if failed {
			continue
		}
		e.exp.Resources = append(e.exp.Resources, r)
		if b.used {
			vals = append(vals, resourceValue(r))
		}
	}
	e.record(b, insts, vals)
}

// resourceValue is what TYPE.NAME evaluates to: its configured attributes
// and its name. What the provider computes is not known while evaluating.
func resourceValue(r *model.Resource) cty.Value {
	m := make(map[string]cty.Value, len(r.Attrs)+1)
	for k, v := range r.Attrs {
		m[k] = v
	}
	if _, ok := m["name"]; !ok {
		m["name"] = cty.StringVal(r.Name)
	}
	return cty.ObjectVal(m)
}

// requiredProviders reads the experiment's required_providers blocks:
//
//	required_providers {
//	  hello = { source = "example.org/benito/hello", version = ">= 0.1" }
//	}
func (e *evaluator) requiredProviders(c content) {
	seen := map[string]*model.RequiredProvider{}
	for _, blk := range c.blocks {
		if blk.Type != kindRequiredProviders {
			continue
		}
		for _, nb := range blk.Body.Blocks {
			e.errorf(nb.TypeRange, "Unsupported block in required_providers",
				"Name each provider with an attribute: %s = { source = \"...\", version = \">= 0.1\" }.", nb.Type)
		}
		attrs := make([]*hclsyntax.Attribute, 0, len(blk.Body.Attributes))
		for _, a := range blk.Body.Attributes {
			attrs = append(attrs, a)
		}
		slices.SortFunc(attrs, func(x, y *hclsyntax.Attribute) int { return x.SrcRange.Start.Byte - y.SrcRange.Start.Byte })
		for _, a := range attrs {
			if prev := seen[a.Name]; prev != nil {
				e.errorf(a.NameRange, fmt.Sprintf("Duplicate required provider %q", a.Name),
					"Provider %q is already required at %s: name each provider once.", a.Name, rangeString(prev.DeclRange))
				continue
			}
			if rp := e.requiredProvider(a); rp != nil {
				seen[a.Name] = rp
				e.exp.RequiredProviders = append(e.exp.RequiredProviders, rp)
			}
		}
	}
	slices.SortFunc(e.exp.RequiredProviders, func(x, y *model.RequiredProvider) int { return cmp.Compare(x.Name, y.Name) })
}

func (e *evaluator) requiredProvider(a *hclsyntax.Attribute) *model.RequiredProvider {
	if !addrs.ValidName(a.Name) || strings.ContainsAny(a.Name, "_-") {
		e.errorf(a.NameRange, "Invalid provider name",
			"%q cannot name a provider: a provider name holds letters and digits only, since resource types start with it and a '_'.", a.Name)
		return nil
	}
	if reservedTypes[a.Name] {
		e.errorf(a.NameRange, "Reserved provider name", "%q is a name benito uses itself; a provider cannot take it.", a.Name)
		return nil
	}
	v, ok := e.value(e.root, a.Expr)
	if !ok {
		return nil
	}
	rp := &model.RequiredProvider{Name: a.Name, DeclRange: a.SrcRange}
	ty := v.Type()
	if v.IsNull() || !(ty.IsObjectType() || ty.IsMapType()) {
		e.errorf(a.Expr.Range(), "Invalid required provider",
			"%s must be an object such as { source = \"example.org/benito/%s\", version = \">= 0.1\" }, not %s.", a.Name, a.Name, show(v))
		return nil
	}
	for it := v.ElementIterator(); it.Next(); {
		k, val := it.Element()
		key := k.AsString()
		if key != "source" && key != "version" {
			e.errorf(a.Expr.Range(), "Invalid required provider",
				"%s has an attribute %q; a required provider has only source and version.", a.Name, key)
			return nil
		}
		if val.IsNull() {
			continue
		}
		if val.Type() != cty.String {
			e.errorf(a.Expr.Range(), "Invalid required provider", "%s.%s must be a string, not %s.", a.Name, key, show(val))
			return nil
		}
		if key == "source" {
			rp.Source = val.AsString()
		} else {
			rp.Version = val.AsString()
		}
	}
	if rp.Source == "" {
		e.errorf(a.Expr.Range(), "Missing provider source",
			"%s needs a source, such as source = \"example.org/benito/%s\": the lock file records it.", a.Name, a.Name)
		return nil
	}
	if rp.Version != "" {
		if _, err := version.NewConstraint(rp.Version); err != nil {
			e.errorf(a.Expr.Range(), "Invalid version constraint",
				"%s.version %q is not a version constraint; write one such as \">= 0.1\", \"~> 1.2\" or \">= 1.0, < 2.0\".", a.Name, rp.Version)
			return nil
		}
	}
	return rp
}

// checkResources reports resources whose provider the experiment does
// not require, and puts the resources in their promised order.
func (e *evaluator) checkResources() {
	required := map[string]bool{}
	for _, rp := range e.exp.RequiredProviders {
		required[rp.Name] = true
	}
	reported := map[string]bool{}
	for _, r := range e.exp.Resources {
		if required[r.Provider] || reported[r.Type+"."+r.DeclRange.String()] {
			continue
		}
		reported[r.Type+"."+r.DeclRange.String()] = true
		e.errorf(r.DeclRange, fmt.Sprintf("Undeclared provider %q", r.Provider),
			"Resource type %q is served by provider %q, which the experiment does not require. Add it to the experiment block:\n\n"+
				"  required_providers {\n    %s = { source = \"...\", version = \">= 0.1\" }\n  }", r.Type, r.Provider, r.Provider)
	}
	slices.SortStableFunc(e.exp.Resources, func(x, y *model.Resource) int {
		if c := cmp.Compare(x.Type, y.Type); c != 0 {
			return c
		}
		return cmp.Compare(x.Name, y.Name)
	})
}
