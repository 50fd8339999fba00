package daemon

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPidFile(t *testing.T) {
	dir := t.TempDir()
	self, err := FromPid(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"", "/run/sw port 3"} {
		path := filepath.Join(dir, "p")
		if err := WritePidFile(path, self, tag); err != nil {
			t.Fatal(err)
		}
		p, got, err := ReadPidFile(path)
		if err != nil || p != self || got != tag {
			t.Errorf("read back %v %q (%v), want %v %q", p, got, err, self, tag)
		}
		if !PidFileAlive(path) {
			t.Errorf("PidFileAlive of this process: false")
		}
	}
	// Another start time is another process.
	other := filepath.Join(dir, "other")
	if err := WritePidFile(other, Process{Pid: self.Pid, StartTime: self.StartTime + 1}, ""); err != nil {
		t.Fatal(err)
	}
	if PidFileAlive(other) {
		t.Errorf("a pid file with another start time names a live process")
	}
	for _, content := range []string{"", "12\n", "x y\n", "0 5\n", "-3 5\n"} {
		path := filepath.Join(dir, "bad")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ReadPidFile(path); err == nil {
			t.Errorf("ReadPidFile of %q: no error", content)
		}
		if PidFileAlive(path) {
			t.Errorf("PidFileAlive of %q: true", content)
		}
	}
	if PidFileAlive(filepath.Join(dir, "missing")) {
		t.Errorf("PidFileAlive of a missing file: true")
	}
}

func TestNotStarted(t *testing.T) {
	p := start(t, Spec{Path: "sleep", Args: []string{"600"}})
	if got := NotStarted(p, "sleep", "600"); got != "" {
		t.Errorf("NotStarted of the sleep it started: %q", got)
	}
	for _, tc := range []struct {
		program string
		args    []string
		want    string
	}{
		{"vde_switch", nil, "which is not a vde_switch"},
		{"sleep", []string{"700"}, "which was not started for 700"},
		// The program's own name is not an argument.
		{"sleep", []string{"sleep"}, "which was not started for sleep"},
	} {
		if got := NotStarted(p, tc.program, tc.args...); !strings.Contains(got, tc.want) || !strings.Contains(got, strconv.Itoa(p.Pid)) {
			t.Errorf("NotStarted(%s %v) = %q, want it to say %q", tc.program, tc.args, got, tc.want)
		}
	}
	if err := p.Stop(time.Second); err != nil {
		t.Fatal(err)
	}
	if got := NotStarted(p, "vde_switch"); got != "" {
		t.Errorf("NotStarted of a process that ended: %q", got)
	}
}
