package main

import (
	"bufio"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
)

func (c *cli) graphCommand() *cobra.Command {
	var f expFlags
	cmd := &cobra.Command{
		Use:   "graph [DIR]",
		Short: "Print the resource graph in DOT",
		Long: `Graph prints the experiment's resource graph (every switch, port, tap,
bridge, vnode, route, mount and config file, with an edge from each resource
to what it depends on) in Graphviz's DOT language. The output is sorted and
deterministic.`,
		Example: `  benito graph examples/demo | dot -Tsvg > demo.svg`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, g, _, err := c.openGraph(dirArg(args), &f)
			if err != nil {
				return err
			}
			out := bufio.NewWriter(c.stdout)
			fmt.Fprintf(out, "digraph %s {\n\trankdir = \"RL\";\n\tnode [shape = rect, fontname = \"sans-serif\"];\n", strconv.Quote(g.Experiment))
			for _, r := range g.Resources {
				fmt.Fprintf(out, "\t%s;\n", strconv.Quote(r.Addr.String()))
			}
			for _, r := range g.Resources {
				for _, d := range r.DependsOn {
					fmt.Fprintf(out, "\t%s -> %s;\n", strconv.Quote(r.Addr.String()), strconv.Quote(d.String()))
				}
			}
			fmt.Fprintln(out, "}")
			return out.Flush()
		},
	}
	f.register(cmd.Flags(), false)
	return cmd
}
