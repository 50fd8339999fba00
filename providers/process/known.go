package process

import (
	"errors"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// knownHolders are the holders this provider process has seen alive, each
// with a pidfd open on it. A holder never leaves its node's network
// namespace, so a scan for the processes left in a node (scanNetns) need
// not read the namespace of a known holder that is still running: in a
// destroy of a hundred nodes, the holders are most of the processes on
// the host. The pidfd is what makes skipping one safe: while it has not
// turned readable, its pid is still that holder and no later process.
var knownHolders holderSet

type holderSet struct {
	mu sync.Mutex
	m  map[int]knownHolder // by pid
}

type knownHolder struct {
	start uint64 // the holder's start time, as in its state
	fd    int    // a pidfd on it
}

// alive reports whether h is running, as h.Alive does, and remembers it
// when it is (and forgets it once it is not).
func (s *holderSet) alive(h holder) bool {
	s.mu.Lock()
	if k, ok := s.m[h.Pid]; ok && k.start == h.StartTime {
		// Known: its pidfd says whether it still runs (a zombie has
		// exited, and counts as gone, as for Alive). Polled under the
		// lock, so that no forget closes it meanwhile.
		gone := exited(k.fd)
		if gone {
			unix.Close(k.fd)
			delete(s.m, h.Pid)
		}
		s.mu.Unlock()
		return !gone
	}
	s.mu.Unlock()
	fd, ok := openPidfd(h.Process)
	if !ok {
		return h.Alive() // gone, or no pidfd to be had: as Alive says
	}
	s.mu.Lock()
	if s.m == nil {
		s.m = map[int]knownHolder{}
	}
	if old, ok := s.m[h.Pid]; ok {
		unix.Close(old.fd)
	}
	s.m[h.Pid] = knownHolder{start: h.StartTime, fd: fd}
	s.mu.Unlock()
	return true
}

// forget closes the pidfd on the holder with pid, if it is known.
func (s *holderSet) forget(pid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.m[pid]; ok {
		unix.Close(k.fd)
		delete(s.m, pid)
	}
}

// pids returns the pids of the known holders.
func (s *holderSet) pids() map[int]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int]bool, len(s.m))
	for pid := range s.m {
		out[pid] = true
	}
	return out
}

// exitedOf returns those of pids whose holder has exited since it became
// known (and forgets them), by one poll of their pidfds, made under the
// lock so that none is closed meanwhile. A pid no longer known counts as
// exited.
func (s *holderSet) exitedOf(pids map[int]bool) []int {
	var out []int
	s.mu.Lock()
	defer s.mu.Unlock()
	fds := make([]unix.PollFd, 0, len(pids))
	order := make([]int, 0, len(pids))
	for pid := range pids {
		k, ok := s.m[pid]
		if !ok {
			out = append(out, pid)
			continue
		}
		fds = append(fds, unix.PollFd{Fd: int32(k.fd), Events: unix.POLLIN})
		order = append(order, pid)
	}
	for len(fds) > 0 {
		if _, err := unix.Poll(fds, 0); err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			// Cannot tell: take every one as exited, so that its pid is
			// scanned like any other.
			return append(out, order...)
		}
		break
	}
	for i, pfd := range fds {
		if pfd.Revents != 0 {
			pid := order[i]
			out = append(out, pid)
			unix.Close(s.m[pid].fd)
			delete(s.m, pid)
		}
	}
	return out
}

// exited reports whether the process of pidfd fd has exited (or the fd
// cannot tell).
func exited(fd int) bool {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(pfd, 0)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		return err != nil || n > 0
	}
}
