package privatearea

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/testenv"
	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// needs makes t need what a private area needs of the host.
func needs(t *testing.T) {
	t.Helper()
	testenv.Root(t)
	testenv.Command(t, "mkfs.ext4", "e2fsprogs")
	testenv.Command(t, "losetup", "util-linux")
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		testenv.Unavailable(t, "needs loop devices (/dev/loop-control): modprobe loop")
	}
}

// template makes a lower dir holding a few files.
func template(t *testing.T) string {
	t.Helper()
	lower := filepath.Join(t.TempDir(), "template")
	for name, body := range map[string]string{"etc/hostname": "template\n", "bin/hello": "#!/bin/sh\necho hello\n"} {
		p := filepath.Join(lower, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// An odd mode, so that a root taking it shows it came from here.
	if err := os.Chmod(lower, 0o751); err != nil {
		t.Fatal(err)
	}
	return lower
}

// areaDir is a fresh directory path for an area (not made), cleaned up
// after the test also when Remove fails: every mount under it lazily
// unmounted, every loop device on its image detached.
func areaDir(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "openvz", name)
	t.Cleanup(func() {
		if err := Remove(dir); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		forceClean(t, dir)
	})
	return dir
}

func forceClean(t *testing.T, dir string) {
	ms, _ := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	for i := len(ms) - 1; i >= 0; i-- {
		t.Errorf("cleanup: %s left mounted", ms[i].Mountpoint)
		unix.Unmount(ms[i].Mountpoint, unix.MNT_DETACH)
	}
	if devs, _ := loopsOf(filepath.Join(dir, imageName)); len(devs) > 0 {
		t.Errorf("cleanup: loop devices %v left attached", devs)
		detachLoops(filepath.Join(dir, imageName))
	}
}

// checkGone fails t unless nothing of the area in dir is left: no mount,
// no loop device on its image (sysfs and losetup -a), no directory.
func checkGone(t *testing.T, dir string) {
	t.Helper()
	ms, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		t.Errorf("%s is still mounted (%s)", m.Mountpoint, m.FSType)
	}
	image := filepath.Join(dir, imageName)
	if devs, err := loopsOf(image); err != nil || len(devs) > 0 {
		t.Errorf("loop devices still on %s: %v %v", image, devs, err)
	}
	out, err := exec.Command("losetup", "-a").CombinedOutput()
	if err != nil {
		t.Fatalf("losetup -a: %v: %s", err, out)
	}
	if strings.Contains(string(out), image) {
		t.Errorf("losetup -a still lists %s:\n%s", image, out)
	}
	if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still exists (%v)", dir, err)
	}
}

func TestSized(t *testing.T) {
	needs(t)
	lower := template(t)
	dir := areaDir(t, "ct1")
	const size = 16 << 20
	a, err := Create(context.Background(), Spec{Dir: dir, Lower: lower, Size: size})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := Mounted(dir); !ok || err != nil {
		t.Fatalf("Mounted = %v, %v after Create", ok, err)
	}
	if got, err := Diskspace(dir); got != size || err != nil {
		t.Errorf("Diskspace = %d, %v; want %d", got, err, size)
	}
	if fi, err := os.Stat(a.Root()); err != nil || fi.Mode().Perm() != 0o751 {
		t.Errorf("root's mode: %v, %v; want the template's, 0751", fi.Mode(), err)
	}
	b, err := os.ReadFile(filepath.Join(a.Root(), "etc/hostname"))
	if err != nil || string(b) != "template\n" {
		t.Fatalf("root's etc/hostname = %q, %v; want the template's", b, err)
	}
	// A change goes to the upper layer; the template stays as it was.
	if err := os.WriteFile(filepath.Join(a.Root(), "etc/hostname"), []byte("ct1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(lower, "etc/hostname")); string(b) != "template\n" {
		t.Errorf("the template's etc/hostname became %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "private/upper/etc/hostname")); string(b) != "ct1\n" {
		t.Errorf("upper etc/hostname = %q, want ct1", b)
	}
	before, err := UsageOf(dir)
	if err != nil {
		t.Fatal(err)
	}
	if before.Size == 0 || before.Size > size || before.Used >= before.Size/4 {
		t.Errorf("Usage of a new area = %+v, want a size at most %d, mostly free", before, size)
	}

	// Writing past the limit fails with ENOSPC.
	f, err := os.Create(filepath.Join(a.Root(), "big"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	var werr error
	written := 0
	for written < 2*size {
		n, err := f.Write(chunk)
		written += n
		if err != nil {
			werr = err
			break
		}
	}
	if werr == nil {
		werr = f.Sync()
	}
	f.Close()
	if !errors.Is(werr, unix.ENOSPC) {
		t.Fatalf("writing %d bytes into a %d-byte area: %v, want ENOSPC", written, size, werr)
	}
	full, err := UsageOf(dir)
	if err != nil {
		t.Fatal(err)
	}
	if full.Used < full.Size-full.Size/20 || full.Used <= before.Used {
		t.Errorf("Usage after filling = %+v (before %+v), want nearly all used", full, before)
	}
	if fi, err := os.Stat(filepath.Join(lower, "big")); err == nil {
		t.Errorf("the template got %s", fi.Name())
	}
	if err := a.Remove(); err != nil {
		t.Fatal(err)
	}
	checkGone(t, dir)
	if ok, err := Mounted(dir); ok || err != nil {
		t.Errorf("Mounted = %v, %v after Remove", ok, err)
	}
	if err := Remove(dir); err != nil {
		t.Errorf("second Remove: %v", err)
	}
}

func TestUnsized(t *testing.T) {
	needs(t)
	lower := template(t)
	dir := areaDir(t, "ct")
	a, err := Create(context.Background(), Spec{Dir: dir, Lower: lower})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := Mounted(dir); !ok || err != nil {
		t.Fatalf("Mounted = %v, %v", ok, err)
	}
	if err := os.WriteFile(filepath.Join(a.Root(), "data"), make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "upper", "data")); err != nil {
		t.Errorf("the write is not in the upper dir: %v", err)
	}
	u, err := UsageOf(dir)
	if err != nil || u.Used < 1<<20 || u.Size != 0 {
		t.Errorf("Usage = %+v, %v; want at least 1 MiB used, no size", u, err)
	}
	if got, err := Diskspace(dir); got != 0 || err != nil {
		t.Errorf("Diskspace = %d, %v; want 0", got, err)
	}
	if err := Remove(dir); err != nil {
		t.Fatal(err)
	}
	checkGone(t, dir)
}

// TestCrash: Remove cleans what a crash leaves at each point.
func TestCrash(t *testing.T) {
	needs(t)
	lower := template(t)
	for _, tc := range []struct {
		name  string
		crash func(t *testing.T, dir string)
	}{
		{"only the loop mount", func(t *testing.T, dir string) {
			if err := unix.Unmount(filepath.Join(dir, rootName), 0); err != nil {
				t.Fatal(err)
			}
		}},
		{"only the overlay", func(t *testing.T, dir string) {
			// The private file system stays alive under the overlay.
			if err := unix.Unmount(filepath.Join(dir, privateName), unix.MNT_DETACH); err != nil {
				t.Fatal(err)
			}
		}},
		{"no mount but a loop device", func(t *testing.T, dir string) {
			image := filepath.Join(dir, imageName)
			for _, m := range []string{rootName, privateName} {
				if err := unix.Unmount(filepath.Join(dir, m), 0); err != nil {
					t.Fatal(err)
				}
			}
			// A device without autoclear, as losetup makes.
			if out, err := exec.Command("losetup", "--find", "--show", image).CombinedOutput(); err != nil {
				t.Fatalf("losetup: %v: %s", err, out)
			}
		}},
		{"busy root", func(t *testing.T, dir string) {
			// A file open in the root makes a plain unmount fail.
			f, err := os.Open(filepath.Join(dir, rootName, "etc/hostname"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := areaDir(t, "ct")
			if _, err := Create(context.Background(), Spec{Dir: dir, Lower: lower, Size: 16 << 20}); err != nil {
				t.Fatal(err)
			}
			tc.crash(t, dir)
			if tc.name != "busy root" {
				if ok, err := Mounted(dir); ok || err != nil {
					t.Errorf("Mounted = %v, %v after the crash", ok, err)
				}
			}
			err := Remove(dir)
			if tc.name == "busy root" {
				// The busy file system outlives the lazy unmount and
				// holds the loop device: Remove says so and keeps the
				// image, and succeeds once the file is closed.
				if err == nil || !strings.Contains(err.Error(), "still in use") {
					t.Fatalf("Remove of a busy area: %v, want it still in use", err)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkGone(t, dir)
		})
	}
}

// TestRefuses: Remove leaves alone what is not a private area's.
func TestRefuses(t *testing.T) {
	needs(t)
	t.Run("foreign file", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "home")
		if err := os.MkdirAll(filepath.Join(dir, "root"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "notes"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := Remove(dir); err == nil || !strings.Contains(err.Error(), "notes") {
			t.Errorf("Remove = %v, want a refusal naming notes", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "notes")); err != nil {
			t.Errorf("Remove removed a foreign file: %v", err)
		}
	})
	t.Run("foreign mount", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "ct")
		root := filepath.Join(dir, rootName)
		if err := os.MkdirAll(root, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mount("tmpfs", root, "tmpfs", 0, "size=1m"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Unmount(root, unix.MNT_DETACH) })
		if err := Remove(dir); err == nil || !strings.Contains(err.Error(), "tmpfs") {
			t.Errorf("Remove = %v, want a refusal naming the tmpfs", err)
		}
		if ok, err := Mounted(dir); ok || err == nil {
			t.Errorf("Mounted = %v, %v; want an error", ok, err)
		}
		if ms, _ := mountinfo.GetMounts(mountinfo.SingleEntryFilter(root)); len(ms) != 1 {
			t.Errorf("the tmpfs was unmounted")
		}
	})
	t.Run("bad input", func(t *testing.T) {
		lower := template(t)
		for _, s := range []Spec{
			{Dir: "relative", Lower: lower},
			{Dir: "/", Lower: lower},
			{Dir: filepath.Join(t.TempDir(), "a,b"), Lower: lower},
			{Dir: filepath.Join(t.TempDir(), "ct"), Lower: lower, Size: 1 << 20},
			{Dir: filepath.Join(t.TempDir(), "ct"), Lower: lower, Size: 16<<20 + 1},
			{Dir: filepath.Join(t.TempDir(), "ct"), Lower: filepath.Join(lower, "etc/hostname")},
			{Dir: filepath.Join(lower, "ct"), Lower: lower},
		} {
			if _, err := Create(context.Background(), s); err == nil {
				t.Errorf("Create(%+v) succeeded", s)
				Remove(s.Dir)
			} else {
				t.Log(err)
			}
		}
		dir := areaDir(t, "exists")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if _, err := Create(context.Background(), Spec{Dir: dir, Lower: lower}); err == nil || !strings.Contains(err.Error(), "exists") {
			t.Errorf("Create in an existing dir: %v", err)
		}
	})
}

// TestMain serves TestKilled's child: attach a loop device as Create does,
// say which, and wait to be killed before mounting anything.
func TestMain(m *testing.M) {
	if image := os.Getenv("PRIVATEAREA_TEST_ATTACH"); image != "" {
		dev, err := attachLoop(image)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(dev.Name())
		time.Sleep(time.Hour)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// TestKilled: a process killed between attaching the loop device and
// mounting it leaves no loop device (autoclear), and Remove cleans the rest.
func TestKilled(t *testing.T) {
	needs(t)
	dir := areaDir(t, "ct")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	image := filepath.Join(dir, imageName)
	if err := os.WriteFile(image, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(image, 16<<20); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PRIVATEAREA_TEST_ATTACH="+image)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make([]byte, 64)
	n, _ := out.Read(line)
	dev := strings.TrimSpace(string(line[:n]))
	if !loopDevice.MatchString(dev) {
		t.Fatalf("child printed %q, want a loop device", line[:n])
	}
	if devs, _ := loopsOf(image); len(devs) != 1 || devs[0] != dev {
		t.Fatalf("loop devices on %s while the child lives: %v, want %s", image, devs, dev)
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		devs, err := loopsOf(image)
		if err != nil {
			t.Fatal(err)
		}
		if len(devs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v still attached to %s after its process was killed", devs, image)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := Remove(dir); err != nil {
		t.Fatal(err)
	}
	checkGone(t, dir)
}

// TestConcurrent: ten areas made at once each get their own loop device.
func TestConcurrent(t *testing.T) {
	needs(t)
	lower := template(t)
	const n = 10
	dirs := make([]string, n)
	for i := range dirs {
		dirs[i] = areaDir(t, fmt.Sprintf("ct%d", i))
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Create(context.Background(), Spec{Dir: dirs[i], Lower: lower, Size: 16 << 20})
		}()
	}
	wg.Wait()
	devs := map[string]string{}
	for i, dir := range dirs {
		if errs[i] != nil {
			t.Errorf("Create %d: %v", i, errs[i])
			continue
		}
		ls, err := loopsOf(filepath.Join(dir, imageName))
		if err != nil || len(ls) != 1 {
			t.Errorf("%s: loop devices %v, %v; want one", dir, ls, err)
			continue
		}
		if other, ok := devs[ls[0]]; ok {
			t.Errorf("%s and %s share %s", dir, other, ls[0])
		}
		devs[ls[0]] = dir
		if err := os.WriteFile(filepath.Join(dir, rootName, "id"), []byte(dir), 0o644); err != nil {
			t.Error(err)
		}
	}
	for _, dir := range dirs {
		if b, _ := os.ReadFile(filepath.Join(dir, rootName, "id")); string(b) != dir {
			t.Errorf("%s/root/id = %q", dir, b)
		}
	}
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = Remove(dirs[i])
		}()
	}
	wg.Wait()
	for i, dir := range dirs {
		if errs[i] != nil {
			t.Errorf("Remove %d: %v", i, errs[i])
		}
		checkGone(t, dir)
	}
}

// BenchmarkCreateRemove: one sized area (2 GiB, the example
// diskspace) made and removed; reports the host disk its image takes new.
func BenchmarkCreateRemove(b *testing.B) {
	testenv.Root(b)
	testenv.Command(b, "mkfs.ext4", "e2fsprogs")
	lower := filepath.Join(b.TempDir(), "template")
	if err := os.Mkdir(lower, 0o755); err != nil {
		b.Fatal(err)
	}
	base := b.TempDir()
	var allocated int64
	for i := 0; b.Loop(); i++ {
		dir := filepath.Join(base, fmt.Sprint(i))
		if _, err := Create(context.Background(), Spec{Dir: dir, Lower: lower, Size: 2 << 30}); err != nil {
			b.Fatal(err)
		}
		var st unix.Stat_t
		if err := unix.Stat(filepath.Join(dir, imageName), &st); err != nil {
			b.Fatal(err)
		}
		allocated = st.Blocks * 512
		if err := Remove(dir); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(allocated)/(1<<20), "MiB-allocated")
}
