// Package netmask reads and writes IPv4 netmasks, with the one set of rules
// that holds wherever benito reads ip4_netmask: in HCL, in TopDL, and in the
// configuration a provider is handed. It imports nothing of benito's, so
// that providers may use it.
package netmask

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
)

// Parse returns the prefix length s gives: a dotted IPv4 netmask whose one
// bits all come first ("255.255.255.0"), or a prefix length from 0 to 32
// in decimal, with or without a slash ("/24", "24"). Spaces around s are
// ignored. A length is digits only (no sign, no leading zero but in "0"),
// and a dotted mask is what net/netip reads as an IPv4 address (no leading
// zeros, no IPv4-mapped IPv6 form), so that each mask has one spelling.
func Parse(s string) (int, error) {
	t := strings.TrimSpace(s)
	if n, ok := strings.CutPrefix(t, "/"); ok || !strings.Contains(t, ".") {
		if bits, ok := length(n); ok {
			return bits, nil
		}
		return 0, invalid(s)
	}
	a, err := netip.ParseAddr(t)
	if err != nil || !a.Is4() {
		return 0, invalid(s)
	}
	b := a.As4()
	m := binary.BigEndian.Uint32(b[:])
	ones := bits.LeadingZeros32(^m)
	if m != mask(ones) {
		return 0, fmt.Errorf("%q is not a contiguous netmask: its one bits must all come first, as in 255.255.255.0 or 255.255.240.0", s)
	}
	return ones, nil
}

// length reads a prefix length: 0 to 32, digits only, no leading zero.
func length(s string) (int, bool) {
	if s == "" || len(s) > 2 || (len(s) == 2 && s[0] == '0') {
		return 0, false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n <= 32
}

func invalid(s string) error {
	return fmt.Errorf("%q is not a netmask: write a dotted mask such as \"255.255.255.0\", or a prefix length such as \"/24\" or 24", s)
}

// mask is the netmask of a prefix length, as a number; a shift by 32
// gives 0, the /0 mask.
func mask(bits int) uint32 { return ^uint32(0) << (32 - bits) }

// Format renders a prefix length (0 to 32) as a dotted IPv4 netmask.
func Format(bits int) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], mask(bits))
	return netip.AddrFrom4(b).String()
}
