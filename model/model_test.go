package model

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/benito-net/benito/addrs"
)

func TestHostName(t *testing.T) {
	for _, tc := range []struct {
		in   addrs.Instance
		want string
	}{
		{addrs.Instance{Name: "a"}, "a"},
		{addrs.Instance{Name: "h", Key: addrs.IntKey(0)}, "h-0"},
		{addrs.Instance{Name: "h", Key: addrs.IntKey(12)}, "h-12"},
		{addrs.Instance{Name: "host", Key: addrs.StringKey("b")}, "host-b"},
		{addrs.Instance{Name: "h", Key: addrs.StringKey("0")}, "h-0"},
	} {
		if got := HostName(tc.in); got != tc.want {
			t.Errorf("HostName(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestForwards(t *testing.T) {
	fwd := func(proto, addr string, port int) *Forward {
		return &Forward{Protocol: proto, HostAddress: netip.MustParseAddr(addr), HostPort: port, GuestPort: 22}
	}
	for _, tc := range []struct {
		a, b  *Forward
		clash bool
	}{
		{fwd("tcp", "127.0.0.1", 2222), fwd("tcp", "127.0.0.1", 2222), true},
		{fwd("tcp", "127.0.0.1", 2222), fwd("udp", "127.0.0.1", 2222), false},
		{fwd("tcp", "127.0.0.1", 2222), fwd("tcp", "127.0.0.1", 2223), false},
		{fwd("tcp", "127.0.0.1", 2222), fwd("tcp", "10.0.0.1", 2222), false},
		{fwd("tcp", "0.0.0.0", 2222), fwd("tcp", "10.0.0.1", 2222), true},
		{fwd("tcp", "10.0.0.1", 2222), fwd("tcp", "0.0.0.0", 2222), true},
		{fwd("udp", "0.0.0.0", 53), fwd("tcp", "0.0.0.0", 53), false},
	} {
		if got := tc.a.Clashes(tc.b); got != tc.clash {
			t.Errorf("%v clashes with %v: %v, want %v", *tc.a, *tc.b, got, tc.clash)
		}
	}
	fs := []*Forward{fwd("udp", "0.0.0.0", 53), fwd("tcp", "127.0.0.1", 80), fwd("tcp", "10.0.0.1", 9000), fwd("tcp", "127.0.0.1", 22)}
	slices.SortFunc(fs, CompareForwards)
	var got []string
	for _, f := range fs {
		got = append(got, netip.AddrPortFrom(f.HostAddress, uint16(f.HostPort)).String()+"/"+f.Protocol)
	}
	want := []string{"10.0.0.1:9000/tcp", "127.0.0.1:22/tcp", "127.0.0.1:80/tcp", "0.0.0.0:53/udp"}
	if !slices.Equal(got, want) {
		t.Errorf("sorted: %v, want %v", got, want)
	}
}
