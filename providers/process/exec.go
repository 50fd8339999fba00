package process

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// Command returns a command that runs args inside a process node
// (nsenter into its network, UTS and mount namespaces), given the node's
// value as recorded in the state. It fails when a pin no longer holds the
// namespace recorded (the node is gone, or was made anew since), so a
// command never runs in another node. The caller sets the command's
// streams and runs it.
func Command(node cty.Value, args []string) (*exec.Cmd, error) {
	if !node.Type().IsObjectType() || !node.Type().HasAttribute("namespace_inodes") || attrOf(node, "namespace_inodes").IsNull() {
		return nil, fmt.Errorf("its state records no namespaces")
	}
	ns, err := recordedNS(node).check()
	if err != nil {
		return nil, fmt.Errorf("the node %v", err)
	}
	cmd := exec.Command("nsenter", append(append(ns.enterArgs(), "--"), args...)...)
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

// env is this process's environment with the mark of ns's node.
func (ns nodeNS) env() []string { return append(os.Environ(), nodeEnv+"="+ns.file(kindNet)) }

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
