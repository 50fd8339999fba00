// Package process is the provider of process nodes: vnodes of type
// "process", each a network stack, hostname and mount table of its own on
// the host (the descendant of ViewOS/umview's umnet processes), and the
// routes, bind mounts and startup command that live inside such a node.
//
// A node is its namespaces: network, UTS and mount, made by a thread of
// the provider (unshare, then the hostname and ip_forward set there) and
// pinned by bind mounts of their nsfs files under the experiment's run
// directory, as `ip netns add` pins a network namespace in /run/netns and
// `unshare --net=FILE --mount=FILE` pins what it makes (pins.go):
//
//	RUN_DIR/ns/net/NODE  RUN_DIR/ns/uts/NODE  RUN_DIR/ns/mnt/NODE
//
// No process holds a node: `nsenter --net=RUN_DIR/ns/net/NODE ...` enters
// one (benito exec: Exec), and after a crash the pins show on the host
// what exists. The vnode records the pins and the namespaces' inode
// numbers ("namespaces", "namespace_inodes"); a pin that is not mounted,
// or holds another namespace, is not the node. The node's mount namespace
// is a slave of the host's: it sees the host's file tree (and what the
// host mounts later), and what is mounted in it stays in it: the node's
// bind mounts, and the experiment's hosts file (hosts_file) over
// /etc/hosts, read-only, so that every node's name resolves in every node
// (the config provider rewrites that file in place, which the bind
// follows). Everything else is done from the provider with netlink handles
// bound to the node's network namespace, so a node costs a few system
// calls (a veth is one request: host end, its bridge, the peer inside the
// node). Its files are the pins, RUN_DIR/process/NODE (pid files of its
// VDE plugs and of its startup command, and a directory per shaped VDE
// interface holding its wire) and RUN_DIR/log/NODE.log
// (the plugs' output; logs are 0600, since a command's output may hold a
// secret).
//
// A mount resource is a bind mount in the node's mount namespace, made on
// top of whatever is at its target (a mount point the node has from the
// host included): its source is taken on the host as a detached copy of
// its mount (open_tree) and moved onto the target by a thread in the
// node's mount namespace (move_mount), which works as well where the
// node's root is its own (a container's, NewContainer). Its private data
// records the mount's ID, so that read sees it (and not what it covers)
// and delete unmounts it alone. A target
// of / is refused. The vnode's "mounts" (the same mounts, for platforms
// whose shares must exist from boot) are not used: a change of them is an
// update in place like any other (the interfaces are made sure of), never
// a replacement. The vnode attributes that configure a QEMU machine
// (accel, machine, kernel, initrd, kernel_args, guest_config, forwards)
// are refused at plan.
//
// A thread that has joined a node's mount namespace (or made it) is never
// given back to Go: its goroutine ends locked, and Go ends the thread;
// the process's main thread, which Go would keep, is never used for it.
// A thread that joined only the network and UTS namespaces goes back to
// the process's before it is given back.
//
// Interfaces: on a bridge switch, a veth pair created with its peer
// directly inside the node (the host end, host_device, enslaved to the
// bridge and up); on a VDE switch, a TAP made inside the node and plugged
// into its port by a supervised vde_plug2tap running in the node's network
// namespace (given the interface's name after "--"): one process per
// interface, forked from a thread that joined the namespace (no
// nsenter), and waited for until the TAP's carrier comes on (the plug
// has opened it; internal/netdev's LinkWatch) or the plug ends (a
// pidfd). A deleted node's TAPs go with its namespace. The host end carries
// contract.DeviceAlias ("node NODE interface IFACE" of the experiment's run
// directory); a device found under a host end's name, planned or recorded,
// is deleted or replaced only if contract.DeviceIsOurs, and a create that
// meets another's fails naming both owners. Interface names are checked
// with contract.CheckInterfaceName at validate time (no leading '-', no
// "lo"). MAC, MTU and IPv4 address are set inside the node and changed
// in place. A route names the node's address it leaves by (source, its
// preferred source address): the kernel drops a route whose address is
// removed, and the route's changed source makes the next apply install it
// again after the node's address changed.
//
// Link shaping (capacity, latency, loss of an interface) acts on what the
// node sends, and is done one way per switch kind:
//   - On a VDE switch, by VDE's link emulator, through a wire
//     (internal/vdewire) in RUN_DIR/process/NODE/IFACE. A shaped
//     interface's TAP is plugged into the wire's private hub (vde_switch
//     -x, control directory IFACE/wire.ctl) instead of the switch, and a
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
// The startup command runs inside the node (a shell of its own, as sh -c
// would run it) once its network, routes and mounts are up, detached, its
// output in its log, through a shell that records its exit status
// (startup.go). The command reaches that shell through its environment,
// never its arguments, which any user of the host reads with ps: it may
// hold a sensitive value; the shell unsets it before running the command,
// so the command's children do not inherit it. Its status, a computed
// attribute: "running"; "exited with code 0", done (a command that sets
// something up and ends is not run again); "exited with code N" or "ended
// without an exit status", failed. A command that fails within
// startupSettle of its start fails the create, with the end of its log in
// the error; one that fails later reads back as such, and the next plan
// replaces it (runs it again).
//
// A read request is served node by node (readbatch.go): whatever of a
// node its resources in the request need is looked at once, its pins
// checked once, its network stack dumped through one netlink socket made
// in its namespace (links, IPv4 addresses, the main table's routes, and
// forwarding, from the kernel's netconf rather than /proc/sys), its
// mountinfo read once by a thread that joined its mount namespace. Each
// resource's recorded value is checked (checkRecorded) before its node is
// looked at, and a node is found only by a valid name at the experiment's
// pins.
//
// The same engine serves a node type whose nodes have an init of their
// own, an OS container: NewContainer builds a provider from a Container
// (providers/openvz), which makes the node's root file system and starts
// its first process in new namespaces; the engine pins that process's
// network, UTS and mount namespaces as it pins a process node's, sets the
// network up before the Container lets init run, and does the rest as
// for process nodes (container.go). Where a node's things are follows
// from its type (layout.go): RUN_DIR/ns, RUN_DIR/process and RUN_DIR/log
// for process nodes, RUN_DIR/ns-TYPE, RUN_DIR/TYPE and RUN_DIR/log/TYPE
// for another type's, so that no provider takes another's nodes for its
// own.
//
// Promises:
//   - Read returns null for a node a pin of which is missing, not mounted,
//     or holds another namespace than the one recorded (the next apply
//     makes it anew); an interface whose device, host end, plug, hub or
//     wirefilter is gone is left out of the interfaces read back, and an
//     attribute changed by hand reads back changed, so the next plan
//     repairs it in place.
//   - Delete removes the node's interfaces explicitly (so that a quick
//     re-create does not meet devices of a dying namespace), kills every
//     process in its network or mount namespace (its startup command,
//     what benito exec or anything else started there), found by the
//     namespaces' inodes in /proc (a pinned namespace is alive, so its
//     inode is no other's), stops its plugs, hubs and wirefilters,
//     unmounts its pins and removes its files. Deleting what is already
//     gone succeeds. The scan of /proc is shared by concurrent deletes.
//   - A create first removes whatever an earlier incarnation of the node
//     left (one that drifted, or whose create was interrupted: its pins
//     are found at their paths), as a delete does.
//   - Every process the provider starts for a node (its plugs, hubs,
//     wirefilters, startup command) is born in the node's cgroup
//     (layout.nodeGroup: benito/ESCAPED_RUN_DIR/process/NODE, providers.Group),
//     with everything it forks: a delete kills the group first, and Sweep
//     finds a node from the host alone (its pins, directory, logs or
//     cgroup) when the state does not know it.
//   - benito marks what it starts in a node (its startup command, benito
//     exec's commands, its plugs) with BENITO_NODE=RUN_DIR/ns/net/NODE in
//     their environment: once a pin has been unmounted by hand, its
//     namespace may have died and its inode gone to another, and the mark
//     is how a delete or a re-create still finds what benito started in
//     the node. What else runs in such a namespace is left alone.
//   - A mount's source and target must exist, and be both directories or
//     both files: process nodes share the host's file tree, so the
//     provider never creates them. ValidateResources checks it (reading
//     the host) for paths outside the experiment's config and run
//     directories, which the apply makes; apply checks again.
//   - A recorded value is acted on only when it names what this provider
//     makes for this experiment (recorded.go): a vnode's run_dir is the
//     experiment's run directory and its pins stay inside it, node names
//     are one path element, a startup's log is in the run directory and
//     its recorded process, when it runs, carries the node's mark. Read,
//     Apply and Exec refuse anything else (providers.RefuseRecorded)
//     before touching the host. A process a pid file in a node's
//     directory names is stopped only when benito started it there.
//   - Calls for different resources are safe to run concurrently.
package process
