package daemon

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// A process started with a Group in its Spec is born in that cgroup: the
// kernel puts it there as it creates it (clone3 with CLONE_INTO_CGROUP on
// the unified hierarchy; on a v1 hierarchy, by forking from a thread moved
// into the group first), and everything it forks is born there too, a
// daemon that forks itself into the background included. So whatever
// benito starts can be found from the host alone (/proc/PID/cgroup,
// `systemd-cgls`, the group's cgroup.procs), even when benito died before
// it recorded the process, and killed with everything it started.

// Hierarchy is a mounted cgroup hierarchy.
type Hierarchy struct {
	// Mount is where it is mounted.
	Mount string
	// V2 says it is the unified hierarchy (cgroup2); otherwise it is a
	// v1 hierarchy, named in /proc/PID/cgroup by its controllers (or
	// name=NAME) in name.
	V2   bool
	name string
}

// HostHierarchy returns the hierarchy benito's groups are made in: the
// unified one (cgroup2) wherever it is mounted (/sys/fs/cgroup on a host
// of cgroup v2; /sys/fs/cgroup/unified on a hybrid host, whose unified
// hierarchy has no controllers but tracks processes all the same), else a
// v1 hierarchy: systemd's named one, or the pids controller's, or the
// first mounted. The groups mark processes; they limit none unless
// SetLimits is given limits for them (limits.go), which takes the
// controllers from the unified hierarchy or, where v1 holds them, from
// their v1 hierarchies.
var HostHierarchy = sync.OnceValues(func() (Hierarchy, error) {
	ms, err := mountinfo.GetMounts(cgroupMounts)
	if err != nil {
		return Hierarchy{}, fmt.Errorf("finding the cgroup hierarchies: %w", err)
	}
	return pickHierarchy(cgroupHierarchies(ms))
})

// cgroupMounts keeps the mounts of cgroup file systems.
func cgroupMounts(m *mountinfo.Info) (skip, stop bool) {
	return m.FSType != "cgroup2" && m.FSType != "cgroup", false
}

// cgroupHierarchies returns the cgroup hierarchies among mounts, in mount order.
func cgroupHierarchies(mounts []*mountinfo.Info) []Hierarchy {
	var hs []Hierarchy
	seen := map[string]bool{}
	for _, m := range mounts {
		switch m.FSType {
		case "cgroup2":
			hs = append(hs, Hierarchy{Mount: m.Mountpoint, V2: true})
		case "cgroup":
			var names []string
			for _, o := range strings.Split(m.VFSOptions, ",") {
				if strings.HasPrefix(o, "name=") || (o != "rw" && o != "ro" && !strings.Contains(o, "=") && o != "clone_children" && o != "noprefix" && o != "xattr" && o != "none" && o != "cpuset_v2_mode") {
					names = append(names, o)
				}
			}
			name := strings.Join(names, ",")
			if name == "" || seen[name] {
				continue
			}
			seen[name] = true
			hs = append(hs, Hierarchy{Mount: m.Mountpoint, name: name})
		}
	}
	return hs
}

func pickHierarchy(hs []Hierarchy) (Hierarchy, error) {
	for _, h := range hs {
		if h.V2 {
			return h, nil
		}
	}
	for _, want := range []string{"name=systemd", "pids"} {
		for _, h := range hs {
			if h.name == want {
				return h, nil
			}
		}
	}
	if len(hs) > 0 {
		return hs[0], nil
	}
	return Hierarchy{}, errors.New("no cgroup hierarchy is mounted: benito marks the processes it starts with a cgroup; mount cgroup2 (mount -t cgroup2 none /sys/fs/cgroup)")
}

// V1Hierarchy returns the mounted v1 hierarchy of the controller (or
// name=NAME) given; for tests of the v1 path on a host that has both.
func V1Hierarchy(name string) (Hierarchy, bool) {
	ms, err := mountinfo.GetMounts(cgroupMounts)
	if err != nil {
		return Hierarchy{}, false
	}
	for _, h := range cgroupHierarchies(ms) {
		if !h.V2 && h.name == name {
			return h, true
		}
	}
	return Hierarchy{}, false
}

// Group is a cgroup of a hierarchy, by its path below the hierarchy's
// root. The zero Group is none: a Spec without one starts its process
// where benito runs.
type Group struct {
	h    Hierarchy
	path string
}

// Group returns the group at path (slash-separated, below the root).
func (h Hierarchy) Group(path string) Group {
	return Group{h: h, path: strings.Trim(path, "/")}
}

// IsZero reports whether g is no group.
func (g Group) IsZero() bool { return g.path == "" }

// Child returns the group below g named by names, one per level. A name
// must not hold a slash.
func (g Group) Child(names ...string) Group {
	return Group{h: g.h, path: strings.Join(append([]string{g.path}, names...), "/")}
}

// Path is the group's path below the hierarchy's root, as
// /proc/PID/cgroup shows it (with a leading slash).
func (g Group) Path() string { return "/" + g.path }

// Dir is the group's directory.
func (g Group) Dir() string { return filepath.Join(g.h.Mount, g.path) }

// String names the group for people: its directory.
func (g Group) String() string { return "cgroup " + g.Dir() }

// Exists reports whether the group's directory exists.
func (g Group) Exists() bool {
	fi, err := os.Stat(g.Dir())
	return err == nil && fi.IsDir()
}

// Children returns the names of the groups right below g, sorted; none
// when g does not exist.
func (g Group) Children() ([]string, error) {
	entries, err := os.ReadDir(g.Dir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// make makes the group's directory and its parents. A parent removed by
// a prune between two steps is made again.
func (g Group) make() error {
	var err error
	for range 5 {
		if err = os.MkdirAll(g.Dir(), 0o755); !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("making %s: %w", g, err)
	}
	return nil
}

// start starts cmd (not yet started) with its process born in g, or
// where benito runs when g is zero. Where SetLimits made controller
// groups for g on v1 hierarchies (LimitGroups), the process is born in
// them too.
func (g Group) start(cmd *exec.Cmd) error {
	if g.IsZero() {
		return cmd.Start()
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	var err error
	for range 5 {
		if err = g.make(); err != nil {
			return err
		}
		var join []Group
		if join, err = g.limitGroupsMade(); err != nil {
			return err
		}
		if g.h.V2 {
			if len(join) == 0 {
				err = g.startV2(cmd)
			} else {
				err = startOnThread(join, func() error { return g.startV2(cmd) })
			}
		} else {
			err = startOnThread(append([]Group{g}, join...), cmd.Start)
		}
		// A group removed between its making and the start (a prune of
		// an empty one) is made again.
		if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ENODEV) {
			break
		}
	}
	return err
}

// limitGroupsMade returns those of g's LimitGroups that exist: the ones
// SetLimits made.
func (g Group) limitGroupsMade() ([]Group, error) {
	lgs, err := g.LimitGroups()
	if err != nil {
		return nil, err
	}
	var made []Group
	for _, lg := range lgs {
		if lg.Exists() {
			made = append(made, lg)
		}
	}
	return made, nil
}

// startV2 starts cmd with clone3(CLONE_INTO_CGROUP): the process is in the
// group from its first instruction on.
func (g Group) startV2(cmd *exec.Cmd) error {
	fd, err := unix.Open(g.Dir(), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening %s: %w", g, err)
	}
	defer unix.Close(fd)
	cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, fd
	return cmd.Start()
}

// startOnThread calls start (which forks) from a thread moved into the
// groups gs, each of a v1 hierarchy (v1 groups hold threads; a child is
// born in its forking thread's groups), and moves the thread back. A
// thread that cannot be moved back is not given back to Go: its
// goroutine ends locked, and Go ends the thread.
//
// The forking thread is in the network namespace of the thread that
// called startOnThread, as a child started by cmd.Start on the caller's
// own thread would be: a caller locked to a thread it moved into a node's
// namespace (a VDE plug, which opens its TAP by name in the namespace it
// is born in) gets its child there, never in the host's. A thread moved
// into another namespace is not given back to Go either.
func startOnThread(gs []Group, start func() error) error {
	callerNet, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening this thread's network namespace: %w", err)
	}
	defer unix.Close(callerNet)
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		tid := []byte(strconv.Itoa(unix.Gettid()))
		var back []string // tasks files to move the thread back by
		giveBack := true
		defer func() {
			for _, f := range back {
				if os.WriteFile(f, tid, 0) != nil {
					return
				}
			}
			if giveBack {
				runtime.UnlockOSThread()
			}
		}()
		var same bool
		if same, err = sameNetNS(callerNet); err != nil {
			return
		}
		if !same {
			giveBack = false
			if err = unix.Setns(callerNet, unix.CLONE_NEWNET); err != nil {
				err = fmt.Errorf("moving a thread into its caller's network namespace: %w", err)
				return
			}
		}
		for _, g := range gs {
			var orig string
			if orig, err = threadGroup(g.h); err != nil {
				return
			}
			if err = os.WriteFile(filepath.Join(g.Dir(), "tasks"), tid, 0); err != nil {
				err = fmt.Errorf("moving a thread into %s: %w", g, err)
				return
			}
			back = append(back, filepath.Join(g.h.Mount, orig, "tasks"))
		}
		err = start()
	}()
	<-done
	return err
}

// sameNetNS says whether the calling thread is in the network namespace
// of the open namespace file fd.
func sameNetNS(fd int) (bool, error) {
	var want, got unix.Stat_t
	if err := unix.Fstat(fd, &want); err != nil {
		return false, err
	}
	if err := unix.Stat("/proc/thread-self/ns/net", &got); err != nil {
		return false, err
	}
	return want.Dev == got.Dev && want.Ino == got.Ino, nil
}

// threadGroup returns the path of the calling thread's group in v1
// hierarchy h.
func threadGroup(h Hierarchy) (string, error) {
	b, err := os.ReadFile("/proc/thread-self/cgroup")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		// ID:CONTROLLERS:PATH
		f := strings.SplitN(line, ":", 3)
		if len(f) == 3 && f[1] == h.name {
			return f[2], nil
		}
	}
	return "", fmt.Errorf("this thread is in no group of the %s hierarchy", h.name)
}

// Pids returns the processes in g and every group below it; none when g
// does not exist.
func (g Group) Pids() ([]int, error) {
	var pids []int
	err := g.walk(func(dir string) error {
		ps, err := readProcs(dir)
		pids = append(pids, ps...)
		return err
	})
	slices.Sort(pids)
	return slices.Compact(pids), err
}

// walk calls fn with the directory of g and of every group below it,
// parents before children. A group removed meanwhile is skipped.
func (g Group) walk(fn func(dir string) error) error {
	err := filepath.WalkDir(g.Dir(), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		return fn(path)
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// KillWait is how long Kill is given to see a group's processes gone. A
// process killed ends at once unless the kernel holds it (in I/O on a loop
// device under load, seen for more than 5 seconds on a busy 2-core host):
// it does end, and waiting for it is better than failing the apply or the
// destroy that asked.
const KillWait = 30 * time.Second

// Kill kills (SIGKILL) every process in g and the groups below it, and in
// its controller groups (LimitGroups), waits up to timeout for them to be
// gone, and removes the groups. A group that does not exist is no error.
func (g Group) Kill(timeout time.Duration) error {
	all, err := g.withLimitGroups()
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(all, Group.Exists) {
		return nil
	}
	for _, a := range all {
		if err := a.killProcs(timeout); err != nil {
			return err
		}
	}
	// A process killed whose parent is gone (benito was killed) stays in
	// the group as a zombie until init reaps it, which some inits do
	// slowly: the group is busy until then.
	deadline := time.Now().Add(timeout)
	for {
		err := g.Remove()
		if !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// killProcs signals every process in g and below through a pidfd, after
// checking it is still in the group, until none is left (a process forked
// meanwhile is found by the next listing). It does not use the unified
// hierarchy's cgroup.kill: after one, the kernel (seen on 6.18) kills at
// birth every process later started into that group with
// CLONE_INTO_CGROUP, as Start does; a group a killed benito could not
// remove would then kill every hub, plug and startup command of its node
// as it starts, apply after apply.
func (g Group) killProcs(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for sleep := 100 * time.Microsecond; ; {
		pids, err := g.Pids()
		if err != nil {
			return fmt.Errorf("listing the processes of %s: %w", g, err)
		}
		if len(pids) == 0 {
			return nil
		}
		for _, pid := range pids {
			killIn(pid, g)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %d process(es) still running %v after SIGKILL (%s)", g, len(pids), timeout, describePids(pids))
		}
		time.Sleep(sleep)
		if sleep < 20*time.Millisecond {
			sleep *= 2
		}
	}
}

// describePids names processes that would not die, for the error that says
// so: each pid with its command, its state and where in the kernel it waits
// ("25821 sh D in ovl_...", or "25821 gone" if it ended meanwhile), so that
// a process stuck in the kernel can be told from one that was not signalled.
func describePids(pids []int) string {
	parts := make([]string, len(pids))
	for i, pid := range pids {
		dir := "/proc/" + strconv.Itoa(pid) + "/"
		comm, err := os.ReadFile(dir + "comm")
		if err != nil {
			parts[i] = strconv.Itoa(pid) + " gone"
			continue
		}
		desc := strconv.Itoa(pid) + " " + strings.TrimSpace(string(comm))
		if _, state, err := stat(pid); err == nil {
			desc += " " + string(state)
		}
		if wchan, err := os.ReadFile(dir + "wchan"); err == nil && len(wchan) > 0 && string(wchan) != "0" {
			desc += " in " + string(wchan)
		}
		parts[i] = desc
	}
	return "pids " + strings.Join(parts, ", ")
}

// killIn sends SIGKILL to pid if it is (still) in g or below: the pidfd
// pins the process checked, so a pid reused meanwhile is not signalled.
func killIn(pid int, g Group) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	if !g.holds(pid) {
		return
	}
	unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
}

// holds reports whether process pid is in g or a group below it.
func (g Group) holds(pid int) bool {
	p, ok := groupOf(pid, g.h)
	return ok && (p == g.Path() || strings.HasPrefix(p, g.Path()+"/"))
}

// groupOf returns the path of process pid's group in hierarchy h.
func groupOf(pid int, h Hierarchy) (string, bool) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return "", false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		parts := strings.SplitN(s.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if (h.V2 && parts[0] == "0" && parts[1] == "") || (!h.V2 && parts[1] == h.name) {
			return parts[2], true
		}
	}
	return "", false
}

// GroupOf returns the path of process pid's group in h (as Group.Path
// gives it), for messages and tests.
func GroupOf(pid int, h Hierarchy) (string, bool) { return groupOf(pid, h) }

// withLimitGroups returns g and its LimitGroups.
func (g Group) withLimitGroups() ([]Group, error) {
	lgs, err := g.LimitGroups()
	if err != nil {
		return nil, fmt.Errorf("the controller groups of %s: %w", g, err)
	}
	return append([]Group{g}, lgs...), nil
}

// Remove removes g and the groups below it, deepest first, and so its
// controller groups (LimitGroups). It fails on a group that still holds a
// process; one already gone is no error.
func (g Group) Remove() error {
	all, err := g.withLimitGroups()
	if err != nil {
		return err
	}
	for _, a := range all {
		if err := a.remove(); err != nil {
			return err
		}
	}
	return nil
}

// remove removes g and the groups below it, deepest first.
func (g Group) remove() error {
	var dirs []string
	if err := g.walk(func(dir string) error { dirs = append(dirs, dir); return nil }); err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := unix.Rmdir(dirs[i]); err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("removing cgroup %s: %w", dirs[i], err)
		}
	}
	return nil
}

// Prune removes g and then each of its parents up to (not including) the
// hierarchy's root, as long as they are empty: no process, no group
// below. It stops, without error, at the first that is not. It prunes
// g's controller groups (LimitGroups) so too.
func (g Group) Prune() {
	all, err := g.withLimitGroups()
	if err != nil {
		all = []Group{g}
	}
	for _, a := range all {
		a.prune()
	}
}

func (g Group) prune() {
	for p := g.path; p != "" && p != "."; p = filepath.Dir(p) {
		if err := unix.Rmdir(filepath.Join(g.h.Mount, p)); err != nil && !errors.Is(err, unix.ENOENT) {
			return
		}
	}
}
