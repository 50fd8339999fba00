package process

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

func TestSteps(t *testing.T) {
	if os.Getenv("BENITO_BENCH") == "" {
		t.Skip("set BENITO_BENCH=1 to run")
	}
	e := newEnv(t)
	br := e.bridge("x")
	brl, _ := netlink.LinkByName(br)
	const n = 50
	var hs []holder
	t.Cleanup(func() {
		for _, h := range hs {
			h.Stop(0)
		}
	})
	var d [6]time.Duration
	for i := 0; i < n; i++ {
		t0 := time.Now()
		h, err := startHolder("x", node{Name: "x"})
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
		t1 := time.Now()
		if err := h.setForwarding(false); err != nil {
			t.Fatal(err)
		}
		t2 := time.Now()
		nh, ns, err := h.netHandle()
		if err != nil {
			t.Fatal(err)
		}
		t3 := time.Now()
		nh.LinkSetUp(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: 1}})
		t4 := time.Now()
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "v" + e.tag + string(rune('a'+i%26)) + string(rune('a'+i/26)), MasterIndex: brl.Attrs().Index, Flags: net.FlagUp}, PeerName: "eth0", PeerNamespace: netlink.NsFd(ns)}
		if err := netlink.LinkAdd(veth); err != nil {
			t.Fatal(err)
		}
		t5 := time.Now()
		l, _ := nh.LinkByName("eth0")
		nh.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4(10, 61, 0, byte(i+1)), Mask: net.CIDRMask(16, 32)}})
		nh.LinkSetUp(l)
		t6 := time.Now()
		nh.Close()
		ns.Close()
		for j, x := range []time.Duration{t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3), t5.Sub(t4), t6.Sub(t5)} {
			d[j] += x
		}
	}
	t.Logf("per node: holder %v, sysctl %v, handle %v, lo %v, veth %v, addr+up %v", d[0]/n, d[1]/n, d[2]/n, d[3]/n, d[4]/n, d[5]/n)
	t0 := time.Now()
	for _, h := range hs {
		h.Stop(0)
	}
	t.Logf("stop: %v per node", time.Since(t0)/n)
}
