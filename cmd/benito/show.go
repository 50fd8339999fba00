package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/benito-net/benito/plan"
	"github.com/benito-net/benito/state"
	"github.com/benito-net/benito/workdir"
	"github.com/spf13/cobra"
)

func (c *cli) showCommand() *cobra.Command {
	var (
		jsonOut  bool
		markdown bool
		exp      expFlags
	)
	cmd := &cobra.Command{
		Use:   "show [PLANFILE | DIR]",
		Short: "Show a saved plan or the experiment's state",
		Long: `Show prints a plan saved by "benito plan -out", or, given a directory (default:
the current directory), the state of its experiment: every resource with its
recorded attributes.

With -json, a plan is printed in the JSON plan format (docs/json-plan.md) and
a state in the state file format. With -markdown, a plan is printed as
Markdown for a pull request comment (docs/review.md), bounded to the size of
a GitHub comment.`,
		Example: `  benito show demo.plan
  benito show -json demo.plan
  benito show -markdown demo.plan > plan.md
  benito show examples/demo`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkMarkdownFlags(jsonOut, markdown); err != nil {
				return err
			}
			if len(args) == 1 {
				if fi, err := os.Stat(args[0]); err == nil && fi.Mode().IsRegular() {
					p, err := plan.ReadFile(args[0])
					if err != nil {
						return err
					}
					if jsonOut {
						return plan.RenderJSON(c.stdout, p)
					}
					if markdown {
						return plan.RenderMarkdown(c.stdout, p, plan.MarkdownOptions{MaxBytes: plan.CommentLimit})
					}
					return plan.RenderHuman(c.stdout, p, plan.RenderOptions{Color: c.color(c.stdout)})
				}
			}
			if markdown {
				return errors.New("-markdown shows a saved plan, not a state: give the file of benito plan -out FILE")
			}
			w := workdir.OpenState(c.options(dirArg(args), &exp))
			st, err := c.readState(cmd, w)
			if err != nil {
				return err
			}
			if jsonOut {
				data, err := state.Marshal(st)
				if err != nil {
					return err
				}
				_, err = c.stdout.Write(data)
				return err
			}
			if len(st.Resources) == 0 {
				fmt.Fprintln(c.stdout, "The state is empty: nothing of the experiment exists.")
				return nil
			}
			for i, a := range st.SortedAddrs() {
				if i > 0 {
					fmt.Fprintln(c.stdout)
				}
				if err := writeResource(c.stdout, st.Resources[a]); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print a saved plan as Markdown for a pull request comment (docs/review.md)")
	exp.register(cmd.Flags(), true)
	return cmd
}

// readState loads the state under the lock, failing if there is none.
func (c *cli) readState(cmd *cobra.Command, w *workdir.Workdir) (*state.State, error) {
	st, err := w.ReadState(cmd.Context(), "read state")
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, fmt.Errorf("no state at %s: nothing has been applied there yet", w.StatePath())
	}
	c.noteV1Addrs(st, w.StatePath())
	return st, nil
}

// noteV1Addrs tells the user of a command that reads the state without the
// configuration that the state, of format 1, shows instances under their
// old addresses (state.State.V1Addrs).
func (c *cli) noteV1Addrs(st *state.State, path string) {
	if st.V1Addrs {
		fmt.Fprintf(c.stderr, "Note: %s was written by an earlier benito, which addressed instances of count and for_each by their host names "+
			"(vnode.h-0 where benito now writes vnode.h[0]). Which recorded names those are only the configuration can tell, "+
			"so until benito plan or apply reads it they keep their old addresses here; the next benito apply renames them in the file.\n\n", path)
	}
}

// checkMarkdownFlags refuses -json with -markdown: one output format.
func checkMarkdownFlags(json, markdown bool) error {
	if json && markdown {
		return errors.New("-json and -markdown choose two output formats: give one of them")
	}
	return nil
}
