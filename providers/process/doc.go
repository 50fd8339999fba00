// Package process is the provider of process nodes: vnodes of type
// "process", each a long-running holder process with a network stack of its
// own (the descendant of ViewOS/umview's umnet processes), and the routes,
// bind mounts and startup command that live inside such a node.
//
// A node is an idle holder (holderbin.go: a tiny static program named
// benito-node, or sleep(1) where it cannot run; its argv[0] names the node
// for ps) in new network and UTS namespaces, and a new mount namespace
// when the node has mounts. The namespaces are made, named and given their
// ip_forward by the thread that forks the holder, and live as long as it;
// everything else is done from the provider with netlink handles bound to
// the node's namespace, so a node costs one fork and exec and a few
// netlink calls (a veth is one request: host end, its bridge, the peer
// inside the node). Its files live under RUN_DIR/process/NODE (the holder's
// pid file, the VDE plugs' and wires' pid files) and RUN_DIR/log/NODE.log
// (the plugs' output).
//
// Interfaces: on a bridge switch, a veth pair created with its peer
// directly inside the node (the host end, host_device, enslaved to the
// bridge and up); on a VDE switch, a TAP made inside the node and plugged
// into its port by a supervised vde_plug2tap running in the node's network
// namespace. MAC, MTU and IPv4 address are set inside the node and changed
// in place.
//
// Link shaping (capacity, latency, loss of an interface) acts on what the
// node sends, and is done one way per switch kind:
//   - On a VDE switch, by VDE's link emulator. A shaped interface's TAP is
//     plugged into a private hub (vde_switch -x, control directory
//     RUN_DIR/process/NODE/IFACE/wire.ctl) instead of the switch, and a
//     wirefilter joins the hub (its L side) to the interface's port on the
//     switch (R), delaying, dropping and rate-limiting L->R only, its queue
//     bounded as a bridge's token bucket is (shaping.QueueLimit). Changes
//     are sent to the running wirefilter on its management socket
//     (IFACE/wire.mgmt): the TAP, its plug and the port stay. Read takes
//     the values from wirefilter's showinfo; a dead hub or wirefilter is
//     drift like a dead plug. An unshaped interface is plugged into its
//     port directly; shaping it (or unshaping it) re-plugs the TAP.
//   - On a bridge switch, by a root qdisc on the node's end of the veth
//     (internal/shaping: tbf for capacity, netem for latency and loss).
//     On a kernel without netem, ValidateResources rejects latency or
//     loss on a bridge, naming the node and interface and pointing to a
//     VDE switch; capacity alone works everywhere.
//
// Promises:
//   - Read returns null for a node whose holder died or was replaced by
//     another process with the same pid; an interface whose device, host
//     end, plug, hub or wirefilter is gone is left out of the interfaces read back, and an
//     attribute changed by hand reads back changed, so the next plan
//     repairs it in place.
//   - Delete removes the node's interfaces explicitly (so that a quick
//     re-create does not meet devices of a dying namespace), stops its
//     plugs, hubs and wirefilters, kills every process in its network
//     namespace, and removes its files. Deleting what is already gone
//     succeeds. The processes are found by a scan of /proc shared by
//     concurrent deletes, which skips the holders the provider has seen
//     alive and holds a pidfd on (known.go): a holder stays in its own
//     node's namespace. Processes started in a node whose holder has died
//     (by benito exec or its startup command) are found, on delete as when
//     the node is re-created, in the namespace the holder's pid file
//     recorded, by the mark benito gives them: BENITO_NODE=PID:START_TIME
//     of the holder in their environment (the kernel reuses namespace
//     ids, so the namespace alone no longer says whose they are).
//   - A mount's target must exist: process nodes share the host's file
//     tree, so the provider never creates directories in it.
//   - Calls for different resources are safe to run concurrently.
package process
