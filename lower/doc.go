// Package lower turns an experiment model into the resource graph: one
// resource per thing that exists on the host (switch, port, tap, bridge,
// vnode, route, mount) plus the files of the experiment's config directory
// (hosts, route/<node>, topology.xml).
//
// Lowering is a pure function of the model and the prior state: the same
// inputs give the same graph, resource for resource and byte for byte.
// The prior state is consulted only to keep VDE port numbers where they
// were, so that adding or removing a node never renumbers another node's
// port. MAC addresses need no state: they are hashes of names
// (model.DeriveMAC).
//
// The attributes of each resource type, listed in types.go, are the contract
// between benito and the providers that serve those types.
package lower
