package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Marker starts the reason of every skip (and failure) this package makes,
// so that a report of a test run can tell a test that could not run here
// from one skipped for its own reasons.
const Marker = "testenv:"

// CI reports whether the tests run in CI: CI is set to anything but a
// false value ("", "0", "false").
func CI() bool {
	v := os.Getenv("CI")
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	return err != nil || b
}

// Root makes t need root: it makes namespaces, devices or qdiscs for real.
func Root(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, "needs root (it makes namespaces, network devices and processes for real): run the tests as root, as scripts/test does")
	}
}

// Command makes t need program name from Debian package pkg, and returns
// its path.
func Command(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		missing(t, fmt.Sprintf("needs %s, which is not installed: apt-get install %s (scripts/deps installs what the tests use)", name, pkg))
	}
	return path
}

// Unavailable makes t need what why describes, which this host lacks (a
// device it must not have, a kernel feature): t is skipped, or failed in
// CI, with why.
func Unavailable(t testing.TB, why string) {
	t.Helper()
	missing(t, why)
}

// missing skips t, or fails it in CI, with why.
func missing(t testing.TB, why string) {
	t.Helper()
	if CI() {
		t.Fatalf("%s %s (CI is set: a test that cannot run fails)", Marker, why)
		return
	}
	t.Skipf("%s %s", Marker, why)
}

// GuestImage makes t need the test guest of QEMU nodes, which
// scripts/guest-image builds from Debian packages (or finds in its cache),
// and returns the paths of its kernel and initrd.
func GuestImage(t testing.TB) (kernel, initrd string) {
	t.Helper()
	Root(t)
	for _, need := range [][2]string{{"apt-get", "apt"}, {"dpkg-deb", "dpkg"}, {"depmod", "kmod"}} {
		Command(t, need[0], need[1])
	}
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(filepath.Join(root, "scripts", "guest-image"))
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/guest-image: %v\n%s", err, stderr.Bytes())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		t.Fatalf("scripts/guest-image printed %q, want two paths", out)
	}
	return lines[0], lines[1]
}

// CTTemplate makes t need the test template of OpenVZ-style containers,
// which scripts/ct-template builds from Debian's busybox-static (or finds
// in its cache), and returns the path of its tarball.
func CTTemplate(t testing.TB) string {
	t.Helper()
	Root(t)
	for _, need := range [][2]string{{"apt-get", "apt"}, {"dpkg-deb", "dpkg"}, {"tar", "tar"}, {"gzip", "gzip"}} {
		Command(t, need[0], need[1])
	}
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(filepath.Join(root, "scripts", "ct-template"))
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/ct-template: %v\n%s", err, stderr.Bytes())
	}
	path := strings.TrimSpace(string(out))
	if strings.Contains(path, "\n") || !filepath.IsAbs(path) {
		t.Fatalf("scripts/ct-template printed %q, want the path of a tarball", out)
	}
	return path
}

// repoRoot is the directory of benito's go.mod, found from the test's
// working directory (its package's directory) up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/benito-net/benito\n") {
			return d, nil
		}
		if d == filepath.Dir(d) {
			return "", fmt.Errorf("no go.mod of github.com/benito-net/benito above %s", dir)
		}
	}
}
