// Package addrs names the resources of benito's resource graph.
//
// An address is a resource type, a name and an optional key: switch.lan0,
// vnode.a[0], port.lan0["a.eth0"], route.a["10.0.1.0/24"]. Addresses are plain
// comparable values: use them as map keys, compare them with ==, sort them
// with Less. String and ParseResource round-trip exactly, and the String form
// is what users type after -target and `benito state show`.
package addrs
