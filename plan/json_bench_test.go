package plan

import (
	"io"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/zclconf/go-cty/cty"
)

// BenchmarkRenderJSON100k renders a plan of 100,000 created nodes as
// JSON: the streamed, parallel encoding of resource_changes (and of
// planned_values, which holds every one of them again).
func BenchmarkRenderJSON100k(b *testing.B) {
	p := created100k()
	b.ReportAllocs()
	for b.Loop() {
		if err := RenderJSON(io.Discard, p); err != nil {
			b.Fatal(err)
		}
	}
}

// created100k is the plan the rendering benchmarks render: 100,000 nodes
// created, each with values known and unknown.
func created100k() *Plan {
	p := basePlan()
	p.Changes = make([]*Change, 100_000)
	for i := range p.Changes {
		p.Changes[i] = &Change{
			Addr:     keyed("vnode", "pool", addrs.IntKey(i)),
			Provider: "qemu", Action: Create, Type: vnodeType,
			Before: cty.NullVal(vnodeType),
			After: obj(vnodeType, map[string]cty.Value{
				"name":   cty.StringVal("bk3x9-pool-" + string(rune('a'+i%26))),
				"image":  cty.StringVal("debian-12"),
				"memory": cty.NumberIntVal(512),
				"cpus":   cty.NumberIntVal(2),
				"pid":    cty.UnknownVal(cty.Number),
				"id":     cty.UnknownVal(cty.String),
				"labels": cty.MapVal(map[string]cty.Value{"role": cty.StringVal("host")}),
			}),
		}
	}
	return p
}
