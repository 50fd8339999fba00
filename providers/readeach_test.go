package providers

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// TestReadEach: results and diagnostics in the request's order, whatever
// order the reads end in; unknown types, null values and refused
// recorded values never reach read; a failed read keeps the value.
func TestReadEach(t *testing.T) {
	obj := cty.Object(map[string]cty.Type{"n": cty.Number})
	schema := &Schema{ResourceTypes: map[string]*ResourceSchema{"thing": {Attributes: map[string]*Attribute{"n": {Type: cty.Number, Required: true}}}}}
	val := func(n int) cty.Value { return cty.ObjectVal(map[string]cty.Value{"n": cty.NumberIntVal(int64(n))}) }
	var req ReadResourcesRequest
	for i := 0; i < 40; i++ {
		r := ReadResource{Address: fmt.Sprintf("thing.t%d", i), Type: "thing", Current: val(i)}
		switch i % 5 {
		case 1:
			r.Type = "other"
		case 2:
			r.Current = cty.NullVal(obj)
		}
		req.Resources = append(req.Resources, r)
	}
	var reads atomic.Int32
	resp := ReadEach("test", schema, req, func(_ string, v cty.Value) error {
		if n, _ := v.GetAttr("n").AsBigFloat().Int64(); n%5 == 3 {
			return Recorded("n", fmt.Sprint(n), "is refused")
		}
		return nil
	}, func(r ReadResource) (cty.Value, error) {
		reads.Add(1)
		n, _ := r.Current.GetAttr("n").AsBigFloat().Int64()
		if n%10 == 4 {
			return cty.NilVal, errors.New("cannot read")
		}
		if n%10 == 9 {
			return cty.NilVal, nil // gone
		}
		return val(int(n) + 1000), nil
	})
	if got := reads.Load(); got != 16 {
		t.Errorf("read called %d times, want 16 (the thing values neither null nor refused)", got)
	}
	var addrs []string
	for _, d := range resp.Diagnostics {
		addrs = append(addrs, d.Address)
	}
	for i := 1; i < len(addrs); i++ {
		if a, b := addrs[i-1], addrs[i]; len(a) > len(b) || len(a) == len(b) && a > b {
			t.Errorf("diagnostics out of order: %v", addrs)
			break
		}
	}
	for i, r := range resp.Resources {
		switch {
		case i%5 == 1 || i%5 == 3 || i%10 == 4:
			if !r.New.RawEquals(val(i)) {
				t.Errorf("%d: %#v, want the value kept", i, r.New)
			}
		case i%5 == 2 || i%10 == 9:
			if !r.New.IsNull() {
				t.Errorf("%d: %#v, want null", i, r.New)
			}
		default:
			if !r.New.RawEquals(val(i + 1000)) {
				t.Errorf("%d: %#v, want what was read", i, r.New)
			}
		}
	}
	if err := resp.Diagnostics.Err(); err == nil || !strings.Contains(err.Error(), "does not serve resources of type \"other\"") {
		t.Errorf("diagnostics: %v", err)
	}
}

// TestCheckApply: a type the schema lacks, and a prior or planned value
// the provider's check refuses, are refused with the prior value kept;
// anything else passes with its schema.
func TestCheckApply(t *testing.T) {
	schema := &Schema{ResourceTypes: map[string]*ResourceSchema{"thing": {Attributes: map[string]*Attribute{"n": {Type: cty.Number, Required: true}}}}}
	val := func(n int) cty.Value { return cty.ObjectVal(map[string]cty.Value{"n": cty.NumberIntVal(int64(n))}) }
	check := func(_ string, v cty.Value) error {
		if n, _ := v.GetAttr("n").AsBigFloat().Int64(); n == 3 {
			return Recorded("n", "3", "is refused")
		}
		return nil
	}
	if rs, _, ok := CheckApply(schema, ApplyResourceRequest{Address: "thing.a", Type: "thing", Prior: val(1), Planned: val(2)}, check); !ok || rs != schema.ResourceTypes["thing"] {
		t.Errorf("a good change is refused")
	}
	for _, req := range []ApplyResourceRequest{
		{Address: "other.a", Type: "other", Prior: val(1), Planned: val(2)},
		{Address: "thing.a", Type: "thing", Prior: val(3), Planned: val(2)},
		{Address: "thing.a", Type: "thing", Prior: val(1), Planned: val(3)},
	} {
		_, resp, ok := CheckApply(schema, req, check)
		if ok || !resp.Diagnostics.HasErrors() || !resp.New.RawEquals(req.Prior) {
			t.Errorf("%s %#v -> %#v: ok %v, %v, new %#v", req.Type, req.Prior, req.Planned, ok, resp.Diagnostics.Err(), resp.New)
		}
	}
}
