package cloudinit

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/benito-net/benito/internal/testenv"
)

// TestBuildISO builds the seed image for real and reads it back with
// isoinfo: volume id cidata, Joliet and Rock Ridge, each file's bytes, and
// the files' 0600 kept in Rock Ridge; the image itself 0600, no temporary
// file left beside it.
func TestBuildISO(t *testing.T) {
	testenv.Command(t, Program, Package)
	isoinfo := testenv.Command(t, "isoinfo", "genisoimage")
	n := example(t)
	dir := t.TempDir()
	if err := WriteSeed(&n, dir); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	iso := filepath.Join(out, "seed.iso")
	if err := BuildISO(dir, iso); err != nil {
		t.Fatal(err)
	}
	// Built again over the first: replaced, not refused.
	if err := BuildISO(dir, iso); err != nil {
		t.Fatalf("a second build: %v", err)
	}
	run := func(args ...string) []byte {
		t.Helper()
		var stderr bytes.Buffer
		cmd := exec.Command(isoinfo, args...)
		cmd.Stderr = &stderr
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("isoinfo %v: %v: %s", args, err, stderr.Bytes())
		}
		return b
	}
	desc := string(run("-d", "-i", iso))
	for _, want := range []string{"Volume id: " + VolumeLabel + "\n", "Joliet with UCS level", "Rock Ridge signatures"} {
		if !strings.Contains(desc, want) {
			t.Errorf("isoinfo -d lacks %q:\n%s", want, desc)
		}
	}
	for _, name := range seedFiles {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, ext := range []string{"-J", "-R"} {
			if got := run(ext, "-x", "/"+name, "-i", iso); !bytes.Equal(got, want) {
				t.Errorf("isoinfo %s -x /%s: %q, want %q", ext, name, got, want)
			}
		}
	}
	listing := string(run("-R", "-l", "-i", iso))
	for _, name := range seedFiles {
		if !regexp.MustCompile(`(?m)^-rw------- .* ` + regexp.QuoteMeta(name) + ` *$`).MatchString(listing) {
			t.Errorf("%s is not -rw------- in the image's Rock Ridge listing:\n%s", name, listing)
		}
	}
	fi, err := os.Stat(iso)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o600 {
		t.Errorf("image mode %v, want -rw-------", fi.Mode())
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		t.Errorf("beside the image: %d entries, want the image alone", len(entries))
	}
}

// TestBuildISORefuses: a seed directory without the files, or relative
// paths, are refused with no image and no temporary file left.
func TestBuildISORefuses(t *testing.T) {
	testenv.Command(t, Program, Package)
	out := t.TempDir()
	iso := filepath.Join(out, "seed.iso")
	if err := BuildISO(t.TempDir(), iso); err == nil || !strings.Contains(err.Error(), "WriteSeed") {
		t.Errorf("an empty seed directory: %v, want an error naming WriteSeed", err)
	}
	if err := BuildISO("seed", iso); err == nil || !strings.Contains(err.Error(), "absolute") {
		t.Errorf("a relative seed directory: %v, want an error", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("refused builds left %d entries", len(entries))
	}
}
