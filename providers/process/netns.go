package process

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/netdev"
	"github.com/benito-net/benito/internal/parallel"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// netHandle opens the node's network namespace and a netlink handle bound
// to it. The caller closes both.
func (ns nodeNS) netHandle() (*netlink.Handle, netns.NsHandle, error) {
	fd, err := ns.open(kindNet)
	if err != nil {
		return nil, -1, err
	}
	h := netns.NsHandle(fd)
	nh, err := netlink.NewHandleAt(h, unix.NETLINK_ROUTE)
	if err != nil {
		h.Close()
		return nil, -1, fmt.Errorf("netlink in the node's network namespace: %w", err)
	}
	return nh, h, nil
}

// inNamespaces runs fn on an OS thread that has joined the node's
// namespaces of the given kinds (kindNet, kindUTS), on a thread of its own
// (onMovedThread). The mount namespace is not among them: inMountNS.
func (ns nodeNS) inNamespaces(kinds []nsKind, fn func() error) error {
	var targets []int
	defer func() {
		for _, fd := range targets {
			unix.Close(fd)
		}
	}()
	for _, k := range kinds {
		t, err := ns.open(k)
		if err != nil {
			return err
		}
		targets = append(targets, t)
	}
	return onMovedThread(kinds, func() error {
		for i, k := range kinds {
			if err := unix.Setns(targets[i], k.flag); err != nil {
				return fmt.Errorf("joining the node's %s namespace: %w", k.what, err)
			}
		}
		return nil
	}, fn)
}

// inMountNS runs fn on an OS thread that has joined the node's mount
// namespace. A thread may join a mount namespace only once it no longer
// shares its file system attributes (root, working directory) with the
// rest of the process (setns(2)), so the thread unshares them first, and
// is not given back (onThread).
func (ns nodeNS) inMountNS(fn func() error) error {
	fd, err := ns.open(kindMnt)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	onThread(func() bool {
		if err = unix.Unshare(unix.CLONE_FS); err != nil {
			err = fmt.Errorf("leaving the provider's file system attributes: %w", err)
			return false
		}
		if err = unix.Setns(fd, unix.CLONE_NEWNS); err != nil {
			err = fmt.Errorf("joining the node's mount namespace: %w", err)
			return false
		}
		err = fn()
		return false
	})
	return err
}

// onThread runs fn on a locked OS thread, in a goroutine of its own, and
// returns when it has returned. When fn says the thread is not to be
// given back (it has left the process's namespaces or file system
// attributes for good), the goroutine ends locked and Go ends the thread
// with it, so no other goroutine ever runs there. The process's main
// thread is never used: Go keeps it (wedged) instead of ending it, and it
// would hold a node's namespaces for the life of the process, and show
// them as the process's in /proc/PID/ns.
func onThread(fn func() (giveBack bool)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			// Held here, the main thread runs nothing else meanwhile:
			// the work goes to another.
			onThread(fn)
			runtime.UnlockOSThread()
			return
		}
		if fn() {
			runtime.UnlockOSThread()
		}
	}()
	<-done
}

// onMovedThread runs move, which moves the calling thread to other
// namespaces of the given kinds (not the mount namespace), then fn (unless
// move failed), on a thread of its own (onThread), and moves the thread
// back to the namespaces it had. If it cannot be brought back, the thread
// ends.
func onMovedThread(kinds []nsKind, move, fn func() error) error {
	var err error
	onThread(func() bool {
		var back bool
		back, err = movedThread(kinds, move, fn)
		return back
	})
	return err
}

// movedThread does onMovedThread's work on the locked thread; back says
// the thread is in its own namespaces again.
func movedThread(kinds []nsKind, move, fn func() error) (back bool, err error) {
	var origs []int
	defer func() {
		for _, fd := range origs {
			unix.Close(fd)
		}
	}()
	for _, k := range kinds {
		fd, err := unix.Open("/proc/thread-self/ns/"+k.name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return true, fmt.Errorf("opening this thread's %s namespace: %w", k.name, err)
		}
		origs = append(origs, fd)
	}
	// Restored whatever happened: a move that failed half-way moved
	// part of the way.
	defer func() {
		back = true
		for i, k := range kinds {
			if unix.Setns(origs[i], k.flag) != nil {
				back = false
			}
		}
	}()
	if err := move(); err != nil {
		return false, err
	}
	return false, fn()
}

// setForwarding sets the node's IPv4 forwarding, from a thread sent into
// its network namespace (a node's first forwarding is set when its
// namespaces are made).
func (ns nodeNS) setForwarding(on bool) error {
	return ns.inNamespaces([]nsKind{kindNet}, func() error { return writeForward(on) })
}

// ipForward is the sysctl of IPv4 forwarding; a thread opening it reaches
// its own network namespace's.
const ipForward = "/proc/sys/net/ipv4/ip_forward"

func writeForward(forward bool) error {
	val := "0\n"
	if forward {
		val = "1\n"
	}
	if err := os.WriteFile(ipForward, []byte(val), 0); err != nil {
		return fmt.Errorf("setting ip_forward: %w", err)
	}
	return nil
}

// forwarding reads the node's IPv4 forwarding, from a thread sent into
// its network namespace.
func (ns nodeNS) forwarding() (bool, error) {
	var on bool
	err := ns.inNamespaces([]nsKind{kindNet}, func() error {
		b, err := os.ReadFile(ipForward)
		if err != nil {
			return fmt.Errorf("reading ip_forward: %w", err)
		}
		on = strings.TrimSpace(string(b)) == "1"
		return nil
	})
	return on, err
}

// makeTap creates a persistent TAP device in the node's network namespace
// (a TAP is made in the namespace of the thread that opens /dev/net/tun).
func (ns nodeNS) makeTap(name string) error {
	return ns.inNamespaces([]nsKind{kindNet}, func() error {
		if err := netdev.CreateTap(name, -1, -1); err != nil {
			return fmt.Errorf("creating TAP %s: %w", name, err)
		}
		return nil
	})
}

// killIn kills (SIGKILL) those of the processes pids that are still in
// one of the namespaces ids ("net:[INODE]", "mnt:[INODE]", as their links
// in /proc/PID/ns show them), and returns them. pids come from a scan of
// /proc asked for (procScans.request) when the node's delete began: every
// process in the namespaces then is among them, and the scan being a few
// milliseconds old, each is checked again before it is killed.
func killIn(pids []int, ids map[string]bool) []daemon.Process {
	return killWhere(pids, func(pid int) bool { return inAny(pid, ids) })
}

// killWhere kills (SIGKILL) those of the processes pids for which match
// holds, and returns them, each with its start time.
func killWhere(pids []int, match func(pid int) bool) []daemon.Process {
	var killed []daemon.Process
	for _, pid := range pids {
		if !match(pid) {
			continue
		}
		p, err := daemon.FromPid(pid)
		if err != nil {
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err == nil || !errors.Is(err, syscall.ESRCH) {
			killed = append(killed, p)
		}
	}
	return killed
}

// scannedKinds are the namespaces a scan of /proc reads of each process:
// a process of a node is in its network or its mount namespace (one that
// made a network namespace of its own inside the node is still in the
// node's mount namespace).
var scannedKinds = []nsKind{kindNet, kindMnt}

// inAny reports whether process pid is in one of the namespaces ids.
func inAny(pid int, ids map[string]bool) bool {
	for _, k := range scannedKinds {
		if l, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/" + k.name); err == nil && ids[l] {
			return true
		}
	}
	return false
}

// procScans batches the scans of /proc of concurrent deletes.
var procScans = procScan{batch: parallel.Batcher[chan map[string][]int]{Run: runScan}}

// procScan runs scans of /proc one at a time; each serves every request
// made before it started. Finding a node's processes means reading the
// namespace links of every process on the host; concurrent deletes (a
// destroy's) share a scan. While requests keep coming, scans are paced:
// the next starts no sooner than the last one's duration after it ended,
// so that scanning takes at most half a CPU instead of all of one, and
// each scan serves more requests. A delete asks for its scan before
// deleting its veths, which take longer than that wait.
type procScan struct {
	batch parallel.Batcher[chan map[string][]int]
}

// scanPace is the pause after a scan, in multiples of its duration.
const scanPace = 1

// request asks for a scan of the processes on the host (but this one) by
// namespace, begun after the call; the result comes on the channel.
func (s *procScan) request() <-chan map[string][]int {
	ch := make(chan map[string][]int, 1)
	s.batch.Submit(ch)
	return ch
}

// runScan scans for a batch of requests, then paces.
func runScan(batch []chan map[string][]int) {
	start := time.Now()
	m := scanNamespaces()
	took := time.Since(start)
	for _, ch := range batch {
		ch <- m
	}
	time.Sleep(scanPace * took)
}

// scanNamespaces reads the network and mount namespace of every process
// in /proc but this one: the pids by namespace link ("net:[INODE]").
func scanNamespaces() map[string][]int {
	m := map[string][]int{}
	self := os.Getpid()
	for _, pid := range pids() {
		if pid == self {
			continue
		}
		for _, k := range scannedKinds {
			if l, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/" + k.name); err == nil {
				m[l] = append(m[l], pid)
			}
		}
	}
	return m
}

// pids lists the processes in /proc.
func pids() []int {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	out := make([]int, 0, len(names))
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil {
			out = append(out, pid)
		}
	}
	return out
}
