package main

import (
	"fmt"
	"strings"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/configdir"
	"github.com/benito-net/benito/providers/hostnet"
	"github.com/benito-net/benito/providers/openvz"
	"github.com/benito-net/benito/providers/plugin"
	"github.com/benito-net/benito/providers/process"
	"github.com/benito-net/benito/providers/qemu"
	"github.com/spf13/cobra"
)

// builtinProviders are the providers compiled into benito, by name. They
// run as a child process: benito starts its own binary as `benito provider
// NAME...`, one process for all it needs to plan and apply (builtinGroup),
// one per provider otherwise (factories).
var builtinProviders = map[string]func() providers.Provider{
	configdir.Name: func() providers.Provider { return configdir.New() },
	hostnet.Name:   func() providers.Provider { return hostnet.New() },
	openvz.Name:    func() providers.Provider { return openvz.New() },
	process.Name:   func() providers.Provider { return process.New() },
	qemu.Name:      func() providers.Provider { return qemu.New() },
}

// envInProcess, set to 1, runs the built-in providers inside benito's own
// process instead: for measuring the plugin's overhead and for debugging a
// provider, not for normal use.
const envInProcess = "BENITO_PROVIDERS_IN_PROCESS"

// providerCommand is the hidden provider mode: it serves built-in
// providers to the benito process that started this one (several from
// one process when named together).
func (c *cli) providerCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "provider NAME...",
		Short:  "Serve built-in providers to benito (started by benito itself)",
		Hidden: true,
		Args:   cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ps := make(map[string]providers.Provider, len(args))
			for _, name := range args {
				mk := builtinProviders[name]
				if mk == nil {
					return fmt.Errorf("benito has no built-in provider %q (it has: %s)", name, strings.Join(sortedNames(builtinProviders), ", "))
				}
				ps[name] = mk()
			}
			// One provider is served alone, as plugin.Serve would.
			plugin.ServeSet(ps)
			return nil
		},
	}
}
