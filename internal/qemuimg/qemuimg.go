package qemuimg

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Program is the qemu-img binary; a bare name is looked up in PATH.
var Program = "qemu-img"

// Info is what qemu-img info says of an image.
type Info struct {
	Format      string `json:"format"`       // "raw", "qcow2", ...
	VirtualSize int64  `json:"virtual-size"` // bytes the guest sees
	// Backing is the image's backing file, "" for none.
	Backing string `json:"backing-filename"`
	// BackingFormat is the backing file's recorded format.
	BackingFormat string `json:"backing-filename-format"`
}

// CheckPath checks that path is absolute and clean, as every path given to
// this package must be.
func CheckPath(path string) error {
	switch {
	case path == "":
		return errors.New("empty path")
	case !filepath.IsAbs(path):
		return fmt.Errorf("%q is not an absolute path", path)
	case filepath.Clean(path) != path:
		return fmt.Errorf("%q is not a clean path (it should read %q)", path, filepath.Clean(path))
	}
	return nil
}

// ImageInfo asks qemu-img what the image at path is.
func ImageInfo(ctx context.Context, path string) (Info, error) {
	if err := CheckPath(path); err != nil {
		return Info{}, fmt.Errorf("qemuimg: image: %w", err)
	}
	out, err := run(ctx, "info", "--output=json", "--", path)
	if err != nil {
		return Info{}, err
	}
	var info Info
	if err := json.Unmarshal(out, &info); err != nil {
		return Info{}, fmt.Errorf("qemuimg: info %s: %w", path, err)
	}
	if info.Format == "" {
		return Info{}, fmt.Errorf("qemuimg: info %s: no format in qemu-img's answer", path)
	}
	return info, nil
}

// Overlay makes overlay a new qcow2 image backed by base, in base's
// format as qemu-img reports it, and returns base's Info. A base that has
// a backing file of its own is refused: its chain would be read from
// wherever it points; flatten it first (qemu-img convert).
func Overlay(ctx context.Context, base, overlay string) (Info, error) {
	if err := CheckPath(base); err != nil {
		return Info{}, fmt.Errorf("qemuimg: base image: %w", err)
	}
	if err := CheckPath(overlay); err != nil {
		return Info{}, fmt.Errorf("qemuimg: overlay: %w", err)
	}
	if base == overlay {
		return Info{}, fmt.Errorf("qemuimg: overlay %s is its own base", overlay)
	}
	fi, err := os.Stat(base)
	if err != nil {
		return Info{}, fmt.Errorf("qemuimg: base image: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Info{}, fmt.Errorf("qemuimg: base image %s is not a regular file", base)
	}
	if _, err := os.Lstat(overlay); err == nil {
		return Info{}, fmt.Errorf("qemuimg: overlay %s exists already; remove it to make it again", overlay)
	} else if !errors.Is(err, os.ErrNotExist) {
		return Info{}, fmt.Errorf("qemuimg: overlay: %w", err)
	}
	info, err := ImageInfo(ctx, base)
	if err != nil {
		return Info{}, err
	}
	if info.Backing != "" {
		return Info{}, fmt.Errorf("qemuimg: base image %s has a backing file of its own (%s): flatten it with qemu-img convert -O qcow2", base, info.Backing)
	}
	if _, err := run(ctx, "create", "-q", "-f", "qcow2", "-b", base, "-F", info.Format, "--", overlay); err != nil {
		os.Remove(overlay)
		return Info{}, err
	}
	return info, nil
}

// run runs qemu-img with args and returns its standard output; a failure
// carries what it printed on standard error.
func run(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, Program, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
		return nil, fmt.Errorf("qemuimg: %s %s: %w", Program, strings.Join(args, " "), err)
	}
	return out, nil
}
