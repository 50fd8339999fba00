package ostemplate

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"
)

// Unpack unpacks the template tarball (gzip-compressed or not) into dir,
// which must be missing (it is made, mode 0700 until the tarball's "./"
// entry says otherwise) or empty. It refuses what the package
// documentation lists, naming the entry; what it unpacked before a refusal
// stays in dir, for the caller to remove. Owners are kept when running as
// root; otherwise everything belongs to the caller, as with GNU tar.
func Unpack(ctx context.Context, tarball, dir string) error {
	f, err := os.Open(tarball)
	if err != nil {
		return fmt.Errorf("template: %w", err)
	}
	defer f.Close()
	r, err := decompress(f)
	if err != nil {
		return fmt.Errorf("template %s: %w", tarball, err)
	}
	if err := emptyDir(dir); err != nil {
		return fmt.Errorf("unpacking template %s: %w", tarball, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("unpacking template %s: %w", tarball, err)
	}
	defer root.Close()
	u := &unpacker{root: root, chown: os.Geteuid() == 0, dirTimes: map[string]time.Time{}}
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("unpacking template %s: %w", tarball, err)
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("template %s: %w (is it a tarball of a root file system, tar -czf T.tar.gz -C DIR .?)", tarball, err)
		}
		if err := u.entry(hdr, tr); err != nil {
			return fmt.Errorf("template %s: entry %q: %w", tarball, hdr.Name, err)
		}
	}
	// Directory times last: unpacking into a directory changes its time.
	for name, mtime := range u.dirTimes {
		if err := root.Chtimes(name, mtime, mtime); err != nil {
			return fmt.Errorf("unpacking template %s: %w", tarball, err)
		}
	}
	return nil
}

// decompress reads gzip when the stream starts with its magic, plain tar
// otherwise.
func decompress(f io.Reader) (io.Reader, error) {
	br := bufio.NewReader(f)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		return gzip.NewReader(br)
	}
	return br, nil
}

// emptyDir makes dir, or checks that it is an empty directory (not a link
// to one): unpacking over existing files could follow links nobody
// checked.
func emptyDir(dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return os.Mkdir(dir, 0o700)
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s is not empty: a template unpacks into an empty directory", dir)
	}
	return nil
}

type unpacker struct {
	root     *os.Root
	chown    bool
	dirTimes map[string]time.Time
}

// cleanName is name relative to the root, without "./" and trailing
// slashes; "." is the root itself.
func cleanName(name string) (string, error) {
	if name == "" {
		return "", errors.New("empty name")
	}
	if strings.HasPrefix(name, "/") {
		return "", errors.New("absolute name: a template's names are relative to its root (tar -C DIR .)")
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", errors.New(`".." in the name: it would lead out of the root`)
		}
	}
	return path.Clean(name), nil
}

// parents checks that each directory above name is a directory, not a
// link, making the missing ones (mode 0755, as GNU tar does).
func (u *unpacker) parents(name string) error {
	parts := strings.Split(name, "/")
	for i := 1; i < len(parts); i++ {
		p := strings.Join(parts[:i], "/")
		fi, err := u.root.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := u.root.Mkdir(p, 0o755); err != nil {
				return err
			}
		case err != nil:
			return err
		case fi.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("it is reached through the symbolic link %s, which unpacking never follows", p)
		case !fi.IsDir():
			return fmt.Errorf("%s, above it, is not a directory", p)
		}
	}
	return nil
}

func (u *unpacker) entry(hdr *tar.Header, r io.Reader) error {
	switch hdr.Typeflag {
	case tar.TypeXGlobalHeader:
		return nil
	}
	name, err := cleanName(hdr.Name)
	if err != nil {
		return err
	}
	if name == "." {
		if hdr.Typeflag != tar.TypeDir {
			return errors.New("the root of the template must be a directory")
		}
		return u.attrs(name, hdr, true)
	}
	if err := u.parents(name); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		if strings.HasPrefix(name, "dev/") {
			return nil // The runtime mounts its own /dev.
		}
		return errors.New("a device node or FIFO outside dev/: a template may not bring host devices into a container")
	}
	// A later entry replaces an earlier one of the same name, as with tar,
	// except a directory, which only a directory may update.
	fi, err := u.root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case fi.IsDir():
		if hdr.Typeflag != tar.TypeDir {
			return errors.New("a directory of that name is unpacked already")
		}
		return u.attrs(name, hdr, true)
	default:
		if err := u.root.Remove(name); err != nil {
			return err
		}
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := u.root.Mkdir(name, 0o700); err != nil {
			return err
		}
		return u.attrs(name, hdr, true)
	case tar.TypeReg, tar.TypeGNUSparse:
		// O_EXCL: never through a link, never into an existing file.
		f, err := u.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		return u.attrs(name, hdr, false)
	case tar.TypeSymlink:
		// Made as it is: it is only ever followed inside the container.
		if hdr.Linkname == "" {
			return errors.New("a symbolic link to nothing")
		}
		if err := u.root.Symlink(hdr.Linkname, name); err != nil {
			return err
		}
		if u.chown {
			return u.root.Lchown(name, hdr.Uid, hdr.Gid)
		}
		return nil
	case tar.TypeLink:
		target, err := cleanName(hdr.Linkname)
		if err != nil {
			return fmt.Errorf("hard link to %q: %w", hdr.Linkname, err)
		}
		if err := u.parents(target); err != nil {
			return fmt.Errorf("hard link to %q: %w", hdr.Linkname, err)
		}
		fi, err := u.root.Lstat(target)
		if err != nil {
			return fmt.Errorf("hard link to %q, which is not unpacked before it: %w", hdr.Linkname, err)
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("hard link to %q, which is not a regular file", hdr.Linkname)
		}
		return u.root.Link(target, name)
	default:
		return fmt.Errorf("entry of type %q, which a template may not hold", hdr.Typeflag)
	}
}

// attrs gives name, a directory or regular file just made, the entry's
// owner, mode and time. Owner first: chown clears setuid bits.
func (u *unpacker) attrs(name string, hdr *tar.Header, dir bool) error {
	if u.chown {
		if err := u.root.Lchown(name, hdr.Uid, hdr.Gid); err != nil {
			return err
		}
	}
	mode := hdr.FileInfo().Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	if err := u.root.Chmod(name, mode); err != nil {
		return err
	}
	if dir {
		u.dirTimes[name] = hdr.ModTime
		return nil
	}
	return u.root.Chtimes(name, hdr.ModTime, hdr.ModTime)
}
