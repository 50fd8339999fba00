package main

import (
	"fmt"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/state"
	"github.com/spf13/cobra"
)

func (c *cli) stateRmCommand() *cobra.Command {
	var f stateFlags
	cmd := &cobra.Command{
		Use:   "rm ADDRESS...",
		Short: "Forget resources (leaving them on the host)",
		Long: `rm removes resources from the state. benito forgets them; they are not
destroyed. Use it for a resource removed by hand that a refresh cannot read.`,
		Example: `  benito state rm -C examples/demo 'tap.t0'`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var targets []addrs.Resource
			for _, s := range args {
				a, err := addrs.ParseResource(s)
				if err != nil {
					return err
				}
				targets = append(targets, a)
			}
			err := c.editState(cmd, &f, "state rm", func(st *state.State) error {
				for _, a := range targets {
					if st.Resources[a] == nil {
						return fmt.Errorf("no resource %s in the state%s; nothing was removed", a, nearest(st, a))
					}
				}
				for _, a := range targets {
					delete(st.Resources, a)
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, a := range targets {
				fmt.Fprintf(c.stdout, "Removed %s\n", a)
			}
			fmt.Fprintf(c.stdout, "Successfully removed %d resource(s) from the state.\n", len(targets))
			return nil
		},
	}
	f.register(cmd)
	return cmd
}
