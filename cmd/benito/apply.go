package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/engine"
	"github.com/benito-net/benito/plan"
	"github.com/benito-net/benito/workdir"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"
)

type applyFlags struct {
	planFlags
	autoApprove bool
	parallelism int
	sweep       bool // destroy -sweep
}

func (c *cli) applyCommand() *cobra.Command {
	var f applyFlags
	cmd := &cobra.Command{
		Use:   "apply [DIR | PLANFILE]",
		Short: "Create or update the experiment",
		Long: `Apply makes the experiment in DIR (default: the current directory) exist on
this host. It plans first, shows the plan and asks for "yes" (unless
-auto-approve), then creates in dependency order and destroys in reverse, up
to -parallelism changes at a time.

Given a PLANFILE saved by "benito plan -out", apply carries out exactly that
plan, and refuses it if the state or the configuration changed since.

The state is recorded after every resource: an interrupted apply (Ctrl-C,
a crash, SIGKILL) loses nothing, and the next plan shows the work that
remains. Ctrl-C once stops gracefully; twice asks providers to stop now.

Each change prints a line when it starts and ends. On a terminal, a status
line below them shows the changes done of the total, how many failed, the
time elapsed and the change running longest, for example
  [312/1,024 done, 2 failed] 14s elapsed · slowest now: vnode.h[17] creating 9s
and is erased before the summary. Through a pipe or into a file, only the
lines are written.`,
		Example: `  benito apply examples/demo
  benito apply -auto-approve -parallelism 4 examples/demo
  benito apply -replace 'vnode.host["b"]' examples/demo
  benito plan -out demo.plan examples/demo && benito apply demo.plan`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if fi, err := os.Stat(args[0]); err == nil && fi.Mode().IsRegular() {
					return c.applyPlanFile(args[0], &f)
				}
			}
			return c.applyDir(dirArg(args), &f, false)
		},
	}
	f.register(cmd)
	// Apply renders the plan for a person, who is asked to confirm it.
	for _, hidden := range []string{"out", "detailed-exitcode", "json"} {
		cmd.Flags().Lookup(hidden).Hidden = true
	}
	cmd.Flags().BoolVar(&f.autoApprove, "auto-approve", false, "apply without asking for confirmation")
	cmd.Flags().IntVar(&f.parallelism, "parallelism", engine.DefaultParallelism, "how many changes to make at once")
	return cmd
}

// applyDir plans and applies (or destroys) the experiment in dir.
func (c *cli) applyDir(dir string, f *applyFlags, destroy bool) error {
	destroy = destroy || f.destroy
	opts, err := f.options(destroy)
	if err != nil {
		return err
	}
	op := workdir.Operation{
		Name:        "apply",
		Plan:        opts,
		Apply:       true,
		AutoApprove: f.autoApprove,
	}
	if destroy {
		op.Name = "destroy"
		op.FindUnknown, op.Sweep = true, f.sweep
	}
	return c.runApply(c.options(dir, &f.exp), op, f.parallelism)
}

// applyPlanFile applies a saved plan.
func (c *cli) applyPlanFile(path string, f *applyFlags) error {
	if len(f.targets) > 0 || len(f.replace) > 0 {
		return fmt.Errorf("-target and -replace shape a plan, and %s is made already: give them to benito plan -out", path)
	}
	p, err := plan.ReadFile(path)
	if err != nil {
		return err
	}
	opts := c.options(p.Dir, &f.exp)
	opts.Vars, opts.VarFiles, opts.Environ = p.Vars, p.VarFiles, p.VarEnv
	return c.runApply(opts, workdir.Operation{Name: "apply", Saved: p, SavedPath: path, Apply: true}, f.parallelism)
}

// run opens the experiment of opts, its providers starting meanwhile, and
// runs op on it, showing a plan made with planned. Ctrl-C once stops
// gracefully; twice stops the providers too.
//
// prog, if not nil, is the apply's progress: its status line is erased
// before diagnostics are shown.
func (c *cli) run(opts workdir.Options, op workdir.Operation, planned func(*plan.Plan) error, prog *progress) (*workdir.Outcome, error) {
	opts.Warm = true
	w, err := c.openWith(opts)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	ctx, stop, done := c.interrupts()
	defer done()
	op.ApplyOptions.Stop = stop
	return w.Run(ctx, op, &view{c: c, w: w, planned: planned, progress: prog})
}

// runApply runs op, an apply, on the experiment of opts and reports the
// outcome.
func (c *cli) runApply(opts workdir.Options, op workdir.Operation, parallelism int) error {
	prog := newProgress(c.stdout, c.color(c.stdout))
	if c.terminal(c.stdout) {
		prog = newLiveProgress(c.stdout, c.color(c.stdout), func() int { return terminalWidth(c.stdout) })
	}
	if op.Saved != nil {
		prog.expect(engine.Steps(op.Saved))
	}
	op.ApplyOptions = engine.ApplyOptions{
		Parallelism: parallelism,
		Hooks:       prog,
	}
	out, err := c.run(opts, op, func(p *plan.Plan) error {
		prog.expect(engine.Steps(p))
		return plan.RenderHuman(c.stdout, p, plan.RenderOptions{Color: c.color(c.stdout)})
	}, prog)
	// The status line goes before the summary.
	prog.end()
	var res *engine.Result
	if out != nil {
		res = out.Result
	}
	switch {
	case errors.Is(err, workdir.ErrFailed):
		if res != nil {
			c.reportIncomplete(res)
		}
		return errSilent
	case err != nil:
		return err
	case res == nil && out.Swept > 0:
		fmt.Fprintf(c.stdout, "\nDestroy complete! Swept %d object(s) the state did not know.\n", out.Swept)
		return nil
	case res == nil:
		// Nothing to apply: Terraform's closing words all the same.
		destroy := out != nil && out.Plan != nil && out.Plan.Destroy
		if op.Saved != nil {
			if destroy {
				fmt.Fprintln(c.stdout, "\nNo changes. No objects need to be destroyed.")
			} else {
				fmt.Fprintln(c.stdout, "\nNo changes. Your infrastructure matches the configuration.")
			}
		}
		if destroy {
			fmt.Fprintln(c.stdout, "\nDestroy complete! Resources: 0 destroyed.")
			return nil
		}
		fmt.Fprintln(c.stdout, "\nApply complete! Resources: 0 added, 0 changed, 0 destroyed.")
		if out != nil && out.Plan != nil {
			c.printOutputs(out.Plan)
		}
		return nil
	case len(res.NotStarted) > 0:
		c.reportIncomplete(res)
		return errSilent
	case out.Plan.Destroy:
		fmt.Fprintf(c.stdout, "\nDestroy complete! Resources: %d destroyed.\n", res.Destroyed)
		if out.Swept > 0 {
			fmt.Fprintf(c.stdout, "Swept %d object(s) the state did not know.\n", out.Swept)
		}
		return nil
	}
	fmt.Fprintf(c.stdout, "\nApply complete! Resources: %d added, %d changed, %d destroyed.\n", res.Added, res.Changed, res.Destroyed)
	c.printOutputs(out.Plan)
	return nil
}

// view shows an operation's diagnostics and plan on the terminal, and asks
// for "yes".
type view struct {
	c        *cli
	w        *workdir.Workdir
	planned  func(*plan.Plan) error
	progress *progress // an apply's, or nil
}

var _ workdir.UI = (*view)(nil)

func (v *view) Diagnostics(diags hcl.Diagnostics) {
	if v.progress != nil {
		// Diagnostics come before the apply or after it, not during:
		// once it has begun, its status line is done with.
		v.progress.endIfBegun()
	}
	_ = v.c.printDiags(diags, v.w.Files())
}

func (v *view) Planned(p *plan.Plan) error { return v.planned(p) }

func (v *view) Confirm(p *plan.Plan) (bool, error) {
	q, d := "Do you want to perform these actions?", "benito will perform the actions described above."
	if p.Destroy {
		q, d = "Do you really want to destroy all resources of the experiment?", "benito will destroy everything the experiment made. There is no undo."
	}
	if !v.c.confirm(q, d) {
		return false, nil
	}
	fmt.Fprintln(v.c.stdout)
	return true, nil
}

func (c *cli) reportIncomplete(res *engine.Result) {
	fmt.Fprintf(c.stderr, "\nApply incomplete: %d added, %d changed, %d destroyed; %d failed, %d skipped, %d not started.\n",
		res.Added, res.Changed, res.Destroyed, len(res.Failed), len(res.Skipped)+len(res.Unsent), len(res.NotStarted))
	if len(res.Skipped)+len(res.Unsent) > 0 {
		skipped := make([]addrs.Resource, 0, len(res.Skipped)+len(res.Unsent))
		for a := range res.Skipped {
			skipped = append(skipped, a)
		}
		for a := range res.Unsent {
			skipped = append(skipped, a)
		}
		slices.SortFunc(skipped, addrs.Resource.Compare)
		lines := make([]string, len(skipped))
		for i, a := range skipped {
			switch cause, dep := res.Skipped[a]; {
			case !dep:
				lines[i] = fmt.Sprintf("  %s (provider %q had ended)", a, res.Unsent[a])
			case res.Unsent[cause] != "":
				lines[i] = fmt.Sprintf("  %s (because %s was skipped)", a, cause)
			default:
				lines[i] = fmt.Sprintf("  %s (because %s failed)", a, cause)
			}
		}
		fmt.Fprintf(c.stderr, "Skipped:\n%s\n", strings.Join(lines, "\n"))
	}
	if len(res.NotStarted) > 0 {
		fmt.Fprintf(c.stderr, "Not started, because benito was interrupted: %d changes. Run benito apply again to finish.\n", len(res.NotStarted))
	}
	fmt.Fprintln(c.stderr, "Everything that was done is recorded in the state; benito plan shows what remains.")
}

func (c *cli) printOutputs(p *plan.Plan) {
	first := true
	for _, o := range p.Outputs {
		if o.After.IsNull() {
			continue
		}
		if first {
			fmt.Fprint(c.stdout, "\nOutputs:\n\n")
			first = false
		}
		if o.Sensitive {
			fmt.Fprintf(c.stdout, "%s = %s\n", o.Name, sensitiveText)
			continue
		}
		fmt.Fprintf(c.stdout, "%s = %s\n", o.Name, strings.TrimSpace(string(hclwrite.TokensForValue(o.After).Bytes())))
	}
}
