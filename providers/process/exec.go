package process

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// Exec runs a command inside a process node, as nodeCommand makes it.
func (p *Provider) Exec(ctx context.Context, req providers.ExecRequest) providers.ExecResponse {
	if req.Type != contract.VNode {
		return providers.ExecNotSupported(Name, req)
	}
	cmd, err := nodeCommand(req.Value, req.Args)
	if err != nil {
		return providers.ExecResponse{ExitCode: -1, Diagnostics: providers.Errorf(req.Address, "%v", err)}
	}
	return providers.ExecCommand(ctx, cmd, req)
}

// nodeCommand returns the command of this host that runs args inside the
// node v records (a vnode's value): in its holder's namespaces (network,
// UTS, and mount when the node has its own), with the node's mark in its
// environment. It fails when that holder is no longer running, so that a
// command never enters the namespaces of an unrelated process that
// reuses the pid.
func nodeCommand(v cty.Value, args []string) (*exec.Cmd, error) {
	if v.IsNull() || !v.IsWhollyKnown() || v.GetAttr("pid").IsNull() || v.GetAttr("start_time").IsNull() {
		return nil, fmt.Errorf("the node was never started (its state records no process); run benito apply")
	}
	h := holderOf(v)
	notRunning := fmt.Errorf("the node is not running: its process %d is no longer running; benito plan shows it to be re-created, benito apply starts it again", h.Pid)
	if !h.Alive() {
		return nil, notRunning
	}
	nsArgs := h.enterArgs()
	// Check again: the namespaces named must be the holder's.
	if !h.Alive() {
		return nil, notRunning
	}
	cmd := exec.Command("nsenter", append(append(nsArgs, "--"), args...)...)
	cmd.Env = []string{nodeEnv + "=" + h.String()}
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
