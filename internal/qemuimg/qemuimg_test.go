package qemuimg

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/benito-net/benito/internal/testenv"
)

func need(t *testing.T) (qemuIO string) {
	t.Helper()
	testenv.Command(t, "qemu-img", "qemu-utils")
	return testenv.Command(t, "qemu-io", "qemu-utils")
}

// image makes an image of format with 1 MiB filled with pattern.
func image(t *testing.T, qemuIO, path, format string, pattern byte) {
	t.Helper()
	if out, err := exec.Command("qemu-img", "create", "-q", "-f", format, "--", path, "1M").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img create: %v: %s", err, out)
	}
	qio(t, qemuIO, path, format, "write -P "+pat(pattern)+" 0 1M")
}

func pat(b byte) string { return fmt.Sprintf("0x%02x", b) }

// qio runs one qemu-io command on an image and fails t if it fails (a
// read -P that finds other bytes fails).
func qio(t *testing.T, qemuIO, path, format, command string) {
	t.Helper()
	out, err := exec.Command(qemuIO, "-f", format, "-c", command, "--", path).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("Pattern verification failed")) {
		t.Fatalf("qemu-io %s %q: %v: %s", path, command, err, out)
	}
}

// TestOverlay: the overlay is backed by the base in the format qemu-img
// found (a raw image named .qcow2 stays raw), the guest's writes go to
// the overlay, and the base's bytes and times do not change.
func TestOverlay(t *testing.T) {
	qemuIO := need(t)
	ctx := context.Background()
	for _, tc := range []struct{ name, format string }{
		{"base.raw", "raw"},
		{"base.qcow2", "qcow2"},
		{"raw-named.qcow2", "raw"},
		{"-da,sh base", "raw"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			base := filepath.Join(dir, tc.name)
			image(t, qemuIO, base, tc.format, 0x11)
			// Times are compared to the nanosecond: no write may touch it.
			old := time.Now().Add(-time.Hour).Truncate(time.Second)
			if err := os.Chtimes(base, old, old); err != nil {
				t.Fatal(err)
			}
			before, err := os.ReadFile(base)
			if err != nil {
				t.Fatal(err)
			}
			overlay := filepath.Join(dir, "run", "node.qcow2")
			os.Mkdir(filepath.Dir(overlay), 0o700)
			info, err := Overlay(ctx, base, overlay)
			if err != nil {
				t.Fatal(err)
			}
			if info.Format != tc.format || info.VirtualSize != 1<<20 {
				t.Errorf("base info %+v", info)
			}
			got, err := ImageInfo(ctx, overlay)
			if err != nil {
				t.Fatal(err)
			}
			want := Info{Format: "qcow2", VirtualSize: 1 << 20, Backing: base, BackingFormat: tc.format}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("overlay info (-want +got):\n%s", d)
			}
			qio(t, qemuIO, overlay, "qcow2", "write -P 0x5a 0 64k")
			qio(t, qemuIO, overlay, "qcow2", "read -P 0x5a 0 64k")
			qio(t, qemuIO, overlay, "qcow2", "read -P 0x11 64k 960k")
			after, err := os.ReadFile(base)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Error("the base image's bytes changed")
			}
			fi, err := os.Stat(base)
			if err != nil {
				t.Fatal(err)
			}
			if !fi.ModTime().Equal(old) {
				t.Errorf("the base image's mtime changed: %v, was %v", fi.ModTime(), old)
			}
		})
	}
}

func TestOverlayRefused(t *testing.T) {
	qemuIO := need(t)
	ctx := context.Background()
	dir := t.TempDir()
	base := filepath.Join(dir, "base.raw")
	image(t, qemuIO, base, "raw", 0x11)
	chained := filepath.Join(dir, "chained.qcow2")
	if _, err := Overlay(ctx, base, chained); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(dir, "existing.qcow2")
	if err := os.WriteFile(existing, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.qcow2")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), link); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "new.qcow2")
	for _, tc := range []struct{ name, base, overlay, want string }{
		{"relative base", "base.raw", out, "not an absolute path"},
		{"relative overlay", base, "new.qcow2", "not an absolute path"},
		{"unclean base", dir + "/x/../base.raw", out, "not a clean path"},
		{"protocol", "nbd:localhost:10809", out, "not an absolute path"},
		{"empty", "", out, "empty path"},
		{"own base", base, base, "its own base"},
		{"missing base", filepath.Join(dir, "missing"), out, "no such file"},
		{"directory base", dir, out, "not a regular file"},
		{"base with a backing file", chained, out, "has a backing file of its own"},
		{"existing overlay", base, existing, "exists already"},
		{"dangling symlink overlay", base, link, "exists already"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Overlay(ctx, tc.base, tc.overlay)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if _, err := os.Lstat(out); err == nil {
				t.Errorf("%s made", out)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "mine" {
		t.Errorf("existing overlay overwritten: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "nowhere")); err == nil {
		t.Error("made a file through a symbolic link")
	}
}

// TestInfoError: what qemu-img says is in the error.
func TestInfoError(t *testing.T) {
	need(t)
	path := filepath.Join(t.TempDir(), "not-an-image")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := ImageInfo(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), "qemu-img info --output=json -- "+path) {
		t.Fatalf("got %v", err)
	}
	t.Log(err)
}
