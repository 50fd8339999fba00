package contract

import (
	"strings"
	"testing"
)

func TestCheckRoot(t *testing.T) {
	for _, tc := range []struct {
		root    string
		problem string // "" when accepted
	}{
		{DefaultConfigRoot, ""},
		{DefaultRunRoot, ""},
		{"/tmp/benito-test", ""},
		{"/home/ana/exp", ""},
		{"/srv/benito", ""},
		{"/", "a directory of the system"},
		{"/etc", "a directory of the system"},
		{"/usr", "a directory of the system"},
		{"/var", "a directory of the system"},
		{"/var/lib", "a directory of the system"},
		{"/tmp", "a directory of the system"},
		{"/home", "a directory of the system"},
		{"/root", "a directory of the system"},
		{"/lib64", "a directory of the system"},
		{"/proc/1", "inside /proc"},
		{"/sys/fs/cgroup", "inside /sys"},
		{"/dev/shm", "a directory of the system"},
		{"/dev/shm/benito-bench", ""},
		{"/dev/mqueue/x", "inside /dev"},
		{"/boot/efi", "inside /boot"},
		{"relative", "absolute"},
		{"/var/lib/../../etc", "clean"},
		{"/etc/", "clean"},
	} {
		err := CheckRoot(SiteConfigRoot, tc.root)
		switch {
		case tc.problem == "" && err != nil:
			t.Errorf("%q refused: %v", tc.root, err)
		case tc.problem != "" && err == nil:
			t.Errorf("%q accepted", tc.root)
		case err != nil && !strings.Contains(err.Error(), tc.problem):
			t.Errorf("%q: %v, want it to say %q", tc.root, err, tc.problem)
		}
	}
}
