package providers

import (
	"github.com/benito-net/benito/internal/parallel"
	"github.com/zclconf/go-cty/cty"
)

// readWorkers bounds the reads one ReadEach runs at once. A read of a
// host's object is mostly waiting (on the kernel, on a guest's agent), so
// a few per core keep the cores busy; the engine already splits a large
// refresh into about one call per core.
const readWorkers = 8

// ReadEach serves req resource by resource, up to readWorkers reads at
// once, for a provider named provider whose types are schema's: a type the
// schema lacks is an error; a null value stays null; check (the provider's
// test of recorded values, providers.Recorded) refuses a value before read
// sees it; read returns the value read back (cty.NilVal: gone, null) or an
// error, which becomes the resource's diagnostic with its value kept.
// Private data is carried over. Results and diagnostics keep the request's
// order. read must be safe to run concurrently for different resources.
func ReadEach(provider string, schema *Schema, req ReadResourcesRequest, check func(typ string, v cty.Value) error, read func(r ReadResource) (cty.Value, error)) ReadResourcesResponse {
	resp := ReadResourcesResponse{Resources: make([]ReadResult, len(req.Resources))}
	diags := make([]Diagnostics, len(req.Resources))
	ForEach(len(req.Resources), func(i int) {
		r := req.Resources[i]
		rs := schema.ResourceTypes[r.Type]
		if rs == nil {
			diags[i] = Errorf(r.Address, "The %s provider does not serve resources of type %q", provider, r.Type)
			resp.Resources[i] = ReadResult{New: r.Current, Private: r.Private}
			return
		}
		if r.Current.IsNull() {
			resp.Resources[i] = ReadResult{New: r.Current}
			return
		}
		if err := check(r.Type, r.Current); err != nil {
			diags[i] = RefuseRecorded(r.Address, err)
			resp.Resources[i] = ReadResult{New: r.Current, Private: r.Private}
			return
		}
		v, err := read(r)
		if err != nil {
			diags[i] = Errorf(r.Address, "%v", err)
			v = r.Current
		}
		if v == cty.NilVal {
			v = cty.NullVal(rs.ImpliedType())
		}
		resp.Resources[i] = ReadResult{New: v, Private: r.Private}
	})
	for _, d := range diags {
		resp.Diagnostics = append(resp.Diagnostics, d...)
	}
	return resp
}

// ForEach calls fn(0) … fn(n-1), up to readWorkers (8) at a time, and
// returns when all have returned: for reads that wait on the host (a
// daemon's socket, the kernel) more than they compute.
func ForEach(n int, fn func(i int)) { parallel.Each(n, readWorkers, fn) }

// CheckApply is what an ApplyResource of a provider whose types are
// schema's does before it touches the host: the type's schema, or (refused
// true) the response that refuses a type the schema lacks, or a prior or
// planned value that check (the provider's test of recorded values,
// providers.Recorded) refuses, keeping the prior value.
func CheckApply(schema *Schema, req ApplyResourceRequest, check func(typ string, v cty.Value) error) (rs *ResourceSchema, refused ApplyResourceResponse, ok bool) {
	rs = schema.ResourceTypes[req.Type]
	if rs == nil {
		return nil, ApplyResourceResponse{New: req.Prior, Diagnostics: Errorf(req.Address, "unsupported resource type %q", req.Type)}, false
	}
	for _, v := range []cty.Value{req.Prior, req.Planned} {
		if err := check(req.Type, v); err != nil {
			return rs, ApplyResourceResponse{New: req.Prior, Diagnostics: RefuseRecorded(req.Address, err)}, false
		}
	}
	return rs, ApplyResourceResponse{}, true
}
