// Package hostnet is the provider of the host's network substrate: the
// switches, VDE ports, TAP devices and bridges that lowering binds to the
// provider named contract.HostNetProvider.
//
// What it makes is real. A switch of kind "vde" is a vde_switch daemon
// whose control directory is the lowered socket path; its management
// socket, pid file and log sit beside it (NAME.mgmt, NAME.pid, NAME.log in
// the experiment's run directory). A switch of kind "bridge" and a bridge
// are Linux bridges made with netlink. A port is a numbered port created on
// its switch through the management socket. A tap is a persistent TAP
// device, plugged into its VDE port by a supervised vde_plug2tap process
// (internal/daemon) and/or enslaved to a bridge. A tap's ip4_address (the
// host-side address, as Palacios' qemu-ifup set one) is the TAP's only
// IPv4 address: added with netlink on create, the old one replaced by the
// new in place on update, read back on refresh (a TAP without it reads
// back with the address it has, or none), and gone with the device on
// destroy. A bridge (of a switch of kind bridge, or of a bridge) may join
// the host's own devices (join.go): an existing host bridge used as its
// device, and an uplink interface enslaved to it on apply and released on
// destroy; neither is created, deleted or reconfigured, and a missing one
// is refused at plan.
//
// Promises:
//   - Read asks the host, not the state: a switch whose daemon died or was
//     restarted, a port missing from port/allprint, a TAP deleted by hand
//     or whose plug died all read back as gone (null) and are planned
//     again; a TAP moved off its bridge reads back with the bridge it is on.
//   - Every bridge and TAP it makes carries contract.DeviceAlias (the
//     experiment's run directory and the resource's address), set right
//     after the device is made. A device found under a planned or recorded
//     name is used, adopted or deleted only if contract.DeviceIsOurs says
//     it is the experiment's: another's device (another experiment's, or
//     one made by hand, such as eth0 named by a tampered state) reads back
//     as gone, and a create or delete that meets it fails naming both
//     owners. `benito import` gives a device without an alias the
//     experiment's.
//   - What the state or a saved plan records is input (recorded.go,
//     providers.RecordedError): before Read, Apply, Import or Sweep act on
//     a recorded socket it must be RUN_DIR/switch/NAME.ctl of the run
//     directory Configure gave (no symbolic link leading out, for it and
//     the files beside it), and a recorded process (private data, or a
//     switch's pid file) that runs must be a vde_switch or vde_plug2tap
//     running as benito's user with that socket (and the TAP's name) among
//     its arguments. Anything else is refused with
//     providers.RefuseRecorded and nothing is done on the host for it:
//     no directory elsewhere removed, no stranger's process stopped, no
//     other experiment's switch managed.
//   - Creates are idempotent: a create that finds its object already there
//     (left by an interrupted apply, or the remains of a dead switch)
//     adopts or clears it. A create that fails part-way removes what it
//     made.
//   - Names given to programs come after "--" (vde_plug2tap's TAP).
//   - Deletes are idempotent: an object already gone is success. Destroy
//     leaves no device, process, socket or file behind.
//   - Plan is pure; nothing on the host changes outside ApplyResource.
package hostnet
