package contract

import (
	"strings"
	"testing"

	"github.com/benito-net/benito/internal/privatearea"
)

// TestMinDiskspaceIsPrivateArea: what the contract accepts as a diskspace
// is what a private area can be made with.
func TestMinDiskspaceIsPrivateArea(t *testing.T) {
	if MinDiskspace != privatearea.MinSize {
		t.Errorf("MinDiskspace %d, privatearea.MinSize %d", MinDiskspace, privatearea.MinSize)
	}
}

func TestParseDiskspace(t *testing.T) {
	for s, want := range map[string]int64{
		"0": 0, "4096": 4096, "100K": 100 << 10, "512M": 512 << 20, "2G": 2 << 30, "1T": 1 << 40,
		"0010M": 10 << 20, "8388607T": 8388607 << 40,
	} {
		if n, err := ParseDiskspace(s); err != nil || n != want {
			t.Errorf("ParseDiskspace(%q) = %d, %v; want %d", s, n, err, want)
		}
	}
	for s, says := range map[string]string{
		"": "not a size", "G": "not a size", "2g": "upper case", "2GB": "upper case", "2 G": "not a size",
		"-1": "not a size", "+1": "not a size", "1.5G": "not a size", "0x10": "not a size", "1G:2G": "soft:hard",
		"8388608T": "too large", "99999999999999999999": "too large", "2P": "not a size", " 2G": "not a size",
	} {
		n, err := ParseDiskspace(s)
		if err == nil {
			t.Errorf("ParseDiskspace(%q) = %d, want an error", s, n)
			continue
		}
		if !strings.Contains(err.Error(), says) {
			t.Errorf("ParseDiskspace(%q): %q does not say %q", s, err, says)
		}
	}
}

func TestCheckDiskspace(t *testing.T) {
	for _, n := range []int64{8 << 20, 8<<20 + 4096, 2 << 30} {
		if err := CheckDiskspace(n); err != nil {
			t.Errorf("%d: %v", n, err)
		}
	}
	for _, n := range []int64{0, -4096, 8<<20 - 4096, 8<<20 + 1, 100 << 10} {
		if CheckDiskspace(n) == nil {
			t.Errorf("%d accepted", n)
		}
	}
}

func TestCheckCTID(t *testing.T) {
	for _, n := range []int64{101, 1000, 2147483644} {
		if err := CheckCTID(n); err != nil {
			t.Errorf("%d: %v", n, err)
		}
	}
	for _, n := range []int64{-1, 0, 1, 100, 2147483645, 1 << 40} {
		if CheckCTID(n) == nil {
			t.Errorf("%d accepted", n)
		}
	}
}

func TestCheckNameserver(t *testing.T) {
	for _, s := range []string{"192.0.2.53", "2001:db8::53", "::1", "127.0.0.53"} {
		if err := CheckNameserver(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range []string{"", "ns.example", "192.0.2.53:53", "fe80::1%eth0", "0.0.0.0", "::", "::ffff:192.0.2.1", " 192.0.2.1", "192.0.2.01"} {
		if CheckNameserver(s) == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestCheckInit(t *testing.T) {
	for _, argv := range [][]string{{"/sbin/init"}, {"/bin/sh", "-c", "sleep 1"}} {
		if err := CheckInit(argv); err != nil {
			t.Errorf("%q: %v", argv, err)
		}
	}
	for _, argv := range [][]string{nil, {}, {""}, {"init"}, {"/sbin/init", ""}, {"/bin/sh\x00"}} {
		if CheckInit(argv) == nil {
			t.Errorf("%q accepted", argv)
		}
	}
}

// TestOpenVZAttributes: every OpenVZ-only attribute is a vnode attribute.
func TestOpenVZAttributes(t *testing.T) {
	for _, a := range OpenVZAttributes {
		if !ObjectType(VNode).HasAttribute(a.Attribute) || a.Language == "" {
			t.Errorf("%+v is not a vnode attribute", a)
		}
	}
}
