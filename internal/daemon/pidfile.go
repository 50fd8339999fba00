package daemon

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/benito-net/benito/internal/atomicfile"
)

// benito's own pid files, as opposed to the ones daemons write themselves
// (FromPidFile): "PID START_TIME", so that a later process reusing the
// pid is not taken for the recorded one, then an optional tag on a line
// of its own saying what the process was started on (a plug's switch, a
// wirefilter's switch and port).

// WritePidFile writes one of benito's pid files for p at path, atomically
// (readers see the old file or the new, never half of one), with tag
// unless it is "".
func WritePidFile(path string, p Process, tag string) error {
	content := fmt.Sprintf("%d %d\n", p.Pid, p.StartTime)
	if tag != "" {
		content += tag + "\n"
	}
	return atomicfile.Replace(path, []byte(content), 0o644)
}

// ReadPidFile reads one of benito's pid files (WritePidFile): the process,
// and the tag ("" when there is none). A file that does not hold a pid
// and a start time is an error saying so.
func ReadPidFile(path string) (Process, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Process{}, "", err
	}
	first, tag, _ := strings.Cut(string(b), "\n")
	var p Process
	if _, err := fmt.Sscanf(first, "%d %d", &p.Pid, &p.StartTime); err != nil || p.Pid <= 0 {
		return Process{}, "", fmt.Errorf("%s is not a pid file of benito's (PID START_TIME): %q", path, first)
	}
	return p, strings.TrimSpace(tag), nil
}

// PidFileAlive reports whether the process one of benito's pid files
// names still runs.
func PidFileAlive(path string) bool {
	p, _, err := ReadPidFile(path)
	return err == nil && p.Alive()
}

// Listening reports whether a daemon accepts connections on the unix
// socket at path, trying for up to timeout. The socket file alone does
// not say it: a starting daemon makes it before it listens. A full
// backlog (EAGAIN: the reads of a batch of nodes all asking one
// vde_switch at once) is waited out, as it says nothing of the daemon:
// taken for an answer, it showed a dozen working wires of a 200-node
// experiment as gone.
func Listening(path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		c, err := net.DialTimeout("unix", path, timeout)
		if err == nil {
			return c.Close()
		}
		if !errors.Is(err, syscall.EAGAIN) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
	}
}
