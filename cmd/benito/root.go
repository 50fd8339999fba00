package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/benito-net/benito/engine"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/discovery"
	"github.com/benito-net/benito/providers/plugin"
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
		c.inspectCommand,
		c.stateCommand,
		c.graphCommand,
		c.execCommand,
		c.consoleCommand,
		c.switchCommand,
		c.importCommand,
		c.exportCommand,
		c.providersCommand,
		c.versionCommand,
		c.completionCommand,
		c.providerCommand,
	} {
		root.AddCommand(mk())
	}
	return root
}

// builtinGroup starts the built-in providers an engine needs together: one
// child process running benito's own binary in provider mode serves them
// all (`benito provider config hostnet process`), which starts in a third
// of the time of one process each (each is a Go runtime to start, a TLS
// handshake, a process to end). Third-party providers get a process each.
// None with BENITO_PROVIDERS_IN_PROCESS=1.
func builtinGroup() []engine.Group {
	if os.Getenv(envInProcess) == "1" {
		return nil
	}
	return []engine.Group{{
		Names: sortedNames(builtinProviders),
		Start: func(need []string) (map[string]providers.Provider, error) {
			exe, err := os.Executable()
			if err != nil {
				return nil, fmt.Errorf("finding benito's own executable, to run its providers: %w", err)
			}
			// The process's name in messages and the log: its providers,
			// "config+hostnet+process".
			label := strings.Join(need, "+")
			return plugin.StartSet(context.Background(), plugin.Config{Name: label, Path: exe, Args: append([]string{"provider"}, need...), FirstParty: true}, need)
		},
	}}
}

// factories start the providers built into benito (builtinProviders) one
// at a time, each as a child process running benito's own binary in
// provider mode, or in this process when BENITO_PROVIDERS_IN_PROCESS=1.
// Plan and apply start them together instead (builtinGroup).
func factories() map[string]providers.Factory {
	out := make(map[string]providers.Factory, len(builtinProviders))
	inProcess := os.Getenv(envInProcess) == "1"
	exe, exeErr := os.Executable()
	for name, mk := range builtinProviders {
		if inProcess {
			out[name] = func() (providers.Provider, error) { return mk(), nil }
			continue
		}
		out[name] = func() (providers.Provider, error) {
			if exeErr != nil {
				return nil, fmt.Errorf("finding benito's own executable, to run provider %q: %w", name, exeErr)
			}
			return plugin.Start(context.Background(), plugin.Config{Name: name, Path: exe, Args: []string{"provider", name}, FirstParty: true})
		}
	}
	return out
}

// expFlags are the flags of commands that load an experiment.
type expFlags struct {
	vars        []string
	varFiles    []string
	statePath   string
	lockTimeout time.Duration
}

func (f *expFlags) register(fs *pflag.FlagSet, withLock bool) {
	// A backquoted word in a usage is the flag's value name in --help.
	fs.StringArrayVar(&f.vars, "var", nil, "set a variable: -var '`NAME=VALUE`' (repeatable)")
	fs.StringArrayVar(&f.varFiles, "var-file", nil, "read variable values from `FILE`, of NAME = VALUE lines (repeatable)")
	fs.StringVar(&f.statePath, "state", "", "read and write the state in `FILE` (default: DIR/"+workdir.StateFileName+")")
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
		Groups:      builtinGroup(),
		LockTimeout: f.lockTimeout,
	}
}

// openWith loads the experiment of opts, printing its diagnostics. Close
// the Workdir when done (with opts.Warm, it releases the providers no
// engine took).
func (c *cli) openWith(opts workdir.Options) (*workdir.Workdir, error) {
	w, _, err := c.openResolved(opts)
	return w, err
}

// openResolved is openWith that also returns the third-party providers it
// resolved (whose factories it added to opts.Factories), for a caller that
// describes them: resolving hashes every provider binary, once is enough.
func (c *cli) openResolved(opts workdir.Options) (*workdir.Workdir, map[string]*discovery.Resolved, error) {
	w, diags := workdir.Open(opts)
	var resolved map[string]*discovery.Resolved
	if !diags.HasErrors() {
		var tdiags hcl.Diagnostics
		resolved, tdiags = c.thirdParty(w, opts.Dir, opts.Factories)
		diags = append(diags, tdiags...)
	}
	if err := c.printDiags(diags, w.Files()); err != nil {
		w.Close()
		return nil, nil, err
	}
	return w, resolved, nil
}

// openGraph loads the experiment in dir and lowers it without state, for
// the commands that look at the configuration alone (validate, graph,
// providers), printing the diagnostics of both steps. It returns the
// third-party providers resolved as openResolved does.
func (c *cli) openGraph(dir string, f *expFlags) (*workdir.Workdir, *lower.Graph, map[string]*discovery.Resolved, error) {
	w, resolved, err := c.openResolved(c.options(dir, f))
	if err != nil {
		return nil, nil, nil, err
	}
	g, diags := w.Graph(nil)
	if err := c.printDiags(diags, w.Files()); err != nil {
		return nil, nil, nil, err
	}
	return w, g, resolved, nil
}

func dirArg(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return "."
}
