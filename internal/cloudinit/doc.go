// Package cloudinit renders a guestconfig.Node as a NoCloud seed, the
// second way a QEMU node comes up configured (the first is guestconfig's
// 9P config share, read by the test guest's init): for stock cloud images,
// whose cloud-init reads a volume labelled cidata. docs/cloud-init.md says
// when to use which and how to boot an image with it by hand.
//
// The seed is three files (Files renders them, WriteSeed writes them):
//
//	meta-data       instance-id (InstanceIDPrefix and a digest of the
//	                other files and the host name: a changed node is a new
//	                instance, an unchanged one is not) and local-hostname
//	network-config  version 2: one ethernets entry an interface, matched by
//	                MAC and named (set-name) InterfaceID(i) in the Node's
//	                order; its addresses; no DHCP and no router
//	                advertisements; every route on the interface whose
//	                subnet holds its gateway
//	user-data       #cloud-config: hostname (and fqdn for a dotted name),
//	                /etc/hosts written whole (guestconfig's hosts file, byte
//	                for byte; manage_etc_hosts false), the 9P shares as
//	                fstab lines plus mkdir and mount in runcmd, then the
//	                startup command as runcmd's last entry, run as
//	                /bin/sh -c COMMAND; no package update, upgrade or install
//	                (experiments have no way out)
//
// The shares are not cloud-init's mounts module: that module keeps an entry
// only when its device is a block device or host:path and drops a 9P tag as
// a nonexistent device. Each share is a line "TAG PATH 9p
// trans=virtio,version=9p2000.L[,ro],nofail 0 0" appended to /etc/fstab
// (nofail: a missing share must not stop a boot), which systemd mounts on
// later boots; runcmd mounts them on the first.
//
// runcmd runs once per instance, late in the first boot (cloud-init's final
// stage, after the network and the mounts): the startup command does not
// run again at a reboot of the same instance.
//
// A secret: the startup command is the user's and may hold one. The seed
// files and the image are written 0600 (Rock Ridge keeps that mode inside
// the image), but in the guest the command ends up where cloud-init keeps
// what it was given and did: /var/lib/cloud/instance (user-data.txt, the
// runcmd script, instance-data-sensitive.json; root's only) and, with what
// the command prints, /var/log/cloud-init-output.log; the seed volume
// itself stays attached and readable by root.
//
// BuildISO makes the image with genisoimage (Debian package genisoimage):
// ISO9660, volume id VolumeLabel (cidata), Joliet and Rock Ridge. QEMU
// attaches it as a read-only virtio disk,
//
//	-drive file=seed.iso,if=virtio,format=raw,readonly=on
//
// which a cloud kernel reads (Debian's has virtio_blk and isofs) and NoCloud
// finds by its label. (media=cdrom means nothing to a virtio disk; -cdrom
// works too but needs the guest's ATA and sr drivers.)
//
// What it promises: Files is deterministic (same Node, same bytes: fixed
// field order, sorted keys); every value is written by a YAML encoder
// (gopkg.in/yaml.v3), the startup command as a double-quoted scalar, so a
// YAML reader gets back exactly the Node's strings, cloud-init's YAML 1.1
// included (a MAC of digits only, or a host name "on", stays a string); it refuses what
// guestconfig refuses, with guestconfig's errors, and a route whose gateway
// is on none of the node's subnets. WriteSeed writes nothing for a refused
// Node, and it and BuildISO replace each file whole (temporary file and
// rename): a reader never sees half a file.
package cloudinit
