package model

import (
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
