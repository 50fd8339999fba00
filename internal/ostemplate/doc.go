// Package ostemplate owns the OS templates of OpenVZ-style containers: a
// template is a tarball (gzip-compressed or not) of a whole root file
// system, as vzctl's ostemplates are, made by scripts/ct-template for tests
// or by debootstrap for real experiments (docs/openvz.md).
//
// Unpack unpacks one into a directory; Cache unpacks it once per content
// (its sha256) into a cache directory and hands the same tree back after,
// for containers to share read-only under their own private areas.
//
// What it promises. A template is trusted as an operating system (its
// processes run as root in the container anyway) but not as an archive:
// Unpack, run as root, never writes outside its directory. It refuses
// absolute names, names with "..", entries reached through a symbolic
// link (a link is made as it is, whatever its target, and never followed
// while unpacking), hard links to anything but a regular file unpacked
// before, and character or block devices and FIFOs outside dev/ (those
// under dev/ are skipped: the container runtime mounts its own /dev, and a
// device node would otherwise open a host device to the container). Owners
// (numeric, when unpacking as root), modes with their setuid, setgid and
// sticky bits, and the modification times of files and directories are
// kept, since an OS needs them; extended attributes (file capabilities)
// are not. Every refusal names the tarball, the entry and why.
//
// Cache keeps its trees in a directory of mode 0700, so that the setuid
// programs of a template are no way up for host users.
package ostemplate
