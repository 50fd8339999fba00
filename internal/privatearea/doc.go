// Package privatearea makes the root file system of an OpenVZ-style
// container: a copy-on-write private area on top of a read-only template
// (the template unpacked once into a cache), with its size limited when the
// container has a diskspace.
//
// A container's directory DIR (Spec.Dir, made by Create) holds:
//
//	DIR/private.img   sparse file of Spec.Size bytes, an ext4 file system  (sized only)
//	DIR/private/      that file system, mounted through a loop device      (sized only)
//	DIR/private/upper DIR/private/work   the overlay's upper and work dirs (sized)
//	DIR/upper DIR/work                   the same on the host's file system (Size 0)
//	DIR/root/         the overlay: lowerdir=Spec.Lower, upperdir, workdir
//
// Every write of the container lands in the upper dir; the template is only
// read. With a Size, the upper dir is on a file system of that size, so
// writing past it fails with ENOSPC inside the container: that is how
// diskspace is enforced (docs/openvz-private-area.md).
//
// The loop device is attached with the kernel's loop API (LOOP_CTL_GET_FREE,
// LOOP_CONFIGURE with LO_FLAGS_AUTOCLEAR, kernel 5.8 or later) rather than
// by running mount -o loop: concurrent Creates race for free devices, and
// the EBUSY of the loser is seen and retried here instead of parsed from a
// program's message. With autoclear, the kernel itself detaches the device
// when its file system is unmounted, and when a Create dies before mounting.
//
// Mounts are made in the calling process's mount namespace (the host's).
//
// What it promises:
//   - Create makes DIR (refusing one that exists) and either returns a
//     mounted area or removes what it made.
//   - Remove (and Area.Remove) unmounts the overlay and the private file
//     system (lazily, MNT_DETACH, only when a plain unmount says busy),
//     detaches the loop devices backed by DIR/private.img and removes DIR.
//     It is idempotent: what is gone is no error, so it cleans up after a
//     crash at any point of Create. It refuses to act on a directory holding
//     anything Create does not make, or when a mount at or under DIR is not
//     one of ours (an overlay whose upperdir is ours, an ext4 on a loop
//     device backed by our image), or when our loop device is mounted
//     elsewhere; it never unmounts or removes what it did not make.
//   - Mounted, UsageOf and Diskspace read the host back: a root or private
//     file system that is not mounted, or a mount there that is not ours,
//     shows.
//   - A change of diskspace needs a new area: Diskspace reads the current
//     one back so a caller can see the change. Growing in place (resize2fs
//     online) needs CAP_SYS_RESOURCE, which a root without it (as in some
//     VMs and containers) lacks, and ext4 cannot shrink while mounted.
package privatearea
