package plugin_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"runtime"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"

	"github.com/benito-net/benito/providers"
)

// TestHugeLengthFromProvider: a provider (a real process, through the
// plugin protocol: plugin.ServeLying) answers with a value whose msgpack holds a length
// claiming 3e9 entries or bytes (map32, array32, str32, bin32; the first
// is the 27 bytes the fuzzer found). benito decodes what providers send
// with the same call as everything else: it must refuse the value at
// once, naming the provider, without allocating what the length claims.
func TestHugeLengthFromProvider(t *testing.T) {
	const claim = 3_000_000_000
	u32 := func(code byte) []byte { return binary.BigEndian.AppendUint32([]byte{code}, claim) }
	// A value of echo's "thing" type as cty encodes it, with one part
	// replaced by a header claiming 3e9.
	thingType := echoSchema.ResourceTypes["thing"].ImpliedType()
	honest, err := ctymsgpack.Marshal(cty.ObjectVal(map[string]cty.Value{
		"name": cty.StringVal("n"), "count": cty.NullVal(cty.Number), "on": cty.True, "id": cty.StringVal("i"),
		"tags": cty.MapValEmpty(cty.String), "ports": cty.ListValEmpty(cty.Number), "groups": cty.SetValEmpty(cty.String),
		"nested": cty.NullVal(thingType.AttributeType("nested")), "anytype": cty.StringVal("x"),
	}), thingType)
	if err != nil {
		t.Fatal(err)
	}
	splice := func(old, new []byte) []byte {
		if bytes.Count(honest, old) != 1 {
			t.Fatalf("%x is not once in %x", old, honest)
		}
		return bytes.Replace(honest, old, new, 1)
	}
	tag := func(name string) []byte { return append([]byte{0xa0 | byte(len(name))}, name...) }
	cases := []struct {
		name string
		lie  []byte
	}{
		// The value itself: an object is a map.
		{"map32", append(u32(0xdf), bytes.Repeat([]byte{0xa1, 'x'}, 11)...)[:27]},
		{"map32 attribute", splice(append(tag("tags"), 0x80), append(tag("tags"), u32(0xdf)...))},
		{"array32 attribute", splice(append(tag("ports"), 0x90), append(tag("ports"), u32(0xdd)...))},
		{"str32 attribute", splice(append(tag("name"), 0xa1, 'n'), append(tag("name"), u32(0xdb)...))},
		// A dynamic attribute is [its type's JSON as bin, its value].
		{"bin32 dynamic type", splice([]byte{0x92, 0xc4, 8, '"', 's', 't', 'r', 'i', 'n', 'g', '"'}, append([]byte{0x92}, u32(0xc6)...))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(envLie, hex.EncodeToString(tc.lie))
			p := start(t, "lying", "lying", 0)
			ctx := context.Background()
			if r := p.GetSchema(ctx); r.Diagnostics.HasErrors() {
				t.Fatal(r.Diagnostics)
			}
			calls := map[string]func() providers.Diagnostics{
				"apply": func() providers.Diagnostics {
					return p.ApplyResource(ctx, providers.ApplyResourceRequest{Address: "thing.x", Type: "thing", Prior: cty.NullVal(thingType), Planned: thingVal()}).Diagnostics
				},
				"read": func() providers.Diagnostics {
					return p.ReadResources(ctx, providers.ReadResourcesRequest{Resources: []providers.ReadResource{{Address: "thing.x", Type: "thing", Current: thingVal()}}}).Diagnostics
				},
			}
			for _, call := range []string{"apply", "read"} {
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				t0 := time.Now()
				diags := calls[call]()
				el := time.Since(t0)
				runtime.ReadMemStats(&after)
				what := map[string]string{"apply": "new value", "read": "value read"}[call]
				want := `Provider "lying" sent a ` + what + ` that does not match its schema: malformed msgpack: truncated, or a length longer than the bytes that follow it`
				if err := diags.Err(); err == nil || err.Error() != want {
					t.Errorf("%s: want %q, got %v", call, want, diags)
				}
				// The call itself (gRPC, TLS) takes some kilobytes; what
				// 3e9 claims is gigabytes.
				if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
					t.Errorf("%s: allocated %d bytes", call, n)
				}
				if el > 2*time.Second {
					t.Errorf("%s: took %s", call, el)
				}
			}
		})
	}
}
