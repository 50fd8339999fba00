package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/state"
	"github.com/benito-net/benito/workdir"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

func (c *cli) stateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Inspect and edit the recorded state",
		Long: `The state subcommands list, show and edit what benito has recorded of an
experiment. Editing the state changes only benito's records, never the host:
"state rm" makes benito forget a resource (it is left as it is), "state mv"
moves a record to a new address (after a rename in the configuration).

Every edit takes the state lock and keeps the previous state as
benito.state.backup.`,
		Example: `  benito state list -C examples/demo
  benito state show -C examples/demo 'port.lan0["a.eth0"]'
  benito state mv -C examples/demo vnode.a vnode.client`,
	}
	for _, mk := range []func() *cobra.Command{c.stateListCommand, c.stateShowCommand, c.stateRmCommand, c.stateMvCommand} {
		cmd.AddCommand(mk())
	}
	return cmd
}

// stateFlags are the flags of the state subcommands.
type stateFlags struct {
	exp expFlags
	dir string
}

func (f *stateFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.dir, "dir", "C", ".", "the experiment directory")
	cmd.Flags().StringVar(&f.exp.statePath, "state", "", "path of the state file (default: DIR/"+workdir.StateFileName+")")
	cmd.Flags().DurationVar(&f.exp.lockTimeout, "lock-timeout", 0, "how long to wait for the state lock")
}

// editState runs edit on the state under the lock and writes it back.
func (c *cli) editState(cmd *cobra.Command, f *stateFlags, op string, edit func(*state.State) error) error {
	w := workdir.OpenState(c.options(f.dir, &f.exp))
	if err := w.Lock(cmd.Context(), op); err != nil {
		return err
	}
	defer w.Unlock()
	st, err := w.State.Load()
	if err != nil {
		return err
	}
	if st == nil {
		return fmt.Errorf("no state at %s: nothing has been applied there yet", w.State.Path())
	}
	if err := edit(st); err != nil {
		return err
	}
	return w.State.Write(st)
}

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
// given: "vnode" matches every vnode, "port.lan0" every port of lan0.
func matchesAny(a addrs.Resource, prefixes []string) bool {
	if len(prefixes) == 0 {
		return true
	}
	s := a.String()
	for _, p := range prefixes {
		if s == p || a.Type == p || a.Type+"."+a.Name == p {
			return true
		}
	}
	return false
}

func (c *cli) stateShowCommand() *cobra.Command {
	var f stateFlags
	cmd := &cobra.Command{
		Use:     "show ADDRESS",
		Short:   "Show one resource's recorded attributes",
		Example: `  benito state show -C examples/demo 'vnode.a'`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := addrs.ParseResource(args[0])
			if err != nil {
				return err
			}
			st, err := c.readState(cmd, workdir.OpenState(c.options(f.dir, &f.exp)))
			if err != nil {
				return err
			}
			r := st.Resources[a]
			if r == nil {
				return fmt.Errorf("no resource %s in the state; `benito state list` shows what there is", a)
			}
			return writeResource(c.stdout, r)
		},
	}
	f.register(cmd)
	return cmd
}

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
						return fmt.Errorf("no resource %s in the state; nothing was removed", a)
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
					return fmt.Errorf("no resource %s in the state", from)
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

// writeResource prints a recorded resource as an HCL-like block.
func writeResource(w io.Writer, r *state.Resource) error {
	ty, err := ctyjson.ImpliedType(r.Attributes)
	if err != nil {
		return fmt.Errorf("%s: unreadable attributes: %w", r.Addr, err)
	}
	v, err := ctyjson.Unmarshal(r.Attributes, ty)
	if err != nil {
		return fmt.Errorf("%s: unreadable attributes: %w", r.Addr, err)
	}
	f := hclwrite.NewEmptyFile()
	block := f.Body().AppendNewBlock("resource", []string{r.Addr.Type, r.Addr.Name})
	names := make([]string, 0)
	for name := range ty.AttributeTypes() {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if av := v.GetAttr(name); !av.IsNull() {
			block.Body().SetAttributeValue(name, av)
		}
	}
	header := "# " + r.Addr.String()
	if r.Status != state.Ready {
		header += " (" + string(r.Status) + ")"
	}
	deps := ""
	if len(r.Dependencies) > 0 {
		list := make([]string, len(r.Dependencies))
		for i, d := range r.Dependencies {
			list[i] = d.String()
		}
		b, _ := json.Marshal(list)
		deps = "# depends on: " + string(b) + "\n"
	}
	_, err = fmt.Fprintf(w, "%s:\n# provider: %s\n%s%s", header, r.Provider, deps, hclwrite.Format(f.Bytes()))
	return err
}
