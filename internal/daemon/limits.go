package daemon

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// Limits of a group: memory and CPU time, shared by all its processes.
//
// Where the controllers are decides how (controllerGroup):
//
//   - On the unified hierarchy (cgroup v2) that has them in its
//     cgroup.controllers: memory.max and cpu.max of the group itself, the
//     controllers enabled first in the cgroup.subtree_control of each
//     group above it.
//   - On a host that mounts them as v1 hierarchies (memory, cpu under
//     /sys/fs/cgroup/*, beside benito's own hierarchy, v2 or v1): a group
//     at the same path in each controller's hierarchy (LimitGroups),
//     memory.limit_in_bytes and cpu.cfs_quota_us/cpu.cfs_period_us there.
//     SetLimits makes those groups and moves the group's processes into
//     them; a process started in the group afterwards (Start,
//     StartDetached) is born in them as in the group, with no window: it
//     is forked from a thread moved into the controller groups first (a
//     child is born in its forking thread's v1 groups). That thread's
//     memory stays charged where benito is (v1 charges a process's pages
//     to the group of its thread-group leader, and Go forks with the
//     parent's memory shared until exec); only the fork runs under the
//     group's CPU limit.
//
// Limits hold for the processes of the group itself and what they fork,
// not for processes started in groups below it, which have limits of
// their own or none. A process started while the first SetLimits of its
// group runs may miss the v1 controller groups: set a group's limits
// before starting its processes, not beside it. Memory a process used before SetLimits moved it into
// the v1 memory group stays charged where it was. Swap is not limited:
// on a host with swap, a group may use swap beyond MemoryBytes.
//
// Kill, Remove and Prune of a group take the controller groups at its
// path (and below) with it.
type Limits struct {
	// MemoryBytes is the memory the processes may use together, 0 for no
	// limit: a whole number of pages (the kernel would round it down). A
	// group that needs more has its processes OOM-killed.
	MemoryBytes uint64
	// CPUs is the CPU time the processes may use per wall-clock time, 0
	// for no limit: 1.5 is one and a half CPUs, as a quota of 150000µs
	// every 100000µs (cpuPeriod), so in steps of 0.00001, at least 0.01.
	CPUs float64
}

// cpuPeriod is the period of CPU quotas, in µs: the kernel's default.
const cpuPeriod = 100000

// limitControllers are the controllers Limits use.
var limitControllers = []string{"memory", "cpu"}

// check validates l before anything on the host is changed.
func (l Limits) check() error {
	page := uint64(os.Getpagesize())
	if l.MemoryBytes%page != 0 {
		return fmt.Errorf("memory limit %d bytes is not a whole number of %d-byte pages (the kernel would round it down to %d): give %d", l.MemoryBytes, page, l.MemoryBytes/page*page, (l.MemoryBytes/page+1)*page)
	}
	if l.MemoryBytes >= v1Unlimited() {
		return fmt.Errorf("memory limit %d bytes is more than the kernel can limit (%d): give 0 for no limit", l.MemoryBytes, v1Unlimited()-page)
	}
	if math.IsNaN(l.CPUs) || l.CPUs < 0 || math.IsInf(l.CPUs, 0) {
		return fmt.Errorf("CPU limit %v is not a number of CPUs: give 0 for no limit, or for example 1.5", l.CPUs)
	}
	if l.CPUs == 0 {
		return nil
	}
	q := math.Round(l.CPUs * cpuPeriod)
	if q < 1000 {
		return fmt.Errorf("CPU limit %v is below 0.01 CPU, the least the kernel takes (a quota of 1ms per %dµs)", l.CPUs, cpuPeriod)
	}
	if q > 1<<40 {
		return fmt.Errorf("CPU limit %v is more than the kernel can limit: give 0 for no limit", l.CPUs)
	}
	if q/cpuPeriod != l.CPUs {
		return fmt.Errorf("CPU limit %v is finer than 0.00001 CPU, the step of a quota per %dµs: give %v", l.CPUs, cpuPeriod, q/cpuPeriod)
	}
	return nil
}

// v1Unlimited is what a v1 memory.limit_in_bytes reads when no limit is
// set: the largest int64 rounded down to a whole page.
func v1Unlimited() uint64 {
	page := uint64(os.Getpagesize())
	return math.MaxInt64 / page * page
}

// v1Hierarchies returns the mounted v1 hierarchies. A variable, so that
// tests of the file formats lay out a host of their own.
var v1Hierarchies = sync.OnceValues(func() ([]Hierarchy, error) {
	ms, err := mountinfo.GetMounts(cgroupMounts)
	if err != nil {
		return nil, fmt.Errorf("finding the cgroup hierarchies: %w", err)
	}
	var v1 []Hierarchy
	for _, h := range cgroupHierarchies(ms) {
		if !h.V2 {
			v1 = append(v1, h)
		}
	}
	return v1, nil
})

// holdsController reports whether v1 hierarchy h has controller c.
func (h Hierarchy) holdsController(c string) bool {
	return !h.V2 && slices.Contains(strings.Split(h.name, ","), c)
}

// v1Holding returns the mounted v1 hierarchy that has controller c.
func v1Holding(c string) (Hierarchy, bool, error) {
	hs, err := v1Hierarchies()
	if err != nil {
		return Hierarchy{}, false, err
	}
	for _, h := range hs {
		if h.holdsController(c) {
			return h, true, nil
		}
	}
	return Hierarchy{}, false, nil
}

// LimitGroups returns the groups at g's path in the mounted v1
// hierarchies of the controllers Limits use, other than g's own
// hierarchy: where SetLimits limits g's processes on a host that mounts
// those controllers as v1 hierarchies; none on a host of cgroup v2 alone.
// They need not exist.
func (g Group) LimitGroups() ([]Group, error) {
	var gs []Group
	for _, c := range limitControllers {
		h, ok, err := v1Holding(c)
		if err != nil {
			return nil, err
		}
		if !ok || h == g.h {
			continue
		}
		lg := Group{h: h, path: g.path}
		if !slices.Contains(gs, lg) {
			gs = append(gs, lg)
		}
	}
	return gs, nil
}

// controllerGroup returns the group whose files limit controller c for
// g: g itself when its hierarchy has c, else the group at g's path in
// the v1 hierarchy mounted with c. The error says why c is not available.
func (g Group) controllerGroup(c string) (Group, error) {
	if g.h.V2 {
		file := filepath.Join(g.h.Mount, "cgroup.controllers")
		b, err := os.ReadFile(file)
		if err != nil {
			return Group{}, fmt.Errorf("reading the controllers of the unified hierarchy: %w", err)
		}
		if slices.Contains(strings.Fields(string(b)), c) {
			return g, nil
		}
	} else if g.h.holdsController(c) {
		return g, nil
	}
	h, ok, err := v1Holding(c)
	if err != nil {
		return Group{}, err
	}
	if ok {
		return Group{h: h, path: g.path}, nil
	}
	return Group{}, unavailable(c, g.h)
}

// unavailableError is the error of a controller the host does not have
// where a group can use it.
type unavailableError struct{ msg string }

func (e *unavailableError) Error() string { return e.msg }

// isUnavailable reports whether err says a controller is not available.
func isUnavailable(err error) bool {
	var u *unavailableError
	return errors.As(err, &u)
}

// unavailable says why controller c is neither on hierarchy h nor
// mounted as a v1 hierarchy, from /proc/cgroups (hierarchy, enabled).
func unavailable(c string, h Hierarchy) error {
	where := "hierarchy " + h.Mount
	if h.V2 {
		where = "the unified hierarchy (" + filepath.Join(h.Mount, "cgroup.controllers") + ")"
	}
	msg := fmt.Sprintf("the %s controller is not available: it is not on %s and no v1 hierarchy of it is mounted", c, where)
	if f, err := os.Open("/proc/cgroups"); err == nil {
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			// subsys_name hierarchy num_cgroups enabled
			fs := strings.Fields(s.Text())
			if len(fs) != 4 || fs[0] != c {
				continue
			}
			switch {
			case fs[3] == "0":
				msg += fmt.Sprintf("; the kernel has it disabled (cgroup_disable=%s on its command line)", c)
			case fs[1] != "0":
				msg += fmt.Sprintf("; v1 hierarchy %s holds it, so the unified hierarchy cannot have it, but it is not mounted: mount it (mount -t cgroup -o %s cgroup /sys/fs/cgroup/%s)", fs[1], c, c)
			default:
				msg += "; it is free for the unified hierarchy: is cgroup2 mounted?"
			}
		}
	}
	return &unavailableError{msg}
}

// SetLimits sets g's limits, making g (and, on a host that mounts the
// controllers as v1 hierarchies, its controller groups) if missing; a
// zero field removes that limit. Limits in place are changed in place:
// the processes keep running. It fails, changing nothing, on invalid
// limits or a controller the host does not have.
func (g Group) SetLimits(l Limits) error {
	if g.IsZero() {
		return errors.New("setting limits: no cgroup (the host has no cgroup hierarchy)")
	}
	if err := l.check(); err != nil {
		return fmt.Errorf("limits of %s: %w", g, err)
	}
	mem, memErr := g.controllerGroup("memory")
	cpu, cpuErr := g.controllerGroup("cpu")
	if l.MemoryBytes > 0 && memErr != nil {
		return fmt.Errorf("limiting the memory of %s: %w", g, memErr)
	}
	if l.CPUs > 0 && cpuErr != nil {
		return fmt.Errorf("limiting the CPU time of %s: %w", g, cpuErr)
	}
	// Without a limit, a controller the host does not have has nothing
	// to remove; any other error is one.
	for _, err := range []error{memErr, cpuErr} {
		if err != nil && !isUnavailable(err) {
			return fmt.Errorf("the limits of %s: %w", g, err)
		}
	}
	if err := g.make(); err != nil {
		return err
	}
	var moveTo []Group
	if memErr == nil {
		v := "max"
		if l.MemoryBytes > 0 {
			v = strconv.FormatUint(l.MemoryBytes, 10)
		}
		var err error
		if mem.h.V2 {
			err = mem.setV2("memory", l.MemoryBytes > 0, "memory.max", v)
		} else {
			if v == "max" {
				v = "-1"
			}
			err = mem.setV1(l.MemoryBytes > 0, [][2]string{{"memory.limit_in_bytes", v}})
		}
		if err != nil {
			return err
		}
		if !mem.h.V2 && mem != g {
			moveTo = append(moveTo, mem)
		}
	}
	if cpuErr == nil {
		q := int64(math.Round(l.CPUs * cpuPeriod))
		var err error
		if cpu.h.V2 {
			v := fmt.Sprintf("max %d", cpuPeriod)
			if q > 0 {
				v = fmt.Sprintf("%d %d", q, cpuPeriod)
			}
			err = cpu.setV2("cpu", q > 0, "cpu.max", v)
		} else {
			if q == 0 {
				q = -1
			}
			// The period first: a quota is checked against it.
			err = cpu.setV1(q > 0, [][2]string{{"cpu.cfs_period_us", strconv.Itoa(cpuPeriod)}, {"cpu.cfs_quota_us", strconv.FormatInt(q, 10)}})
		}
		if err != nil {
			return err
		}
		if !cpu.h.V2 && cpu != g && !slices.Contains(moveTo, cpu) {
			moveTo = append(moveTo, cpu)
		}
	}
	for _, to := range moveTo {
		if !to.Exists() {
			continue
		}
		if err := g.moveProcs(to); err != nil {
			return err
		}
	}
	return nil
}

// setV2 writes value into file of g on the unified hierarchy. To set a
// limit (limit true), controller is first enabled for g: in the
// cgroup.subtree_control of every group from the root down to g's
// parent that does not have it yet. Removing a limit where the controller
// is not enabled has nothing to do.
func (g Group) setV2(controller string, limit bool, file, value string) error {
	path := filepath.Join(g.Dir(), file)
	if limit {
		parts := strings.Split(g.path, "/")
		for i := range parts {
			dir := filepath.Join(append([]string{g.h.Mount}, parts[:i]...)...)
			if err := enable(dir, controller); err != nil {
				return err
			}
		}
	} else if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return writeLimit(path, value)
}

// enable enables controller in the subtree_control of the group at dir,
// unless it is there already.
func enable(dir, controller string) error {
	file := filepath.Join(dir, "cgroup.subtree_control")
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("reading %s: %w", file, err)
	}
	if slices.Contains(strings.Fields(string(b)), controller) {
		return nil
	}
	err = writeLimit(file, "+"+controller)
	if errors.Is(err, unix.EBUSY) {
		return fmt.Errorf("%w: a group of the unified hierarchy with processes of its own cannot pass a controller to the groups below it; move them into a group below", err)
	}
	return err
}

// setV1 writes the files (name, value, in order) of g, a group of a v1
// controller's hierarchy, made first when a limit is set (limit true);
// removing a limit from a group that does not exist has nothing to do.
func (g Group) setV1(limit bool, files [][2]string) error {
	if !limit && !g.Exists() {
		return nil
	}
	if err := g.make(); err != nil {
		return err
	}
	for _, f := range files {
		if err := writeLimit(filepath.Join(g.Dir(), f[0]), f[1]); err != nil {
			return err
		}
	}
	return nil
}

// writeLimit writes value into the existing cgroup file path.
func writeLimit(path, value string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("setting %s: the file is missing: is the controller enabled?", path)
		}
		return fmt.Errorf("setting %s: %w", path, err)
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, unix.EBUSY) && strings.HasSuffix(path, "limit_in_bytes") {
		return fmt.Errorf("setting %s to %s: %w (the group uses more memory than that and the kernel could not reclaim it)", path, value, err)
	}
	if err != nil {
		return fmt.Errorf("setting %s to %s: %w", path, value, err)
	}
	return nil
}

// moveProcs moves the processes of g itself (not of the groups below it)
// into to, a group of another v1 hierarchy, until a listing finds none
// left outside: a process that forked meanwhile left its child where it
// was, and the next listing finds it.
func (g Group) moveProcs(to Group) error {
	for range 100 {
		pids, err := g.procs()
		if err != nil {
			return fmt.Errorf("listing the processes of %s: %w", g, err)
		}
		moved := false
		for _, pid := range pids {
			if p, ok := groupOf(pid, to.h); !ok || p == to.Path() {
				continue
			}
			err := os.WriteFile(filepath.Join(to.Dir(), "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
			if err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("moving process %d of %s into %s: %w", pid, g, to, err)
			}
			moved = true
		}
		if !moved {
			return nil
		}
	}
	return fmt.Errorf("moving the processes of %s into %s: they fork faster than they are moved", g, to)
}

// procs returns the processes in g itself; none when it does not exist.
func (g Group) procs() ([]int, error) { return readProcs(g.Dir()) }

// readProcs returns the processes in the group at dir (its cgroup.procs);
// none when it does not exist.
func readProcs(dir string) ([]int, error) {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// Limits reads back g's limits from the host: what is in effect, so that
// a change made by hand shows. A controller the host does not have, or a
// group not made, reads as no limit.
func (g Group) Limits() (Limits, error) {
	var l Limits
	if g.IsZero() {
		return l, nil
	}
	mem, memErr := g.controllerGroup("memory")
	cpu, cpuErr := g.controllerGroup("cpu")
	for _, err := range []error{memErr, cpuErr} {
		if err != nil && !isUnavailable(err) {
			return Limits{}, fmt.Errorf("reading the limits of %s: %w", g, err)
		}
	}
	if memErr == nil {
		var err error
		var f string
		var v uint64
		var ok bool
		if mem.h.V2 {
			f = "memory.max"
			v, ok, err = readMax(filepath.Join(mem.Dir(), f))
		} else {
			f = "memory.limit_in_bytes"
			var n int64
			n, ok, err = readInt(filepath.Join(mem.Dir(), f))
			if n < 0 {
				err = fmt.Errorf("reading %s: %d is no limit", filepath.Join(mem.Dir(), f), n)
			}
			v, ok = uint64(n), ok && uint64(n) < v1Unlimited()
		}
		if err != nil {
			return Limits{}, err
		}
		if ok {
			l.MemoryBytes = v
		}
	}
	if cpuErr == nil {
		var err error
		var quota, period int64
		var ok bool
		if cpu.h.V2 {
			quota, period, ok, err = readCPUMax(filepath.Join(cpu.Dir(), "cpu.max"))
		} else {
			quota, ok, err = readInt(filepath.Join(cpu.Dir(), "cpu.cfs_quota_us"))
			if err == nil && ok && quota >= 0 {
				period, ok, err = readInt(filepath.Join(cpu.Dir(), "cpu.cfs_period_us"))
			}
			if quota < 0 {
				ok = false
			}
		}
		if err != nil {
			return Limits{}, err
		}
		if ok {
			if period <= 0 || quota <= 0 {
				return Limits{}, fmt.Errorf("reading the CPU limit of %s: quota %d per period %d is no limit", cpu, quota, period)
			}
			l.CPUs = float64(quota) / float64(period)
		}
	}
	return l, nil
}

// readLimitFile reads a one-line cgroup file; ok is false when it does
// not exist.
func readLimitFile(path string) (string, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return strings.TrimSpace(string(b)), true, nil
}

// readMax reads a v2 file holding "max" or a number; ok is false for
// "max" or a missing file.
func readMax(path string) (uint64, bool, error) {
	s, ok, err := readLimitFile(path)
	if err != nil || !ok || s == "max" {
		return 0, false, err
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("reading %s: %q is neither max nor a number", path, s)
	}
	return n, true, nil
}

// readInt reads a v1 file holding a number; ok is false for a missing file.
func readInt(path string) (int64, bool, error) {
	s, ok, err := readLimitFile(path)
	if err != nil || !ok {
		return 0, false, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("reading %s: %q is not a number", path, s)
	}
	return n, true, nil
}

// readCPUMax reads a v2 cpu.max ("QUOTA PERIOD", QUOTA a number or
// max); ok is false for max or a missing file.
func readCPUMax(path string) (quota, period int64, ok bool, err error) {
	s, ok, err := readLimitFile(path)
	if err != nil || !ok {
		return 0, 0, false, err
	}
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, 0, false, fmt.Errorf("reading %s: %q is not QUOTA PERIOD", path, s)
	}
	period, err = strconv.ParseInt(f[1], 10, 64)
	if err != nil || period <= 0 {
		return 0, 0, false, fmt.Errorf("reading %s: %q is not QUOTA PERIOD", path, s)
	}
	if f[0] == "max" {
		return 0, period, false, nil
	}
	quota, err = strconv.ParseInt(f[0], 10, 64)
	if err != nil || quota <= 0 {
		return 0, 0, false, fmt.Errorf("reading %s: %q is not QUOTA PERIOD", path, s)
	}
	return quota, period, true, nil
}
