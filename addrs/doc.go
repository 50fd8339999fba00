// Package addrs names the resources of benito's resource graph.
//
// An address is a resource type and a name, followed by up to two keys, as
// users write it after -target and `benito state show`:
//
//	switch.lan0                   a block without count or for_each
//	vnode.h[0], vnode.h["east"]   an instance of a block with count, for_each
//	route.a["10.0.1.0/24"]        a resource that belongs to vnode.a, by its own key
//	route.h[0]["10.0.1.0/24"]     the same, belonging to vnode.h[0]
//	startup.h[0]                  one that belongs to vnode.h[0] and has no key of its own
//	port.lan[1]["h[0].eth0"]      a port of switch.lan[1], keyed by the interface it serves
//
// The rule: a resource made from a block instance is addressed by the
// block's label and the instance's key (Instance). A resource that belongs
// to an instance (a node's routes, mounts and startup command, a switch's
// ports) takes the instance's name and key, then its own key if it has one
// (Instance.Nested). A key that names another instance writes it as the
// instance's address (h[0], h["east"], never the node's host name h-0), so
// port.lan0["h[0].eth0"] and config_file.route["h[0]"]. Which keys a
// resource type has is the business of the package that makes the
// addresses (lower); this package only reads and writes the syntax, which
// is the same for every type, so that a stored address parses without
// knowing its type's rules.
//
// Addresses are plain comparable values: use them as map keys, compare
// them with ==, sort them with Less or Compare (type, name, then keys,
// integer keys numerically: vnode.h[2] before vnode.h[10]). String and
// ParseResource round-trip exactly, as do Instance.String and
// ParseInstance.
//
// An address is not a name on the host: vnode.h[0]'s hostname, device
// names, MAC address and files are derived from its host name h-0 (see
// model.HostName). Keeping the two apart is what lets addresses follow
// Terraform's syntax while the names of running experiments stay put.
package addrs
