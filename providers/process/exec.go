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

// Exec runs a command inside a process node, as Command makes it, with
// the environment benito exec hands over and the node's mark.
func (p *Provider) Exec(ctx context.Context, req providers.ExecRequest) providers.ExecResponse {
	if req.Type != contract.VNode {
		return providers.ExecNotSupported(p.typ, req)
	}
	if err := p.checkRecorded(req.Type, req.Value); err != nil {
		return providers.ExecResponse{ExitCode: -1, Diagnostics: providers.RefuseRecorded(req.Address, err)}
	}
	cmd, err := p.command(req.Value, req.Args)
	if err != nil {
		return providers.ExecResponse{ExitCode: -1, Diagnostics: providers.Errorf(req.Address, "Node not running: %v; benito plan shows it to be re-created, benito apply makes it again", err)}
	}
	// ExecCommand puts the request's environment first; the mark, last,
	// wins. The provider's own environment stays out of the node.
	cmd.Env = []string{recordedNS(req.Value).mark()}
	return providers.ExecCommand(ctx, cmd, req)
}

// command returns a command that runs args inside one of the provider's
// nodes (nsenter into its network, UTS and mount namespaces, and a
// container's PID and IPC namespaces too), given the node's value as
// recorded in the state. It fails when a pin no longer holds the
// namespace recorded (the node is gone, or was made anew since), so a
// command never runs in another node. The caller sets the command's
// streams and runs it.
func (p *Provider) command(node cty.Value, args []string) (*exec.Cmd, error) {
	if node.IsNull() || !node.IsWhollyKnown() || !node.Type().IsObjectType() || !node.Type().HasAttribute("namespace_inodes") || attrOf(node, "namespace_inodes").IsNull() {
		return nil, fmt.Errorf("its state records no namespaces")
	}
	ns, err := recordedNS(node).check()
	if err != nil {
		return nil, fmt.Errorf("the node %v", err)
	}
	enter, err := p.enterArgs(ns, str(node, "name"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("nsenter", append(append(enter, "--"), args...)...)
	cmd.Env = ns.env()
	return cmd, nil
}

// nodeEnv names the environment variable that marks the processes benito
// starts in a node (its startup command, benito exec's commands, its
// plugs) with the file pinning the node's network namespace: which node
// they belong to. While its pins are mounted, a node's processes are
// found by its namespaces; a pin unmounted by hand lets its namespace's
// inode go to another once nothing runs in it, and the mark is how a
// delete still finds what was started in the node (removeNode).
const nodeEnv = "BENITO_NODE"

// mark is the environment variable marking ns's node's processes.
func (ns nodeNS) mark() string { return nodeEnv + "=" + ns.file(kindNet) }

// env is this process's environment with the mark of ns's node.
func (ns nodeNS) env() []string { return append(os.Environ(), ns.mark()) }

// markedFor reports whether process pid carries the mark of the node
// whose network namespace pin is netPin.
func markedFor(pid int, netPin string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	want := nodeEnv + "=" + netPin
	for _, kv := range strings.Split(string(b), "\x00") {
		if kv == want {
			return true
		}
	}
	return false
}

// enterArgs are nsenter's options that put a command in all of the
// namespaces of the node ns is of, recorded as v: a container's PID and
// IPC namespaces too. Entering the mount namespace puts the command at
// the node's root (a container's own root file system).
func (p *Provider) enterArgs(ns nodeNS, name string) ([]string, error) {
	args := ns.enterArgs()
	if p.ct != nil {
		more, err := initEnterArgs(p.ct, p.lay(), name, ns)
		if err != nil {
			return nil, err
		}
		args = append(args, more...)
	}
	return args, nil
}
