package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/benito-net/benito/engine"
	"github.com/benito-net/benito/plan"
	"github.com/benito-net/benito/state"
	"github.com/benito-net/benito/workdir"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"
)

type applyFlags struct {
	planFlags
	autoApprove bool
	parallelism int
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
remains. Ctrl-C once stops gracefully; twice asks providers to stop now.`,
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
			return c.applyDir(dirArg(args), &f, f.destroy)
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
	opts, err := f.options(destroy)
	if err != nil {
		return err
	}
	w, release, err := c.openWarm(c.options(dir, &f.exp))
	if err != nil {
		return err
	}
	defer release()
	var running atomic.Pointer[engine.Engine]
	ctx, stop, done := c.applyInterrupts(&running)
	defer done()
	op := "apply"
	if destroy {
		op = "destroy"
	}
	if err := w.Lock(ctx, op); err != nil {
		return err
	}
	defer w.Unlock()
	st, err := w.LoadState()
	if err != nil {
		return err
	}
	v1Addrs := st.V1Addrs
	p, e, diags := w.Plan(ctx, st, opts)
	if err := c.printDiags(diags, w.Files()); err != nil {
		return err
	}
	defer e.Close()
	running.Store(e)
	if err := plan.RenderHuman(c.stdout, p, plan.RenderOptions{Color: c.color(c.stdout)}); err != nil {
		return err
	}
	if !p.HasChanges() {
		if v1Addrs && !st.V1Addrs {
			// Planning renamed the addresses of a format-1 state; keep
			// that even with nothing else to do.
			return w.State.Write(st)
		}
		return nil
	}
	select {
	case <-stop:
		return &exitError{code: 1, err: fmt.Errorf("interrupted before anything was changed")}
	default:
	}
	if !f.autoApprove {
		q, d := "Do you want to perform these actions?", "benito will perform the actions described above."
		if destroy {
			q, d = "Do you really want to destroy all resources of the experiment?", "benito will destroy everything the experiment made. There is no undo."
		}
		if !c.confirm(q, d) {
			return &exitError{code: 1, err: fmt.Errorf("%s cancelled", op)}
		}
		fmt.Fprintln(c.stdout)
	}
	return c.carryOut(ctx, stop, w, e, p, st, f.parallelism, destroy)
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
	if f.exp.statePath != "" {
		opts.StatePath = f.exp.statePath
	}
	w, release, err := c.openWarm(opts)
	if err != nil {
		return err
	}
	defer release()
	var running atomic.Pointer[engine.Engine]
	ctx, stop, done := c.applyInterrupts(&running)
	defer done()
	if err := w.Lock(ctx, "apply"); err != nil {
		return err
	}
	defer w.Unlock()
	st, err := w.LoadState()
	if err != nil {
		return err
	}
	if err := w.CheckPlan(p, st); err != nil {
		return fmt.Errorf("cannot apply %s: %w", path, err)
	}
	e, diags := w.Engine(ctx, nil, st, p)
	if err := c.printDiags(diags, w.Files()); err != nil {
		return err
	}
	defer e.Close()
	running.Store(e)
	if !p.HasChanges() {
		fmt.Fprintln(c.stdout, "\nNo changes. The experiment matches the configuration.")
		return nil
	}
	return c.carryOut(ctx, stop, w, e, p, st, f.parallelism, p.Destroy)
}

// applyInterrupts wires Ctrl-C for an apply: the first stops the walk
// gracefully, the second also tells the providers of the running engine
// (once there is one) to stop now.
func (c *cli) applyInterrupts(running *atomic.Pointer[engine.Engine]) (context.Context, <-chan struct{}, func()) {
	return c.interrupts(nil, func() {
		if e := running.Load(); e != nil {
			e.Stop(context.Background())
		}
	})
}

// carryOut applies p and reports the outcome.
func (c *cli) carryOut(ctx context.Context, stop <-chan struct{}, w *workdir.Workdir, e *engine.Engine, p *plan.Plan, st *state.State, parallelism int, destroy bool) error {
	res, diags := w.Apply(ctx, e, p, st, engine.ApplyOptions{
		Parallelism: parallelism,
		Stop:        stop,
		Hooks:       newProgress(c.stdout, c.color(c.stdout)),
	})
	printErr := c.printDiags(diags, w.Files())
	if res == nil {
		return errSilent
	}
	if printErr != nil || len(res.NotStarted) > 0 {
		c.reportIncomplete(res)
		return errSilent
	}
	if destroy {
		fmt.Fprintf(c.stdout, "\nDestroy complete! Resources: %d destroyed.\n", res.Destroyed)
		return nil
	}
	fmt.Fprintf(c.stdout, "\nApply complete! Resources: %d added, %d changed, %d destroyed.\n", res.Added, res.Changed, res.Destroyed)
	c.printOutputs(p)
	return nil
}

func (c *cli) reportIncomplete(res *engine.Result) {
	fmt.Fprintf(c.stderr, "\nApply incomplete: %d added, %d changed, %d destroyed; %d failed, %d skipped, %d not started.\n",
		res.Added, res.Changed, res.Destroyed, len(res.Failed), len(res.Skipped), len(res.NotStarted))
	if len(res.Skipped) > 0 {
		lines := make([]string, 0, len(res.Skipped))
		for a, cause := range res.Skipped {
			lines = append(lines, fmt.Sprintf("  %s (because %s failed)", a, cause))
		}
		sort.Strings(lines)
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
		fmt.Fprintf(c.stdout, "%s = %s\n", o.Name, strings.TrimSpace(string(hclwrite.TokensForValue(o.After).Bytes())))
	}
}
