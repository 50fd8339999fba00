package main

import (
	"errors"
	"fmt"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/plan"
	"github.com/benito-net/benito/workdir"
	"github.com/spf13/cobra"
)

type planFlags struct {
	exp              expFlags
	out              string
	json             bool
	destroy          bool
	detailedExitcode bool
	targets          []string
	replace          []string
	refresh          bool
}

func (f *planFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	f.exp.register(fs, true)
	// A backquoted word in a usage is the flag's value name in --help.
	fs.StringVar(&f.out, "out", "", "save the plan to `FILE`, for benito apply FILE")
	fs.BoolVar(&f.json, "json", false, "print the plan as JSON (format: docs/json-plan.md)")
	fs.BoolVar(&f.destroy, "destroy", false, "plan to destroy everything in the state")
	fs.BoolVar(&f.detailedExitcode, "detailed-exitcode", false, "exit 0 when there are no changes, 1 on error, 2 when there are changes")
	fs.StringArrayVar(&f.targets, "target", nil, "plan only the resource at `ADDRESS`, such as vnode.h[0], and what it depends on (repeatable)")
	fs.StringArrayVar(&f.replace, "replace", nil, "replace the resource at `ADDRESS` even though nothing forces it, with what lives inside it (repeatable)")
	fs.BoolVar(&f.refresh, "refresh", true, "read every resource back from its provider first")
}

// options parses -target and -replace into the options of a plan.
func (f *planFlags) options(destroy bool) (workdir.PlanOptions, error) {
	opts := workdir.PlanOptions{Destroy: destroy, SkipRefresh: !f.refresh}
	var err error
	if opts.Targets, err = parseAddrs("-target", f.targets); err != nil {
		return opts, err
	}
	opts.Replace, err = parseAddrs("-replace", f.replace)
	return opts, err
}

func parseAddrs(flag string, list []string) ([]addrs.Resource, error) {
	var out []addrs.Resource
	for _, s := range list {
		a, err := addrs.ParseResource(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func (c *cli) planCommand() *cobra.Command {
	var (
		f        planFlags
		markdown bool
	)
	cmd := &cobra.Command{
		Use:   "plan [DIR]",
		Short: "Show what apply would change",
		Long: `Plan reads the experiment in DIR (default: the current directory), reads back
every resource in its state from the host, and shows what apply would create,
change and destroy. It changes nothing. It warns, naming them, about objects
the host holds of the experiment that the state does not know (left by an
apply killed before it recorded them, or by a deleted state file): benito
destroy -sweep removes them.

The output is deterministic: the same configuration and state give
byte-identical plans, so plans can be reviewed and diffed.`,
		Example: `  benito plan examples/demo
  benito plan -out demo.plan examples/demo && benito apply demo.plan
  benito plan -json examples/demo | jq '.resource_changes[].address'
  benito plan -markdown -out demo.plan examples/demo > plan.md   # for a pull request
  benito plan -replace 'vnode.host["b"]' examples/demo
  benito plan -detailed-exitcode examples/demo; echo $?   # 0 none, 2 changes`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkMarkdownFlags(f.json, markdown); err != nil {
				return err
			}
			opts, err := f.options(f.destroy)
			if err != nil {
				return err
			}
			op := workdir.Operation{Name: "plan", Plan: opts, FindUnknown: true}
			out, err := c.run(c.options(dirArg(args), &f.exp), op, func(p *plan.Plan) error {
				if f.json {
					return plan.RenderJSON(c.stdout, p)
				}
				if markdown {
					return plan.RenderMarkdown(c.stdout, p, plan.MarkdownOptions{MaxBytes: plan.CommentLimit})
				}
				return plan.RenderHuman(c.stdout, p, plan.RenderOptions{Color: c.color(c.stdout)})
			}, nil)
			if errors.Is(err, workdir.ErrFailed) {
				return errSilent
			}
			if err != nil {
				return err
			}
			p := out.Plan
			if f.out != "" {
				if err := plan.WriteFile(f.out, p); err != nil {
					return fmt.Errorf("saving the plan: %w", err)
				}
				if !f.json && !markdown {
					fmt.Fprintf(c.stdout, "\nSaved the plan to: %s\n\nTo carry out exactly these actions, run:\n    benito apply %s\n", f.out, f.out)
				}
			}
			if f.detailedExitcode && p.HasChanges() {
				return &exitError{code: 2}
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print the plan as Markdown for a pull request comment (docs/review.md)")
	return cmd
}
