package model

import (
	"strings"
	"testing"
)

func TestDeriveMAC(t *testing.T) {
	a := DeriveMAC("demo", "a", "eth0")
	if a.String() != DeriveMAC("demo", "a", "eth0").String() {
		t.Fatal("DeriveMAC is not deterministic")
	}
	if a[0] != 0x02 {
		t.Errorf("want a locally administered unicast MAC, got %s", a)
	}
	if a.String() == DeriveMAC("other", "a", "eth0").String() {
		t.Error("two experiments share a MAC")
	}
}

func TestDeviceName(t *testing.T) {
	short := DeviceName("demo", "a", "eth0")
	if !strings.HasPrefix(short, "b"+ExperimentTag("demo")+"-") || !strings.HasSuffix(short, "-a-eth0") {
		t.Errorf("short name: got %q", short)
	}
	long := DeviceName("demo", "a-very-long-node-name", "eth0")
	if len(long) > contract.IFNameMax {
		t.Errorf("%q is longer than IFNAMSIZ allows", long)
	}
	if long == DeviceName("demo", "a-very-long-node-name", "eth1") {
		t.Error("hashed names collide")
	}
	if DeviceName("x", "a", "eth0") == DeviceName("y", "a", "eth0") {
		t.Error("two experiments share a device name")
	}
}
