package main

import (
	"fmt"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/state"
	"github.com/benito-net/benito/workdir"
	"github.com/spf13/cobra"
)

func (c *cli) stateListCommand() *cobra.Command {
	var f stateFlags
	cmd := &cobra.Command{
		Use:     "list [ADDRESS_PREFIX...]",
		Short:   "List the resources in the state",
		Example: "  benito state list -C examples/demo\n  benito state list -C examples/demo vnode port.lan0",
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := c.readState(cmd, workdir.OpenState(c.options(f.dir, &f.exp)))
			if err != nil {
				return err
			}
			for _, a := range st.SortedAddrs() {
				if matchesAny(a, args) {
					status := ""
					if s := st.Resources[a].Status; s != state.Ready {
						status = " (" + string(s) + ")"
					}
					fmt.Fprintf(c.stdout, "%s%s\n", a, status)
				}
			}
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

// matchesAny reports whether a is one of, or belongs to, the prefixes
// given: "vnode" matches every vnode, "port.lan0" every port of lan0,
// "route.h" every route of every instance of h, "route.h[0]" those of h[0].
func matchesAny(a addrs.Resource, prefixes []string) bool {
	if len(prefixes) == 0 {
		return true
	}
	s := a.String()
	first := addrs.Resource{Type: a.Type, Name: a.Name, Key: a.Key}.String()
	for _, p := range prefixes {
		if s == p || a.Type == p || a.Type+"."+a.Name == p || a.Sub != nil && first == p {
			return true
		}
	}
	return false
}
