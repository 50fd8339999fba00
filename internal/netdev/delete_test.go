package netdev

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os/exec"
	"sync"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/benito-net/benito/internal/testenv"
)

func needRoot(t *testing.T) {
	t.Helper()
	testenv.Root(t)
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
	if err := Delete(idx); err != nil {
		t.Errorf("deleting a gone link: %v", err)
	}
	if err := Delete(); err != nil {
		t.Errorf("deleting nothing: %v", err)
	}
}

// TestDeleteConcurrent checks merged deletes: many Deletes at once (so that
// batches form), some of links already gone, all return with their links
// gone, and a link nobody asked for stays.
func TestDeleteConcurrent(t *testing.T) {
	needRoot(t)
	g := tag()
	keep := add(t, &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "bnd" + g + "k"}, PeerName: "bnd" + g + "K"})
	const n = 24
	idx := make([]int, n)
	for i := range idx {
		name := fmt.Sprintf("bnd%s%02d", g, i)
		idx[i] = add(t, &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: name + "p"})
	}
	// A few are gone before they are asked for.
	for _, i := range []int{3, 11} {
		if err := netlink.LinkDel(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: idx[i]}}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, n/2)
	for i := range errs {
		wg.Go(func() { errs[i] = Delete(idx[2*i], idx[2*i+1]) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("delete %d: %v", i, err)
		}
	}
	for i, x := range idx {
		if _, err := netlink.LinkByIndex(x); err == nil {
			t.Errorf("link %d (%d) still there", i, x)
		}
	}
	if _, err := netlink.LinkByIndex(keep); err != nil {
		t.Errorf("the link nobody asked to delete is gone: %v", err)
	}
}

// TestLinksWhileLinksChange: a dump the kernel marks interrupted (links
// were added and removed as it ran) is asked again, so Links returns a
// whole list while another goroutine keeps changing the links. The
// namespace holds enough links for a dump to take several messages.
func TestLinksWhileLinksChange(t *testing.T) {
	needRoot(t)
	nsName := "bnt-" + tag()
	if out, err := exec.Command("ip", "netns", "add", nsName).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", nsName).Run() })
	ns, err := netns.GetFromName(nsName)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for i := range 300 {
		if err := h.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("d%d", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		h2, err := netlink.NewHandleAt(ns)
		if err != nil {
			return
		}
		defer h2.Close()
		for {
			select {
			case <-stop:
				return
			default:
			}
			l := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "churn"}}
			if h2.LinkAdd(l) == nil {
				h2.LinkDel(l)
			}
		}
	}()
	defer func() { close(stop); <-done }()
	for range 100 {
		ls, err := Links(h)
		if err != nil {
			t.Fatalf("Links while links change: %v", err)
		}
		if len(ls) < 301 {
			t.Fatalf("Links returned %d links, want lo and the 300 made", len(ls))
		}
	}
}
