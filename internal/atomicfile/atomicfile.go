// Package atomicfile replaces files whole: through a temporary file in the
// same directory and a rename, so that a reader, or a crash, never sees
// half a file, and a failure leaves the old file as it was.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write replaces path with data, mode perm, and flushes it to disk before
// the rename: for files that must survive a machine crash (a saved plan,
// the lock file, a generated configuration).
func Write(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, true)
}

// Replace is Write without the flush to disk, for files of a run that a
// reboot ends anyway (pid files in the run directory).
func Replace(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, false)
}

func write(path string, data []byte, perm os.FileMode, sync bool) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if sync {
		if err = f.Sync(); err != nil {
			return err
		}
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
