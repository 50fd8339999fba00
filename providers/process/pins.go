package process

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"

	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/sys/unix"
)

// A node is its namespaces (network, UTS, mount), each pinned by a bind
// mount of its nsfs file under the experiment's run directory, as
// `ip netns add` pins a network namespace under /run/netns and
// `unshare --net=FILE --mount=FILE` pins what it makes. No process holds
// them: a pin keeps its namespace alive, and the pins are how the node is
// found on the host, also after a crash. The pin directory is laid out as
// those two tools need it:
//
//	RUN_DIR/ns/          a bind mount of itself, shared (as /run/netns is)
//	RUN_DIR/ns/net/NODE  the node's network namespace
//	RUN_DIR/ns/uts/NODE  its UTS namespace (hostname)
//	RUN_DIR/ns/mnt/      a bind mount of itself, private
//	RUN_DIR/ns/mnt/NODE  its mount namespace
//
// Shared, so that a pin's removal reaches every copy of it: a mount
// namespace made on the host while a node exists (another experiment's
// node, a service's private namespace) holds a copy of the pins, which
// would otherwise keep the node's namespaces alive after its delete.
// Private for mount namespaces, which the kernel refuses to pin in a
// mount that propagates (the pin could reach the pinned namespace
// itself); mount namespace pins are never copied into new namespaces.
//
// A node's own mount namespace detaches its copy of RUN_DIR/ns when it is
// made: it holds no reference to another node's namespaces, and pins made
// later are not propagated into it.

// nsKind is one of the namespaces a node has of its own.
type nsKind struct {
	name string // as in /proc/PID/ns and the pin directory: net, uts, mnt
	flag int    // its CLONE_NEW* flag
	what string // for messages
}

var (
	kindNet = nsKind{"net", unix.CLONE_NEWNET, "network"}
	kindUTS = nsKind{"uts", unix.CLONE_NEWUTS, "UTS"}
	kindMnt = nsKind{"mnt", unix.CLONE_NEWNS, "mount"}
	// nsKinds are a node's namespaces, in the order of nodeNS.pins.
	nsKinds = [3]nsKind{kindNet, kindUTS, kindMnt}
)

// nodeNS is a node's namespaces: per kind (nsKinds' order) the file that
// pins it and the namespace's inode number, 0 when not known.
type nodeNS struct {
	Files  [3]string
	Inodes [3]uint64
}

// nodeNSAt returns where node's pins are, with no inodes.
func nodeNSAt(l layout, node string) nodeNS {
	var ns nodeNS
	for i, k := range nsKinds {
		ns.Files[i] = filepath.Join(l.pinDir(), k.name, node)
	}
	return ns
}

func (ns nodeNS) file(k nsKind) string {
	for i, kk := range nsKinds {
		if kk == k {
			return ns.Files[i]
		}
	}
	panic("unknown namespace kind " + k.name)
}

// recordedNS returns the namespaces a vnode value records: its pins, at
// the paths that follow from its run_dir and name (the "namespaces"
// attribute says the same, for people), and the inodes it recorded
// ("namespace_inodes"), none for a value recorded before its create
// finished.
func recordedNS(v cty.Value) nodeNS {
	ns := nodeNSAt(layout{str(v, "run_dir"), str(v, "type")}, str(v, "name"))
	inodes := attrOf(v, "namespace_inodes")
	for i, k := range nsKinds {
		ns.Inodes[i] = uint64(num(inodes, k.name))
	}
	return ns
}

// attrOf returns v's attribute name, or a null when v has none, or is not
// a known object.
func attrOf(v cty.Value, name string) cty.Value {
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return v.GetAttr(name)
}

// values returns the "namespaces" and "namespace_inodes" attributes of ns.
func (ns nodeNS) values() (files, inodes cty.Value) {
	f, n := map[string]cty.Value{}, map[string]cty.Value{}
	for i, k := range nsKinds {
		f[k.name] = cty.StringVal(ns.Files[i])
		n[k.name] = cty.NumberUIntVal(ns.Inodes[i])
	}
	return cty.ObjectVal(f), cty.ObjectVal(n)
}

// filesValue returns the "namespaces" attribute of the node at runDir and
// node, known at plan time.
func filesValue(l layout, node string) cty.Value {
	f, _ := nodeNSAt(l, node).values()
	return f
}

// nsfsDev is the device of the kernel's namespace file system: a file is a
// namespace (or a pin of one) when stat shows this device.
var nsfsDev = sync.OnceValue(func() uint64 {
	var st unix.Stat_t
	if unix.Stat("/proc/self/ns/net", &st) != nil {
		return 0
	}
	return st.Dev
})

// pinState is what is at a pin's path.
type pinState int

const (
	pinMissing pinState = iota // no file
	pinEmpty                   // a file, not a namespace: unmounted, or never mounted
	pinMounted                 // a namespace, with inode
)

// inspect returns what is at a pin's path, and the namespace's inode when
// it is one. A symbolic link is not followed: a pin is a mount; nor is
// one in its place of a directory holding the pin (pinParents).
func inspect(file string) (pinState, uint64, error) {
	if err := pinParents(file); err != nil {
		return pinMissing, 0, err
	}
	var st unix.Stat_t
	if err := unix.Lstat(file, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return pinMissing, 0, nil
		}
		return pinMissing, 0, fmt.Errorf("%s: %w", file, err)
	}
	if dev := nsfsDev(); dev != 0 && st.Dev == dev {
		return pinMounted, st.Ino, nil
	}
	return pinEmpty, 0, nil
}

// pinParents returns an error when a directory holding the pin file
// (RUN_DIR/ns/KIND, RUN_DIR/ns) is a symbolic link or not a directory:
// benito makes them, and a link there would lead a node's pins to
// another experiment's, which benito would then change and kill the
// processes of. A directory that does not exist holds no pin: no error.
func pinParents(file string) error {
	kindDir := filepath.Dir(file)
	for _, d := range []string{kindDir, filepath.Dir(kindDir)} {
		var st unix.Stat_t
		if err := unix.Lstat(d, &st); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			return fmt.Errorf("%s: %w", d, err)
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
		case unix.S_IFLNK:
			return fmt.Errorf("%s is a symbolic link, not the directory benito made: the run directory was changed outside benito, and benito does not follow it; remove the link (what it leads to is not this experiment's)", d)
		default:
			return fmt.Errorf("%s is not a directory: the run directory was changed outside benito; remove it", d)
		}
	}
	return nil
}

// check returns nil when every pin of ns holds a namespace, of the
// recorded inode where ns records one, and the namespaces' inodes; else
// what is wrong, worded to follow "the node ...".
func (ns nodeNS) check() (nodeNS, error) {
	got := ns
	for i, k := range nsKinds {
		s, ino, err := inspect(ns.Files[i])
		switch {
		case err != nil:
			return ns, err
		case s == pinMissing:
			return ns, fmt.Errorf("has no %s namespace: %s is gone", k.what, ns.Files[i])
		case s == pinEmpty:
			return ns, fmt.Errorf("has no %s namespace: %s is not mounted", k.what, ns.Files[i])
		case ns.Inodes[i] != 0 && ino != ns.Inodes[i]:
			return ns, fmt.Errorf("has another %s namespace: %s holds inode %d, not %d", k.what, ns.Files[i], ino, ns.Inodes[i])
		}
		got.Inodes[i] = ino
	}
	return got, nil
}

// open opens the namespace of kind k, checking that the pin still holds
// the recorded one. The caller closes the descriptor.
func (ns nodeNS) open(k nsKind) (int, error) {
	file := ns.file(k)
	fd, err := unix.Open(file, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return -1, fmt.Errorf("opening the node's %s namespace: %w", k.what, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("opening the node's %s namespace: %w", k.what, err)
	}
	want := ns.Inodes[indexOf(k)]
	if st.Dev != nsfsDev() || (want != 0 && st.Ino != want) {
		unix.Close(fd)
		return -1, fmt.Errorf("%s no longer holds the node's %s namespace", file, k.what)
	}
	return fd, nil
}

func indexOf(k nsKind) int {
	for i, kk := range nsKinds {
		if kk == k {
			return i
		}
	}
	panic("unknown namespace kind " + k.name)
}

// enterArgs are nsenter's options that put a command in all of the
// node's namespaces.
func (ns nodeNS) enterArgs() []string {
	return []string{"--net=" + ns.file(kindNet), "--uts=" + ns.file(kindUTS), "--mount=" + ns.file(kindMnt)}
}

// pinDirs serializes the set-up of pin directories within this process;
// prepared holds the mounts of those set up, by directory.
var (
	pinDirs  sync.Mutex
	prepared = map[string][2]uint64{}
)

// preparePinDir makes the experiment's pin directory ready for pins: its
// subdirectories, RUN_DIR/ns a shared mount and RUN_DIR/ns/mnt a private
// one, each a bind mount of itself when it is not a mount point yet (what
// `ip netns add` does for /run/netns). Run it while a providers.MakeDir
// holds the directory, so that no prune unmounts it meanwhile. A
// directory this process set up, whose two mounts are still the ones it
// set up, is ready: the next nodes' pins do not change its propagation
// again, which takes the host's mount lock twice, the lock every node's
// new mount namespace holds while it copies the host's mounts.
func preparePinDir(l layout) error {
	dir := l.pinDir()
	mnt := filepath.Join(dir, kindMnt.name)
	pinDirs.Lock()
	defer pinDirs.Unlock()
	if ids, ok := prepared[dir]; ok {
		if now, err := mountIDs(dir, mnt); err == nil && now == ids {
			return nil
		}
		delete(prepared, dir)
	}
	for _, k := range nsKinds {
		if err := os.MkdirAll(filepath.Join(dir, k.name), 0o755); err != nil {
			return err
		}
	}
	if err := providers.SetPropagation(dir, unix.MS_SHARED); err != nil {
		return err
	}
	if err := providers.SetPropagation(mnt, unix.MS_PRIVATE); err != nil {
		return err
	}
	if ids, err := mountIDs(dir, mnt); err == nil {
		prepared[dir] = ids
	}
	return nil
}

// mountIDs returns the ids of the mounts that directories a and b are on
// (statx's STATX_MNT_ID): an id changes when its mount is unmounted.
func mountIDs(a, b string) ([2]uint64, error) {
	var ids [2]uint64
	for i, d := range []string{a, b} {
		var st unix.Statx_t
		if err := unix.Statx(unix.AT_FDCWD, d, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &st); err != nil {
			return ids, err
		}
		if st.Mask&unix.STATX_MNT_ID == 0 {
			return ids, fmt.Errorf("statx of %s: no mount id", d)
		}
		ids[i] = st.Mnt_id
	}
	return ids, nil
}

// prunePinDir unmounts and removes the experiment's pin directory once no
// node has a pin in it. Call it from providers.Prune.
func prunePinDir(l layout) {
	dir := l.pinDir()
	for _, k := range nsKinds {
		if entries, err := os.ReadDir(filepath.Join(dir, k.name)); err != nil && !errors.Is(err, fs.ErrNotExist) || len(entries) > 0 {
			return
		}
	}
	pinDirs.Lock()
	defer pinDirs.Unlock()
	delete(prepared, dir)
	for _, d := range []string{filepath.Join(dir, kindMnt.name), dir} {
		if err := unix.Unmount(d, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			return
		}
	}
	for _, k := range nsKinds {
		os.Remove(filepath.Join(dir, k.name))
	}
	os.Remove(dir)
}

// newNamespaces makes node n's namespaces and pins them, and returns them
// with their inodes. The pins' files are made first, so that what a
// failure or a crash leaves is found (removeNode); namespaces made but not
// yet pinned die with the descriptors that hold them.
func newNamespaces(n node) (nodeNS, error) {
	return pinNamespaces(n, func() ([3]int, error) { return makeNamespaces(n) })
}

// adoptNamespaces pins the namespaces of a node's process proc (a
// container's first process, which was born in them): its network, UTS
// and mount namespaces are the node's from then on.
func adoptNamespaces(n node, proc daemon.Process) (nodeNS, error) {
	return pinNamespaces(n, func() (fds [3]int, err error) {
		for i, k := range nsKinds {
			fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/%s", proc.Pid, k.name), unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				return fds, fmt.Errorf("opening the %s namespace of the node's process %d: %w", k.what, proc.Pid, err)
			}
			fds[i] = fd
		}
		// Opened while it ran: the descriptors are its namespaces, not a
		// later process's of the same pid.
		if !proc.Alive() {
			return fds, fmt.Errorf("the node's process %d ended before its namespaces were pinned", proc.Pid)
		}
		return fds, nil
	})
}

// pinNamespaces makes node n's pin files, then pins the namespaces open
// returns descriptors of (nsKinds' order), and returns them with their
// inodes.
func pinNamespaces(n node, open func() ([3]int, error)) (nodeNS, error) {
	ns := nodeNSAt(n.layout(), n.Name)
	release, err := providers.MakeDir(n.layout().pinDir(), 0o755)
	if err != nil {
		return ns, err
	}
	defer release()
	if err := preparePinDir(n.layout()); err != nil {
		return ns, err
	}
	for _, file := range ns.Files {
		f, err := os.OpenFile(file, os.O_CREATE|os.O_RDONLY, 0o444)
		if err != nil {
			return ns, fmt.Errorf("making the node's pin: %w", err)
		}
		f.Close()
	}
	fds, err := open()
	defer func() {
		for _, fd := range fds {
			if fd > 0 {
				unix.Close(fd)
			}
		}
	}()
	if err != nil {
		return ns, err
	}
	for i, k := range nsKinds {
		var st unix.Stat_t
		if err := unix.Fstat(fds[i], &st); err != nil {
			return ns, err
		}
		// The descriptor's magic link names the namespace; the bind is
		// made from this thread, in the host's mount namespace.
		if err := unix.Mount("/proc/self/fd/"+strconv.Itoa(fds[i]), ns.Files[i], "", unix.MS_BIND, ""); err != nil {
			return ns, fmt.Errorf("pinning the node's %s namespace at %s: %w", k.what, ns.Files[i], err)
		}
		ns.Inodes[i] = st.Ino
	}
	return ns, nil
}

// makeNamespaces makes node n's namespaces and returns descriptors of
// them (nsKinds' order), which the caller closes.
//
// They are made by a thread of this process that moves into them
// (unshare), which is cheaper than a child process: there it sets the
// hostname and ip_forward, makes the node's mounts slaves of the host's
// (what the node mounts stays in the node; what the host mounts later
// reaches it), detaches its copy of the pin directory, and binds the
// experiment's hosts file over /etc/hosts, read-only. The thread is not
// given back (onThread): no other goroutine ever runs in a node's
// namespaces.
func makeNamespaces(n node) (fds [3]int, err error) {
	onThread(func() bool {
		err = func() error {
			if err := unix.Unshare(unix.CLONE_NEWNET | unix.CLONE_NEWUTS | unix.CLONE_NEWNS); err != nil {
				return fmt.Errorf("making the node's namespaces: %w", err)
			}
			if err := unix.Sethostname([]byte(n.Name)); err != nil {
				return fmt.Errorf("setting the hostname: %w", err)
			}
			if err := writeForward(n.IPForward); err != nil {
				return err
			}
			if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_SLAVE, ""); err != nil {
				return fmt.Errorf("making the node's mounts slaves of the host's: %w", err)
			}
			if err := unix.Unmount(n.layout().pinDir(), unix.MNT_DETACH); err != nil {
				return fmt.Errorf("detaching the pins from the node's mount namespace: %w", err)
			}
			if n.HostsFile != "" {
				if err := bindHosts(n.HostsFile); err != nil {
					return err
				}
			}
			for i, k := range nsKinds {
				fd, err := unix.Open("/proc/thread-self/ns/"+k.name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
				if err != nil {
					return fmt.Errorf("opening the node's %s namespace: %w", k.what, err)
				}
				fds[i] = fd
			}
			return nil
		}()
		return false
	})
	return fds, err
}

// hostsTarget is the file the experiment's hosts file is bound over in a
// node.
const hostsTarget = "/etc/hosts"

// bindHosts binds file over /etc/hosts, read-only, in the calling
// thread's mount namespace. The bind holds file's inode: the config
// provider rewrites the hosts file in place, so that nodes see its
// changes.
func bindHosts(file string) error {
	if err := unix.Mount(file, hostsTarget, "", unix.MS_BIND, ""); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("binding the experiment's hosts file %s over %s: one of them does not exist", file, hostsTarget)
		}
		return fmt.Errorf("binding the experiment's hosts file %s over %s: %w", file, hostsTarget, err)
	}
	if err := unix.Mount("", hostsTarget, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		return fmt.Errorf("making %s read-only in the node: %w", hostsTarget, err)
	}
	return nil
}

// unpin unmounts the node's pins and removes their files; what is already
// gone is no error.
func (ns nodeNS) unpin() error {
	var errs []error
	for _, file := range ns.Files {
		if s, _, _ := inspect(file); s == pinMounted {
			if err := unix.Unmount(file, unix.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) {
				errs = append(errs, fmt.Errorf("unmounting %s: %w", file, err))
				continue
			}
		}
		if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
