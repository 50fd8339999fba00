package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (c *cli) validateCommand() *cobra.Command {
	var f expFlags
	cmd := &cobra.Command{
		Use:   "validate [DIR]",
		Short: "Check the experiment's configuration",
		Long: `Validate loads the experiment in DIR (default: the current directory),
evaluates it, lowers it to the resource graph and has every provider check its
resources. It reads no state and changes nothing on the host.

Errors name the file, line and column, and show the source line.`,
		Example: `  benito validate examples/demo
  benito validate -var 'nodes=3' examples/demo`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w, g, _, err := c.openGraph(dirArg(args), &f)
			if err != nil {
				return err
			}
			g, diags := w.Served(g)
			if err := c.printDiags(diags, w.Files()); err != nil {
				return err
			}
			e, diags := w.Engine(cmd.Context(), g, nil, nil)
			if err := c.printDiags(diags, w.Files()); err != nil {
				return err
			}
			defer e.Close()
			if err := c.printDiags(e.Validate(cmd.Context(), g), w.Files()); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "Success! The configuration is valid: %d resources.\n", len(g.Resources))
			return nil
		},
	}
	f.register(cmd.Flags(), false)
	return cmd
}
