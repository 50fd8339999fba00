package main

import (
	"time"

	"github.com/benito-net/benito/engine"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/configdir"
	"github.com/benito-net/benito/workdir"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func (c *cli) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "benito",
		Short: "Build network experiments as code",
		Long: `benito builds virtual network experiments from a declarative description.

Describe nodes, switches, links, addresses and routes in HCL; benito plan shows
exactly what would change on this host, benito apply makes it so, and
benito destroy takes it all down.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.PersistentFlags().BoolVar(&c.noColor, "no-color", false, "do not use colour in the output (also: NO_COLOR=1)")
	for _, mk := range []func() *cobra.Command{
		c.initCommand,
		c.validateCommand,
		c.fmtCommand,
		c.planCommand,
		c.applyCommand,
		c.destroyCommand,
		c.showCommand,
		c.stateCommand,
		c.graphCommand,
		c.versionCommand,
		c.completionCommand,
	} {
		root.AddCommand(mk())
	}
	return root
}

// factories are the providers built into benito.
func factories() map[string]engine.Factory {
	return map[string]engine.Factory{
		configdir.Name: func() (providers.Provider, error) { return configdir.New(), nil },
	}
}

// expFlags are the flags of commands that load an experiment.
type expFlags struct {
	vars        []string
	varFiles    []string
	statePath   string
	lockTimeout time.Duration
}

func (f *expFlags) register(fs *pflag.FlagSet, withLock bool) {
	fs.StringArrayVar(&f.vars, "var", nil, "set a variable: -var 'NAME=VALUE' (repeatable)")
	fs.StringArrayVar(&f.varFiles, "var-file", nil, "read variable values from a file of NAME = VALUE lines (repeatable)")
	fs.StringVar(&f.statePath, "state", "", "path of the state file (default: DIR/"+workdir.StateFileName+")")
	if withLock {
		fs.DurationVar(&f.lockTimeout, "lock-timeout", 0, "how long to wait for the state lock (default: fail at once)")
	}
}

func (c *cli) options(dir string, f *expFlags) workdir.Options {
	return workdir.Options{
		Dir:         dir,
		StatePath:   f.statePath,
		Vars:        f.vars,
		VarFiles:    f.varFiles,
		Environ:     c.env,
		Factories:   factories(),
		LockTimeout: f.lockTimeout,
	}
}

// open loads the experiment in dir, printing its diagnostics.
func (c *cli) open(dir string, f *expFlags) (*workdir.Workdir, error) {
	w, diags := workdir.Open(c.options(dir, f))
	if err := c.printDiags(diags, w.Files()); err != nil {
		return nil, err
	}
	return w, nil
}

// openGraph loads the experiment in dir and lowers it without state, for
// the commands that look at the configuration alone (init, validate,
// graph), printing the diagnostics of both steps.
func (c *cli) openGraph(dir string, f *expFlags) (*workdir.Workdir, *lower.Graph, error) {
	w, err := c.open(dir, f)
	if err != nil {
		return nil, nil, err
	}
	g, diags := w.Graph(nil)
	if err := c.printDiags(diags, w.Files()); err != nil {
		return nil, nil, err
	}
	return w, g, nil
}

func dirArg(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return "."
}
