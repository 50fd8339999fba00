// Package msgpackwalk walks msgpack bytes without decoding them, for the
// code that hands bytes read from outside (a saved plan file, a provider's
// reply) to a decoder that sizes its allocations from the lengths a value
// declares, as cty's msgpack decoder does.
//
// It promises that every length a value claims (of a string, binary or
// extension body, of an array's or a map's elements) is checked against
// the bytes left before it is used, so that a few bytes claiming 3e9
// entries are refused without allocating anything for them: each element
// takes at least one byte, so a claim beyond what is left is damage. A
// walk allocates nothing for shallow values and does not recurse; nesting
// is bounded by MaxDepth. It reads the format only: whether the value is
// one a decoder will accept (its types, its extension codes) is the
// decoder's business.
//
// It is the one walker of msgpack in benito: plan checks a saved value
// with Check before cty decodes it, and the provider codec
// (providers/plugin) reads headers with Str, ArrayLen, MapLen and Ext and
// skips what it leaves to cty with Skip.
package msgpackwalk
