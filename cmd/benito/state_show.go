package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/state"
	"github.com/benito-net/benito/workdir"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

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
				return fmt.Errorf("no resource %s in the state%s; `benito state list` shows what there is", a, nearest(st, a))
			}
			return writeResource(c.stdout, r)
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
		av := v.GetAttr(name)
		switch {
		case av.IsNull():
		case slices.Contains(r.Sensitive, name):
			// Terraform's form; the value is in the state file (0600).
			block.Body().SetAttributeRaw(name, hclwrite.Tokens{{Type: hclsyntax.TokenIdent, Bytes: []byte(sensitiveText)}})
		default:
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

// sensitiveText stands for a value derived from a sensitive variable.
const sensitiveText = "(sensitive value)"
