package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func (c *cli) initCommand() *cobra.Command {
	var f expFlags
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Prepare an experiment directory",
		Long: `Init checks that the experiment in DIR (default: the current directory) loads,
and that every provider it needs is available, and lists them with the
resource types each serves. Run it once in a new experiment directory, and
again after changing which node types or providers the experiment uses.`,
		Example: `  benito init examples/demo`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w, g, err := c.openGraph(dirArg(args), &f)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.stdout, "Initializing providers...")
			e, diags := w.Engine(cmd.Context(), g, nil, nil)
			if err := c.printDiags(diags, w.Files()); err != nil {
				return err
			}
			defer e.Close()
			for _, name := range sortedNames(e.Schemas()) {
				fmt.Fprintf(c.stdout, "- %s (built in): %s\n", name, strings.Join(e.Schemas()[name].TypeNames(), ", "))
			}
			fmt.Fprintf(c.stdout, "\nbenito has been successfully initialized!\n\nYou may now run \"benito plan %s\" to see what the experiment would create.\n", dirArg(args))
			return nil
		},
	}
	f.register(cmd.Flags(), false)
	return cmd
}
