package main

import (
	"fmt"
	"sort"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/state"
	"github.com/spf13/cobra"
)

func (c *cli) stateMvCommand() *cobra.Command {
	var f stateFlags
	cmd := &cobra.Command{
		Use:     "mv SOURCE DESTINATION",
		Short:   "Move a resource's record to another address",
		Example: `  benito state mv -C examples/demo vnode.a vnode.client`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			from, err := addrs.ParseResource(args[0])
			if err != nil {
				return err
			}
			to, err := addrs.ParseResource(args[1])
			if err != nil {
				return err
			}
			if from.Type != to.Type {
				return fmt.Errorf("cannot move %s to %s: a resource keeps its type", from, to)
			}
			err = c.editState(cmd, &f, "state mv", func(st *state.State) error {
				r := st.Resources[from]
				if r == nil {
					return fmt.Errorf("no resource %s in the state%s", from, nearest(st, from))
				}
				if st.Resources[to] != nil {
					return fmt.Errorf("%s already exists in the state", to)
				}
				delete(st.Resources, from)
				r.Addr = to
				st.Resources[to] = r
				for _, o := range st.Resources {
					for i, d := range o.Dependencies {
						if d == from {
							o.Dependencies[i] = to
						}
					}
					sort.Slice(o.Dependencies, func(i, j int) bool { return o.Dependencies[i].Less(o.Dependencies[j]) })
				}
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "Moved %s to %s\n", from, to)
			return nil
		},
	}
	f.register(cmd)
	return cmd
}
