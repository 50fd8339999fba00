// Package qemu is the provider of QEMU nodes: vnodes of type "qemu", each a
// qemu-system-x86_64 virtual machine (DETER's default node type) on the
// experiment's switches, configured when it boots, and the routes, 9P
// mounts and startup command that live inside such a node, done in the
// guest through its QEMU guest agent. docs/qemu.md is the user's guide.
//
// A machine is one QEMU process (the site's qemu_binary), started by the
// provider in the machine's cgroup (group: benito/ESCAPED_RUN_DIR/qemu/NODE,
// providers.Group), with everything it and the machine's wires fork. Its
// files are
//
//	RUN_DIR/qemu/NODE/              0700: only root reaches its sockets
//	  qmp.sock                      QMP, QEMU's control socket
//	  agent.sock                    the host end of the guest agent's channel
//	  console.sock                  the serial console (benito console NODE)
//	  config/                       the config share (internal/guestconfig)
//	  experiment/hosts              a bind mount of the experiment's hosts file (shareHosts)
//	  disk.qcow2                    the qcow2 overlay over the image, if any
//	  seed/, seed.iso               the cloud-init seed, with guest_config = "cloud-init"
//	  wire/IFACE/                   a shaped VDE interface's wire (internal/vdewire)
//	RUN_DIR/log/qemu/NODE.log       what QEMU printed (0600)
//	RUN_DIR/log/qemu/NODE.console.log  everything the serial console printed (0600,
//	                                   made before QEMU starts, which would make it 0644)
//
// and the vnode records their paths as computed attributes (directory, qmp,
// agent, console, console_log, log, overlay), with the QEMU process (pid,
// start_time), what it boots (boot) and what it runs on (accelerator).
//
// QEMU's command line has this shape (commandLine):
//
//	-name NODE -nodefaults -no-user-config -display none -no-reboot
//	-machine MACHINE -accel kvm|tcg -m MEMORY -smp CPUS
//	-qmp unix:DIR/qmp.sock,server=on,wait=off
//	-chardev socket,id=console,path=DIR/console.sock,server=on,wait=off,logfile=CONSOLE_LOG,logappend=on
//	-serial chardev:console
//	-device virtio-serial
//	-chardev socket,id=agent,path=DIR/agent.sock,server=on,wait=off
//	-device virtserialport,chardev=agent,name=org.qemu.guest_agent.0
//	-virtfs local,path=DIR/config,mount_tag=benito-config,security_model=none,readonly=on
//	-virtfs local,path=DIR/experiment,mount_tag=benito-experiment,security_model=none,readonly=on
//	-virtfs local,path=SOURCE,mount_tag=benito-m-HASH,security_model=none[,readonly=on]  per mount
//	-kernel K [-initrd I] -append "console=ttyS0 panic=-1 KERNEL_ARGS"  with a kernel
//	-drive file=DIR/disk.qcow2,if=virtio,format=qcow2                     with an image
//	-drive file=DIR/seed.iso,if=virtio,format=raw,readonly=on             with cloud-init
//	-netdev ...,id=nN -device virtio-net-pci,netdev=nN,mac=MAC[,host_mtu=MTU]  per interface
//	-netdev user,id=fwd,restrict=on,net=10.0.2.0/24,hostfwd=... -device virtio-net-pci,...  with forwards
//
// The machine has no default device, no display and no monitor but QMP,
// and does not reboot: a guest that reboots (or panics: panic=-1) ends,
// and the next plan makes it anew. The base image is never written: the
// machine writes a qcow2 overlay (internal/qemuimg), removed with it.
//
// Interfaces, one way per switch kind (nic.go):
//   - On a VDE switch, QEMU's own VDE backend on the interface's port
//     (-netdev vde,sock=SOCKET,port=N): no TAP and no plug. A shaped
//     interface (capacity, latency, loss) joins a wire instead, as a
//     process node's TAP does: a private hub (vde_switch -x) and a
//     wirefilter from the hub to the interface's port (internal/vdewire),
//     started before QEMU, in the machine's cgroup; QEMU's backend plugs
//     into the hub. The wire shapes what the machine sends; its values
//     change in place, on the running wirefilter's management socket.
//   - On a bridge switch, a TAP the provider makes under the interface's
//     host_device name, with the experiment's alias ("qemu node NODE
//     interface IFACE", contract.DeviceAlias), enslaved to the bridge and
//     up, which QEMU opens (-netdev tap,ifname=...,script=no). A device of
//     that name that is not contract.DeviceIsOurs is an error naming its
//     owner. Shaping on a bridge is refused at plan (decodeNIC): a VM's
//     link is shaped by a wire, so the interface must be on a VDE switch.
//
// Each interface is a virtio-net-pci device with the interface's MAC, the
// MAC by which the guest finds it. The machine's PCI bus bounds how many it
// takes (nicLimit): QEMU's pc machine has 32 slots, of which the chipset
// takes 2, the agent's virtio-serial 1, the two config shares 2, and each
// mount, the disk and the cloud-init seed one more; forward blocks add one
// interface. A node with more interfaces than fit is refused at plan,
// saying how the slots are spent. (DETER allowed 7.)
//
// Forward blocks map ports of the host (127.0.0.1 unless host_address says
// otherwise) to ports of the guest through QEMU's user-mode network
// (hostfwd), with restrict=on: the guest cannot reach the host or beyond
// through it; the forwarded ports still reach the guest. The guest sees
// that interface as fwd0, 10.0.2.15/24, with a MAC derived from the run
// directory and node (forwardMAC); a node with forward blocks and an
// interface of its own named fwd0 is refused at plan (decodeVM).
//
// The guest learns its settings at boot, one of two ways (guest_config):
//   - "share" (the default): the read-only 9P share tagged benito-config,
//     DIR/config, written by internal/guestconfig: hostname, each
//     interface by MAC with its name, MTU and address, and the 9P mounts;
//     the test guest's init (scripts/guest/init) applies it before it
//     starts its agent. Every machine also gets DIR/experiment read-only,
//     tagged benito-experiment, which holds the experiment's hosts file
//     alone, bind-mounted there at create (shareHosts) and unbound at
//     delete: the config provider rewrites the file in place, and the bind
//     follows it. The rest of the config directory (topology.xml, which
//     may be root's alone, route/*) is not shared. The test guest mounts
//     the share and binds its hosts file over /etc/hosts, which then
//     follows the experiment's as it is rewritten.
//   - "cloud-init": a NoCloud seed (internal/cloudinit) of the same
//     settings, written 0600 in DIR/seed and attached as a read-only
//     virtio disk labelled cidata, for stock cloud images. Its /etc/hosts
//     is the experiment's hosts file as read at create (readHosts); it
//     does not follow later changes. Its interfaces are named benito0,
//     benito1, ..., so a route naming a device does not fit such a node.
//
// A machine with ip_forward forwards from its start: the create sets it
// through the agent once the guest answers.
//
// Routes, mounts, the startup command and the changes a running machine
// takes in place are done in the guest through its agent (guest.go):
// guest-exec of the QEMU guest agent protocol (internal/qga), on the
// virtio-serial port org.qemu.guest_agent.0, running the guest's own ip,
// mount and sh; a guest must run such an agent (qemu-guest-agent, or the
// test guest's benito-guest-agent). One call at a time per machine
// (agentLock): QEMU serves the channel to one client. A route is ip route
// replace, read back from ip -4 route show by destination and metric. A
// mount resource mounts its share by tag in the guest (mount -t 9p), read
// back from the guest's /proc/mounts; the shares themselves are the vnode's
// "mounts", exported from boot (read-only unless the mount block sets
// read_only = false: the language's default on a QEMU node). The startup
// command runs through a shell started by guest-exec, whose call returns at
// once (the shell's pid is the startup's), that records the command's exit
// status in the guest (/run/benito-startup.status; its output in
// /run/benito-startup.log); it reaches that shell in guest-exec's
// environment, never its arguments, and the shell unsets it before running
// it. A replacement stops the shell, its process group (the test guest's
// agent starts each command in one of its own) and its children. Its status
// is the process provider's: "running", "exited with code 0" (done),
// anything else failed and replaced by the next apply; one that fails
// within startupSettle fails the create. benito exec (Exec) is guest-exec
// too: the command gets the request's environment but for PATH, which is
// the guest's standard one (guestPath); its input is read whole first (at
// most 8 MiB), its output comes when it has ended, and there is no terminal
// (benito console NODE attaches to the serial console).
//
// Accelerator (accelerator): "tcg" is obeyed; "kvm" needs /dev/kvm; "auto"
// (the default) asks internal/accel, which boots a probe guest on KVM once
// per host, with the machine's kernel (or the test guest's, when built), and
// caches the answer in /var/cache/benito/accel.json: on some hosts
// /dev/kvm exists and a kernel hangs on it. The answer is recorded as
// "accelerator".
//
// Site keys (site.go, read at Configure; a bad value fails it): qemu_binary,
// qemu_accel, qemu_machine, qemu_memory, qemu_cpus, qemu_image,
// qemu_kernel, qemu_initrd, qemu_kernel_args, qemu_boot_timeout,
// qemu_stop_timeout. A node that names neither an image nor a kernel boots
// the site's; with neither there, the test guest scripts/guest-image built
// (/var/cache/benito/guest/current), when it is there. What a machine boots
// with, the node's settings or the site's, is recorded as "boot".
//
// What is replaced and what changes in place: the attributes in forceNew
// (image, memory, cpus, accel, machine, kernel, initrd, kernel_args,
// guest_config, forwards, mounts, ...) replace the machine, and so does a
// change of "boot" (a site default changed) or of how an interface is
// plugged (replugged: one added, removed or renamed, another switch, port,
// bridge or host device, MAC or MTU, or shaping added to or taken off a VDE
// interface, which puts a wire between or takes it away): QEMU's devices
// are fixed when it starts. An interface's address and shaping values, and
// ip_forward, change in place (updateVM).
//
// Promises:
//   - Create returns once the guest's agent answers (the guest has applied
//     its config: init does that before starting the agent), within the
//     site's qemu_boot_timeout (3 minutes by default); a QEMU that ends
//     first, or a guest that does not answer, fails the create with the
//     end of QEMU's log and the console's, and what was made is removed.
//     A create first removes what an earlier incarnation of the machine
//     left, as a delete does.
//   - Read returns null for a machine whose QEMU is not running (not
//     isMachine) or whose guest is shut down, panicked or stopped on an
//     error: the next apply makes it anew. An interface whose TAP is gone,
//     is not the experiment's or is off its bridge, or whose wire's hub is
//     gone, is left out of the interfaces read back (the plan replaces the
//     machine); a wire whose wirefilter died reads unshaped, and one
//     changed by hand reads its values (the plan sets them again, in
//     place). A route, mount or startup of a machine that does not run
//     reads as gone.
//   - Delete asks the guest to power down (guest-shutdown through its
//     agent, and ACPI through QMP's system_powerdown), waits up to the
//     site's qemu_stop_timeout (10 s by default) for QEMU to end, then kills
//     whatever is left in the machine's cgroup (QEMU, its wires), stops its
//     wires, removes its TAPs (those recorded that are the experiment's, and
//     any device whose alias names the node), unbinds the hosts file from
//     DIR/experiment, removes its directory and logs, and prunes the
//     directories and the experiment's cgroup once empty.
//     Deleting what is already gone succeeds.
//   - Sweep finds a machine from the host alone, when the state does not
//     know it: its directory, its logs, its cgroup, or a TAP whose alias
//     names it. One it is asked to remove goes as a delete removes it, but
//     without asking the guest to power down (the state records no
//     process to ask).
//   - A recorded value is acted on only when it names what this provider
//     makes for this experiment (recorded.go): a vnode's run_dir is the
//     experiment's run directory and its name one path element; the paths
//     it records are never used but derived from those two, and a state
//     recording others is refused; its recorded QEMU process is signalled
//     only while it is the one started for that machine (isMachine: alive
//     with the recorded start time, and given that machine's QMP socket);
//     interface names are device names; a route's, mount's or startup's
//     node is one path element. Read, Apply and Exec refuse anything else
//     (providers.RefuseRecorded) before touching the host.
//   - Calls for different resources are safe to run concurrently; calls on
//     one machine's agent are serialized.
package qemu
