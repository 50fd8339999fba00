package process

import (
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// TestSteps times the steps of making a node one at a time: its
// namespaces, pinned; a netlink handle in them; lo up; the veth; the
// address. It runs only with BENITO_BENCH=1.
func TestSteps(t *testing.T) {
	if os.Getenv("BENITO_BENCH") == "" {
		t.Skip("set BENITO_BENCH=1 to run")
	}
	e := newEnv(t)
	br := e.bridge("x")
	brl, _ := netlink.LinkByName(br)
	const n = 50
	var made []node
	t.Cleanup(func() {
		for _, nd := range made {
			New().removeNode(nd, nil)
		}
		prunePinDir(layout{e.runDir, Name})
	})
	var d [5]time.Duration
	for i := 0; i < n; i++ {
		nd := node{Name: fmt.Sprintf("x%d", i), RunDir: e.runDir, Type: Name}
		made = append(made, nd)
		t0 := time.Now()
		ns, err := newNamespaces(nd)
		if err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		nh, nsh, err := ns.netHandle()
		if err != nil {
			t.Fatal(err)
		}
		t2 := time.Now()
		nh.LinkSetUp(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: 1}})
		t3 := time.Now()
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "v" + e.tag + string(rune('a'+i%26)) + string(rune('a'+i/26)), MasterIndex: brl.Attrs().Index, Flags: net.FlagUp}, PeerName: "eth0", PeerNamespace: netlink.NsFd(nsh)}
		if err := netlink.LinkAdd(veth); err != nil {
			t.Fatal(err)
		}
		t4 := time.Now()
		l, _ := nh.LinkByName("eth0")
		nh.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4(10, 61, 0, byte(i+1)), Mask: net.CIDRMask(16, 32)}})
		nh.LinkSetUp(l)
		t5 := time.Now()
		nh.Close()
		nsh.Close()
		for j, x := range []time.Duration{t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3), t5.Sub(t4)} {
			d[j] += x
		}
	}
	t.Logf("per node: namespaces %v, handle %v, lo %v, veth %v, addr+up %v", d[0]/n, d[1]/n, d[2]/n, d[3]/n, d[4]/n)
	t0 := time.Now()
	for _, nd := range made {
		if err := New().removeNode(nd, nil); err != nil {
			t.Error(err)
		}
	}
	made = nil
	t.Logf("remove: %v per node", time.Since(t0)/n)
}
