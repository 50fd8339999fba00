// Package contract is the agreement between benito's lowering pass and the
// providers that carry out its resources: the built-in resource types
// (switch, port, tap, bridge, vnode, route, mount, startup, config_file),
// the attributes lowering sets on each, the shape of a node's interface,
// the switch kinds, the first-party platform and provider names, and the
// site keys every provider may read.
//
// It is a leaf: it imports nothing of benito's, so a provider (built in or
// a third party's) depends on it and on package providers only, never on
// the lowering pass, the engine or the state.
//
// Promises:
//   - Every built-in provider's schema for a type listed here accepts
//     exactly the attributes listed for it, with the same types
//     (providers.FromContract builds that part of the schema), and adds
//     only computed attributes of its own. A test checks each provider.
//   - Every platform serving vnode (process, qemu, openvz, a third party's
//     node type) receives the same vnode attributes, the same interface
//     objects and the same route, mount and startup resources: a node type
//     is a capability of a provider, and the platforms are peers.
//   - Changing an attribute's name or type here is a protocol change for
//     providers; adding one is too (a third-party platform's schema must
//     accept it), and is announced in docs/providers.md.
package contract
