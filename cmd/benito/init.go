package main

import (
	"fmt"
	"strings"

	"github.com/benito-net/benito/providers/discovery"
	"github.com/benito-net/benito/workdir"
	"github.com/spf13/cobra"
)

func (c *cli) initCommand() *cobra.Command {
	var f expFlags
	var upgrade bool
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Prepare an experiment directory",
		Long: `Init checks that the experiment in DIR (default: the current directory) loads,
finds the third-party providers it requires (benito-provider-NAME in
DIR/.benito/plugins, ~/.benito/plugins and $BENITO_PLUGIN_PATH), checks their
versions, and pins each binary's checksum in ` + discovery.LockFileName + `. It then
starts every provider the experiment needs and lists the resource types each
serves. Run it once in a new experiment directory, and again after changing
which node types or providers the experiment uses.

A provider already locked keeps its entry; -upgrade selects every provider
afresh, for example after building a new version.`,
		Example: `  benito init examples/demo
  benito init -upgrade examples/provider-hello/experiment`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := dirArg(args)
			opts := c.options(dir, &f)
			w, diags := workdir.Open(opts)
			if err := c.printDiags(diags, w.Files()); err != nil {
				return err
			}
			exp := w.Config.Experiment
			fmt.Fprintln(c.stdout, "Initializing providers...")
			if len(exp.RequiredProviders) > 0 || discovery.HasLock(dir) {
				sel, diags := discovery.Init(cmd.Context(), exp, discovery.InitOptions{Dir: dir, Environ: c.env, Upgrade: upgrade})
				if err := c.printDiags(diags, w.Files()); err != nil {
					return err
				}
				for _, s := range sel {
					how := "locked"
					if s.Kept {
						how = "already locked"
					}
					fmt.Fprintf(c.stdout, "- %s %s (%s) from %s: %s\n", s.Name, s.Version, s.Source, s.Path, how)
				}
			}
			_, tdiags := c.thirdParty(w, dir, opts.Factories)
			if err := c.printDiags(tdiags, w.Files()); err != nil {
				return err
			}
			g, diags := w.Graph(nil)
			if err := c.printDiags(diags, w.Files()); err != nil {
				return err
			}
			e, diags := w.Engine(cmd.Context(), g, nil, nil)
			if err := c.printDiags(diags, w.Files()); err != nil {
				return err
			}
			defer e.Close()
			builtin := builtins()
			for _, name := range sortedNames(e.Schemas()) {
				where := "built in"
				if !builtin[name] {
					where = "third party"
				}
				fmt.Fprintf(c.stdout, "- %s (%s): %s\n", name, where, strings.Join(e.Schemas()[name].TypeNames(), ", "))
			}
			fmt.Fprintf(c.stdout, "\nbenito has been successfully initialized!\n\nYou may now run \"benito plan %s\" to see what the experiment would create.\n", dir)
			return nil
		},
	}
	f.register(cmd.Flags(), false)
	cmd.Flags().BoolVar(&upgrade, "upgrade", false, "select every third-party provider afresh, ignoring the lock file")
	return cmd
}
