package daemon

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/testenv"
)

// The test binary doubles as the processes the limits tests start in a
// group: with helperEnv set, it does what the value says and exits.
const helperEnv = "BENITO_DAEMON_TEST_HELPER"

func TestMain(m *testing.M) {
	switch v := os.Getenv(helperEnv); {
	case v == "spin":
		for {
		}
	case strings.HasPrefix(v, "alloc="):
		// Allocate and touch N MiB, then exit 0.
		n, err := strconv.Atoi(strings.TrimPrefix(v, "alloc="))
		if err != nil {
			os.Exit(2)
		}
		var keep [][]byte
		for range n {
			b := make([]byte, 1<<20)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1
			}
			keep = append(keep, b)
		}
		if len(keep) != n {
			os.Exit(3)
		}
		os.Exit(0)
	case v != "":
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// helper returns a command running the test binary as helper what.
func helper(t *testing.T, what string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), helperEnv+"="+what)
	return cmd
}

// startIn starts cmd in g and kills and waits for it in t's cleanup.
func startIn(t *testing.T, g Group, cmd *exec.Cmd) {
	t.Helper()
	if err := g.start(cmd); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
}

func TestLimitsCheck(t *testing.T) {
	page := uint64(os.Getpagesize())
	for _, c := range []struct {
		l    Limits
		want string // in the error; "" for none
	}{
		{Limits{}, ""},
		{Limits{MemoryBytes: 64 << 20, CPUs: 1.5}, ""},
		{Limits{CPUs: 0.01}, ""},
		{Limits{CPUs: 0.33333}, ""},
		{Limits{MemoryBytes: page + 1}, "not a whole number"},
		{Limits{MemoryBytes: v1Unlimited()}, "more than the kernel can limit"},
		{Limits{CPUs: -1}, "not a number of CPUs"},
		{Limits{CPUs: 0.005}, "below 0.01"},
		{Limits{CPUs: 0.123456}, "give 0.12346"},
	} {
		err := c.l.check()
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("check(%+v) = %v; want %q", c.l, err, c.want)
		}
	}
}

// fakeHost lays out a unified hierarchy in a temporary directory, with
// the controllers given, and v1 hierarchies of the names given, as the
// kernel shows them: the files exist in every group made. Groups are made
// by the test (mkdir in a temporary directory makes no files).
type fakeHost struct {
	t   *testing.T
	v2  Hierarchy
	v1  []Hierarchy
	dir string
}

func newFakeHost(t *testing.T, controllers string, v1 ...string) *fakeHost {
	dir := t.TempDir()
	f := &fakeHost{t: t, dir: dir, v2: Hierarchy{Mount: filepath.Join(dir, "unified"), V2: true}}
	for _, name := range v1 {
		f.v1 = append(f.v1, Hierarchy{Mount: filepath.Join(dir, name), name: name})
	}
	f.write(filepath.Join(f.v2.Mount, "cgroup.controllers"), controllers)
	f.write(filepath.Join(f.v2.Mount, "cgroup.subtree_control"), "")
	old := v1Hierarchies
	v1Hierarchies = func() ([]Hierarchy, error) { return f.v1, nil }
	t.Cleanup(func() { v1Hierarchies = old })
	return f
}

func (f *fakeHost) write(path, content string) {
	f.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fakeHost) read(path string) string {
	f.t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b)
}

// TestLimitsV2Files: on the unified hierarchy, the controllers are
// enabled down to the group, then memory.max and cpu.max written, in the
// kernel's formats, and read back.
func TestLimitsV2Files(t *testing.T) {
	f := newFakeHost(t, "cpuset cpu io memory pids\n")
	g := f.v2.Group("benito/run/openvz/ct1")
	for _, d := range []string{"benito", "benito/run", "benito/run/openvz"} {
		f.write(filepath.Join(f.v2.Mount, d, "cgroup.subtree_control"), "")
	}
	f.write(filepath.Join(g.Dir(), "memory.max"), "max\n")
	f.write(filepath.Join(g.Dir(), "cpu.max"), "max 100000\n")
	f.write(filepath.Join(g.Dir(), "cgroup.procs"), "")
	if lgs, err := g.LimitGroups(); err != nil || len(lgs) != 0 {
		t.Errorf("LimitGroups = %v, %v; want none on a host without v1 controllers", lgs, err)
	}

	if err := g.SetLimits(Limits{MemoryBytes: 256 << 20}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"", "benito", "benito/run", "benito/run/openvz"} {
		if got := f.read(filepath.Join(f.v2.Mount, d, "cgroup.subtree_control")); got != "+memory" {
			t.Errorf("%s/cgroup.subtree_control = %q, want +memory", d, got)
		}
	}
	if got := f.read(filepath.Join(g.Dir(), "memory.max")); got != "268435456" {
		t.Errorf("memory.max = %q", got)
	}
	if got := f.read(filepath.Join(g.Dir(), "cpu.max")); got != "max 100000" {
		t.Errorf("cpu.max = %q, want no limit", got)
	}

	// As the kernel shows them: enabled controllers by name.
	for _, d := range []string{"", "benito", "benito/run", "benito/run/openvz"} {
		f.write(filepath.Join(f.v2.Mount, d, "cgroup.subtree_control"), "cpu memory\n")
	}
	if err := g.SetLimits(Limits{CPUs: 1.5}); err != nil {
		t.Fatal(err)
	}
	if got := f.read(filepath.Join(g.Dir(), "cpu.max")); got != "150000 100000" {
		t.Errorf("cpu.max = %q", got)
	}
	if got := f.read(filepath.Join(g.Dir(), "memory.max")); got != "max" {
		t.Errorf("memory.max = %q, want max once the limit is removed", got)
	}
	if got := f.read(filepath.Join(f.v2.Mount, "benito", "cgroup.subtree_control")); got != "cpu memory\n" {
		t.Errorf("subtree_control written again: %q", got)
	}

	for _, c := range []struct {
		mem, cpu string
		want     Limits
		err      string
	}{
		{"max\n", "max 100000\n", Limits{}, ""},
		{"1048576\n", "50000 100000\n", Limits{MemoryBytes: 1 << 20, CPUs: 0.5}, ""},
		{"max\n", "20000 50000\n", Limits{CPUs: 0.4}, ""},
		{"lots\n", "max 100000\n", Limits{}, "neither max nor a number"},
		{"max\n", "100000\n", Limits{}, "not QUOTA PERIOD"},
	} {
		f.write(filepath.Join(g.Dir(), "memory.max"), c.mem)
		f.write(filepath.Join(g.Dir(), "cpu.max"), c.cpu)
		got, err := g.Limits()
		if got != c.want || (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("Limits of memory.max %q, cpu.max %q = %+v, %v; want %+v, %q", c.mem, c.cpu, got, err, c.want, c.err)
		}
	}
	// A group whose controllers are not enabled has no limits.
	if got, err := f.v2.Group("other").Limits(); got != (Limits{}) || err != nil {
		t.Errorf("Limits of a group without limits = %+v, %v", got, err)
	}
}

// TestLimitsUnavailable: a controller neither on the unified hierarchy
// nor mounted as v1 is refused, saying so, and nothing is changed.
func TestLimitsUnavailable(t *testing.T) {
	f := newFakeHost(t, "pids\n")
	g := f.v2.Group("benito/ct")
	err := g.SetLimits(Limits{MemoryBytes: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), "memory controller is not available: it is not on the unified hierarchy") {
		t.Errorf("SetLimits = %v, want the memory controller said unavailable", err)
	}
	if _, err := os.Stat(g.Dir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the group was made: %v", err)
	}
	// No limit needs no controller.
	if err := g.SetLimits(Limits{}); err != nil {
		t.Errorf("SetLimits of no limits: %v", err)
	}
	if got, err := g.Limits(); got != (Limits{}) || err != nil {
		t.Errorf("Limits = %+v, %v", got, err)
	}
}

// TestLimitsV1Files: on a host that mounts the controllers as v1
// hierarchies, the limits are written at the group's path in each, in
// their formats, and read back; no limit reads as none.
func TestLimitsV1Files(t *testing.T) {
	f := newFakeHost(t, "hugetlb\n", "memory", "cpu,cpuacct", "pids")
	g := f.v2.Group("benito/ct1")
	f.write(filepath.Join(g.Dir(), "cgroup.procs"), "")
	mem, cpu := f.v1[0].Group(g.path), f.v1[1].Group(g.path)
	if lgs, err := g.LimitGroups(); err != nil || len(lgs) != 2 || lgs[0] != mem || lgs[1] != cpu {
		t.Fatalf("LimitGroups = %v, %v; want %v and %v", lgs, err, mem, cpu)
	}
	f.write(filepath.Join(mem.Dir(), "memory.limit_in_bytes"), fmt.Sprintln(v1Unlimited()))
	f.write(filepath.Join(cpu.Dir(), "cpu.cfs_quota_us"), "-1\n")
	f.write(filepath.Join(cpu.Dir(), "cpu.cfs_period_us"), "100000\n")
	if got, err := g.Limits(); got != (Limits{}) || err != nil {
		t.Errorf("Limits of unlimited groups = %+v, %v", got, err)
	}
	if err := g.SetLimits(Limits{MemoryBytes: 64 << 20, CPUs: 0.2}); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		filepath.Join(mem.Dir(), "memory.limit_in_bytes"): "67108864",
		filepath.Join(cpu.Dir(), "cpu.cfs_quota_us"):      "20000",
		filepath.Join(cpu.Dir(), "cpu.cfs_period_us"):     "100000",
	} {
		if got := f.read(file); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	if got, err := g.Limits(); got != (Limits{MemoryBytes: 64 << 20, CPUs: 0.2}) || err != nil {
		t.Errorf("Limits = %+v, %v", got, err)
	}
	if err := g.SetLimits(Limits{}); err != nil {
		t.Fatal(err)
	}
	if got := f.read(filepath.Join(mem.Dir(), "memory.limit_in_bytes")) + " " + f.read(filepath.Join(cpu.Dir(), "cpu.cfs_quota_us")); got != "-1 -1" {
		t.Errorf("limits removed: %q, want -1 -1", got)
	}
}

// TestLimits, on this host's cgroups: a process started in a group with
// limits is in the controllers' groups; one allocating more memory than
// the limit is OOM-killed, one within it is not; a busy loop under a CPU
// limit uses about that much, and the limit changes in place; a process
// that was in the group before the limits is moved under them; Kill
// leaves nothing behind.
func TestLimits(t *testing.T) {
	for name, h := range hierarchies(t) {
		t.Run(name, func(t *testing.T) {
			top := h.Group(fmt.Sprintf("benito-test-limits-%d", os.Getpid()))
			g := top.Child("ct")
			all, err := top.withLimitGroups()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				top.Kill(5 * time.Second)
				for _, a := range all {
					if a.Exists() {
						t.Errorf("%s is left", a)
					}
				}
			})
			if _, err := g.controllerGroup("memory"); err != nil {
				if !isUnavailable(err) {
					t.Fatal(err)
				}
				if name == "host" {
					testenv.Unavailable(t, "needs the memory controller, on the unified hierarchy or a v1 one: "+err.Error())
				}
				// A v1 hierarchy of the test's, on a host whose
				// controllers are all on the unified hierarchy: no limits.
				if err := g.SetLimits(Limits{MemoryBytes: 64 << 20}); err == nil || !strings.Contains(err.Error(), "not available") {
					t.Errorf("SetLimits = %v, want the controller said not available", err)
				}
				return
			}
			self := map[Hierarchy]string{}
			for _, c := range limitControllers {
				cg, err := g.controllerGroup(c)
				if err != nil {
					t.Fatal(err)
				}
				self[cg.h], _ = GroupOf(os.Getpid(), cg.h)
			}

			// A process already in the group is moved under the limits.
			before := exec.Command("sleep", "60")
			startIn(t, g, before)

			const limit = 64 << 20
			if err := g.SetLimits(Limits{MemoryBytes: limit}); err != nil {
				t.Fatal(err)
			}
			if got, err := g.Limits(); got != (Limits{MemoryBytes: limit}) || err != nil {
				t.Errorf("Limits = %+v, %v", got, err)
			}
			sleep := exec.Command("sleep", "60")
			startIn(t, g, sleep)
			for _, c := range limitControllers {
				cg, _ := g.controllerGroup(c)
				for _, pid := range []int{before.Process.Pid, sleep.Process.Pid} {
					if c == "cpu" && cg != g {
						continue // no CPU limit yet: no cpu group made
					}
					if got, _ := GroupOf(pid, cg.h); got != cg.Path() {
						t.Errorf("pid %d is in %s group %q, want %q", pid, c, got, cg.Path())
					}
				}
				if got, _ := GroupOf(os.Getpid(), cg.h); got != self[cg.h] {
					t.Errorf("the test process is in %s group %q, was in %q: its thread was not moved back", c, got, self[cg.h])
				}
			}
			if got, _ := GroupOf(sleep.Process.Pid, h); got != g.Path() {
				t.Errorf("the process is in %q of the group's hierarchy, want %q", got, g.Path())
			}

			// Within the limit, the helper lives; beyond it, it is killed.
			small := helper(t, "alloc=16")
			startIn(t, g, small)
			if err := small.Wait(); err != nil {
				t.Errorf("a process allocating 16 MiB under a 64 MiB limit: %v", err)
			}
			mem, _ := g.controllerGroup("memory")
			kills := oomKills(t, mem)
			big := helper(t, "alloc=200")
			startIn(t, g, big)
			err = big.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Errorf("a process allocating 200 MiB under a 64 MiB limit ended with %v, want killed by SIGKILL (OOM)", err)
			}
			if n := oomKills(t, mem); n != kills+1 {
				t.Errorf("the memory group counts %d OOM kills, had %d before", n, kills)
			}

			// CPU: a busy loop under 0.2 CPU, then 0.5, changed in place.
			if err := g.SetLimits(Limits{MemoryBytes: limit, CPUs: 0.2}); err != nil {
				t.Fatal(err)
			}
			if cg, _ := g.controllerGroup("cpu"); cg != g {
				if got, _ := GroupOf(before.Process.Pid, cg.h); got != cg.Path() {
					t.Errorf("the process started before is in cpu group %q, want %q", got, cg.Path())
				}
			}
			spin := helper(t, "spin")
			startIn(t, g, spin)
			if u := usage(t, spin.Process.Pid); u < 0.05 || u > 0.3 {
				t.Errorf("a busy loop under a limit of 0.2 CPU used %.2f CPU", u)
			} else {
				t.Logf("a busy loop under a limit of 0.2 CPU used %.2f CPU", u)
			}
			if err := g.SetLimits(Limits{MemoryBytes: limit, CPUs: 0.5}); err != nil {
				t.Fatal(err)
			}
			if got, err := g.Limits(); got != (Limits{MemoryBytes: limit, CPUs: 0.5}) || err != nil {
				t.Errorf("Limits = %+v, %v", got, err)
			}
			if u := usage(t, spin.Process.Pid); u < 0.3 || u > 0.6 {
				t.Errorf("a busy loop under a limit of 0.5 CPU used %.2f CPU", u)
			} else {
				t.Logf("a busy loop under a limit of 0.5 CPU used %.2f CPU", u)
			}
			if err := g.SetLimits(Limits{}); err != nil {
				t.Fatal(err)
			}
			if got, err := g.Limits(); got != (Limits{}) || err != nil {
				t.Errorf("Limits after removing them = %+v, %v", got, err)
			}

			if err := top.Kill(5 * time.Second); err != nil {
				t.Fatal(err)
			}
			for _, a := range all {
				if a.Exists() {
					t.Errorf("Kill left %s", a)
				}
			}
		})
	}
}

// TestLimitsPrune: Prune removes the empty controller groups with the
// group, up to the top.
func TestLimitsPrune(t *testing.T) {
	for name, h := range hierarchies(t) {
		t.Run(name, func(t *testing.T) {
			top := h.Group(fmt.Sprintf("benito-test-prune-%d", os.Getpid()))
			g := top.Child("exp", "ct")
			t.Cleanup(func() { top.Kill(time.Second) })
			if _, err := g.controllerGroup("memory"); err != nil {
				return // TestLimits says why
			}
			if err := g.SetLimits(Limits{MemoryBytes: 32 << 20, CPUs: 1}); err != nil {
				t.Fatal(err)
			}
			all, err := top.withLimitGroups()
			if err != nil {
				t.Fatal(err)
			}
			g.Prune()
			for _, a := range all {
				if a.Exists() {
					t.Errorf("Prune left %s", a)
				}
			}
		})
	}
}

// oomKills returns the processes the kernel's OOM killer killed in
// memory group g (memory.events on the unified hierarchy,
// memory.oom_control on v1).
func oomKills(t *testing.T, g Group) int {
	t.Helper()
	file := "memory.oom_control"
	if g.h.V2 {
		file = "memory.events"
	}
	b, err := os.ReadFile(filepath.Join(g.Dir(), file))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if n, ok := strings.CutPrefix(line, "oom_kill "); ok {
			k, err := strconv.Atoi(n)
			if err != nil {
				t.Fatalf("%s: %q", file, line)
			}
			return k
		}
	}
	t.Fatalf("%s has no oom_kill count:\n%s", file, b)
	return 0
}

// usage returns the CPU time (user and system) process pid uses per
// wall-clock time over a second.
func usage(t *testing.T, pid int) float64 {
	t.Helper()
	cpuTime := func() time.Duration {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		// Fields 14 and 15 (utime, stime), from field 3 on: clock ticks
		// of 1/100 s (USER_HZ).
		u, _ := strconv.Atoi(f[11])
		k, _ := strconv.Atoi(f[12])
		return time.Duration(u+k) * 10 * time.Millisecond
	}
	c0, t0 := cpuTime(), time.Now()
	time.Sleep(1200 * time.Millisecond)
	return float64(cpuTime()-c0) / float64(time.Since(t0))
}
