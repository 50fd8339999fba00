// Package guestconfig is the one definition of the config share a QEMU node
// boots with: the read-only virtio-9p share with mount tag Tag that the test
// guest's init (scripts/guest-image) mounts and applies. A Node is what a
// guest is told; Files renders it and Write puts it in a directory.
//
// The share holds three files, all text that busybox sh reads with `read`:
//
//	node.conf  one record a line, fields separated by one space, in this order:
//	             benito-guest-config 2         the format and its version (first line)
//	             hostname NAME
//	             iface MAC NAME MTU PREFIX...  an interface, by MAC (lower case), renamed
//	                                           NAME, its MTU (0: the driver's) and its
//	                                           addresses (none: brought up only)
//	             route DEST GATEWAY            DEST is "default" or a prefix
//	             mount TAG PATH ro|rw          a 9P share to mount at PATH
//	hosts      the guest's /etc/hosts
//	startup    the startup command, run by /bin/sh -c after the rest is
//	           applied (absent: none)
//
// What it promises: Files is deterministic (same Node, same bytes), and
// refuses with an error saying which field is bad anything init could
// misread: a field with a space or a newline, a MAC, prefix or address that
// does not parse, a route to a gateway of another family, a relative mount
// path, a 9P tag QEMU would refuse. Records keep the order of the Node's
// slices: iface records precede route records, so that routes find their
// gateways on a link.
package guestconfig
