package main

import (
	"bytes"
	"fmt"
	"os"

	benitohcl "github.com/benito-net/benito/hcl"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/pmezard/go-difflib/difflib"
	"github.com/spf13/cobra"
)

func (c *cli) fmtCommand() *cobra.Command {
	var check, diff, list, write bool
	cmd := &cobra.Command{
		Use:   "fmt [DIR | FILE...]",
		Short: "Rewrite configuration files in the canonical style",
		Long: `Fmt rewrites the experiment's .hcl files (those of DIR, default the current
directory, or the FILEs given) in the canonical layout, and lists the files it
changed. A file with syntax errors is reported and left alone.

With -check, nothing is written and the exit status is 3 when a file is not
formatted (use it in CI); with -diff, the changes are shown as a unified diff.`,
		Example: `  benito fmt examples/demo
  benito fmt -check -diff examples/demo`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var files []string
			if len(args) == 0 {
				args = []string{"."}
			}
			for _, a := range args {
				fi, err := os.Stat(a)
				if err != nil {
					return err
				}
				if !fi.IsDir() {
					files = append(files, a)
					continue
				}
				fs, err := benitohcl.ConfigFiles(a)
				if err != nil {
					return err
				}
				files = append(files, fs...)
			}
			if check {
				write = false
			}
			unformatted := 0
			var diags hcl.Diagnostics
			parsed := map[string]*hcl.File{}
			for _, name := range files {
				src, err := os.ReadFile(name)
				if err != nil {
					return err
				}
				f, d := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
				parsed[name] = f
				if d.HasErrors() {
					diags = append(diags, d...)
					continue
				}
				out := hclwrite.Format(src)
				if bytes.Equal(src, out) {
					continue
				}
				unformatted++
				if list {
					fmt.Fprintln(c.stdout, name)
				}
				if diff {
					ud, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
						A: difflib.SplitLines(string(src)), B: difflib.SplitLines(string(out)),
						FromFile: "old/" + name, ToFile: "new/" + name, Context: 3,
					})
					fmt.Fprint(c.stdout, ud)
				}
				if write {
					fi, err := os.Stat(name)
					if err != nil {
						return err
					}
					if err := os.WriteFile(name, out, fi.Mode().Perm()); err != nil {
						return err
					}
				}
			}
			if err := c.printDiags(diags, parsed); err != nil {
				return err
			}
			if check && unformatted > 0 {
				return &exitError{code: 3}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "write nothing; exit 3 if any file is not formatted")
	cmd.Flags().BoolVar(&diff, "diff", false, "show the changes as a unified diff")
	cmd.Flags().BoolVar(&list, "list", true, "list the files that are (or would be) changed")
	cmd.Flags().BoolVar(&write, "write", true, "rewrite the files")
	return cmd
}
