package sdk

import (
	"context"
	"testing"

	"github.com/benito-net/benito/contract"
)

// TestContractAttributesServeTheContract checks that a platform declared
// from ContractAttributes serves each node type's resources with exactly
// the configuration type lowering sends.
func TestContractAttributesServeTheContract(t *testing.T) {
	noop := func(context.Context, *ResourceData) error { return nil }
	p := &Provider{Name: "acme", Version: "0.1.0", Resources: map[string]*Resource{}}
	for _, typ := range []string{contract.VNode, contract.Route, contract.Mount, contract.Startup} {
		attrs := ContractAttributes(typ)
		attrs["id"] = &Attribute{Type: String, Computed: true}
		p.Resources[typ] = &Resource{Attributes: attrs, Create: noop, Read: noop, Update: noop, Delete: noop}
	}
	if _, err := p.check(); err != nil {
		t.Fatal(err)
	}
	s := p.schema()
	for typ, rs := range s.ResourceTypes {
		if got, want := rs.ConfigType(), contract.ObjectType(typ); !got.Equals(want) {
			t.Errorf("%s: config type %s, want the contract's %s", typ, got.GoString(), want.GoString())
		}
	}
	if ContractAttributes("acme_thing") != nil {
		t.Error("a type that is not built in has contract attributes")
	}
	a, b := ContractAttributes(contract.VNode), ContractAttributes(contract.VNode)
	a["name"].ForceNew = true
	if b["name"].ForceNew {
		t.Error("ContractAttributes shares its maps between calls")
	}
}
