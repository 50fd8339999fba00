// Package qemuimg makes and inspects disk images with qemu-img (Debian
// package qemu-utils): the copy-on-write overlays QEMU nodes boot, so that
// the base image a node was made from is never written.
//
// What it promises:
//   - Paths are absolute and clean, and are passed to qemu-img as
//     arguments after "--", never through a shell; an absolute path cannot
//     be read by QEMU as a protocol ("nbd:", "json:"), which needs a colon
//     before the first slash.
//   - A base image's format is the one qemu-img info reports, never
//     guessed from its name, and is recorded in the overlay (-F), so QEMU
//     does not probe it again at boot.
//   - Overlay makes a new file or fails: an existing file at the overlay's
//     path is refused, not overwritten; the base is only read.
package qemuimg
