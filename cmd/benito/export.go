package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"

	"github.com/spf13/cobra"
	"github.com/zclconf/go-cty/cty"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/atomicfile"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/state"
	"github.com/benito-net/benito/topdl"
	"github.com/benito-net/benito/workdir"
)

func (c *cli) exportCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export the experiment to DETER's formats",
	}
	cmd.AddCommand(c.exportTopDLCommand())
	return cmd
}

func (c *cli) exportTopDLCommand() *cobra.Command {
	var f expFlags
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "topdl [DIR]",
		Short: "Write the experiment as TopDL 1.0",
		Long: `Export topdl writes the experiment in DIR (default: the current directory)
as TopDL 1.0, which fedd and DETER's tools read, to FILE or standard output.

What benito created is included from the state: each interface's MAC address,
VDE switch socket and port number (benito:mac_address, benito:vde_switch,
benito:vde_port). Before the first apply, the values a plan would give are
written. Importing the result gives the same experiment back.`,
		Example: `  benito export topdl examples/demo -o demo.xml`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Exporting needs no provider: the configuration and the
			// state are enough, whatever platforms are installed.
			w, diags := workdir.Open(c.options(dirArg(args), &f))
			if err := c.printDiags(diags, w.Files()); err != nil {
				return err
			}
			st, err := w.ReadState(cmd.Context(), "export")
			if err != nil {
				return err
			}
			g, diags := w.Graph(st)
			if err := c.printDiags(diags, w.Files()); err != nil {
				return err
			}
			a := assigned(g, st)
			data := topdl.Marshal(topdl.FromExperiment(w.Config.Experiment, a, topdl.FromOptions{Export: true}))
			if out == "" || out == "-" {
				_, err := c.stdout.Write(data)
				return err
			}
			if _, err := os.Stat(out); err == nil && !force {
				return fmt.Errorf("%s exists: remove it, or use -force to overwrite it", out)
			}
			// TopDL carries the nodes' startup commands, os, image and
			// attributes: one that holds a sensitive value makes the file
			// readable by its owner alone, as the config directory's copy.
			mode := os.FileMode(0o644)
			if w.Config.Experiment.Sensitive() {
				mode = 0o600
			}
			return atomicfile.Write(out, data, mode)
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "the file to write (default: standard output)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	f.register(cmd.Flags(), true)
	return cmd
}

// exportIface is what export reads of one entry of a vnode's interfaces.
// (An interface's VDE socket is its switch's, which export takes from the
// switch.)
type exportIface struct {
	Name string   `json:"name"`
	MAC  string   `json:"mac_address"`
	Port *float64 `json:"vde_port"`
}

// assigned gives the MACs, sockets and ports of the experiment: as the
// state records them where the node was created, as lowering plans them
// otherwise.
func assigned(g *lower.Graph, st *state.State) topdl.Assigned {
	type key struct{ node, iface string }
	ifaces := map[key]exportIface{}
	sockets := map[string]string{}
	// Planned values first, then the state's on top.
	for _, r := range g.Resources {
		switch r.Addr.Type {
		case contract.VNode:
			if v := r.Config.GetAttr("interfaces"); v.IsKnown() && !v.IsNull() {
				for it := v.ElementIterator(); it.Next(); {
					_, e := it.Element()
					ifc := exportIface{Name: str(e.GetAttr("name")), MAC: str(e.GetAttr("mac_address"))}
					if p := e.GetAttr("vde_port"); !p.IsNull() && p.IsKnown() {
						f, _ := p.AsBigFloat().Float64()
						ifc.Port = &f
					}
					ifaces[key{r.Addr.Name, ifc.Name}] = ifc
				}
			}
		case contract.Switch:
			if s := r.Config.GetAttr("socket"); !s.IsNull() && s.IsKnown() {
				sockets[r.Addr.Name] = s.AsString()
			}
		}
	}
	if st != nil {
		for addr, r := range st.Resources {
			var attrs struct {
				Interfaces []exportIface `json:"interfaces"`
				Socket     *string       `json:"socket"`
			}
			if addr.Type != contract.VNode && addr.Type != contract.Switch {
				continue
			}
			if json.Unmarshal(r.Attributes, &attrs) != nil {
				continue
			}
			if addr.Type == contract.Switch && attrs.Socket != nil {
				sockets[addr.Name] = *attrs.Socket
			}
			for _, ifc := range attrs.Interfaces {
				k := key{addr.Name, ifc.Name}
				old := ifaces[k]
				if ifc.MAC == "" {
					ifc.MAC = old.MAC
				}
				if ifc.Port == nil {
					ifc.Port = old.Port
				}
				ifaces[k] = ifc
			}
		}
	}
	return topdl.Assigned{
		Socket: func(sw string) string { return sockets[sw] },
		Port: func(sw, node, iface string) int {
			if p := ifaces[key{node, iface}].Port; p != nil {
				return int(*p)
			}
			return 0
		},
		MAC: func(node, iface string) net.HardwareAddr {
			m, err := net.ParseMAC(ifaces[key{node, iface}].MAC)
			if err != nil {
				return nil
			}
			return m
		},
	}
}

func str(v cty.Value) string {
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		return ""
	}
	return v.AsString()
}
