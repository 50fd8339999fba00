package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sort"

	"github.com/spf13/cobra"
)

func (c *cli) versionCommand() *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print benito's version",
		Example: "  benito version\n  benito version -json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			names := sortedNames(factories())
			if jsonOut {
				b, err := json.MarshalIndent(struct {
					Version   string   `json:"benito_version"`
					Go        string   `json:"go_version"`
					Platform  string   `json:"platform"`
					Providers []string `json:"builtin_providers"`
				}{version, runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH, names}, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "%s\n", b)
				return nil
			}
			fmt.Fprintf(c.stdout, "benito v%s\non %s/%s, built with %s\nbuilt-in providers: %v\n", version, runtime.GOOS, runtime.GOARCH, runtime.Version(), names)
			return nil
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	return cmd
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
