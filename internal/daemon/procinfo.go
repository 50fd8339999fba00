package daemon

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
)

// What /proc says of a process, for telling whether a recorded pid names
// a process benito started (its program, user and arguments). Each reads
// the process as it is now: a caller that needs the very process it
// recorded checks Alive first (the start time).

// Name returns the name of the process's program (its comm), or "" when
// it cannot be read.
func (p Process) Name() string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.Pid) + "/comm")
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}

// UID returns the process's real user id.
func (p Process) UID() (int, bool) {
	f, err := os.Open("/proc/" + strconv.Itoa(p.Pid) + "/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Uid:"); ok {
			fields := strings.Fields(rest)
			if len(fields) == 0 {
				return 0, false
			}
			uid, err := strconv.Atoi(fields[0])
			return uid, err == nil
		}
	}
	return 0, false
}

// Args returns the process's command line, program first; nil when it
// cannot be read or is empty (a process that is exiting has none).
func (p Process) Args() []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.Pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(string(bytes.TrimSuffix(b, []byte{0})), "\x00")
}

// CommandLine returns the process's command line for a message: its
// arguments separated by spaces, cut to 80 bytes, or "?".
func (p Process) CommandLine() string {
	s := strings.Join(p.Args(), " ")
	if s == "" {
		return "?"
	}
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
