package main

import (
	"context"
	"sort"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/google/go-cmp/cmp"
)

// TestBuiltinProvidersServeTheContract checks that every built-in provider
// serves each built-in resource type it declares with exactly the contract's
// attributes (same names, types, required or optional as lowering sets
// them), and adds only computed attributes of its own; and that every
// built-in type is served by the provider contract.ProviderOf names.
func TestBuiltinProvidersServeTheContract(t *testing.T) {
	servedBy := map[string][]string{}
	for _, name := range sortedNames(builtinProviders) {
		p := builtinProviders[name]()
		resp := p.GetSchema(context.Background())
		if resp.Diagnostics.HasErrors() {
			t.Fatalf("%s: GetSchema: %v", name, resp.Diagnostics.Err())
		}
		for _, typ := range resp.Schema.TypeNames() {
			rs := resp.Schema.ResourceTypes[typ]
			if !contract.Has(typ) {
				t.Errorf("provider %s serves %q, which is not a built-in type: built-in providers serve the contract only", name, typ)
				continue
			}
			servedBy[typ] = append(servedBy[typ], name)
			type attr struct {
				Type     string
				Required bool
			}
			want := map[string]attr{}
			for _, a := range contract.Attributes(typ) {
				want[a.Name] = attr{a.Type.FriendlyName(), a.Required}
			}
			got := map[string]attr{}
			for an, a := range rs.Attributes {
				switch {
				case a.Computed && !a.Optional && !a.Required:
					if _, clash := want[an]; clash {
						t.Errorf("%s: %s.%s is in the contract but the provider computes it", name, typ, an)
					}
				case a.Computed:
					t.Errorf("%s: %s.%s is both set by configuration and computed: the contract's attributes are lowering's alone", name, typ, an)
				default:
					if a.Required == a.Optional {
						t.Errorf("%s: %s.%s must be exactly one of required and optional", name, typ, an)
					}
					got[an] = attr{a.Type.FriendlyName(), a.Required}
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: %s's configuration attributes differ from the contract (-contract +provider):\n%s", name, typ, diff)
			}
			if !rs.ConfigType().Equals(contract.ObjectType(typ)) {
				t.Errorf("%s: %s's ConfigType %s is not the contract's %s", name, typ, rs.ConfigType().GoString(), contract.ObjectType(typ).GoString())
			}
		}
		_ = p.Close()
	}
	for _, typ := range contract.Types() {
		want := []string{contract.ProviderOf(typ, contract.NodeProcess)}
		if contract.ProviderOf(typ, contract.NodeQEMU) == contract.NodeQEMU {
			// A node's own types: every built-in platform serves them.
			want = []string{contract.NodeOpenVZ, contract.NodeProcess, contract.NodeQEMU}
		}
		got := servedBy[typ]
		sort.Strings(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("built-in type %s is served by the wrong built-in providers (-want +got):\n%s", typ, diff)
		}
	}
}
