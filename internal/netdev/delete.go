// Package netdev makes TAP devices, waits for a TAP's carrier (a program
// attached to it: LinkWatch), and deletes network devices of the host's
// network namespace without waiting for the kernel's slow part of a
// delete; the providers that make devices share it.
package netdev

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"syscall"

	"github.com/benito-net/benito/internal/parallel"
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
// when it answers the request, which finishes in the background (a process
// that exits meanwhile still waits for it in the kernel). The promise that
// a deleted device's name (a node's veth, a switch's bridge) is free for a
// quick re-create holds.
//
// The part under the RTNL lock is not free either: it waits for an
// expedited RCU grace period, about a millisecond here, during which no
// other device can be made or deleted. A destroy deleting a hundred
// nodes' veths one request each spends a tenth of a second there alone.
// The kernel deletes a whole device group in one pass with one wait, so
// concurrent Deletes are merged (group commit): while one batch is in the
// kernel, the links asked for meanwhile are moved into a fresh device group
// of their own, then deleted with one request when the batch before has
// gone. The group's number is random in a range no other tool uses by
// default (ip link groups are 0 unless set), and is used for nothing else.

// hostLinks watches the host namespace's link announcements for Delete.
var hostLinks linkWatcher

// batches merges concurrent Deletes: each batch takes every request made
// while the one before was in the kernel.
var batches = parallel.Batcher[*request]{Run: deleteBatch}

// Delete deletes the links of the calling process's network namespace (the
// host's, for a provider) with the given indexes and returns once the
// kernel has announced them gone. A link already gone is no error. Without
// a watch (the subscription failed), it deletes each with a request of its
// own and waits for the kernel's answers.
func Delete(indexes ...int) error {
	if len(indexes) == 0 {
		return nil
	}
	gone := hostLinks.watch(indexes)
	defer hostLinks.unwatch(indexes)
	if gone[0] == nil {
		return deleteEach(indexes)
	}
	r := &request{indexes: indexes, gone: gone, done: make(chan error, 1)}
	batches.Submit(r)
	return <-r.done
}

// deleteEach deletes each link with a request of its own.
func deleteEach(indexes []int) error {
	var errs []error
	for _, idx := range indexes {
		if err := deleteOne(idx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func deleteOne(idx int) error {
	err := netlink.LinkDel(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: idx}})
	if err != nil && !errors.Is(err, syscall.ENODEV) {
		return fmt.Errorf("deleting link %d: %w", idx, err)
	}
	return nil
}

// request is one Delete call: its links, their announcement channels, and
// where its outcome goes.
type request struct {
	indexes []int
	gone    []chan struct{}
	done    chan error
	errs    []error
}

// groupBase is the bottom of the device group numbers Delete uses.
const groupBase = 0x6e000000

// deleteBatch moves the batch's links into a fresh device group, deletes
// the group with one request, and returns when every link of it has been
// announced gone (or the request failed), having told each request its
// outcome. A single link is deleted by its index: no group needed.
func deleteBatch(batch []*request) {
	type link struct {
		r    *request
		idx  int
		gone chan struct{}
	}
	var links []link
	for _, r := range batch {
		for i, idx := range r.indexes {
			links = append(links, link{r, idx, r.gone[i]})
		}
	}
	answer := make(chan error, 1)
	var doomed []link // the links the request deletes
	if len(links) == 1 {
		doomed = links
		go func() { answer <- deleteOne(links[0].idx) }()
	} else {
		group := uint32(groupBase + rand.IntN(0x01000000))
		for _, l := range links {
			err := netlink.LinkSetGroup(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: l.idx}}, int(group))
			switch {
			case err == nil:
				doomed = append(doomed, l)
			case errors.Is(err, syscall.ENODEV): // gone already
			default:
				l.r.errs = append(l.r.errs, fmt.Errorf("deleting link %d: %w", l.idx, err))
			}
		}
		if len(doomed) > 0 {
			go func() { answer <- DeleteGroup(group) }()
		}
	}
	var failed error
wait:
	for _, l := range doomed {
		select {
		case <-l.gone:
		case err := <-answer:
			// Answered: every link of the request is gone, or none is.
			failed = err
			break wait
		}
	}
	for _, r := range batch {
		errs := r.errs
		if failed != nil {
			errs = append(errs, failed)
		}
		r.done <- errors.Join(errs...)
	}
}

// DeleteGroup deletes every link of device group g in this thread's
// network namespace with one RTM_DELLINK (ip link del group G); an empty
// group is no error.
func DeleteGroup(g uint32) error {
	req := nl.NewNetlinkRequest(unix.RTM_DELLINK, unix.NLM_F_ACK)
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(nl.NewRtAttr(unix.IFLA_GROUP, nl.Uint32Attr(g)))
	if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil && !errors.Is(err, syscall.ENODEV) {
		return fmt.Errorf("deleting device group %#x: %w", g, err)
	}
	return nil
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
