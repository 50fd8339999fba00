package process

import (
	"fmt"
	"os/exec"

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
	return exec.Command("nsenter", append(append(nsArgs, "--"), args...)...), nil
}
