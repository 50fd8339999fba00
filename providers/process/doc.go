// Package process is the provider of process nodes: vnodes of type
// "process", each a long-running holder process with a network stack of its
// own (the descendant of ViewOS/umview's umnet processes), and the routes,
// bind mounts and startup command that live inside such a node.
//
// A node is an idle holder (sleep(1), its argv[0] renamed so that ps names
// the node) started in new network and UTS namespaces, and a new mount
// namespace when the node has mounts. The namespaces live as long as the
// holder; everything else is done from the provider with netlink handles
// bound to the node's namespace, so a node costs one fork and exec and a
// few netlink calls. Its files live under RUN_DIR/process/NODE (the holder's
// pid file, the VDE plugs' pid files) and RUN_DIR/log/NODE.log (the plugs'
// output).
//
// Interfaces: on a bridge switch, a veth pair created with its peer
// directly inside the node (the host end, host_device, enslaved to the
// bridge and up); on a VDE switch, a TAP made inside the node and plugged
// into its port by a supervised vde_plug2tap running in the node's network
// namespace. MAC, MTU, IPv4 address and shaping (internal/shaping, on the
// node's side of the link) are set inside the node and changed in place.
//
// Promises:
//   - Read returns null for a node whose holder died or was replaced by
//     another process with the same pid; an interface whose device, host
//     end or plug is gone is left out of the interfaces read back, and an
//     attribute changed by hand reads back changed, so the next plan
//     repairs it in place.
//   - Delete removes the node's interfaces explicitly (so that a quick
//     re-create does not meet devices of a dying namespace), stops its
//     plugs, kills every process in its network namespace, and removes its
//     files. Deleting what is already gone succeeds.
//   - A mount's target must exist: process nodes share the host's file
//     tree, so the provider never creates directories in it.
//   - Calls for different resources are safe to run concurrently.
package process
