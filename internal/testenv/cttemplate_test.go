package testenv

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"testing"
	"time"
)

// TestCTTemplate: scripts/ct-template prints the path of a deterministic
// tarball (no name or time in the gzip header, names sorted, every entry
// of time 0 and owner root) holding busybox init, and a second run finds
// it instead of building it again. internal/ostemplate runs it for real.
func TestCTTemplate(t *testing.T) {
	path := CTTemplate(t)
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if again := CTTemplate(t); again != path {
		t.Errorf("second run printed %q, want %q", again, path)
	}
	if after, err := os.Stat(path); err != nil || !after.ModTime().Equal(before.ModTime()) || !os.SameFile(before, after) {
		t.Errorf("second run built the tarball again")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if gz.Name != "" || !gz.ModTime.IsZero() {
		t.Errorf("gzip header holds name %q, time %v (gzip -n writes neither)", gz.Name, gz.ModTime)
	}
	tr := tar.NewReader(gz)
	links := map[string]string{}
	prev := ""
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Name <= prev {
			t.Errorf("%q after %q: names not sorted", hdr.Name, prev)
		}
		prev = hdr.Name
		if !hdr.ModTime.Equal(time.Unix(0, 0)) || hdr.Uid != 0 || hdr.Gid != 0 {
			t.Errorf("%s: time %v, owner %d:%d, want 0 and root", hdr.Name, hdr.ModTime, hdr.Uid, hdr.Gid)
		}
		switch hdr.Typeflag {
		case tar.TypeSymlink:
			links[hdr.Name] = hdr.Linkname
		case tar.TypeReg:
			links[hdr.Name] = ""
		}
	}
	for name, want := range map[string]string{"./sbin/init": "../bin/busybox", "./bin/sh": "../bin/busybox", "./bin/busybox": "", "./etc/inittab": "", "./etc/hostname": ""} {
		if got, ok := links[name]; !ok || got != want {
			t.Errorf("%s: link %q (present %v), want %q", name, got, ok, want)
		}
	}
}
