package workdir

import (
	"context"
	"errors"
	"fmt"

	"github.com/benito-net/benito/engine"
	"github.com/benito-net/benito/plan"
	"github.com/hashicorp/hcl/v2"
)

// Operation says what Run does.
type Operation struct {
	// Name says what the lock's holder is doing, to whoever is locked
	// out, and names the operation in messages: "plan", "apply",
	// "destroy".
	Name string
	// Plan says what to plan. Ignored with Saved.
	Plan PlanOptions
	// Saved is a plan made earlier (benito plan -out) to carry out instead
	// of planning; it is refused if the state or the configuration
	// changed since. Making it was the approval: Confirm is not asked.
	// SavedPath names its file in messages.
	Saved     *plan.Plan
	SavedPath string
	// Apply carries the plan out; without it, Run ends once the plan is
	// made.
	Apply bool
	// AutoApprove applies without asking Confirm.
	AutoApprove bool
	// FindUnknown asks the providers, once the plan is made, what the
	// host holds of the experiment that the state does not know (left by
	// an apply killed before it recorded it, or by a lost state), and
	// warns naming it (engine.Engine.Unknown).
	FindUnknown bool
	// Sweep (with Apply and FindUnknown) removes those objects too, after
	// the question and before the apply (benito destroy -sweep).
	Sweep bool
	// ApplyOptions control the apply. Once ApplyOptions.Stop is closed
	// (the first Ctrl-C), nothing new starts: before the question, Run
	// returns ErrInterrupted.
	ApplyOptions engine.ApplyOptions
}

// UI is what Run needs of whoever runs it: to see what happens, and to
// answer the one question.
type UI interface {
	// Diagnostics shows warnings and errors as they arise.
	Diagnostics(hcl.Diagnostics)
	// Planned shows a plan just made, before anything is asked or
	// changed. It is not called for a saved plan. An error ends Run.
	Planned(*plan.Plan) error
	// Confirm asks whether to carry out p, which has changes: false ends
	// Run with ErrCancelled.
	Confirm(p *plan.Plan) (bool, error)
}

// Outcome is what Run did.
type Outcome struct {
	// Plan is the plan made (or the saved one); nil if planning failed.
	Plan *plan.Plan
	// Result is what the apply did; nil if nothing was applied.
	Result *engine.Result
	// Swept is how many objects the state did not know were removed
	// (Operation.Sweep).
	Swept int
}

var (
	// ErrCancelled: the answer to Confirm was no. Nothing was changed.
	ErrCancelled = errors.New("cancelled")
	// ErrInterrupted: ApplyOptions.Stop was closed before the apply
	// began. Nothing was changed.
	ErrInterrupted = errors.New("interrupted before anything was changed")
	// ErrFailed: the operation failed, and the diagnostics given to
	// UI.Diagnostics say why.
	ErrFailed = errors.New("failed; the diagnostics say why")
)

// Run is the one sequence of benito's operations on the experiment: take
// the state lock, load the state, plan (or check a saved plan), show the
// plan, ask, apply, save the state, release the lock. Everything that can
// be known before anything changes is checked before the question: the
// plan's validity, the providers, and the order of the apply (a
// dependency cycle among the changes).
//
// A second Ctrl-C (ctx cancelled) cancels the providers' calls in flight
// and asks every provider to stop now.
//
// The Outcome is returned with the error too, as far as Run got.
func (w *Workdir) Run(ctx context.Context, op Operation, ui UI) (*Outcome, error) {
	lk, err := w.lock(ctx, op.Name)
	if err != nil {
		return nil, err
	}
	defer lk.Unlock()
	st, err := w.loadState(lk)
	if err != nil {
		return nil, err
	}
	if err := w.checkOwner(); err != nil {
		return nil, err
	}
	if d := w.lostState(st); d != nil {
		ui.Diagnostics(hcl.Diagnostics{d})
	}

	// A state an earlier benito wrote (format 1) is renamed to today's
	// addresses when the configuration is lowered against it (Graph);
	// it is saved so even when there is nothing else to do.
	v1Addrs := st.V1Addrs
	out := &Outcome{}
	var (
		e     *engine.Engine
		diags hcl.Diagnostics
	)
	// What the host holds that the state does not know is looked for
	// while the plan is made (once the providers are ready: the plan only
	// reads st from then on, and so does the looking), not after it.
	var (
		looked       chan struct{}
		unknown      []engine.HostObject
		unknownDiags hcl.Diagnostics
	)
	look := func(e *engine.Engine) {
		if !op.FindUnknown || e == nil {
			return
		}
		looked = make(chan struct{})
		go func() {
			defer close(looked)
			unknown, unknownDiags = e.Unknown(ctx, st, nil)
		}()
	}
	// lookedAt waits for the looking, if it began.
	lookedAt := func() {
		if looked != nil {
			<-looked
		}
	}
	if op.Saved != nil && v1Addrs {
		// The saved plan speaks today's addresses.
		if _, diags := w.Graph(st); diags.HasErrors() {
			ui.Diagnostics(w.Redact(diags))
			return out, ErrFailed
		}
	}
	if op.Saved != nil {
		if err := w.checkPlan(op.Saved, st); err != nil {
			name := op.SavedPath
			if name == "" {
				name = "the saved plan"
			}
			return out, fmt.Errorf("cannot apply %s: %w", name, err)
		}
		out.Plan = op.Saved
		// A plan file is input: it is checked as a plan made now is.
		diags = engine.CheckApplyOrder(op.Saved)
		if !diags.HasErrors() {
			var d hcl.Diagnostics
			e, d = w.Engine(ctx, nil, st, op.Saved)
			diags = append(diags, d...)
			if !d.HasErrors() {
				look(e)
			}
		}
	} else {
		out.Plan, e, diags = w.plan(ctx, st, op.Plan, look)
	}
	if len(diags) > 0 {
		ui.Diagnostics(w.Redact(diags))
	}
	lookedAt()
	if diags.HasErrors() {
		if e != nil {
			e.Close()
		}
		return out, ErrFailed
	}
	if op.FindUnknown {
		d := unknownDiags
		if len(unknown) > 0 {
			d = append(d, engine.UnknownWarning(unknown, op.Sweep && op.Apply))
		}
		for _, x := range d {
			// Looking is advice: it stops nothing.
			x.Severity = hcl.DiagWarning
		}
		if len(d) > 0 {
			ui.Diagnostics(d)
		}
	}
	if !op.Apply {
		// Nothing calls the providers any more: they shut down while the
		// plan is shown.
		closed := make(chan struct{})
		go func() {
			e.Close()
			close(closed)
		}()
		defer func() { <-closed }()
	} else {
		defer e.Close()
	}
	// Deferred last, so undone first: no Stop once Run is closing the
	// providers on its way out.
	defer context.AfterFunc(ctx, func() { e.Stop(context.Background()) })()

	sweep := op.Sweep && op.Apply && len(unknown) > 0
	if op.Saved == nil {
		if err := ui.Planned(out.Plan); err != nil {
			return out, err
		}
	}
	if !op.Apply || (!out.Plan.HasChanges() && !sweep) {
		if op.Apply && v1Addrs && !st.V1Addrs {
			if err := lk.Write(st); err != nil {
				return out, fmt.Errorf("saving the state with its addresses renamed: %w", err)
			}
		}
		return out, nil
	}
	select {
	case <-op.ApplyOptions.Stop:
		return out, ErrInterrupted
	default:
	}
	if op.Saved == nil && !op.AutoApprove {
		ok, err := ui.Confirm(out.Plan)
		if err != nil {
			return out, err
		}
		if !ok {
			return out, fmt.Errorf("%s %w", op.Name, ErrCancelled)
		}
	}
	if err := w.claimOwner(); err != nil {
		return out, err
	}
	if sweep {
		left, d := e.Unknown(ctx, st, unknown)
		if len(left) > 0 {
			d = append(d, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Sweeping the host left objects the state does not know", Detail: engine.UnknownWarning(left, true).Detail})
		}
		if len(d) > 0 {
			ui.Diagnostics(d)
		}
		if d.HasErrors() {
			return out, ErrFailed
		}
		out.Swept = len(unknown)
		if !out.Plan.HasChanges() {
			// Nothing recorded, nothing left on the host: the run
			// directory is this experiment's no more.
			w.releaseOwner(st)
			return out, nil
		}
	}
	out.Result, diags = w.apply(ctx, lk, e, out.Plan, st, op.ApplyOptions)
	if len(diags) > 0 {
		ui.Diagnostics(w.Redact(diags))
	}
	if diags.HasErrors() {
		return out, ErrFailed
	}
	return out, nil
}
