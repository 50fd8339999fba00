package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/internal/suggest"
	"github.com/benito-net/benito/providers/process"
	"github.com/benito-net/benito/state"
	"github.com/benito-net/benito/workdir"
	"github.com/spf13/cobra"
)

func (c *cli) execCommand() *cobra.Command {
	var f stateFlags
	cmd := &cobra.Command{
		Use:   "exec NODE [-- COMMAND [ARG...]]",
		Short: "Run a command inside a node",
		Long: `Run a command inside a running node of the experiment, with its network
stack, hostname and mounts, connected to this terminal's stdin, stdout and
stderr. benito exec exits with the command's exit status. Without a command
it runs $SHELL (or /bin/sh).

Nodes of type process support it.`,
		Example: `  benito exec -C examples/quickstart a -- ping -c 3 10.0.2.2
  benito exec -C examples/quickstart router -- ip route
  benito exec b`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dash := cmd.ArgsLenAtDash(); dash > 1 || (dash < 0 && len(args) > 1) {
				return fmt.Errorf("one node, then the command after --: benito exec NODE -- COMMAND [ARG...]")
			}
			node, command := args[0], args[1:]
			if len(command) == 0 {
				sh := os.Getenv("SHELL")
				if sh == "" {
					sh = "/bin/sh"
				}
				command = []string{sh}
			}
			st, err := c.readState(cmd, workdir.OpenState(c.options(f.dir, &f.exp)))
			if err != nil {
				return err
			}
			x, err := nodeCommand(st, node, command)
			if err != nil {
				return err
			}
			x.Stdin, x.Stdout, x.Stderr = c.stdin, c.stdout, c.stderr
			// The terminal's signals reach the command directly (it is in
			// benito's process group); benito only waits for it. Catching
			// them, rather than ignoring them, keeps them at their default
			// in the command.
			sigs := make(chan os.Signal, 1)
			signal.Notify(sigs, os.Interrupt, syscall.SIGQUIT, syscall.SIGTERM)
			defer signal.Stop(sigs)
			err = x.Run()
			var ee *exec.ExitError
			switch {
			case err == nil:
				return nil
			case errors.As(err, &ee):
				code := ee.ExitCode()
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					code = 128 + int(ws.Signal())
				}
				return &exitError{code: code}
			default:
				return fmt.Errorf("running %s in node %q: %w", command[0], node, err)
			}
		},
	}
	f.register(cmd)
	return cmd
}

// maxListedNodes is how many node names an unknown node's message lists.
const maxListedNodes = 10

// nodeCommand finds node in the state and returns the command that runs
// command inside it.
func nodeCommand(st *state.State, node string, command []string) (*exec.Cmd, error) {
	r := st.Resources[addrs.Resource{Type: contract.VNode, Name: node}]
	if r == nil {
		var names []string
		for a := range st.Resources {
			if a.Type == contract.VNode {
				names = append(names, a.Name)
			}
		}
		sort.Strings(names)
		if len(names) == 0 {
			return nil, fmt.Errorf("no node %q: the experiment has no nodes in its state", node)
		}
		msg := fmt.Sprintf("no node %q in the state", node)
		if s := suggest.Nearest(node, names); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		// A list of 10,000 names would bury the message.
		if len(names) <= maxListedNodes {
			return nil, fmt.Errorf("%s; the nodes are: %s", msg, strings.Join(names, ", "))
		}
		return nil, fmt.Errorf("%s; it has %d nodes: `benito state list` lists them", msg, len(names))
	}
	var rec struct {
		Type      string  `json:"type"`
		Pid       *int    `json:"pid"`
		StartTime *uint64 `json:"start_time"`
	}
	if err := json.Unmarshal(r.Attributes, &rec); err != nil {
		return nil, fmt.Errorf("node %q: unreadable state: %w", node, err)
	}
	if rec.Type != contract.NodeProcess || r.Provider != process.Name {
		return nil, fmt.Errorf("node %q is of type %q, served by provider %q: benito exec runs commands in nodes of type %q only", node, rec.Type, r.Provider, contract.NodeProcess)
	}
	if rec.Pid == nil || rec.StartTime == nil {
		return nil, fmt.Errorf("node %q was never started (its state records no process); run benito apply", node)
	}
	x, err := process.Command(*rec.Pid, *rec.StartTime, command)
	if err != nil {
		return nil, fmt.Errorf("node %q is not running: %v; benito plan shows it to be re-created, benito apply starts it again", node, err)
	}
	return x, nil
}
