package daemon

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/testenv"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

func TestHierarchies(t *testing.T) {
	info := `30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime shared:9 - cgroup cgroup rw,xattr,release_agent=/x,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
41 30 0:38 / /mnt/with\040space rw - cgroup cgroup rw,none,name=x
`
	ms, err := mountinfo.GetMountsFromReader(strings.NewReader(info), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := cgroupHierarchies(ms)
	want := []Hierarchy{
		{Mount: "/sys/fs/cgroup/cpu,cpuacct", name: "cpu,cpuacct"},
		{Mount: "/sys/fs/cgroup/pids", name: "pids"},
		{Mount: "/sys/fs/cgroup/systemd", name: "name=systemd"},
		{Mount: "/sys/fs/cgroup/unified", V2: true},
		{Mount: "/mnt/with space", name: "name=x"},
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(Hierarchy{})); d != "" {
		t.Errorf("cgroupHierarchies (-want +got):\n%s", d)
	}
	for _, c := range []struct {
		hs   []Hierarchy
		want string
	}{
		{want[:], "/sys/fs/cgroup/unified"},      // unified first, hybrid or not
		{want[:3], "/sys/fs/cgroup/systemd"},     // v1 only: systemd's
		{want[:2], "/sys/fs/cgroup/pids"},        // then pids'
		{want[:1], "/sys/fs/cgroup/cpu,cpuacct"}, // then any
		{nil, ""},
	} {
		h, err := pickHierarchy(c.hs)
		if h.Mount != c.want || (c.want == "") != (err != nil) {
			t.Errorf("pickHierarchy(%d hierarchies) = %q, %v; want %q", len(c.hs), h.Mount, err, c.want)
		}
	}
}

// hierarchies are the hierarchies the group tests run on: the host's
// (the unified one here), and a v1 hierarchy of the test's own, a named
// one without controllers mounted for the test, so the v1 path is tested
// on any host.
func hierarchies(t *testing.T) map[string]Hierarchy {
	t.Helper()
	testenv.Root(t)
	host, err := HostHierarchy()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// One name for every run: a v1 hierarchy outlives its unmounting
	// in the kernel, and mounting it again finds the same one.
	const name = "benitotest"
	if err := unix.Mount("cgroup", dir, "cgroup", 0, "none,name="+name); err != nil {
		t.Fatalf("mounting a v1 hierarchy for the test: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, 0) })
	v1, ok := V1Hierarchy("name=" + name)
	if !ok {
		t.Fatal("the v1 hierarchy mounted is not found")
	}
	return map[string]Hierarchy{"host": host, "v1": v1}
}

// TestGroup: a daemon that forks itself into the background, started in a
// group, is found in it with what it forked (also the grandchild whose
// pid nobody recorded), and Kill ends them all and removes the groups.
func TestGroup(t *testing.T) {
	for name, h := range hierarchies(t) {
		t.Run(name, func(t *testing.T) {
			g := h.Group(fmt.Sprintf("benito-test-%d", os.Getpid())).Child("exp", "node")
			t.Cleanup(func() { g.Kill(time.Second); h.Group(strings.Split(g.Path(), "/")[1]).Remove() })
			dir := t.TempDir()
			pidFile, orphan := filepath.Join(dir, "pid"), filepath.Join(dir, "orphan")
			// The daemon (sleep) is forked by a shell that exits; it
			// forks an orphan whose pid only a file knows.
			script := fmt.Sprintf(`sleep 60 >/dev/null 2>&1 & echo $! > %s; (sleep 61 >/dev/null 2>&1 & echo $! > %s) ; exit 0`, pidFile, orphan)
			p, err := StartDetached(context.Background(), Spec{Path: "/bin/sh", Args: []string{"-c", script}, Group: g}, pidFile, 5*time.Second, func() error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			q, err := FromPidFile(orphan)
			if err != nil {
				t.Fatal(err)
			}
			self, ok := GroupOf(os.Getpid(), h)
			if !ok || self == g.Path() {
				t.Fatalf("the test process is in %q: the thread that started the daemon was not moved back", self)
			}
			for _, proc := range []Process{p, q} {
				if got, _ := GroupOf(proc.Pid, h); got != g.Path() {
					t.Errorf("pid %d is in group %q, want %q", proc.Pid, got, g.Path())
				}
			}
			pids, err := g.Pids()
			if err != nil || !contains(pids, p.Pid) || !contains(pids, q.Pid) {
				t.Errorf("Pids = %v, %v; want %d and %d among them", pids, err, p.Pid, q.Pid)
			}
			// A process started without a group stays where the test is.
			r := start(t, Spec{Path: "sleep", Args: []string{"60"}})
			if got, _ := GroupOf(r.Pid, h); got != self {
				t.Errorf("a process without a group is in %q, want %q", got, self)
			}
			parent := h.Group(strings.TrimPrefix(filepath.Dir(g.Path()), "/"))
			if kids, err := parent.Children(); err != nil || len(kids) != 1 || kids[0] != "node" {
				t.Errorf("Children of %s = %v, %v", parent, kids, err)
			}
			if err := parent.Kill(5 * time.Second); err != nil {
				t.Fatal(err)
			}
			if p.Alive() || q.Alive() {
				t.Errorf("alive after Kill: daemon %v, orphan %v", p.Alive(), q.Alive())
			}
			if !r.Alive() {
				t.Error("Kill killed a process outside the group")
			}
			if g.Exists() || parent.Exists() {
				t.Error("Kill left the groups")
			}
			// Pruning takes the empty top group; a missing group is no error.
			parent.Prune()
			if h.Group(strings.Split(g.Path(), "/")[1]).Exists() {
				t.Error("Prune left the empty top group")
			}
			if err := parent.Kill(time.Second); err != nil {
				t.Errorf("Kill of a missing group: %v", err)
			}
		})
	}
}

// TestGroupKillRace: processes that fork while the group is killed die
// too, on every hierarchy.
func TestGroupKillRace(t *testing.T) {
	for name, h := range hierarchies(t) {
		t.Run(name, func(t *testing.T) {
			g := h.Group(fmt.Sprintf("benito-test-race-%d", os.Getpid()))
			t.Cleanup(func() { g.Kill(time.Second) })
			for range 3 {
				start(t, Spec{Path: "/bin/sh", Args: []string{"-c", "while :; do sleep 0.01 & done"}, Group: g})
			}
			time.Sleep(50 * time.Millisecond)
			if err := g.Kill(10 * time.Second); err != nil {
				t.Fatal(err)
			}
			if g.Exists() {
				t.Error("the group is left")
			}
		})
	}
}

// TestStartAfterKill: a group whose processes were killed but which was
// not removed (benito killed between the two) takes new processes, which
// live: with the unified hierarchy's cgroup.kill, the kernel killed every
// process started into the group afterwards.
func TestStartAfterKill(t *testing.T) {
	for name, h := range hierarchies(t) {
		t.Run(name, func(t *testing.T) {
			g := h.Group(fmt.Sprintf("benito-test-again-%d", os.Getpid()))
			t.Cleanup(func() { g.Kill(time.Second) })
			first := start(t, Spec{Path: "sleep", Args: []string{"60"}, Group: g})
			if err := g.killProcs(5 * time.Second); err != nil {
				t.Fatal(err)
			}
			if first.Alive() || !g.Exists() {
				t.Fatalf("after killProcs: the process alive %v, the group there %v", first.Alive(), g.Exists())
			}
			cmd := exec.Command("sleep", "60")
			if err := g.start(cmd); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				t.Fatalf("a process started into the group after its processes were killed ended at once: %v", err)
			case <-time.After(300 * time.Millisecond):
			}
			if err := g.Kill(5 * time.Second); err != nil {
				t.Fatal(err)
			}
			<-done
		})
	}
}

func contains(pids []int, pid int) bool {
	for _, p := range pids {
		if p == pid {
			return true
		}
	}
	return false
}

func TestGroupPaths(t *testing.T) {
	h := Hierarchy{Mount: "/sys/fs/cgroup/unified", V2: true}
	g := h.Group("/benito/").Child("run-benito-x", "process", "h-0")
	if g.Path() != "/benito/run-benito-x/process/h-0" || g.Dir() != "/sys/fs/cgroup/unified/benito/run-benito-x/process/h-0" {
		t.Errorf("Path %q, Dir %q", g.Path(), g.Dir())
	}
	if (Group{}).IsZero() != true || g.IsZero() {
		t.Error("IsZero")
	}
}

// A child started through startOnThread (the path of a v1 group or of
// limit groups) is born in the network namespace of the thread that
// started it, not in the namespace of the thread startOnThread forks
// from: a VDE plug started from a node's namespace opens its TAP there,
// never one of the host's devices by the same name.
func TestStartOnThreadCallersNetNS(t *testing.T) {
	testenv.Root(t)
	type result struct {
		want, got uint64
		err       error
	}
	var host unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &host); err != nil {
		t.Fatal(err)
	}
	res := make(chan result, 1)
	var cmd *exec.Cmd
	go func() {
		// This thread goes into a namespace of its own and is never given
		// back to Go: the goroutine ends locked, and Go ends the thread.
		runtime.LockOSThread()
		var r result
		defer func() { res <- r }()
		if r.err = unix.Unshare(unix.CLONE_NEWNET); r.err != nil {
			return
		}
		var st unix.Stat_t
		if r.err = unix.Stat("/proc/thread-self/ns/net", &st); r.err != nil {
			return
		}
		r.want = st.Ino
		cmd = exec.Command("sleep", "60")
		if r.err = startOnThread(nil, cmd.Start); r.err != nil {
			return
		}
		if r.err = unix.Stat(fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid), &st); r.err == nil {
			r.got = st.Ino
		}
	}()
	r := <-res
	if cmd != nil && cmd.Process != nil {
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.got != r.want || r.got == host.Ino {
		t.Errorf("the child is in network namespace %d; want its starter's %d (the host's is %d)", r.got, r.want, host.Ino)
	}
}

func TestDescribePids(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	done := exec.Command("true")
	if err := done.Run(); err != nil {
		t.Fatal(err)
	}
	got := describePids([]int{cmd.Process.Pid, done.Process.Pid})
	// sleep is asleep (S) in the kernel, or just about to be (R); true
	// has ended.
	want := regexp.MustCompile(fmt.Sprintf(`^pids %d sleep [RS]( in \S+)?, %d gone$`, cmd.Process.Pid, done.Process.Pid))
	if !want.MatchString(got) {
		t.Errorf("describePids = %q, want a match of %s", got, want)
	}
}
