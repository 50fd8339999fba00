package model

// mark is the type of the cty marks benito puts on values, so that no other
// package's mark can be mistaken for one of them.
type mark string

// Sensitive is the cty mark on a value derived from a variable declared
// sensitive, as Terraform marks it: package hcl puts it on the variable's
// value, cty carries it through every expression, function and conversion
// that uses the value, and lowering and the engine turn it into the
// attributes a plan records as sensitive. A marked value is never shown:
// plans, messages and logs say "(sensitive value)".
const Sensitive = mark("sensitive")

// The attributes of a vnode block that may hold a sensitive value, as
// VNode.Sensitive names them. Every other attribute of the language
// (names, addresses, paths, count, for_each) refuses one: it becomes part of
// host names, device names or addresses, which are shown everywhere.
const (
	AttrStartup    = "startup"
	AttrOS         = "os"
	AttrImage      = "image"
	AttrPartition  = "partition"
	AttrAttributes = "attributes"
)

// Sensitive reports whether a node of the experiment holds a sensitive
// value: then a description of the whole experiment (TopDL, which carries
// every node's startup, os, image, partition and attributes) holds one.
func (e *Experiment) Sensitive() bool {
	for _, n := range e.VNodes {
		if len(n.Sensitive) > 0 {
			return true
		}
	}
	return false
}
