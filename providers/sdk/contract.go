package sdk

import "github.com/benito-net/benito/contract"

// ContractAttributes returns the attributes benito sets on a resource of
// the built-in type typ, declared for the SDK: required where benito always
// sets them, optional otherwise (the list is docs/contract.md). A platform
// provider, one that serves a node type of its own, declares its "vnode"
// (and "route", "mount", "startup" if its nodes have them) from these:
// it marks ForceNew what it cannot change on a running node and adds the
// computed attributes it sets. It returns a new map on every call, nil for
// a type that is not built in.
func ContractAttributes(typ string) map[string]*Attribute {
	attrs := contract.Attributes(typ)
	if attrs == nil {
		return nil
	}
	out := make(map[string]*Attribute, len(attrs))
	for _, a := range attrs {
		out[a.Name] = &Attribute{Type: Type{a.Type}, Description: a.Description, Required: a.Required, Optional: !a.Required, Generated: a.Generated}
	}
	return out
}
