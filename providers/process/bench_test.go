package process

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/benito-net/benito/providers"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/sys/unix"
)

// TestHundredNodes times creating and deleting 100 process nodes on one
// bridge with 10 calls in flight, as the engine makes them. It runs only
// with BENITO_BENCH=1.
func TestHundredNodes(t *testing.T) {
	if os.Getenv("BENITO_BENCH") == "" {
		t.Skip("set BENITO_BENCH=1 to run")
	}
	e := newEnv(t)
	br := e.bridge("h")
	const n = 100
	par, _ := strconv.Atoi(os.Getenv("BENITO_BENCH_PAR"))
	if par == 0 {
		par = 10
	}
	planned := make([]cty.Value, n)
	for i := range planned {
		cfg := e.nodeConfig(fmt.Sprintf("n%d", i), false, ifc{name: "eth0", bridge: br, addr: fmt.Sprintf("10.60.%d.%d/16", i/250, i%250+1)})
		planned[i] = e.plan(contract.VNode, fmt.Sprintf("vnode.n%d", i), cfg).Planned
	}
	vals := make([]cty.Value, n)
	run := func(fn func(i int)) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		sem := make(chan struct{}, par)
		for i := 0; i < n; i++ {
			wg.Add(1)
			sem <- struct{}{}
			go func() { defer wg.Done(); fn(i); <-sem }()
		}
		wg.Wait()
		return time.Since(start)
	}
	create := run(func(i int) {
		resp := e.p.ApplyResource(context.Background(), providers.ApplyResourceRequest{Address: fmt.Sprintf("vnode.n%d", i), Type: contract.VNode, Prior: cty.NullVal(planned[i].Type()), Planned: planned[i]})
		vals[i] = resp.New
		if resp.Diagnostics.HasErrors() {
			t.Error(resp.Diagnostics.Err())
		}
	})
	t.Cleanup(func() {
		for i, v := range vals {
			if !v.IsNull() {
				e.p.ApplyResource(context.Background(), providers.ApplyResourceRequest{Address: fmt.Sprintf("vnode.n%d", i), Type: contract.VNode, Prior: v, Planned: cty.NullVal(v.Type())})
			}
		}
	})
	read := run(func(i int) {
		resp := e.p.ReadResources(context.Background(), providers.ReadResourcesRequest{Resources: []providers.ReadResource{{Address: fmt.Sprintf("vnode.n%d", i), Type: contract.VNode, Current: vals[i]}}})
		if resp.Diagnostics.HasErrors() || !resp.Resources[0].New.RawEquals(vals[i]) {
			t.Errorf("read n%d: %v", i, resp.Diagnostics.Err())
		}
	})
	del := run(func(i int) {
		resp := e.p.ApplyResource(context.Background(), providers.ApplyResourceRequest{Address: fmt.Sprintf("vnode.n%d", i), Type: contract.VNode, Prior: vals[i], Planned: cty.NullVal(vals[i].Type())})
		if resp.Diagnostics.HasErrors() {
			t.Error(resp.Diagnostics.Err())
		} else {
			vals[i] = resp.New
		}
	})
	t.Logf("%d nodes, %d in flight: create %v, read %v, delete %v", n, par, create, read, del)
}

// TestHundredFloor is the floor of TestHundredNodes: the same netlink calls
// on namespaces made by unshare(2) on a locked thread, with no process,
// files or checks.
func TestHundredFloor(t *testing.T) {
	if os.Getenv("BENITO_BENCH") == "" {
		t.Skip("set BENITO_BENCH=1 to run")
	}
	e := newEnv(t)
	br := e.bridge("f")
	brl, _ := netlink.LinkByName(br)
	const n = 100
	par, _ := strconv.Atoi(os.Getenv("BENITO_BENCH_PAR"))
	if par == 0 {
		par = 10
	}
	nss := make([]netns.NsHandle, n)
	run := func(fn func(i int)) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		sem := make(chan struct{}, par)
		for i := 0; i < n; i++ {
			wg.Add(1)
			sem <- struct{}{}
			go func() { defer wg.Done(); fn(i); <-sem }()
		}
		wg.Wait()
		return time.Since(start)
	}
	create := run(func(i int) {
		runtime.LockOSThread()
		orig, _ := netns.Get()
		ns, err := netns.New()
		netns.Set(orig)
		orig.Close()
		runtime.UnlockOSThread()
		if err != nil {
			t.Error(err)
			return
		}
		nss[i] = ns
		nh, _ := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
		defer nh.Close()
		lo, _ := nh.LinkByName("lo")
		nh.LinkSetUp(lo)
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("f%s%d", e.tag, i), MasterIndex: brl.Attrs().Index, Flags: net.FlagUp}, PeerName: "eth0", PeerNamespace: netlink.NsFd(ns)}
		if err := netlink.LinkAdd(veth); err != nil {
			t.Error(err)
			return
		}
		l, _ := nh.LinkByName("eth0")
		nh.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4(10, 62, byte(i/250), byte(i%250+1)), Mask: net.CIDRMask(16, 32)}})
		nh.LinkSetUp(l)
	})
	del := run(func(i int) {
		nh, _ := netlink.NewHandleAt(nss[i], unix.NETLINK_ROUTE)
		if l, err := nh.LinkByName("eth0"); err == nil {
			nh.LinkDel(l)
		}
		nh.Close()
		nss[i].Close()
	})
	t.Logf("floor, %d nodes, %d in flight: create %v, delete %v", n, par, create, del)
}
