package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (c *cli) completionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Completion prints a script that makes your shell complete benito's commands
and flags. Load it in your shell's startup file.`,
		Example: `  source <(benito completion bash)            # bash, this session
  benito completion zsh > "${fpath[1]}/_benito"  # zsh
  benito completion fish > ~/.config/fish/completions/benito.fish`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(c.stdout, true)
			case "zsh":
				return root.GenZshCompletion(c.stdout)
			case "fish":
				return root.GenFishCompletion(c.stdout, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(c.stdout)
			}
			return fmt.Errorf("unknown shell %q: choose bash, zsh, fish or powershell", args[0])
		},
	}
}
