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

// holder is a node's holder process, whose namespaces are the node's.
type holder struct{ daemon.Process }

func (h holder) nsPath(kind string) string {
	return "/proc/" + strconv.Itoa(h.Pid) + "/ns/" + kind
}

// String is the holder's identity, pid:start_time.
func (h holder) String() string { return fmt.Sprintf("%d:%d", h.Pid, h.StartTime) }

// netHandle opens the node's network namespace and a netlink handle bound
// to it. The caller closes both.
func (h holder) netHandle() (*netlink.Handle, netns.NsHandle, error) {
	ns, err := netns.GetFromPath(h.nsPath("net"))
	if err != nil {
		return nil, -1, fmt.Errorf("opening the network namespace of pid %d: %w", h.Pid, err)
	}
	nh, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		ns.Close()
		return nil, -1, fmt.Errorf("netlink in the namespace of pid %d: %w", h.Pid, err)
	}
	// The namespace may have died between the open and the handle: a
	// dead holder's namespace still opens, so check the holder is still
	// the one we mean.
	if !h.Alive() {
		nh.Close()
		ns.Close()
		return nil, -1, fmt.Errorf("the holder process %d is gone", h.Pid)
	}
	return nh, ns, nil
}

// inNamespaces runs fn on an OS thread that has joined the holder's
// namespaces of the given kinds (CLONE_NEWNET, CLONE_NEWUTS; never the
// mount namespace, which a multi-threaded process cannot join), on a
// thread of its own (onMovedThread).
func (h holder) inNamespaces(flags int, fn func() error) error {
	var targets []int
	defer func() {
		for _, fd := range targets {
			unix.Close(fd)
		}
	}()
	kinds := threadNSKinds(flags)
	for _, k := range kinds {
		t, err := unix.Open(h.nsPath(k.name), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("opening the %s namespace of pid %d: %w", k.name, h.Pid, err)
		}
		targets = append(targets, t)
	}
	return onMovedThread(flags, func() error {
		for i, k := range kinds {
			if err := unix.Setns(targets[i], k.flag); err != nil {
				return fmt.Errorf("joining the %s namespace of pid %d: %w", k.name, h.Pid, err)
			}
		}
		return nil
	}, fn)
}

// nsKind is a kind of namespace a thread of this process can move to and
// back from.
type nsKind struct {
	flag int
	name string // in /proc/PID/ns
}

// threadNSKinds returns the kinds flags names, of CLONE_NEWUTS and
// CLONE_NEWNET.
func threadNSKinds(flags int) []nsKind {
	var kinds []nsKind
	for _, k := range []nsKind{{unix.CLONE_NEWUTS, "uts"}, {unix.CLONE_NEWNET, "net"}} {
		if flags&k.flag != 0 {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

// onMovedThread runs move, which moves the calling thread to other
// namespaces of the kinds flags names, then fn (unless move failed), on a
// locked OS thread in a goroutine of its own, and moves the thread back to
// the namespaces it had. If it cannot be brought back, the goroutine ends
// locked and Go discards the thread, so no other goroutine ever runs in a
// node's namespaces.
func onMovedThread(flags int, move, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		back, err := movedThread(threadNSKinds(flags), move, fn)
		if back {
			runtime.UnlockOSThread()
		}
		done <- err
	}()
	return <-done
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
// its network namespace (a node's hostname and first forwarding are set
// by startHolder, before the holder starts).
func (h holder) setForwarding(on bool) error {
	return h.inNamespaces(unix.CLONE_NEWNET, func() error { return writeForward(on) })
}

func writeForward(forward bool) error {
	val := "0\n"
	if forward {
		val = "1\n"
	}
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte(val), 0); err != nil {
		return fmt.Errorf("setting ip_forward: %w", err)
	}
	return nil
}

// forwarding reads the node's net.ipv4.ip_forward, from the IP MIB of its
// namespace (/proc/PID/net/snmp: ipForwarding is 1 when forwarding, 2 when
// not), which needs no thread moved into the namespace.
func (h holder) forwarding() (bool, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(h.Pid) + "/net/snmp")
	if err != nil {
		return false, err
	}
	return parseForwarding(string(b))
}

// parseForwarding reads ipForwarding from the text of /proc/net/snmp: a
// line of "Ip:" field names, then one of their values.
func parseForwarding(snmp string) (bool, error) {
	var names []string
	for _, line := range strings.Split(snmp, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Ip:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i, name := range names {
			if name == "Forwarding" && i < len(f) {
				return f[i] == "1", nil
			}
		}
		break
	}
	return false, fmt.Errorf("no ipForwarding in /proc/net/snmp")
}

// makeTap creates a persistent TAP device in the node's network namespace
// (a TAP is made in the namespace of the thread that opens /dev/net/tun).
func (h holder) makeTap(name string) error {
	return h.inNamespaces(unix.CLONE_NEWNET, func() error {
		if err := netdev.CreateTap(name, -1, -1); err != nil {
			return fmt.Errorf("creating TAP %s: %w", name, err)
		}
		return nil
	})
}

// netnsID returns the identity of the node's network namespace as
// /proc/PID/ns/net links show it ("net:[INODE]").
func (h holder) netnsID() (string, error) {
	return os.Readlink(h.nsPath("net"))
}

// killNamespace kills (SIGKILL) the processes pids, but except (the
// node's holder), that are still in network namespace id, and returns
// them. Processes started in a node by benito exec or by its startup
// command have left the holder's session and process group, but not its
// namespace. pids are the namespace's processes in a scan of /proc asked
// for (procScans.request) when the node's delete began: every process in
// the namespace then is in it.
//
// Finding them means reading every process's namespace link in /proc, a
// cost proportional to the processes on the host (a hundred holders and
// more during a destroy): procScan shares one scan among the deletes that
// ask meanwhile, and a delete asks first thing, so the scan runs while its
// veths go.
func killNamespace(pids []int, id string, except int) []daemon.Process {
	var killed []daemon.Process
	for _, pid := range pids {
		if pid == except {
			continue
		}
		// The scan may be a few milliseconds old: check the pid is still
		// in the namespace before killing it.
		if l, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/net"); err != nil || l != id {
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

// procScans batches the scans of /proc of concurrent deletes.
var procScans = procScan{batch: parallel.Batcher[chan map[string][]int]{Run: runScan}}

// procScan runs scans of /proc one at a time; each serves every request
// made before it started. While requests keep coming (the deletes of a
// destroy, ten at a time), scans are paced: the next starts no sooner than
// the last one's duration after it ended, so that scanning takes at most
// half a CPU instead of all of one, and each scan serves more requests. A
// delete asks for its scan before deleting its veths, which take longer
// than that wait.
type procScan struct {
	batch parallel.Batcher[chan map[string][]int]
}

// scanPace is the pause after a scan, in multiples of its duration.
const scanPace = 1

// request asks for a scan of the processes on the host (but this one) by
// network namespace, begun after the call; the result comes on the
// channel.
func (s *procScan) request() <-chan map[string][]int {
	ch := make(chan map[string][]int, 1)
	s.batch.Submit(ch)
	return ch
}

// runScan scans for a batch of requests, then paces.
func runScan(batch []chan map[string][]int) {
	start := time.Now()
	m := scanNetns()
	took := time.Since(start)
	for _, ch := range batch {
		ch <- m
	}
	time.Sleep(scanPace * took)
}

// scanNetns reads the network namespace of every process in /proc but
// this one and the known holders (knownHolders) that run throughout the
// scan: a holder is in its own node's namespace, and killNamespace spares
// it. A known holder that exited meanwhile may have left its pid to
// another process, so its pid is read like any other.
func scanNetns() map[string][]int {
	m := map[string][]int{}
	d, err := os.Open("/proc")
	if err != nil {
		return m
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	self := os.Getpid()
	known := knownHolders.pids()
	read := func(pid int) {
		if l, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/net"); err == nil {
			m[l] = append(m[l], pid)
		}
	}
	skipped := map[int]bool{}
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil || pid == self {
			continue
		}
		if known[pid] {
			skipped[pid] = true
			continue
		}
		read(pid)
	}
	// Checked after the scan: a holder whose pidfd is still quiet now
	// ran throughout it.
	for _, pid := range knownHolders.exitedOf(skipped) {
		read(pid)
	}
	return m
}
