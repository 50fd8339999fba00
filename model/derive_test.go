package model

import "testing"

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
