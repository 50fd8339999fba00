package contract

import (
	"fmt"
	"math"
	"net/netip"
	"path"
	"strconv"
	"strings"
)

// The settings of an OpenVZ-style container, as vzctl(8) names them. They
// are the vnode's attributes a container provider reads; every other
// platform refuses a node that sets one (OpenVZAttributes).

// The range of a container's "ctid". vzctl(8): "CT ID <= 100 are reserved
// for OpenVZ internal purposes. A numeric ID should not be more than
// 2147483644." (0 is the host itself.)
const (
	MinCTID = 101
	MaxCTID = 2147483644
)

// MinDiskspace is the smallest "diskspace", in bytes: the private area of
// a container with a diskspace is an ext4 file system of that size, which
// needs room for its own metadata (internal/privatearea's MinSize).
// A diskspace is also a multiple of DiskspaceUnit, the file system's block.
const (
	MinDiskspace  = 8 << 20
	DiskspaceUnit = 4096
)

// OpenVZAttributes lists the vnode attributes that configure an OpenVZ
// container alone, with the name the language gives each: a platform that
// is not a container refuses a node that sets one, rather than ignore what
// it was asked. The slice is shared: do not modify it.
var OpenVZAttributes = []struct{ Attribute, Language string }{
	{"ctid", "ctid"},
	{"hostname", "hostname"},
	{"diskspace", "diskspace"},
	{"nameservers", "nameserver"},
	{"init", "init"},
}

// ParseDiskspace reads a diskspace as vzctl writes one and DETER's
// containers:openvz_diskspace carries it: a whole number of bytes, or a
// whole number followed by one of the suffixes K, M, G and T (powers of
// 1024), such as "2G" or "512M". Nothing else is taken: no fraction, sign,
// space, lower-case suffix or vzctl's "soft:hard" pair, which a container
// here does not have. The result is not checked against CheckDiskspace.
func ParseDiskspace(s string) (int64, error) {
	num, shift := s, 0
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'K':
			shift = 10
		case 'M':
			shift = 20
		case 'G':
			shift = 30
		case 'T':
			shift = 40
		case 'k', 'm', 'g', 't', 'B', 'b':
			return 0, fmt.Errorf("diskspace %q: the suffix is K, M, G or T, upper case, such as \"2G\"", s)
		}
		if shift > 0 {
			num = s[:n-1]
		}
	}
	if strings.Contains(s, ":") {
		return 0, fmt.Errorf("diskspace %q: one size, not vzctl's soft:hard pair (a container here has one hard limit)", s)
	}
	if num == "" || strings.TrimLeft(num, "0123456789") != "" {
		return 0, fmt.Errorf("diskspace %q is not a size: a whole number of bytes, or one followed by K, M, G or T, such as \"2G\"", s)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("diskspace %q is too large", s)
	}
	return n << shift, nil
}

// CheckDiskspace reports a diskspace, in bytes, that a private area cannot
// have: less than MinDiskspace or not a multiple of DiskspaceUnit.
func CheckDiskspace(n int64) error {
	if n < MinDiskspace || n%DiskspaceUnit != 0 {
		return fmt.Errorf("diskspace %d bytes: it must be at least %d (8M) and a multiple of %d, the block of the file system that holds the container's writes", n, MinDiskspace, DiskspaceUnit)
	}
	return nil
}

// CheckCTID reports a ctid out of MinCTID..MaxCTID.
func CheckCTID(n int64) error {
	if n < MinCTID || n > MaxCTID {
		return fmt.Errorf("ctid %d: a container id is from %d to %d (vzctl reserves 0 to 100)", n, MinCTID, MaxCTID)
	}
	return nil
}

// CheckHostname reports a hostname a container cannot have: not a host
// name of RFC 1123 (labels of letters, digits and '-', neither first nor
// last, joined by '.'), or longer than the kernel's 64 bytes.
func CheckHostname(s string) error {
	bad := fmt.Errorf("hostname %q is not a host name: labels of letters, digits and '-' (not first or last), joined by '.', 64 characters at most", s)
	if s == "" || len(s) > 64 {
		return bad
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return bad
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return bad
			}
		}
	}
	return nil
}

// CheckNameserver reports a nameserver that is not an IP address literal
// as resolv.conf takes one: IPv4 dotted quad or IPv6, no zone, no port.
func CheckNameserver(s string) error {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" || a.Is4In6() || a.IsUnspecified() {
		return fmt.Errorf("nameserver %q is not an IP address such as \"192.0.2.53\" or \"2001:db8::53\" (no name, port or zone)", s)
	}
	return nil
}

// CheckInit reports an init command a container cannot run as its PID 1:
// empty, an empty argument, or a program that is not an absolute path (a
// container's PID 1 is started before anything could search a PATH).
func CheckInit(argv []string) error {
	if len(argv) == 0 {
		return fmt.Errorf("init is empty: give the program and its arguments, such as [\"/sbin/init\"]")
	}
	for i, a := range argv {
		if a == "" {
			return fmt.Errorf("init's argument %d is empty", i)
		}
		if strings.ContainsRune(a, 0) {
			return fmt.Errorf("init's argument %d holds a NUL byte", i)
		}
	}
	if !path.IsAbs(argv[0]) {
		return fmt.Errorf("init's program %q is not an absolute path in the container, such as \"/sbin/init\"", argv[0])
	}
	return nil
}
