package daemon

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
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

// NotStarted says ("process 12 (\"sleep 9\"), which is not a
// vde_switch") why p, when it runs, is not a process benito started as
// program for something: it runs another program, as another user, or
// without args (a socket, a device name) among its arguments; "" when it
// is one, or does not run. A recorded pid is signalled only when this
// says "" (and Stop checks the start time).
func NotStarted(p Process, program string, args ...string) string {
	if !p.Alive() {
		return ""
	}
	cmd := p.Args()
	var problem string
	if name := p.Name(); name != program {
		problem = "is not a " + program
	} else if uid, ok := p.UID(); !ok || uid != os.Getuid() {
		problem = "runs as another user"
	} else {
		for _, a := range args {
			if len(cmd) == 0 || !slices.Contains(cmd[1:], a) {
				problem = fmt.Sprintf("was not started for %s", a)
				break
			}
		}
	}
	if problem == "" || p.ended() {
		return ""
	}
	return fmt.Sprintf("process %d (%q), which %s", p.Pid, p.CommandLine(), problem)
}

// endWait bounds how long ended waits for a process that is exiting.
const endWait = 500 * time.Millisecond

// ended reports whether p, found not to be benito's, has ended since or
// was ending: an exiting process has given up its memory before it is a
// zombie, so its command line reads empty (a plug whose switch went
// away). Such a process is waited for, up to endWait; one that has its
// command line is not: the check stands.
func (p Process) ended() bool {
	for deadline := time.Now().Add(endWait); p.Alive(); time.Sleep(5 * time.Millisecond) {
		if p.Args() != nil || time.Now().After(deadline) {
			return false
		}
	}
	return true
}
