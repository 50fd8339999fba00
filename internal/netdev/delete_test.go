package netdev

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: makes devices for real")
	}
}

func tag() string {
	b := make([]byte, 3)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// add makes link l and deletes it when the test ends, if it is still there.
func add(t *testing.T, l netlink.Link) int {
	t.Helper()
	if err := netlink.LinkAdd(l); err != nil {
		t.Fatal(err)
	}
	name := l.Attrs().Name
	t.Cleanup(func() {
		if l, err := netlink.LinkByName(name); err == nil {
			netlink.LinkDel(l)
		}
	})
	got, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return got.Attrs().Index
}

// TestDeleteFreesName checks Delete's promise: when it returns, the devices
// are gone (a veth's peer with it, a bridge's ports released) and their
// names can be taken again at once, with no "file exists".
func TestDeleteFreesName(t *testing.T) {
	needRoot(t)
	g := tag()
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "bnd" + g}}
	bri := add(t, br)
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "bnd" + g + "v", MasterIndex: bri}, PeerName: "bnd" + g + "p"}
	vi := add(t, veth)
	for i := 0; i < 3; i++ {
		if err := Delete(vi, bri); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{br.Name, veth.Name, veth.PeerName} {
			if _, err := netlink.LinkByName(name); err == nil {
				t.Fatalf("round %d: %s still there after Delete returned", i, name)
			}
		}
		bri = add(t, &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: br.Name}})
		vi = add(t, &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: veth.Name, MasterIndex: bri}, PeerName: veth.PeerName})
	}
}

// TestDeleteGone checks Delete on links that are already gone: no error,
// no wait.
func TestDeleteGone(t *testing.T) {
	needRoot(t)
	name := "bnd" + tag()
	idx := add(t, &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: name + "p"})
	if err := Delete(idx); err != nil {
		t.Fatal(err)
	}
	if _, err := netlink.LinkByName(name + "p"); err == nil {
		t.Errorf("peer %sp left behind", name)
	}
	if err := Delete(idx); err != nil && !errors.Is(err, syscall.ENODEV) {
		t.Errorf("deleting a gone link: %v", err)
	}
	if err := Delete(); err != nil {
		t.Errorf("deleting nothing: %v", err)
	}
}
