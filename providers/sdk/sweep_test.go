package sdk

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/benito-net/benito/providers"
	"github.com/google/go-cmp/cmp"
)

// TestSweep: the author's Sweep gets Configure's meta and what to remove,
// and its answer comes back sorted; an error is a diagnostic; a provider
// without Sweep finds nothing.
func TestSweep(t *testing.T) {
	held := []HostObject{{Type: "mem_thing", KeyAttribute: "key", Key: "b"}, {Type: "mem_thing", KeyAttribute: "key", Key: "a"}}
	res := &Resource{
		Attributes: map[string]*Attribute{"key": {Type: String, Required: true}},
		Create:     func(context.Context, *ResourceData) error { return nil },
		Read:       func(context.Context, *ResourceData) error { return nil },
		Delete:     func(context.Context, *ResourceData) error { return nil },
	}
	p, err := InProcess(&Provider{
		Name: "mem", Resources: map[string]*Resource{"mem_thing": res},
		Configure: func(context.Context, Config) (any, error) { return "meta", nil },
		Sweep: func(_ context.Context, meta any, remove []HostObject) ([]HostObject, error) {
			if meta != "meta" {
				return nil, errors.New("no meta")
			}
			if len(remove) > 0 {
				return nil, errors.New("cannot remove " + remove[0].Key)
			}
			return append([]HostObject(nil), held...), nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := p.Configure(context.Background(), providers.ConfigureRequest{Experiment: "x"}).Diagnostics; d.HasErrors() {
		t.Fatal(d.Err())
	}
	resp := p.Sweep(context.Background(), providers.SweepRequest{})
	if d := cmp.Diff([]HostObject{held[1], held[0]}, resp.Objects); d != "" || resp.Diagnostics.HasErrors() {
		t.Errorf("Sweep (-want +got):\n%s%v", d, resp.Diagnostics.Err())
	}
	resp = p.Sweep(context.Background(), providers.SweepRequest{Remove: held[:1]})
	if err := resp.Diagnostics.Err(); err == nil || !strings.Contains(err.Error(), "cannot remove b") {
		t.Errorf("a failing Sweep: %v", err)
	}
	none, _ := InProcess(&Provider{Name: "none", Resources: map[string]*Resource{"mem_thing": res}})
	if resp := none.Sweep(context.Background(), providers.SweepRequest{}); len(resp.Objects) != 0 || resp.Diagnostics.HasErrors() {
		t.Errorf("a provider without Sweep: %+v", resp)
	}
}
