package ostemplate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// unpackingPrefix starts the name of a tree being unpacked in a cache
// directory, followed by the unpacking process's PID.
const unpackingPrefix = ".unpacking-"

// Cache returns the directory holding the template tarball unpacked:
// cacheDir/<sha256 of the tarball>, unpacked there the first time and
// reused after. It unpacks into a temporary directory beside it and
// renames that into place, so the directory, once there, is whole, also
// when several processes race or one is killed midway; the leftovers of a
// killed one (cacheDir/.unpacking-PID-*, its PID gone) are removed by the
// next Cache. cacheDir is made, or set, mode 0700: the trees hold the
// templates' setuid programs.
//
// The trees are shared: callers must not write into them (a container
// writes into its own private area above it).
func Cache(ctx context.Context, tarball, cacheDir string) (string, error) {
	sum, err := fileSHA256(tarball)
	if err != nil {
		return "", fmt.Errorf("template: %w", err)
	}
	if err := os.MkdirAll(cacheDir, 0o700); err != nil {
		return "", fmt.Errorf("template cache: %w", err)
	}
	if err := os.Chmod(cacheDir, 0o700); err != nil {
		return "", fmt.Errorf("template cache: %w", err)
	}
	dir := filepath.Join(cacheDir, sum)
	if ok, err := isDir(dir); ok || err != nil {
		return dir, err
	}
	removeLeftovers(cacheDir)
	tmp, err := os.MkdirTemp(cacheDir, unpackingPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return "", fmt.Errorf("template cache: %w", err)
	}
	if err := Unpack(ctx, tarball, tmp); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		// Another process unpacked the same template first.
		if ok, _ := isDir(dir); ok {
			return dir, nil
		}
		return "", fmt.Errorf("template cache: %w", err)
	}
	return dir, nil
}

// isDir reports whether dir exists as a directory; anything else of that
// name is an error saying what to do.
func isDir(dir string) (bool, error) {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("template cache: %w", err)
	}
	if !fi.IsDir() {
		return false, fmt.Errorf("template cache: %s is not a directory: remove it", dir)
	}
	return true, nil
}

// removeLeftovers removes the trees that processes no longer running left
// half unpacked in cacheDir. A PID used again only delays the removal.
func removeLeftovers(cacheDir string) {
	entries, err := os.ReadDir(cacheDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), unpackingPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pid, _, _ := strings.Cut(rest, "-")
		if n, err := strconv.Atoi(pid); err != nil || n <= 0 {
			continue
		}
		if _, err := os.Stat(filepath.Join("/proc", pid)); errors.Is(err, fs.ErrNotExist) {
			os.RemoveAll(filepath.Join(cacheDir, e.Name()))
		}
	}
}

func fileSHA256(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
