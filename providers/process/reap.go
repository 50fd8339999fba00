package process

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/netdev"
	"github.com/benito-net/benito/internal/vdewire"
	"github.com/vishvananda/netlink"
	"github.com/zclconf/go-cty/cty"
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
// device of that name that is not a veth, or not the experiment's
// (ownsHostEnd: the name is recorded, hence input), is not the node's: it
// is left alone.
func hostEnd(f iface) netlink.Link {
	if l, err := netlink.LinkByName(f.HostDevice); err == nil && l.Type() == "veth" && f.ownsHostEnd(l) {
		return l
	}
	return nil
}

// hostAlias is the alias of f's host end (contract.DeviceAlias).
func (f iface) hostAlias() string {
	return contract.DeviceAlias(f.runDir, "node "+f.node+" interface "+f.Name)
}

// ownsHostEnd reports whether l, a device named as f's host end, is the
// experiment's.
func (f iface) ownsHostEnd(l netlink.Link) bool {
	return contract.DeviceIsOurs(f.runDir, l.Attrs().Name, l.Attrs().Alias)
}

// reapTimeout bounds the wait for killed processes to exit.
const reapTimeout = 5 * time.Second

// removeNode ends everything of node n left on the host, whatever made it
// (a delete, or a create finding an earlier incarnation's remains): the
// processes in the node (its startup command, what benito exec left, its
// plugs), the daemons its pid files name (hubs, wirefilters), its pins and
// its files. What is already gone is no error.
//
// The node's processes are found by the inodes of the namespaces its pins
// hold, in a scan of /proc: while pinned, a namespace is alive, so its
// inode is no other's. A pin that is no longer mounted (unmounted by
// hand) has let its namespace die, once nothing ran in it, and its inode
// go to another: then the processes carrying the node's mark (nodeEnv)
// die too, found by a scan of every process's environment. scan is a
// scan asked for when the delete began, or nil.
func (p *Provider) removeNode(n node, scan <-chan map[string][]int) error {
	l := n.layout()
	ns := nodeNSAt(l, n.Name)
	dir := l.nodeDir(n.Name)
	// Everything benito started for the node was born in its cgroup,
	// also what no pid file names yet (a start the provider did not see
	// through): it goes first, as nothing else of the node may need it.
	if err := l.nodeGroup(n.Name).Kill(groupKillTimeout); err != nil {
		return fmt.Errorf("stopping the processes of node %s: %w", n.Name, err)
	}
	ids := map[string]bool{}
	present, unmounted := false, false
	for i, k := range nsKinds {
		s, ino, err := inspect(ns.Files[i])
		if err != nil {
			return err
		}
		present = present || s != pinMissing
		unmounted = unmounted || s != pinMounted
		if s == pinMounted && k != kindUTS {
			ids[k.name+":["+strconv.FormatUint(ino, 10)+"]"] = true
		}
	}
	for _, f := range []string{dir, l.nodeLog(n.Name)} {
		if _, err := os.Lstat(f); err == nil {
			present = true
		}
	}
	if p.ct != nil && p.ct.Remains(containerNode(n, cty.NilVal)) {
		present = true
	}
	if !present {
		return nil
	}
	var procs []daemon.Process
	if len(ids) > 0 {
		if scan == nil {
			scan = procScans.request()
		}
		m := <-scan
		var pids []int
		for id := range ids {
			pids = append(pids, m[id]...)
		}
		procs = killIn(pids, ids)
	}
	if unmounted {
		procs = append(procs, killMarked(ns.file(kindNet))...)
	}
	if err := waitGone(procs); err != nil {
		return fmt.Errorf("stopping the processes of node %s: %w", n.Name, err)
	}
	if err := stopPidFiles(dir); err != nil {
		// The directory stays, so that the next try finds them again.
		return fmt.Errorf("stopping the processes of node %s: %w", n.Name, err)
	}
	if err := ns.unpin(); err != nil {
		return err
	}
	if p.ct != nil {
		// Its root file system, once nothing runs on it and no pin holds
		// its mount namespace.
		if err := p.ct.Remove(containerNode(n, cty.NilVal)); err != nil {
			return fmt.Errorf("%s node %s: %w", p.kind(), n.Name, err)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.Remove(l.nodeLog(n.Name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// stopPidFiles stops the processes that benito's pid files in dir, a
// node's directory, name, and those of the wires in its subdirectories
// (one an interface: wireOf), each checked before it is signalled
// (pidFileProcess; vdewire's Stop for a wire's). Not every file is a pid
// file (startup.status): what does not read as one names nothing to stop.
func stopPidFiles(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		file := filepath.Join(dir, e.Name())
		if e.IsDir() {
			if err := (vdewire.Wire{Dir: file}).Stop(); err != nil {
				errs = append(errs, fmt.Errorf("the wire of interface %s: %w", e.Name(), err))
			}
			continue
		}
		if p, _, err := daemon.ReadPidFile(file); err == nil {
			if err := pidFileProcess(file, p); err != nil {
				errs = append(errs, err)
			} else if err := p.Stop(time.Second); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// stopProcess stops the process named by one of benito's pid files in a
// node's directory, when benito started it there (pidFileProcess), and
// removes the file.
func stopProcess(file string) error {
	p, _, err := daemon.ReadPidFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil {
		if err := pidFileProcess(file, p); err != nil {
			return err
		}
		if err := p.Stop(time.Second); err != nil {
			return err
		}
	}
	if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// killMarked kills (SIGKILL) the processes whose environment carries the
// mark of the node whose network namespace pin is netPin, and returns
// them.
func killMarked(netPin string) []daemon.Process {
	self := os.Getpid()
	return killWhere(pids(), func(pid int) bool { return pid != self && markedFor(pid, netPin) })
}

// waitGone returns once the processes procs, killed, have exited. It
// waits on pidfds, so it returns as soon as the kernel has them dead,
// without polling.
func waitGone(procs []daemon.Process) error {
	fds := make([]int, 0, len(procs))
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
	return waitPidfds(fds)
}

// openPidfd opens a pidfd on p, if p is still the process it names (not
// a later one with its pid); ok is false when it is gone.
func openPidfd(p daemon.Process) (int, bool) {
	fd, err := p.Pidfd()
	return fd, err == nil
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

// foreignHostEnd is the error for l, a device named as f's host end that
// is another's: it names both owners.
func (f iface) foreignHostEnd(l netlink.Link) error {
	return fmt.Errorf("the host device %s belongs to %s, not to %s, which would use it; benito leaves it alone. Remove that device if it is a leftover, or rename the experiment, node or interface so that its device gets another name",
		l.Attrs().Name, contract.DeviceOwner(l.Attrs().Alias), contract.DeviceOwner(f.hostAlias()))
}
