package process

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/benito-net/benito/internal/daemon"
)

// Command returns a command that runs args inside a process node's
// namespaces (network, UTS, and mount when the node has its own), given
// the holder recorded in the node's state: its pid and start time. It
// fails when that holder is no longer running, so a command never enters
// the namespaces of an unrelated process that reuses the pid. The caller
// sets the command's streams and runs it.
func Command(pid int, startTime uint64, args []string) (*exec.Cmd, error) {
	h := holder{daemon.Process{Pid: pid, StartTime: startTime}}
	if !h.Alive() {
		return nil, fmt.Errorf("its process %d is no longer running", pid)
	}
	nsArgs := h.enterArgs()
	// Check again: the namespaces named must be the holder's.
	if !h.Alive() {
		return nil, fmt.Errorf("its process %d is no longer running", pid)
	}
	cmd := exec.Command("nsenter", append(append(nsArgs, "--"), args...)...)
	cmd.Env = h.env()
	return cmd, nil
}

// nodeEnv names the environment variable that marks the processes benito
// starts in a node with the node's holder, pid:start_time: one node's
// incarnation, never another's. Once the holder is dead, /proc no longer
// says which network namespace was the node's (the id it recorded may have
// gone to a new namespace since), and the mark is how a delete still finds
// what runs in the node (markedFor).
const nodeEnv = "BENITO_NODE"

// env is this process's environment with the mark of h's node.
func (h holder) env() []string { return append(os.Environ(), nodeEnv+"="+h.String()) }

// markedFor reports whether process pid carries the mark of h's node.
func markedFor(pid int, h holder) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	want := nodeEnv + "=" + h.String()
	for _, kv := range strings.Split(string(b), "\x00") {
		if kv == want {
			return true
		}
	}
	return false
}
