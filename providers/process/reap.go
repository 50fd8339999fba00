package process

import (
	"errors"
	"fmt"
	"slices"
	"syscall"
	"time"

	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/netdev"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// deleteHostEnds deletes the veths of n's bridge interfaces by their host
// ends (which takes the node ends with them) and returns once they are
// gone (internal/netdev), with the names of the interfaces it deleted.
func deleteHostEnds(n node) (map[string]bool, error) {
	var idx []int
	done := map[string]bool{}
	for _, f := range n.Ifaces {
		if f.Kind != contract.KindBridge {
			continue
		}
		if hl := hostEnd(f); hl != nil {
			idx = append(idx, hl.Attrs().Index)
			done[f.Name] = true
		}
	}
	if err := netdev.Delete(idx...); err != nil {
		return nil, fmt.Errorf("deleting the host ends of node %s: %w", n.Name, err)
	}
	return done, nil
}

// hostEnd returns the host end of f's veth, or nil when there is none. A
// device of that name that is not a veth is not the node's: it is left
// alone.
func hostEnd(f iface) netlink.Link {
	if l, err := netlink.LinkByName(f.HostDevice); err == nil && l.Type() == "veth" {
		return l
	}
	return nil
}

// reapTimeout bounds the wait for killed processes to exit.
const reapTimeout = 5 * time.Second

// end kills (SIGKILL) every process in the node's network namespace and
// its holder h, and returns once all of them have exited. While h runs,
// the namespace is h's. Once h is dead, /proc no longer names it, and
// recorded, the id the holder's pid file noted when the node was made
// ("" if none), stands for it: processes started in the node by benito
// exec or its startup command outlive the holder, in the namespace. The
// id may have gone to a new namespace by then (the kernel reuses them), so
// only the processes in it that carry the node's mark die (markedFor).
// scan is a scan of /proc asked for (procScans.request) when the node's
// delete began.
//
// It waits on pidfds, so it returns as soon as the kernel has them dead,
// without polling. A holder that is already gone is no error.
func (h holder) end(scan <-chan map[string][]int, recorded string) error {
	// Once dead, the holder needs no place among the known ones.
	defer knownHolders.forget(h.Pid)
	alive := h.Alive()
	id, except := recorded, 0
	if alive {
		except = h.Pid
		if cur, err := h.netnsID(); err == nil {
			id = cur
		}
	}
	var procs []daemon.Process
	if id != "" {
		pids := (<-scan)[id]
		if !alive {
			pids = slices.DeleteFunc(pids, func(pid int) bool { return !markedFor(pid, h) })
		}
		procs = killNamespace(pids, id, except)
	}
	fds := make([]int, 0, len(procs)+1)
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for _, p := range procs {
		if fd, ok := openPidfd(p); ok {
			fds = append(fds, fd)
		}
	}
	if !alive {
		return waitPidfds(fds)
	}
	hfd, ok := openPidfd(h.Process)
	if !ok {
		return waitPidfds(fds) // the holder died on its own meanwhile
	}
	fds = append(fds, hfd)
	if err := unix.PidfdSendSignal(hfd, unix.SIGKILL, nil, 0); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("killing the holder %d: %w", h.Pid, err)
	}
	return waitPidfds(fds)
}

// openPidfd opens a pidfd on p, if p is still the process it names (not
// a later one with its pid); ok is false when it is gone.
func openPidfd(p daemon.Process) (int, bool) {
	fd, err := unix.PidfdOpen(p.Pid, 0)
	if err != nil {
		return -1, false
	}
	// The pidfd refers to whatever has the pid now: check it is p. A
	// zombie of p is gone for our purpose.
	if !p.Alive() {
		unix.Close(fd)
		return -1, false
	}
	return fd, true
}

// waitPidfds waits until every process of fds has exited (a pidfd turns
// readable when its process dies, child of ours or not).
func waitPidfds(fds []int) error {
	deadline := time.Now().Add(reapTimeout)
	pfds := make([]unix.PollFd, len(fds))
	for i, fd := range fds {
		pfds[i] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	}
	for len(pfds) > 0 {
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("%d killed processes still running after %v", len(pfds), reapTimeout)
		}
		n, err := unix.Poll(pfds, int(left/time.Millisecond)+1)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("waiting for killed processes: %w", err)
		}
		if n == 0 {
			continue
		}
		live := pfds[:0]
		for _, pf := range pfds {
			if pf.Revents == 0 {
				live = append(live, pf)
			}
		}
		pfds = live
	}
	return nil
}
