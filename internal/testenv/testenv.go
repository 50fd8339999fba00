package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
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
