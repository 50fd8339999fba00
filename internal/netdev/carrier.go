package netdev

import (
	"errors"
	"fmt"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// A TAP has a carrier while a program holds it open (TUNSETIFF attaches
// the program's file and turns the carrier on; the last file closed turns
// it off again on a persistent TAP), and the kernel announces the change
// to the listeners of its network namespace's link changes. A plug that
// opens its TAP once its switch has accepted it (vde_plug2tap) is plugged
// when the carrier comes on: LinkWatch waits for that announcement
// instead of polling.

// LinkWatch is a subscription to the link changes of the network
// namespace of the thread that made it (WatchLinks).
type LinkWatch struct{ s *nl.NetlinkSocket }

// WatchLinks subscribes to the link changes of the calling thread's
// network namespace. The caller closes it.
func WatchLinks() (*LinkWatch, error) {
	s, err := nl.Subscribe(unix.NETLINK_ROUTE, unix.RTNLGRP_LINK)
	if err != nil {
		return nil, fmt.Errorf("subscribing to link changes: %w", err)
	}
	return &LinkWatch{s}, nil
}

// Close ends the subscription.
func (w *LinkWatch) Close() { w.s.Close() }

// ErrEndedFirst is WaitCarrier's answer when its other descriptor became
// readable first.
var ErrEndedFirst = errors.New("ended before the device had a carrier")

// WaitCarrier waits until device name of the watched namespace announces
// a carrier, announced after the watch began, for up to timeout. It
// returns ErrEndedFirst if descriptor ended (a pidfd of the program that
// is to open the device) polls readable first. If the kernel dropped
// announcements (the socket's buffer overflowed), the device is looked up
// with lookup, which must look in the watched namespace.
func (w *LinkWatch) WaitCarrier(name string, ended int, timeout time.Duration, lookup func(string) (netlink.Link, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ms := int(time.Until(deadline).Milliseconds())
		if ms <= 0 {
			return fmt.Errorf("%s had no carrier within %s", name, timeout)
		}
		fds := []unix.PollFd{{Fd: int32(w.s.GetFd()), Events: unix.POLLIN}, {Fd: int32(ended), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, ms); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return fmt.Errorf("waiting for the carrier of %s: %w", name, err)
		}
		if fds[0].Revents != 0 {
			up, err := w.announced(name)
			if errors.Is(err, unix.ENOBUFS) {
				l, lerr := lookup(name)
				if lerr != nil {
					return fmt.Errorf("looking up %s: %w", name, lerr)
				}
				up, err = l.Attrs().RawFlags&unix.IFF_LOWER_UP != 0, nil
			}
			if err != nil {
				return fmt.Errorf("reading link changes: %w", err)
			}
			if up {
				return nil
			}
			continue
		}
		if fds[1].Revents != 0 {
			return ErrEndedFirst
		}
	}
}

// announced reads the pending announcements and reports whether one says
// device name has a carrier.
func (w *LinkWatch) announced(name string) (bool, error) {
	msgs, _, err := w.s.Receive()
	if errors.Is(err, unix.EAGAIN) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWLINK || len(m.Data) < unix.SizeofIfInfomsg {
			continue
		}
		info := nl.DeserializeIfInfomsg(m.Data)
		if info.Flags&unix.IFF_LOWER_UP == 0 {
			continue
		}
		attrs, err := nl.ParseRouteAttr(m.Data[unix.SizeofIfInfomsg:])
		if err != nil {
			continue
		}
		for _, a := range attrs {
			if a.Attr.Type == unix.IFLA_IFNAME && string(trimNul(a.Value)) == name {
				return true, nil
			}
		}
	}
	return false, nil
}

func trimNul(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}
