package netdev

import (
	"errors"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// TestWaitCarrier checks that WaitCarrier returns when a program attaches
// to the TAP, not before, and ErrEndedFirst when the other descriptor
// polls readable first. It runs in a network namespace of its own.
func TestWaitCarrier(t *testing.T) {
	needRoot(t)
	runtime.LockOSThread() // the thread is left in the test's namespace
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	defer func() {
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
	}()

	name := "bnc" + tag()
	if err := CreateTap(name, -1, -1); err != nil {
		t.Fatal(err)
	}
	l, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetUp(l); err != nil {
		t.Fatal(err)
	}
	w, err := WatchLinks()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer wr.Close()

	// Up, but nothing holds it: no carrier.
	if err := w.WaitCarrier(name, int(r.Fd()), 300*time.Millisecond, netlink.LinkByName); err == nil {
		t.Fatal("WaitCarrier returned before anything attached to the TAP")
	}
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		t.Fatal(err)
	}
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		t.Fatal(err)
	}
	if err := w.WaitCarrier(name, int(r.Fd()), 5*time.Second, netlink.LinkByName); err != nil {
		t.Fatalf("attached, WaitCarrier: %v", err)
	}

	wr.Close()
	if err := w.WaitCarrier(name+"x", int(r.Fd()), 5*time.Second, netlink.LinkByName); !errors.Is(err, ErrEndedFirst) {
		t.Fatalf("the other descriptor readable: WaitCarrier returned %v, want ErrEndedFirst", err)
	}
}
