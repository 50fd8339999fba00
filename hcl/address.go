package hcl

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/benito-net/benito/internal/netmask"
)

// parseIPv4 parses a dotted IPv4 address. IPv4-mapped IPv6 forms are
// refused: interfaces of an experiment speak plain IPv4.
func parseIPv4(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("%q is not an IPv4 address: write four decimal numbers separated by dots, such as \"10.0.0.1\"", s)
	}
	return a, nil
}

// parseAddress parses "10.0.0.1" or "10.0.0.1/24"; bits is -1 when no prefix
// length is given.
func parseAddress(s string) (addr netip.Addr, bits int, err error) {
	if !strings.Contains(s, "/") {
		a, err := parseIPv4(s)
		return a, -1, err
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Addr{}, -1, fmt.Errorf("%q is not an IPv4 address with a prefix length: write for example \"10.0.0.1/24\"", s)
	}
	return p.Addr(), p.Bits(), nil
}

// maskBits reads a netmask as a prefix length: a string as netmask.Parse
// reads it ("255.255.255.0", "/24", "24"), or the number 24.
func maskBits(v cty.Value) (int, error) {
	switch v.Type() {
	case cty.Number:
		if n, ok := wholeNumber(v); ok && n >= 0 && n <= 32 {
			return int(n), nil
		}
	case cty.String:
		n, err := netmask.Parse(v.AsString())
		if err != nil {
			return -1, err
		}
		return n, nil
	}
	return -1, fmt.Errorf("%s is not a netmask: write a dotted mask such as \"255.255.255.0\", or a prefix length such as \"/24\" or 24",
		show(v))
}

// hostProblem returns why an address cannot be a host address in its
// prefix, or "". Point-to-point (/31) and host (/32) prefixes have no
// network or broadcast address.
func hostProblem(p netip.Prefix) string {
	if p.Bits() >= 31 {
		return ""
	}
	switch p.Addr() {
	case p.Masked().Addr():
		return "the network address"
	case lastAddr(p):
		return "the broadcast address"
	}
	return ""
}

// lastAddr returns the highest address of an IPv4 prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	v := binary.BigEndian.Uint32(b[:]) | ^(^uint32(0) << (32 - p.Bits()))
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

// parseDestination reads a route destination: "default", a network such as
// "10.0.1.0/24", or a single address (a /32 host route).
func parseDestination(s string) (netip.Prefix, error) {
	if s == "default" {
		return netip.PrefixFrom(netip.IPv4Unspecified(), 0), nil
	}
	if !strings.Contains(s, "/") {
		a, err := parseIPv4(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a destination: write \"default\", a network such as \"10.0.1.0/24\", or an IPv4 address", s)
		}
		return netip.PrefixFrom(a, 32), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("%q is not a destination: write \"default\", a network such as \"10.0.1.0/24\", or an IPv4 address", s)
	}
	if p != p.Masked() {
		return netip.Prefix{}, fmt.Errorf("%q has host bits set: the network is %q", s, p.Masked())
	}
	return p, nil
}

// parseSubnet reads a switch's subnet: an IPv4 network without host bits.
func parseSubnet(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("%q is not an IPv4 network: write for example \"10.0.0.0/24\"", s)
	}
	if p != p.Masked() {
		return netip.Prefix{}, fmt.Errorf("%q has host bits set: the network is %q", s, p.Masked())
	}
	return p, nil
}

// parseMAC reads a unicast EUI-48 address.
func parseMAC(s string) (net.HardwareAddr, error) {
	mac, err := net.ParseMAC(s)
	if err != nil || len(mac) != 6 {
		return nil, fmt.Errorf("%q is not a MAC address: write six hexadecimal bytes separated by colons, such as \"02:00:00:00:00:01\"", s)
	}
	if mac[0]&1 != 0 {
		return nil, fmt.Errorf("%s is a multicast address (the low bit of its first byte is set), which an interface cannot have; "+
			"use a locally administered unicast address such as 02:…", mac)
	}
	if string(mac) == "\x00\x00\x00\x00\x00\x00" {
		return nil, fmt.Errorf("00:00:00:00:00:00 is not a usable MAC address")
	}
	return mac, nil
}

// show renders a value for a message the way it would be written in HCL.
func show(v cty.Value) string {
	switch {
	case v.ContainsMarked():
		return "(sensitive value)"
	case v.IsNull():
		return "null"
	case !v.IsKnown():
		return "(unknown)"
	case v.Type() == cty.String:
		return strconv.Quote(v.AsString())
	case v.Type() == cty.Number:
		if f := v.AsBigFloat(); f.IsInt() {
			return f.Text('f', 0)
		}
		return v.AsBigFloat().Text('g', -1)
	case v.Type() == cty.Bool:
		return strconv.FormatBool(v.True())
	}
	return "a value of type " + v.Type().FriendlyName()
}
