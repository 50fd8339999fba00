package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/discovery"
	"github.com/benito-net/benito/workdir"
)

// thirdParty checks the experiment's third-party providers against the
// lock file and adds a factory for each to fs, the factories w was opened
// with. Built-in providers win over a third party of the same name. It
// returns the providers it resolved. A destroy takes a changed binary,
// with a warning.
func (c *cli) thirdParty(w *workdir.Workdir, dir string, fs map[string]providers.Factory) (map[string]*discovery.Resolved, hcl.Diagnostics) {
	if w == nil || w.Config == nil || w.Config.Experiment == nil {
		return nil, nil
	}
	builtin := builtins()
	resolved, diags := discovery.Resolve(w.Config.Experiment, dir, c.env, func(n string) bool { return builtin[n] }, discovery.ResolveOptions{Destroy: c.destroying})
	for name, f := range discovery.Factories(resolved) {
		if !builtin[name] {
			fs[name] = f
		}
	}
	return resolved, diags
}

// builtins is the set of built-in provider names.
func builtins() map[string]bool {
	out := map[string]bool{}
	for n := range factories() {
		out[n] = true
	}
	return out
}

// providerRow is one provider in use, for benito providers.
type providerRow struct {
	Name          string
	Source        string
	Version       string
	Path          string
	BuiltIn       bool
	ResourceTypes []string
	Schema        providers.Schema
}

// providersInUse starts every provider the experiment in dir uses (the
// lowered graph's and the required ones) just long enough to read its
// name, version and schema.
func (c *cli) providersInUse(ctx context.Context, dir string, f *expFlags, allBuiltins bool) ([]*providerRow, error) {
	// openGraph resolved the third-party providers already (and
	// reported their problems): their binaries are not hashed again.
	w, g, resolved, err := c.openGraph(dir, f)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, r := range g.Resources {
		names[r.Provider] = true
	}
	exp := w.Config.Experiment
	for _, rp := range exp.RequiredProviders {
		names[rp.Name] = true
	}
	builtin := builtins()
	if allBuiltins {
		for n := range builtin {
			names[n] = true
		}
	}
	fs := factories()
	for n, fac := range discovery.Factories(resolved) {
		if !builtin[n] {
			fs[n] = fac
		}
	}
	var rows []*providerRow
	var diags hcl.Diagnostics
	for _, name := range sortedNames(names) {
		row := &providerRow{Name: name, BuiltIn: builtin[name], Source: "built in", Path: "built in"}
		if r := resolved[name]; r != nil && !row.BuiltIn {
			row.Source, row.Version, row.Path = r.Source, r.Version, r.Path
		}
		fac := fs[name]
		if fac == nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Provider %q is not available", name),
				Detail: "The experiment uses it, but it is neither built in nor locked: run `benito init`."})
			continue
		}
		p, err := fac()
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Failed to start provider %q", name), Detail: err.Error()})
			continue
		}
		resp := p.GetSchema(ctx)
		_ = p.Close()
		if err := resp.Diagnostics.Err(); err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Provider %q has no schema", name), Detail: err.Error()})
			continue
		}
		row.Version = resp.Info.Version
		if row.Version == "" && row.BuiltIn {
			row.Version = version // built in: benito's own version
		}
		row.Schema = resp.Schema
		row.ResourceTypes = resp.Schema.TypeNames()
		rows = append(rows, row)
	}
	if err := c.printDiags(diags, w.Files()); err != nil {
		return nil, err
	}
	return rows, nil
}

func (c *cli) providersCommand() *cobra.Command {
	var f expFlags
	cmd := &cobra.Command{
		Use:   "providers [DIR]",
		Short: "List the providers the experiment uses",
		Long: `Providers lists the providers the experiment in DIR (default: the current
directory) uses: the built-in ones its resources need and the third-party
ones it requires, with each one's source, version, binary and the resource
types it serves.`,
		Example: `  benito providers examples/provider-hello/experiment
  benito providers schema -json examples/provider-hello/experiment`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rows, err := c.providersInUse(cmd.Context(), dirArg(args), &f, false)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PROVIDER\tSOURCE\tVERSION\tBINARY\tRESOURCE TYPES")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Source, r.Version, r.Path, strings.Join(r.ResourceTypes, ", "))
			}
			return tw.Flush()
		},
	}
	f.register(cmd.Flags(), false)
	cmd.AddCommand(c.providersSchemaCommand())
	return cmd
}

// schemaJSON is the format of benito providers schema -json; see
// docs/providers.md.
type schemaJSON struct {
	FormatVersion string                        `json:"format_version"`
	Providers     map[string]providerSchemaJSON `json:"providers"`
}

type providerSchemaJSON struct {
	Version       string                      `json:"version"`
	Source        string                      `json:"source"`
	BuiltIn       bool                        `json:"built_in"`
	ResourceTypes map[string]resourceTypeJSON `json:"resource_types"`
}

type resourceTypeJSON struct {
	Version     int64                    `json:"version"`
	Description string                   `json:"description,omitempty"`
	Exec        bool                     `json:"exec,omitempty"`
	Attributes  map[string]attributeJSON `json:"attributes"`
}

type attributeJSON struct {
	Type        json.RawMessage `json:"type"`
	Description string          `json:"description,omitempty"`
	Required    bool            `json:"required,omitempty"`
	Optional    bool            `json:"optional,omitempty"`
	Computed    bool            `json:"computed,omitempty"`
	ForceNew    bool            `json:"force_new,omitempty"`
	RunTime     bool            `json:"run_time,omitempty"`
	Generated   bool            `json:"generated,omitempty"`
}

func (c *cli) providersSchemaCommand() *cobra.Command {
	var f expFlags
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "schema -json [DIR]",
		Short: "Print the schemas of every provider",
		Long: `Schema prints, as JSON, the schema of every built-in provider and of each
third-party provider the experiment in DIR requires: per provider its
version, source and resource types, per resource type its attributes with
their types and flags. The output is sorted and byte-identical from run to
run; docs/providers.md describes the format.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !jsonOut {
				return fmt.Errorf("benito providers schema prints JSON only: add -json")
			}
			rows, err := c.providersInUse(cmd.Context(), dirArg(args), &f, true)
			if err != nil {
				return err
			}
			out := schemaJSON{FormatVersion: "1", Providers: map[string]providerSchemaJSON{}}
			for _, r := range rows {
				p := providerSchemaJSON{Version: r.Version, Source: r.Source, BuiltIn: r.BuiltIn, ResourceTypes: map[string]resourceTypeJSON{}}
				if r.BuiltIn {
					p.Source = ""
				}
				for typ, rs := range r.Schema.ResourceTypes {
					rt := resourceTypeJSON{Version: rs.Version, Description: rs.Description, Exec: rs.Exec, Attributes: map[string]attributeJSON{}}
					for name, a := range rs.Attributes {
						ty, err := ctyjson.MarshalType(a.Type)
						if err != nil {
							return fmt.Errorf("%s: %s.%s: %w", r.Name, typ, name, err)
						}
						rt.Attributes[name] = attributeJSON{Type: ty, Description: a.Description, Required: a.Required,
							Optional: a.Optional, Computed: a.Computed, ForceNew: a.ForceNew,
							RunTime: a.RunTime, Generated: a.Generated}
					}
					p.ResourceTypes[typ] = rt
				}
				out.Providers[r.Name] = p
			}
			b, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s\n", b)
			return nil
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print JSON (required)")
	f.register(cmd.Flags(), false)
	return cmd
}
