// Package vdewire shapes one attachment to a VDE switch with VDE's own
// link emulator, for every provider whose endpoints join VDE switches (the
// TAP plugs of process nodes, QEMU's -netdev vde).
//
// A Wire is a private hub (vde_switch -x, three ports) that the endpoint
// joins instead of the switch, and a wirefilter between the hub (its left
// side, L) and the endpoint's port on the switch (right, R). Wirefilter
// delays, drops and rate-limits the packets going L->R, the endpoint's
// egress, like a qdisc on the endpoint's side of the link; R->L is left
// alone. With a bandwidth, its queue is bounded as a bridge's token bucket
// is (shaping.QueueLimit). Values change in place through wirefilter's
// management socket: the hub, the endpoint and the switch port stay.
//
// Files, all in the wire's directory (Dir), which Ensure makes and Stop
// removes:
//
//	wire.ctl/    the hub's control directory (Hub: what the endpoint joins)
//	wire.mgmt    wirefilter's management socket
//	hub.pid      the pid files the two daemons write themselves
//	wire.pid
//	hub.benito   benito's pid files (daemon.WritePidFile: pid and start
//	wire.benito  time; wirefilter's tagged with its switch and port)
//
// Promises:
//   - Ensure starts only what is missing and sets the values of a working
//     wirefilter in place, sending only those that differ; it says when it
//     started a new hub, which an endpoint joined to the old one must
//     re-join.
//   - Working is false once the hub or the wirefilter died, or the switch
//     went away or was started again (a wirefilter outlives its switch,
//     and spins): the switch is told by its control socket's device, inode
//     and time of creation, which a restarted switch makes anew.
//   - Read returns the values wirefilter applies now, as its showinfo
//     prints them; Same compares them with what was asked.
//   - The hub and the wirefilter are born in Group (daemon.Group), with
//     what they fork, so a crash leaves them findable from the host alone.
//   - Stop, and Ensure replacing a process, signal a process a pid file
//     names only when it is the one benito started for this wire: the same
//     start time, benito's user, the program (vde_switch or wirefilter),
//     and this wire's socket among its arguments (daemon.NotStarted).
//     Anything else is left running and named in the error. What is
//     already gone is no error. A hub or wirefilter whose start benito did
//     not get to record (killed in between) is found by the daemon's own
//     pid file, and stopped when it passes the same check.
//   - A Wire is a value and keeps no state but its files: calls for
//     different wires (directories) may run concurrently; the caller
//     serializes the calls for one wire.
package vdewire
