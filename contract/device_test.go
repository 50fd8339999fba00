package contract

import (
	"strings"
	"testing"
)

func TestDeviceNameUniqueByOwner(t *testing.T) {
	// Joined with '-', these two owners made one device name.
	a := DeviceName("/run/benito/x", DeviceOfVNode, "x-y", "e0")
	b := DeviceName("/run/benito/x", DeviceOfVNode, "x", "y-e0")
	if a == b {
		t.Fatalf("owners (x-y, e0) and (x, y-e0) share the device name %s", a)
	}
	// The experiments whose 20-bit tags collide differ in the rest of the name.
	c := DeviceName("/run/benito/rx829151", DeviceOfSwitch, "lan")
	d := DeviceName("/run/benito/qsrel", DeviceOfSwitch, "lan")
	if c == d {
		t.Fatalf("experiments rx829151 and qsrel share the device name %s", c)
	}
	for _, n := range []string{a, b, c, d} {
		if len(n) != IFNameMax || CheckDeviceName(n) != nil {
			t.Errorf("DeviceName gave %q, not a valid %d-byte device name", n, IFNameMax)
		}
		if !strings.HasPrefix(n, "b") {
			t.Errorf("DeviceName gave %q, which does not begin with b", n)
		}
	}
}

func TestDeviceIsOurs(t *testing.T) {
	run := "/run/benito/demo"
	name := DeviceName(run, DeviceOfSwitch, "lan")
	for _, tc := range []struct {
		alias string
		want  bool
	}{
		{DeviceAlias(run, "switch.lan"), true},
		{"", true}, // interrupted before the alias was set: known by its form
		{DeviceAlias("/srv/other/demo", "switch.lan"), false},
		{"set by hand", false},
	} {
		if got := DeviceIsOurs(run, name, tc.alias); got != tc.want {
			t.Errorf("DeviceIsOurs(%q, %q, %q) = %v, want %v", run, name, tc.alias, got, tc.want)
		}
	}
	if DeviceIsOurs(run, "eth0", "") {
		t.Error("eth0 without an alias is taken for the experiment's")
	}
}

func TestCheckInterfaceName(t *testing.T) {
	for _, bad := range []string{"", "-Pfile", "-d", "--help", "lo", "a/b", "a b", "x:1", "e%d", "sixteen-bytes-xx", ".."} {
		if CheckInterfaceName(bad) == nil {
			t.Errorf("CheckInterfaceName(%q) accepted it", bad)
		}
	}
	for _, good := range []string{"eth0", "e-0", "veth.1", "x_y"} {
		if err := CheckInterfaceName(good); err != nil {
			t.Errorf("CheckInterfaceName(%q): %v", good, err)
		}
	}
}
