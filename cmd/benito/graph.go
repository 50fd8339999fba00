package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/benito-net/benito/internal/atomicfile"
	"github.com/benito-net/benito/internal/topoview"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/plan"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// The values of graph's -type and -format.
const (
	graphResources = "resources"
	graphTopology  = "topology"
	formatDOT      = "dot"
	formatSVG      = "svg"
	formatHTML     = "html"
)

func (c *cli) graphCommand() *cobra.Command {
	var (
		f        expFlags
		typ      string
		format   string
		out      string
		planFile string
	)
	cmd := &cobra.Command{
		Use:   "graph [DIR]",
		Short: "Print the resource graph in DOT, or draw the experiment's topology",
		Long: `Graph prints the experiment's resource graph (every switch, port, tap,
bridge, vnode, route, mount and config file, with an edge from each resource
to what it depends on) in Graphviz's DOT language. The output is sorted and
deterministic.

With -type=topology it draws the experiment instead: its nodes (name, node
type, the address of each interface), its switches (kind, subnet) and the
links between them, with their shaping (latency, capacity, loss). The picture
is a self-contained HTML page (the default: inline SVG, pan and zoom, nothing
fetched from the network), a standalone SVG (-format=svg), or DOT with the
same layout pinned (-format=dot; neato -n2 draws it). With -plan PLANFILE (a
plan saved by "benito plan -out"), the picture is of what the plan does:
each element is coloured by its planned action (create, update, replace,
destroy, no change), with a legend, and what it destroys is drawn too.
docs/topology.md explains the picture.

-o FILE writes the output to FILE, its format taken from its extension
(.html, .svg, .dot or .gv) unless -format says otherwise. An HTML page or an
SVG is not printed to a terminal: give -o, or redirect the output.`,
		Example: `  benito graph examples/demo | dot -Tsvg > demo.svg
  benito graph -type=topology -o quickstart.html examples/quickstart
  benito graph -type=topology -format=svg examples/quickstart > quickstart.svg
  benito plan -out demo.plan examples/demo && benito graph -type=topology -plan demo.plan -o demo.html`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if typ != graphResources && typ != graphTopology {
				return fmt.Errorf("-type must be %q or %q, not %q", graphResources, graphTopology, typ)
			}
			if format == "" && out != "" {
				switch strings.ToLower(filepath.Ext(out)) {
				case ".html", ".htm":
					format = formatHTML
				case ".svg":
					format = formatSVG
				case ".dot", ".gv":
					format = formatDOT
				default:
					return fmt.Errorf("-o %s: cannot tell the format from the file's extension; give -format=html, svg or dot", out)
				}
			}
			if typ == graphResources {
				if planFile != "" {
					return fmt.Errorf("-plan colours the topology picture: add -type=topology")
				}
				if format != "" && format != formatDOT {
					return fmt.Errorf("the resource graph is written in DOT only (-format=dot); for an HTML or SVG picture, draw the topology: -type=topology")
				}
				format = formatDOT
			}
			if format == "" {
				format = formatHTML
			}
			if format != formatHTML && format != formatSVG && format != formatDOT {
				return fmt.Errorf("-format must be html, svg or dot, not %q", format)
			}
			if planFile != "" && len(args) > 0 {
				return fmt.Errorf("give a directory or -plan PLANFILE, not both: the plan file names its experiment")
			}
			if out == "" && format != formatDOT && c.terminal(c.stdout) {
				return fmt.Errorf("will not print an %s picture to a terminal: write it to a file with -o FILE (such as -o topology.%s), redirect the output, or print DOT with -format=dot", strings.ToUpper(format), format)
			}

			var render func(io.Writer) error
			switch {
			case typ == graphResources:
				_, g, _, err := c.openGraph(dirArg(args), &f)
				if err != nil {
					return err
				}
				render = func(w io.Writer) error { return writeResourceGraph(w, g) }
			default:
				var m *topoview.Model
				if planFile != "" {
					p, err := plan.ReadFile(planFile)
					if err != nil {
						return err
					}
					m = topoview.FromPlan(p)
				} else {
					_, g, _, err := c.openGraph(dirArg(args), &f)
					if err != nil {
						return err
					}
					m = topoview.FromGraph(g)
				}
				l := topoview.Place(m)
				write := map[string]func(io.Writer, *topoview.Model, *topoview.Layout) error{
					formatHTML: topoview.WriteHTML, formatSVG: topoview.WriteSVG, formatDOT: topoview.WriteDOT,
				}[format]
				render = func(w io.Writer) error { return write(w, m, l) }
			}
			if out == "" {
				return render(c.stdout)
			}
			var buf bytes.Buffer
			if err := render(&buf); err != nil {
				return err
			}
			return atomicfile.Write(out, buf.Bytes(), 0o644)
		},
	}
	f.register(cmd.Flags(), false)
	fs := cmd.Flags()
	fs.StringVar(&typ, "type", graphResources, "what to draw: `TYPE` resources (the resource graph, in DOT) or topology (nodes, switches and links)")
	fs.StringVar(&format, "format", "", "the output's `FORMAT`: html (the topology's default), svg or dot (the resource graph's only format)")
	fs.StringVarP(&out, "output", "o", "", "write to `FILE` instead of standard output; its extension (.html, .svg, .dot) gives the format unless -format does")
	fs.StringVar(&planFile, "plan", "", "draw what the plan saved in `PLANFILE` does, each element coloured by its action (with -type=topology)")
	return cmd
}

// terminal reports whether w is a terminal.
func (c *cli) terminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// writeResourceGraph writes g's resources and their dependencies in DOT.
func writeResourceGraph(w io.Writer, g *lower.Graph) error {
	out := bufio.NewWriter(w)
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
}
