package shaping

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// NetemAvailable reports whether this kernel has the netem qdisc, which
// latency and loss need. It tries one on the loopback device of a
// throwaway network namespace (nothing the host uses is touched), once per
// process; later calls return the first answer. An error means the probe
// itself could not run (e.g. without CAP_NET_ADMIN), not that netem is
// missing.
func NetemAvailable() (bool, error) { return netemProbe() }

// netemProbe runs the probe on its first call only.
var netemProbe = sync.OnceValues(probeNetem)

func probeNetem() (bool, error) {
	type result struct {
		ns  netns.NsHandle
		err error
	}
	// The namespace is made on a thread of its own, which then goes back
	// to its namespace; if it cannot, the goroutine ends locked and Go
	// discards the thread.
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{-1, err}
			return
		}
		defer orig.Close()
		ns, err := netns.New()
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{-1, err}
			return
		}
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
		done <- result{ns, nil}
	}()
	r := <-done
	if r.err != nil {
		return false, fmt.Errorf("probing for netem: making a network namespace: %w", r.err)
	}
	defer r.ns.Close()
	h, err := netlink.NewHandleAt(r.ns)
	if err != nil {
		return false, fmt.Errorf("probing for netem: %w", err)
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return false, fmt.Errorf("probing for netem: %w", err)
	}
	err = h.QdiscAdd(&netlink.Netem{
		QdiscAttrs: netlink.QdiscAttrs{LinkIndex: lo.Attrs().Index, Handle: netlink.MakeHandle(1, 0), Parent: netlink.HANDLE_ROOT},
		Latency:    1000,
		Limit:      1000,
	})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, syscall.ENOENT):
		return false, nil
	default:
		return false, fmt.Errorf("probing for netem: adding a netem qdisc: %w", err)
	}
}
