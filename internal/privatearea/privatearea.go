package privatearea

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// The names Create makes in a container's directory; Remove refuses a
// directory holding anything else.
const (
	imageName   = "private.img"
	privateName = "private"
	rootName    = "root"
	upperName   = "upper"
	workName    = "work"
)

var known = map[string]bool{imageName: true, privateName: true, rootName: true, upperName: true, workName: true}

// MinSize is the smallest diskspace a private area takes: an ext4 file
// system smaller than this holds little more than its own metadata.
const MinSize = 8 << 20

// Spec is what a private area is made of.
type Spec struct {
	// Dir is the container's directory, made by Create; its parent is made
	// when missing.
	Dir string
	// Lower is the unpacked template, the overlay's read-only lower dir.
	// It must not change while an area on it is mounted.
	Lower string
	// Size is the diskspace in bytes, a multiple of 4096 and at least
	// MinSize; 0 is no limit (the upper dir on the host's file system).
	Size uint64
}

// Area is a mounted private area.
type Area struct {
	Spec
}

// Root is the container's root directory, the overlay.
func (a Area) Root() string { return filepath.Join(a.Dir, rootName) }

// Remove unmounts and removes the area (see Remove).
func (a Area) Remove() error { return Remove(a.Dir) }

// Usage is how much of a private area is used.
type Usage struct {
	// Used is the bytes the container's writes take.
	Used uint64
	// Size is what the private file system holds, in bytes, its own
	// metadata excluded (a little less than the diskspace); 0 when the area
	// has no limit.
	Size uint64
}

// checkPath refuses a path the overlay's options or mountinfo could not
// carry unambiguously.
func checkPath(what, p string) error {
	if p == "" || !filepath.IsAbs(p) || filepath.Clean(p) != p || p == "/" {
		return fmt.Errorf("private area: %s %q must be an absolute, clean path other than /", what, p)
	}
	for _, r := range p {
		if r == ',' || r == ':' || r == '\\' || r <= ' ' || r == 0x7f {
			return fmt.Errorf("private area: %s %q has %q, which overlayfs options cannot carry: choose a path without commas, colons, backslashes, spaces or control characters", what, p, r)
		}
	}
	return nil
}

// resolve checks dir and returns it with its parent's symbolic links
// resolved, as the kernel shows paths in mountinfo and sysfs; exists is
// false when dir (or its parent) does not exist.
func resolve(dir string) (real string, exists bool, err error) {
	if err := checkPath("directory", dir); err != nil {
		return "", false, err
	}
	parent, err := filepath.EvalSymlinks(filepath.Dir(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	real = filepath.Join(parent, filepath.Base(dir))
	if err := checkPath("directory", real); err != nil {
		return "", false, err
	}
	fi, err := os.Lstat(real)
	if errors.Is(err, fs.ErrNotExist) {
		return real, false, nil
	}
	if err != nil {
		return "", false, err
	}
	if !fi.IsDir() {
		return "", false, fmt.Errorf("private area %s: not a directory", dir)
	}
	return real, true, nil
}

// Create makes the private area spec describes and mounts it; on failure it
// removes what it made.
func Create(ctx context.Context, spec Spec) (Area, error) {
	if err := checkPath("directory", spec.Dir); err != nil {
		return Area{}, err
	}
	if err := checkPath("template", spec.Lower); err != nil {
		return Area{}, err
	}
	if spec.Size != 0 && (spec.Size < MinSize || spec.Size%4096 != 0) {
		return Area{}, fmt.Errorf("private area %s: diskspace %d bytes must be a multiple of 4096 and at least %d (8 MiB), or 0 for no limit", spec.Dir, spec.Size, MinSize)
	}
	lower, err := filepath.EvalSymlinks(spec.Lower)
	if err != nil {
		return Area{}, fmt.Errorf("private area %s: template: %w", spec.Dir, err)
	}
	lowerInfo, err := os.Stat(lower)
	if err != nil {
		return Area{}, fmt.Errorf("private area %s: template: %w", spec.Dir, err)
	}
	if !lowerInfo.IsDir() {
		return Area{}, fmt.Errorf("private area %s: template %s is not a directory (an unpacked template is)", spec.Dir, spec.Lower)
	}
	if err := checkPath("template", lower); err != nil {
		return Area{}, err
	}
	if err := os.MkdirAll(filepath.Dir(spec.Dir), 0o755); err != nil {
		return Area{}, fmt.Errorf("private area: %w", err)
	}
	dir, _, err := resolve(spec.Dir)
	if err != nil {
		return Area{}, err
	}
	if lower == dir || strings.HasPrefix(lower, dir+"/") || strings.HasPrefix(dir, lower+"/") {
		return Area{}, fmt.Errorf("private area %s: the template %s and the area must not be inside one another", spec.Dir, spec.Lower)
	}
	// 0700: the private area holds the container's setuid programs and
	// device nodes, which host users must not reach.
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return Area{}, fmt.Errorf("private area %s exists: remove it first (a container's area is made new)", spec.Dir)
		}
		return Area{}, fmt.Errorf("private area: %w", err)
	}
	a := Area{Spec: spec}
	if err := create(ctx, dir, lower, lowerInfo, spec.Size); err != nil {
		if rerr := Remove(spec.Dir); rerr != nil {
			err = errors.Join(err, fmt.Errorf("cleaning up: %w", rerr))
		}
		return Area{}, fmt.Errorf("private area %s: %w", spec.Dir, err)
	}
	return a, nil
}

func create(ctx context.Context, dir, lower string, lowerInfo fs.FileInfo, size uint64) error {
	base := dir
	if size != 0 {
		base = filepath.Join(dir, privateName)
		if err := makeFS(ctx, dir, size); err != nil {
			return err
		}
	}
	upper, work := filepath.Join(base, upperName), filepath.Join(base, workName)
	for _, d := range []string{upper, work, filepath.Join(dir, rootName)} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	// The overlay's root takes the upper dir's owner and mode: the
	// template's.
	st := lowerInfo.Sys().(*syscall.Stat_t)
	if err := os.Lchown(upper, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	if err := os.Chmod(upper, lowerInfo.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	opts := "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work
	if err := unix.Mount("overlay", filepath.Join(dir, rootName), "overlay", 0, opts); err != nil {
		return fmt.Errorf("mount overlay (%s): %w", opts, err)
	}
	return nil
}

// makeFS makes dir's private.img, an ext4 of size bytes, and mounts it at
// dir/private.
func makeFS(ctx context.Context, dir string, size uint64) error {
	image := filepath.Join(dir, imageName)
	f, err := os.OpenFile(image, os.O_RDWR|os.O_CREATE|os.O_EXCL|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	err = f.Truncate(int64(size))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// -m 0: diskspace is what the container gets, none of it reserved.
	// No journal: an area is never mounted again after a host crash (it is
	// removed and made new), so a journal would only cost writes and space.
	// assume_storage_prezeroed: a new sparse file reads as zeros, so mke2fs
	// neither writes the inode tables nor leaves them to the kernel's lazy
	// init thread, and the file stays sparse; nodiscard: nothing to discard.
	cmd := exec.CommandContext(ctx, "mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^has_journal",
		"-E", "nodiscard,assume_storage_prezeroed=1", "--", image)
	if out, err := cmd.CombinedOutput(); err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			return fmt.Errorf("mkfs.ext4: %w (apt-get install e2fsprogs)", err)
		}
		return fmt.Errorf("mkfs.ext4 %s: %w: %s", image, err, strings.TrimSpace(string(out)))
	}
	private := filepath.Join(dir, privateName)
	if err := os.Mkdir(private, 0o700); err != nil {
		return err
	}
	dev, err := attachLoop(image)
	if err != nil {
		return err
	}
	// Closing dev after the mount leaves the file system the device's only
	// user, so the device is detached when it is unmounted; closing it after
	// a failed mount detaches it now.
	defer dev.Close()
	if err := unix.Mount(dev.Name(), private, "ext4", 0, ""); err != nil {
		return fmt.Errorf("mount %s (%s) at %s: %w", dev.Name(), image, private, err)
	}
	return nil
}

// mountKind says which of an area's mounts m is, or why it is not one.
func mountKind(dir string, m *mountinfo.Info) (string, error) {
	switch m.Mountpoint {
	case filepath.Join(dir, rootName):
		if m.FSType != "overlay" {
			return "", fmt.Errorf("%s is a %s mount, not the overlay a private area mounts there", m.Mountpoint, m.FSType)
		}
		for _, o := range strings.Split(m.VFSOptions, ",") {
			if o == "upperdir="+filepath.Join(dir, upperName) || o == "upperdir="+filepath.Join(dir, privateName, upperName) {
				return rootName, nil
			}
		}
		return "", fmt.Errorf("%s is an overlay whose upper dir is not the area's (%s)", m.Mountpoint, m.VFSOptions)
	case filepath.Join(dir, privateName):
		if m.FSType != "ext4" || !loopDevice.MatchString(m.Source) {
			return "", fmt.Errorf("%s is a %s mount of %s, not the ext4 on a loop device a private area mounts there", m.Mountpoint, m.FSType, m.Source)
		}
		if b, want := backingFile(m.Source), filepath.Join(dir, imageName); b != want && b != want+" (deleted)" {
			return "", fmt.Errorf("%s is %s, whose backing file is %q, not %s", m.Mountpoint, m.Source, b, want)
		}
		return privateName, nil
	}
	return "", fmt.Errorf("%s is mounted (%s), and a private area mounts nothing there", m.Mountpoint, m.FSType)
}

// mounts returns the mounts at or under dir, in mountinfo's order (a mount
// after the one it is on), each checked to be one of the area's.
func mounts(dir string) ([]*mountinfo.Info, error) {
	ms, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if _, err := mountKind(dir, m); err != nil {
			return nil, err
		}
	}
	return ms, nil
}

// Remove unmounts the private area in dir, detaches its loop device and
// removes dir. What is gone already is no error; a directory or a mount
// that is not a private area's is refused and left alone.
func Remove(dir string) error {
	real, exists, err := resolve(dir)
	if err != nil {
		return err
	}
	if !exists {
		return nil
	}
	ents, err := os.ReadDir(real)
	if err != nil {
		return fmt.Errorf("private area: %w", err)
	}
	for _, e := range ents {
		if !known[e.Name()] {
			return fmt.Errorf("private area %s holds %s, which a private area does not: not removing it (remove it by hand if it is yours)", dir, e.Name())
		}
	}
	ms, err := mounts(real)
	if err != nil {
		return fmt.Errorf("private area %s: %w: not removing it (unmount it by hand if it is yours)", dir, err)
	}
	image := filepath.Join(real, imageName)
	loops, err := loopsOf(image)
	if err != nil {
		return err
	}
	if len(loops) > 0 {
		// Our loop device mounted anywhere but DIR/private (refused
		// above if it were under DIR) is someone else's doing.
		all, err := mountinfo.GetMounts(nil)
		if err != nil {
			return err
		}
		for _, m := range all {
			for _, l := range loops {
				if m.Source == l && m.Mountpoint != filepath.Join(real, privateName) {
					return fmt.Errorf("private area %s: its loop device %s is mounted at %s too: unmount it there first", dir, l, m.Mountpoint)
				}
			}
		}
	}
	for i := len(ms) - 1; i >= 0; i-- {
		if err := unmount(ms[i].Mountpoint); err != nil {
			return fmt.Errorf("private area %s: %w", dir, err)
		}
	}
	if err := detachLoops(image); err != nil {
		return fmt.Errorf("private area %s: %w", dir, err)
	}
	// os.RemoveAll would descend into a mount: make sure none is left.
	if left, err := mountinfo.GetMounts(mountinfo.PrefixFilter(real)); err != nil {
		return err
	} else if len(left) > 0 {
		return fmt.Errorf("private area %s: %s is still mounted after unmounting: not removing it", dir, left[0].Mountpoint)
	}
	if err := os.RemoveAll(real); err != nil {
		return fmt.Errorf("private area %s: %w", dir, err)
	}
	return nil
}

// unmount unmounts the file system at path, lazily (MNT_DETACH) when it is
// busy: it then goes when its last user does. Not mounted is no error.
func unmount(path string) error {
	err := unix.Unmount(path, 0)
	if errors.Is(err, unix.EBUSY) {
		err = unix.Unmount(path, unix.MNT_DETACH)
	}
	if err == nil || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
		return nil
	}
	return fmt.Errorf("unmount %s: %w", path, err)
}

// Mounted reports whether the private area in dir is mounted: its overlay,
// and its private file system when it is sized. A mount there that is not
// the area's is an error.
func Mounted(dir string) (bool, error) {
	real, exists, err := resolve(dir)
	if err != nil || !exists {
		return false, err
	}
	ms, err := mounts(real)
	if err != nil {
		return false, fmt.Errorf("private area %s: %w", dir, err)
	}
	have := map[string]bool{}
	for _, m := range ms {
		k, _ := mountKind(real, m)
		have[k] = true
	}
	sized, err := isSized(real)
	if err != nil {
		return false, err
	}
	return have[rootName] && (!sized || have[privateName]), nil
}

// isSized reports whether the area in dir has a diskspace: an image.
func isSized(dir string) (bool, error) {
	_, err := os.Lstat(filepath.Join(dir, imageName))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// UsageOf reads how much of the private area in dir is used: the private
// file system's use when it is sized (it must be mounted), else the bytes
// the upper dir's files take on the host.
func UsageOf(dir string) (Usage, error) {
	real, exists, err := resolve(dir)
	if err != nil {
		return Usage{}, err
	}
	if !exists {
		return Usage{}, fmt.Errorf("private area %s does not exist", dir)
	}
	sized, err := isSized(real)
	if err != nil {
		return Usage{}, err
	}
	if !sized {
		return walkUsage(filepath.Join(real, upperName))
	}
	ms, err := mounts(real)
	if err != nil {
		return Usage{}, fmt.Errorf("private area %s: %w", dir, err)
	}
	private := filepath.Join(real, privateName)
	found := false
	for _, m := range ms {
		found = found || m.Mountpoint == private
	}
	if !found {
		return Usage{}, fmt.Errorf("private area %s: its file system is not mounted at %s", dir, private)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(private, &st); err != nil {
		return Usage{}, fmt.Errorf("private area %s: %w", dir, err)
	}
	bs := uint64(st.Bsize)
	return Usage{Used: (st.Blocks - st.Bfree) * bs, Size: st.Blocks * bs}, nil
}

// walkUsage sums the blocks the files under upper take, a file with
// several links once.
func walkUsage(upper string) (Usage, error) {
	type ino struct{ dev, ino uint64 }
	seen := map[ino]bool{}
	var used uint64
	err := filepath.WalkDir(upper, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		k := ino{uint64(st.Dev), st.Ino}
		if !seen[k] {
			seen[k] = true
			used += uint64(st.Blocks) * 512
		}
		return nil
	})
	if err != nil {
		return Usage{}, fmt.Errorf("private area: %w", err)
	}
	return Usage{Used: used}, nil
}

// Diskspace reads back the diskspace of the area in dir, its image file's
// size: 0 when it has no limit.
func Diskspace(dir string) (uint64, error) {
	real, exists, err := resolve(dir)
	if err != nil {
		return 0, err
	}
	if !exists {
		return 0, fmt.Errorf("private area %s does not exist", dir)
	}
	fi, err := os.Stat(filepath.Join(real, imageName))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return uint64(fi.Size()), nil
}
