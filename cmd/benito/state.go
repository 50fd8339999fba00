package main

import (
	"fmt"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/internal/suggest"
	"github.com/benito-net/benito/state"
	"github.com/benito-net/benito/workdir"
	"github.com/spf13/cobra"
)

func (c *cli) stateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Inspect and edit the recorded state",
		Long: `The state subcommands list, show and edit what benito has recorded of an
experiment. Editing the state changes only benito's records, never the host:
"state rm" makes benito forget a resource (it is left as it is), "state mv"
moves a record to a new address (after a rename in the configuration).

Every edit takes the state lock and keeps the previous state as
benito.state.backup.`,
		Example: `  benito state list -C examples/demo
  benito state show -C examples/demo 'port.lan0["a.eth0"]'
  benito state mv -C examples/demo vnode.a vnode.client`,
	}
	for _, mk := range []func() *cobra.Command{c.stateListCommand, c.stateShowCommand, c.stateRmCommand, c.stateMvCommand} {
		cmd.AddCommand(mk())
	}
	return cmd
}

// stateFlags are the flags of the state subcommands.
type stateFlags struct {
	exp expFlags
	dir string
}

func (f *stateFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.dir, "dir", "C", ".", "work on the experiment in `DIR`")
	cmd.Flags().StringVar(&f.exp.statePath, "state", "", "read and write the state in `FILE` (default: DIR/"+workdir.StateFileName+")")
	cmd.Flags().DurationVar(&f.exp.lockTimeout, "lock-timeout", 0, "how long to wait for the state lock")
}

// editState runs edit on the state under the lock and writes it back.
func (c *cli) editState(cmd *cobra.Command, f *stateFlags, op string, edit func(*state.State) error) error {
	w := workdir.OpenState(c.options(f.dir, &f.exp))
	return w.EditState(cmd.Context(), op, func(st *state.State) error {
		c.noteV1Addrs(st, w.StatePath())
		return edit(st)
	})
}

// nearest is " (did you mean ADDRESS?)" for the address of st nearest to
// a, when one is near enough to be what was meant; "" otherwise.
func nearest(st *state.State, a addrs.Resource) string {
	names := make([]string, 0, len(st.Resources))
	for sa := range st.Resources {
		names = append(names, sa.String())
	}
	if s := suggest.Nearest(a.String(), names); s != "" {
		return fmt.Sprintf(" (did you mean %s?)", s)
	}
	return ""
}
