package main

import (
	"github.com/benito-net/benito/engine"
	"github.com/spf13/cobra"
)

func (c *cli) destroyCommand() *cobra.Command {
	var f applyFlags
	cmd := &cobra.Command{
		Use:   "destroy [DIR]",
		Short: "Destroy everything the experiment made",
		Long: `Destroy removes everything benito made for the experiment in DIR (default:
the current directory), in reverse dependency order, after showing the plan
and asking for "yes" (unless -auto-approve). Afterwards the host holds
nothing of the experiment, and the state is empty.

With -target, only those resources and what depends on them are destroyed.

Destroy also asks the providers what the host holds of the experiment that
the state does not know (left by an apply killed before it recorded it, or
by a state file that was deleted), and names it in a warning. With -sweep,
destroy removes those objects too, after the question.

On a terminal, a status line shows the progress, as for apply (see
"benito apply --help").`,
		Example: `  benito destroy examples/demo
  benito destroy -auto-approve examples/demo
  benito destroy -target 'vnode.a' examples/demo
  benito destroy -sweep examples/demo`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c.destroying = true
			return c.applyDir(dirArg(args), &f, true)
		},
	}
	f.register(cmd)
	for _, hidden := range []string{"out", "detailed-exitcode", "destroy", "json", "replace"} {
		cmd.Flags().Lookup(hidden).Hidden = true
	}
	cmd.Flags().BoolVar(&f.autoApprove, "auto-approve", false, "destroy without asking for confirmation")
	cmd.Flags().IntVar(&f.parallelism, "parallelism", engine.DefaultParallelism, "how many changes to make at once")
	cmd.Flags().BoolVar(&f.sweep, "sweep", false, "also remove what the host holds of the experiment that the state does not know")
	return cmd
}
