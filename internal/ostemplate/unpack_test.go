package ostemplate

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/benito-net/benito/internal/golden"
)

// entry is one member of a tarball a test builds.
type entry struct {
	name, link, body string
	typ              byte
	mode             int64
}

// writeTarball writes entries as a gzip-compressed tarball in a
// temporary directory and returns its path.
func writeTarball(t *testing.T, entries []entry) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: mode, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Size > 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "t.tar.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestUnpackRefuses: each hostile tarball is refused with an error naming
// the entry, and nothing appears outside the directory unpacked into.
func TestUnpackRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries func(outside string) []entry
		want    string
	}{
		{"dotdot", func(string) []entry {
			return []entry{{name: "../x", typ: tar.TypeReg, body: "x"}}
		}, `entry "../x": ".." in the name`},
		{"dotdot inside", func(string) []entry {
			return []entry{{name: "./etc/../../x", typ: tar.TypeReg, body: "x"}}
		}, `".." in the name`},
		{"absolute", func(outside string) []entry {
			return []entry{{name: outside + "/x", typ: tar.TypeReg, body: "x"}}
		}, "absolute name"},
		{"through a symlink", func(outside string) []entry {
			return []entry{
				{name: "./etc", typ: tar.TypeSymlink, link: outside},
				{name: "./etc/x", typ: tar.TypeReg, body: "x"},
			}
		}, `entry "./etc/x": it is reached through the symbolic link etc`},
		{"through a relative symlink", func(outside string) []entry {
			return []entry{
				{name: "up", typ: tar.TypeSymlink, link: "../" + filepath.Base(outside)},
				{name: "up/x", typ: tar.TypeReg, body: "x"},
			}
		}, "through the symbolic link up"},
		{"hard link out", func(outside string) []entry {
			return []entry{{name: "x", typ: tar.TypeLink, link: "../" + filepath.Base(outside) + "/x"}}
		}, `hard link to "../`},
		{"hard link absolute", func(outside string) []entry {
			return []entry{{name: "x", typ: tar.TypeLink, link: outside + "/x"}}
		}, "absolute name"},
		{"hard link through a symlink", func(outside string) []entry {
			return []entry{
				{name: "l", typ: tar.TypeSymlink, link: outside},
				{name: "x", typ: tar.TypeLink, link: "l/x"},
			}
		}, "through the symbolic link l"},
		{"hard link to a symlink", func(outside string) []entry {
			return []entry{
				{name: "l", typ: tar.TypeSymlink, link: outside + "/x"},
				{name: "x", typ: tar.TypeLink, link: "l"},
			}
		}, "not a regular file"},
		{"device outside dev", func(string) []entry {
			return []entry{{name: "etc/sda", typ: tar.TypeBlock}}
		}, "device node"},
		{"file over a directory", func(string) []entry {
			return []entry{{name: "etc/", typ: tar.TypeDir, mode: 0o755}, {name: "etc", typ: tar.TypeReg, body: "x"}}
		}, "a directory of that name"},
		{"root not a directory", func(string) []entry {
			return []entry{{name: "./", typ: tar.TypeSymlink, link: "/"}}
		}, "must be a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			outside := filepath.Join(base, "outside")
			if err := os.Mkdir(outside, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(outside, "x"), []byte("host"), 0o644); err != nil {
				t.Fatal(err)
			}
			tarball := writeTarball(t, tc.entries(outside))
			err := Unpack(context.Background(), tarball, filepath.Join(base, "root"))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tarball) {
				t.Errorf("Unpack: %v, want an error naming %s and saying %q", err, tarball, tc.want)
			}
			got, err := os.ReadDir(outside)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Errorf("outside holds %d entries after the refusal, want only x", len(got))
			}
			if b, err := os.ReadFile(filepath.Join(outside, "x")); err != nil || string(b) != "host" {
				t.Errorf("outside/x: %q, %v: changed", b, err)
			}
			if entries, _ := os.ReadDir(base); len(entries) != 2 {
				t.Errorf("%s holds %d entries, want outside and root", base, len(entries))
			}
		})
	}
}

// TestUnpack: what a template holds comes out as it was: modes with the
// setuid and sticky bits, links as they are (even pointing out: they are
// followed only inside the container), hard links, devices under dev/
// skipped; a later entry replaces an earlier file.
func TestUnpack(t *testing.T) {
	outside := t.TempDir()
	tarball := writeTarball(t, []entry{
		// A link replaced by a directory: what goes in it stays inside.
		{name: "./var", typ: tar.TypeSymlink, link: outside},
		{name: "./var/", typ: tar.TypeDir, mode: 0o755},
		{name: "./var/x", typ: tar.TypeReg, body: "x"},
		{name: "./", typ: tar.TypeDir, mode: 0o755},
		{name: "./bin/", typ: tar.TypeDir, mode: 0o755},
		{name: "./bin/su", typ: tar.TypeReg, mode: 0o4755, body: "su"},
		{name: "./bin/sh", typ: tar.TypeSymlink, link: "/bin/busybox"},
		{name: "./bin/ash", typ: tar.TypeLink, link: "./bin/su"},
		{name: "./tmp/", typ: tar.TypeDir, mode: 0o1777},
		{name: "./dev/null", typ: tar.TypeChar},
		{name: "./etc/hostname", typ: tar.TypeReg, body: "old\n"},
		{name: "./etc/hostname", typ: tar.TypeReg, body: "new\n"},
	})
	dir := filepath.Join(t.TempDir(), "root")
	if err := Unpack(context.Background(), tarball, dir); err != nil {
		t.Fatal(err)
	}
	check := func(name string, want os.FileMode) {
		t.Helper()
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			return
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode(), want)
		}
	}
	check(".", os.ModeDir|0o755)
	check("bin/su", os.ModeSetuid|0o755)
	check("tmp", os.ModeDir|os.ModeSticky|0o777)
	check("etc", os.ModeDir|0o755)
	if link, err := os.Readlink(filepath.Join(dir, "bin/sh")); err != nil || link != "/bin/busybox" {
		t.Errorf("bin/sh: %q, %v", link, err)
	}
	a, _ := os.Stat(filepath.Join(dir, "bin/ash"))
	b, _ := os.Stat(filepath.Join(dir, "bin/su"))
	if a == nil || b == nil || !os.SameFile(a, b) {
		t.Errorf("bin/ash is not a hard link of bin/su")
	}
	if _, err := os.Lstat(filepath.Join(dir, "dev/null")); !os.IsNotExist(err) {
		t.Errorf("dev/null: %v, want it skipped", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "etc/hostname")); string(b) != "new\n" {
		t.Errorf("etc/hostname: %q, %v", b, err)
	}
	check("var", os.ModeDir|0o755)
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("%s holds %d entries, want none", outside, len(entries))
	}
	if err := Unpack(context.Background(), tarball, dir); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("Unpack into a full directory: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Unpack(ctx, tarball, filepath.Join(t.TempDir(), "r")); err == nil {
		t.Errorf("Unpack with a cancelled context: no error")
	}
	notTar := filepath.Join(t.TempDir(), "x.tar.gz")
	os.WriteFile(notTar, []byte("this is no tarball, not even an empty one, and long enough to be read as a header block? no"), 0o600)
	if err := Unpack(context.Background(), notTar, filepath.Join(t.TempDir(), "r")); err == nil || !strings.Contains(err.Error(), notTar) {
		t.Errorf("Unpack of a text file: %v", err)
	}
}

// TestCache: a tarball is unpacked once per content; a second call finds
// it; another content gets another tree; leftovers of a dead unpacker go.
func TestCache(t *testing.T) {
	cacheDir := filepath.Join(t.TempDir(), "cache")
	one := writeTarball(t, []entry{{name: "./", typ: tar.TypeDir, mode: 0o755}, {name: "./a", typ: tar.TypeReg, body: "1"}})
	two := writeTarball(t, []entry{{name: "./", typ: tar.TypeDir, mode: 0o755}, {name: "./a", typ: tar.TypeReg, body: "2"}})
	// A leftover of a process that is gone (PID beyond pid_max).
	stale := filepath.Join(cacheDir, unpackingPrefix+"2147483647-x")
	if err := os.MkdirAll(filepath.Join(stale, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	d1, err := Cache(context.Background(), one, cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(d1, "a")); string(b) != "1" {
		t.Fatalf("%s/a: %q, %v", d1, b, err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("leftover %s: %v, want it removed", stale, err)
	}
	if fi, err := os.Stat(cacheDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("cache directory: %v, %v, want mode 0700", fi, err)
	}
	// Found, not unpacked again: a mark left in the tree stays.
	if err := os.WriteFile(filepath.Join(d1, "mark"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := Cache(context.Background(), one, cacheDir)
	if err != nil || again != d1 {
		t.Fatalf("second Cache: %q, %v, want %q", again, err, d1)
	}
	if _, err := os.Stat(filepath.Join(again, "mark")); err != nil {
		t.Errorf("second Cache unpacked again: %v", err)
	}
	d2, err := Cache(context.Background(), two, cacheDir)
	if err != nil || d2 == d1 {
		t.Fatalf("Cache of another tarball: %q, %v", d2, err)
	}
	if b, _ := os.ReadFile(filepath.Join(d2, "a")); string(b) != "2" {
		t.Errorf("%s/a: %q", d2, b)
	}
	entries, _ := os.ReadDir(cacheDir)
	if len(entries) != 2 {
		t.Errorf("cache holds %d entries, want the two trees", len(entries))
	}
	// A hostile tarball leaves no tree and no temporary directory.
	bad := writeTarball(t, []entry{{name: "../x", typ: tar.TypeReg, body: "x"}})
	if _, err := Cache(context.Background(), bad, cacheDir); err == nil {
		t.Errorf("Cache of a hostile tarball: no error")
	}
	if entries, _ := os.ReadDir(cacheDir); len(entries) != 2 {
		t.Errorf("cache holds %d entries after a refusal, want 2", len(entries))
	}
}
