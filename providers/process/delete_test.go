package process

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
	"github.com/vishvananda/netlink"
	"github.com/zclconf/go-cty/cty"
)

// TestDeleteFreesNameAtOnce checks the promise deleteNode keeps while it
// no longer waits for the kernel's answer: when the delete returns, the
// veth is gone, and its host-side name can be taken again at once (no
// "file exists"), also with several deletes in flight.
func TestDeleteFreesNameAtOnce(t *testing.T) {
	e := newEnv(t)
	br := e.bridge("q")
	const n = 6
	vals := make([]cty.Value, n)
	for i := range vals {
		addr := fmt.Sprintf("vnode.q%d", i)
		e.apply(contract.VNode, addr, e.nodeConfig(fmt.Sprintf("q%d", i), false, ifc{name: "eth0", bridge: br, addr: fmt.Sprintf("10.63.0.%d/24", i+1)}))
		vals[i] = e.state[addr]
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, v := range vals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := New().deleteNode(v); err != nil {
				errs[i] = err
				return
			}
			host := str(v.GetAttr("interfaces").Index(cty.NumberIntVal(0)), "host_device")
			if _, err := netlink.LinkByName(host); err == nil {
				errs[i] = fmt.Errorf("%s still there after the delete returned", host)
				return
			}
			// Take the name again at once, with no retry.
			veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: host}, PeerName: fmt.Sprintf("bq%s%d", e.tag, i)}
			if err := netlink.LinkAdd(veth); err != nil {
				errs[i] = fmt.Errorf("re-creating %s right after the delete: %w", host, err)
				return
			}
			if err := netlink.LinkDel(veth); err != nil {
				errs[i] = fmt.Errorf("deleting the re-created %s: %w", host, err)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node q%d: %v", i, err)
		} else {
			e.checkGone(vals[i])
			delete(e.state, fmt.Sprintf("vnode.q%d", i))
		}
	}
}

// TestBridgeMadeAnew checks the remembered bridge index: after the bridge
// is deleted and made again (a new index), a node still lands on it.
func TestBridgeMadeAnew(t *testing.T) {
	e := newEnv(t)
	br := e.bridge("n")
	cfg := e.nodeConfig("a", false, ifc{name: "eth0", bridge: br, addr: "10.64.0.1/24"})
	e.apply(contract.VNode, "vnode.a", cfg)
	e.destroy("vnode.a")
	old, err := netlink.LinkByName(br)
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkDel(old); err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: br}}); err != nil {
		t.Fatal(err)
	}
	now, err := netlink.LinkByName(br)
	if err != nil {
		t.Fatal(err)
	}
	if now.Attrs().Index == old.Attrs().Index {
		t.Skip("the kernel gave the new bridge the old index")
	}
	e.apply(contract.VNode, "vnode.a", cfg)
	host := str(e.state["vnode.a"].GetAttr("interfaces").Index(cty.NumberIntVal(0)), "host_device")
	hl, err := netlink.LinkByName(host)
	if err != nil {
		t.Fatal(err)
	}
	if hl.Attrs().MasterIndex != now.Attrs().Index {
		t.Errorf("host end %s has master %d, want the new bridge %d", host, hl.Attrs().MasterIndex, now.Attrs().Index)
	}
}

// TestDestroyKilledLeavesNoLog: a destroy killed after the node's pins and
// directory went, but before its log did, leaves a node the next destroy
// still finds (a refresh before a destroy reads it as there) and deletes,
// log included.
func TestDestroyKilledLeavesNoLog(t *testing.T) {
	e := newEnv(t)
	br := e.bridge("l")
	e.apply(contract.VNode, "vnode.l", e.nodeConfig("l", false, ifc{name: "eth0", bridge: br, addr: "10.63.1.1/24"}))
	v := e.state["vnode.l"]
	log := layout{e.runDir, Name}.nodeLog("l")
	os.MkdirAll(filepath.Dir(log), 0o755)
	if err := os.WriteFile(log, []byte("a plug said something\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// What removeNode had done when the kill came: its processes
	// stopped, its pins unmounted and its directory removed.
	if err := recordedNS(v).unpin(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(layout{e.runDir, Name}.nodeDir("l")); err != nil {
		t.Fatal(err)
	}
	resp := e.p.ReadResources(context.Background(), providers.ReadResourcesRequest{ExistenceOnly: true, Resources: []providers.ReadResource{{Address: "vnode.l", Type: contract.VNode, Current: v}}})
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics.Err())
	}
	if resp.Resources[0].New.IsNull() {
		t.Fatalf("the node whose log %s is left reads as gone before a destroy: the destroy would leave the log", log)
	}
	e.destroy("vnode.l")
	if _, err := os.Lstat(log); err == nil {
		t.Errorf("%s is still there after the destroy", log)
	}
}
