// Package netdev deletes network devices of the host's network namespace
// without waiting for the kernel's slow part of a delete.
package netdev

import (
	"errors"
	"fmt"
	"sync"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// Deleting a network device is two steps in the kernel. Under the RTNL
// lock, the device is unlisted (its name and index are free from then on:
// a device of the same name can be made at once), its bridge port and
// sysfs entries go, and RTM_DELLINK is announced to the namespace's link
// listeners; this takes well under a millisecond. Then, after the lock is
// dropped, the deleting thread waits for RCU grace periods and for the
// last references before freeing the device's memory, and only then is
// the request answered: 15-35 ms on the development machine, per request.
// Nothing of the device is visible any more during that wait.
//
// Delete therefore returns when the kernel announces the device gone, not
// when it answers the request: each delete runs in a goroutine of its own,
// which finishes the request in the background (a process that exits
// meanwhile still waits for it in the kernel). The promise that a deleted
// device's name (a node's veth, a switch's bridge) is free for a quick
// re-create holds. Measured alternatives: deleting one request at a time costs the full wait per
// node; merging the engine's concurrent deletes into one request per batch
// (a device group, `ip link del group G`) saves little at -parallelism 10,
// because the batches are small and the waits of concurrent requests
// already overlap.

// hostLinks watches the host namespace's link announcements for Delete.
var hostLinks linkWatcher

// Delete deletes the links of the calling process's network namespace (the
// host's, for a provider) with the given indexes and returns once the
// kernel has announced them gone. A link already gone is no error. Without
// a watch (the subscription failed), it waits for the kernel's answers.
func Delete(indexes ...int) error {
	if len(indexes) == 0 {
		return nil
	}
	gone := hostLinks.watch(indexes)
	defer hostLinks.unwatch(indexes)
	answers := make([]chan error, len(indexes))
	for i, idx := range indexes {
		answers[i] = make(chan error, 1)
		go func() {
			err := netlink.LinkDel(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: idx}})
			if errors.Is(err, syscall.ENODEV) {
				err = nil
			}
			answers[i] <- err
		}()
	}
	var errs []error
	for i, idx := range indexes {
		select {
		case <-gone[i]: // nil without a watch: never ready
		case err := <-answers[i]:
			if err != nil {
				errs = append(errs, fmt.Errorf("deleting link %d: %w", idx, err))
			}
		}
	}
	return errors.Join(errs...)
}

// linkWatcher is a subscription to RTM_DELLINK announcements in the host's
// network namespace, made on first use and kept for the life of the
// provider process; it wakes whoever waits for an index.
type linkWatcher struct {
	mu      sync.Mutex
	sock    *nl.NetlinkSocket // nil: not subscribed (yet, or any more)
	failed  bool              // subscribing failed: do not try again
	waiters map[int32]chan struct{}
}

// watch returns a channel per index, closed when the kernel announces
// that link deleted; all nil when there is no subscription. Register
// before deleting, so that the announcement cannot be missed.
func (w *linkWatcher) watch(indexes []int) []chan struct{} {
	out := make([]chan struct{}, len(indexes))
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sock == nil && !w.failed {
		// The provider's threads are in the host's namespace: the
		// socket listens there.
		s, err := nl.Subscribe(unix.NETLINK_ROUTE, unix.RTNLGRP_LINK)
		if err != nil {
			w.failed = true
			return out
		}
		w.sock = s
		w.waiters = map[int32]chan struct{}{}
		go w.listen(s)
	}
	if w.sock == nil {
		return out
	}
	for i, idx := range indexes {
		c := make(chan struct{})
		w.waiters[int32(idx)] = c
		out[i] = c
	}
	return out
}

func (w *linkWatcher) unwatch(indexes []int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, idx := range indexes {
		delete(w.waiters, int32(idx))
	}
}

// listen reads announcements until the socket fails. Lost announcements
// (the socket's buffer overflowed: ENOBUFS) only make their waiters wait
// for the kernel's answer instead.
func (w *linkWatcher) listen(s *nl.NetlinkSocket) {
	for {
		msgs, _, err := s.Receive()
		if err != nil {
			if errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.EAGAIN) {
				continue
			}
			w.mu.Lock()
			w.sock = nil
			w.failed = true
			w.mu.Unlock()
			s.Close()
			return
		}
		for _, m := range msgs {
			if m.Header.Type != unix.RTM_DELLINK || len(m.Data) < unix.SizeofIfInfomsg {
				continue
			}
			ifi := nl.DeserializeIfInfomsg(m.Data)
			// A bridge announces a port leaving it with an AF_BRIDGE
			// RTM_DELLINK; the device itself is gone only with the
			// AF_UNSPEC one.
			if ifi.Family != unix.AF_UNSPEC {
				continue
			}
			w.mu.Lock()
			if c, ok := w.waiters[ifi.Index]; ok {
				close(c)
				delete(w.waiters, ifi.Index)
			}
			w.mu.Unlock()
		}
	}
}
