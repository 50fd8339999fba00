package netdev

import (
	"errors"

	"github.com/vishvananda/netlink"
)

// dumpTries bounds how often Links asks again for a dump that a
// concurrent change interrupted.
const dumpTries = 20

// Links lists the links h sees (h nil: the caller's network namespace).
// The kernel marks a dump that links added or removed meanwhile
// interrupted (NLM_F_DUMP_INTR), and netlink returns it with
// netlink.ErrDumpInterrupted: a list that may miss links or hold one
// twice. Links asks again until a dump completes; on a host whose links
// change without pause it returns the last list with the error.
func Links(h *netlink.Handle) ([]netlink.Link, error) {
	for try := 1; ; try++ {
		var (
			ls  []netlink.Link
			err error
		)
		if h == nil {
			ls, err = netlink.LinkList()
		} else {
			ls, err = h.LinkList()
		}
		if !errors.Is(err, netlink.ErrDumpInterrupted) || try == dumpTries {
			return ls, err
		}
	}
}
