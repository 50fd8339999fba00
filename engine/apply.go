package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/plan"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/state"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Journal records each resource's outcome the moment it is known.
// state.Journal implements it. Calls come from several goroutines at once
// (never two at once for the same resource).
type Journal interface {
	Put(r *state.Resource) error
	Remove(a addrs.Resource) error
}

// Hooks report progress. Calls may come from several goroutines at once.
type Hooks interface {
	// Started: the provider was asked to act (action is Create, Update or
	// Delete; a replace reports its two halves).
	Started(addr addrs.Resource, action plan.Action)
	// Still: the action has been running for elapsed.
	Still(addr addrs.Resource, action plan.Action, elapsed time.Duration)
	// Finished: the action ended, with err nil on success.
	Finished(addr addrs.Resource, action plan.Action, elapsed time.Duration, err error)
}

// DefaultParallelism is how many changes an apply makes at once unless
// told otherwise. Terraform's 10 guards remote APIs and their rate limits;
// benito's changes are processes and kernel calls on this host, and the
// kernel does concurrent link changes in batches (one RCU wait for many
// deletes), so a hundred-node experiment's nodes go at once. A provider
// whose resources are heavy (virtual machines) bounds its own concurrency.
const DefaultParallelism = 100

// ApplyOptions control an apply.
type ApplyOptions struct {
	// Parallelism bounds how many changes run at once (default
	// DefaultParallelism).
	Parallelism int
	// Stop, when closed, starts nothing new; changes in flight finish.
	Stop <-chan struct{}
	// Hooks, if not nil, receive progress.
	Hooks Hooks
	// StillEvery is how often Still is reported for a running change
	// (default 10s).
	StillEvery time.Duration
}

// Result summarises an apply.
type Result struct {
	Added, Changed, Destroyed int
	// Failed maps each change that failed to its error.
	Failed map[addrs.Resource]error
	// Skipped maps each change not attempted to the failed change it
	// depended on.
	Skipped map[addrs.Resource]addrs.Resource
	// Unsent maps each change not attempted because its provider had
	// ended (crashed, hung) to that provider's name. The changes in flight
	// when it ended are in Failed.
	Unsent map[addrs.Resource]string
	// NotStarted lists changes not attempted because apply was stopped.
	NotStarted []addrs.Resource
}

// Apply carries out p starting from st (the current state, whose lineage
// and serial the caller has checked against the plan). It records each
// outcome in j and returns the new state. st is not modified.
func (e *Engine) Apply(ctx context.Context, p *plan.Plan, st *state.State, j Journal, opts ApplyOptions) (*state.State, *Result, hcl.Diagnostics) {
	if opts.Parallelism <= 0 {
		opts.Parallelism = DefaultParallelism
	}
	if opts.StillEvery <= 0 {
		opts.StillEvery = 10 * time.Second
	}
	// Start from the refreshed state the plan was made against, under the
	// current lineage and serial.
	next := st.DeepCopy()
	if p.Prior != nil {
		next = p.Prior.DeepCopy()
		next.Lineage, next.Serial, next.Experiment = st.Lineage, st.Serial, st.Experiment
	}
	g := applyGraph(p)
	a := &applier{e: e, p: p, st: next, j: j, opts: opts, res: &Result{}}
	diags := orderDiags(g)
	if diags.HasErrors() {
		return st, a.res, diags
	}

	stop := opts.Stop
	if stop == nil {
		stop = make(chan struct{})
	}
	wr := g.Walk(stop, opts.Parallelism, func(v vertex) error { return a.visit(ctx, v) })

	a.res.Failed = map[addrs.Resource]error{}
	a.res.Unsent = map[addrs.Resource]string{}
	failed := make([]vertex, 0, len(wr.Errors))
	for v := range wr.Errors {
		failed = append(failed, v)
	}
	sort.Slice(failed, func(i, j int) bool { return vertexLess(failed[i], failed[j]) })
	// A provider's end fails every change in flight with it and every one
	// after, which benito does not send: it is reported once, not once per
	// change.
	var ends []*endReport
	byEnd := map[*providers.Ended]*endReport{}
	for _, v := range failed {
		err := wr.Errors[v]
		var ee *endedError
		if errors.As(err, &ee) {
			r := byEnd[ee.end]
			if r == nil {
				r = &endReport{end: ee.end}
				byEnd[ee.end] = r
				ends = append(ends, r)
			}
			if ee.notSent {
				r.unsent++
				a.res.Unsent[v.addr()] = ee.provider
				continue
			}
			a.res.Failed[v.addr()] = err
			continue
		}
		a.res.Failed[v.addr()] = err
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Failed to %s %s", verb(v.c.Action, v.destroy), v.addr()), Detail: err.Error()})
	}
	for _, r := range ends {
		diags = append(diags, r.diagnostic())
	}
	a.res.Skipped = map[addrs.Resource]addrs.Resource{}
	for v, cause := range wr.Skipped {
		_, failed := a.res.Failed[v.addr()]
		_, unsent := a.res.Unsent[v.addr()]
		if !failed && !unsent {
			a.res.Skipped[v.addr()] = cause.addr()
		}
	}
	seen := map[addrs.Resource]bool{}
	for _, v := range wr.NotStarted {
		if !seen[v.addr()] {
			seen[v.addr()] = true
			a.res.NotStarted = append(a.res.NotStarted, v.addr())
		}
	}

	// Outputs are recorded when everything was applied.
	if len(wr.Errors) == 0 && len(wr.Skipped) == 0 && len(wr.NotStarted) == 0 {
		for _, o := range p.Outputs {
			if o.After == cty.NilVal || o.After.IsNull() {
				delete(a.st.Outputs, o.Name)
				continue
			}
			so, err := encodeOutput(o.After)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid output value", Detail: fmt.Sprintf("output %q: %v", o.Name, err)})
				continue
			}
			so.Sensitive = o.Sensitive
			a.st.Outputs[o.Name] = so
		}
	}
	return a.st, a.res, diags
}

type applier struct {
	e    *Engine
	p    *plan.Plan
	j    Journal
	opts ApplyOptions

	mu    sync.Mutex // guards st, res and ended
	st    *state.State
	res   *Result
	ended map[string]*providers.Ended // providers known to have ended, by name
}

// endedError is a change's failure because its provider ended: in flight
// then (benito does not know whether it was done), or not sent at all.
type endedError struct {
	provider string
	end      *providers.Ended
	notSent  bool
}

func (e *endedError) Error() string {
	if e.notSent {
		return e.end.Summary + "; benito did not send this change"
	}
	return e.end.Summary + "; this change was in flight, and benito does not know whether it was done"
}

// endReport is what became of the changes of one provider's end.
type endReport struct {
	end    *providers.Ended
	unsent int // changes not sent
}

func (r *endReport) diagnostic() *hcl.Diagnostic {
	detail := r.end.Detail
	if r.unsent > 0 {
		detail += fmt.Sprintf("\n\nbenito sent it nothing more: %d of its %s not attempted (listed as skipped).", r.unsent, plural(r.unsent, "changes was", "changes were"))
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: r.end.Summary, Detail: detail}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// providerError is the error of a change that provider answered with
// diags, or nil.
func (a *applier) providerError(provider string, diags providers.Diagnostics) error {
	for _, d := range diags {
		if d.Severity == providers.Error && d.Ended != nil {
			a.mu.Lock()
			if a.ended == nil {
				a.ended = map[string]*providers.Ended{}
			}
			if a.ended[provider] == nil {
				a.ended[provider] = d.Ended
			}
			a.mu.Unlock()
			return &endedError{provider: provider, end: d.Ended, notSent: d.NotSent}
		}
	}
	if err := diags.Err(); err != nil {
		return fmt.Errorf("provider %q: %w", provider, err)
	}
	return nil
}

// endOf is the end of provider, once a change has found it ended.
func (a *applier) endOf(provider string) *providers.Ended {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ended[provider]
}

// Steps is how many changes Apply makes of p, as Hooks report them: one
// per created, updated or destroyed resource, two per replaced one (its
// destroy and its create).
func Steps(p *plan.Plan) int {
	n := 0
	for _, c := range p.Changes {
		if hasDestroyHalf(c.Action) {
			n++
		}
		if hasCreateHalf(c.Action) {
			n++
		}
	}
	return n
}

func hasDestroyHalf(a plan.Action) bool {
	return a == plan.Delete || a.IsReplace()
}

func hasCreateHalf(a plan.Action) bool {
	return a == plan.Create || a == plan.Update || a.IsReplace()
}

func verb(act plan.Action, destroy bool) string {
	switch {
	case destroy:
		return "destroy"
	case act == plan.Update:
		return "update"
	default:
		return "create"
	}
}

func (a *applier) visit(ctx context.Context, v vertex) error {
	c := v.c
	act := plan.Create
	provider := c.Provider
	switch {
	case v.destroy:
		act = plan.Delete
		if c.PriorProvider != "" {
			provider = c.PriorProvider
		}
	case c.Action == plan.Update:
		act = plan.Update
	}
	// Nothing is sent to a provider that has ended, nor shown as started.
	if end := a.endOf(provider); end != nil {
		return &endedError{provider: provider, end: end, notSent: true}
	}
	if a.opts.Hooks != nil {
		a.opts.Hooks.Started(c.Addr, act)
	}
	start := time.Now()
	done := make(chan struct{})
	// stopped closes when the reporter has ended, so that no "still"
	// report can come after (or during) the "finished" one.
	stopped := make(chan struct{})
	if a.opts.Hooks == nil {
		close(stopped)
	} else {
		go func() {
			defer close(stopped)
			t := time.NewTicker(a.opts.StillEvery)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					a.opts.Hooks.Still(c.Addr, act, time.Since(start))
				}
			}
		}()
	}
	var err error
	switch act {
	case plan.Delete:
		err = a.destroy(ctx, c)
	default:
		err = a.createOrUpdate(ctx, c, act)
	}
	close(done)
	<-stopped
	if a.opts.Hooks != nil {
		a.opts.Hooks.Finished(c.Addr, act, time.Since(start), err)
	}
	return err
}

func (a *applier) destroy(ctx context.Context, c *plan.Change) error {
	provider, ty := c.Provider, c.Type
	if c.PriorProvider != "" {
		provider, ty = c.PriorProvider, c.PriorType
	}
	resp := a.e.providers[provider].ApplyResource(ctx, providers.ApplyResourceRequest{
		Address: c.Addr.String(), Type: c.Addr.Type,
		Prior: c.Before, Planned: cty.NullVal(ty), PlannedPrivate: c.PriorPrivate,
	})
	if err := a.providerError(provider, resp.Diagnostics); err != nil {
		return err
	}
	if err := a.j.Remove(c.Addr); err != nil { // outside a.mu, as in record
		return fmt.Errorf("recording the deletion: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.st.Resources, c.Addr)
	if c.Action == plan.Delete {
		a.res.Destroyed++
	}
	return nil
}

func (a *applier) createOrUpdate(ctx context.Context, c *plan.Change, act plan.Action) error {
	prior := c.Before
	if act == plan.Create {
		prior = cty.NullVal(c.Type)
		// Record the intent first: if benito dies while the provider works,
		// the next refresh finds what was made instead of forgetting it.
		if err := a.record(c, c.After, nil, state.Pending); err != nil {
			return fmt.Errorf("recording the pending create: %w", err)
		}
	}
	resp := a.e.providers[c.Provider].ApplyResource(ctx, providers.ApplyResourceRequest{
		Address: c.Addr.String(), Type: c.Addr.Type,
		Prior: prior, Planned: c.After, PlannedPrivate: c.Private,
	})
	if err := a.providerError(c.Provider, resp.Diagnostics); err != nil {
		var ended *endedError
		switch {
		case act == plan.Create && (resp.New == cty.NilVal || resp.New.IsNull()) && errors.As(err, &ended) && !ended.notSent:
			// The provider ended while it worked on the create: what it
			// made is unknown, so the pending record stays, and the next
			// plan replaces whatever is there (a pending create is
			// planned as tainted) instead of creating over it.
		case act == plan.Create && (resp.New == cty.NilVal || resp.New.IsNull()):
			// Nothing was made.
			jerr := a.j.Remove(c.Addr) // outside a.mu, as in record
			a.mu.Lock()
			delete(a.st.Resources, c.Addr)
			a.mu.Unlock()
			if jerr != nil {
				return fmt.Errorf("%w; and recording that failed: %v", err, jerr)
			}
		case act == plan.Create:
			if rerr := a.record(c, resp.New, resp.Private, state.Tainted); rerr != nil {
				return fmt.Errorf("%w; and recording the tainted resource failed: %v", err, rerr)
			}
		case resp.New != cty.NilVal && !resp.New.IsNull():
			if rerr := a.record(c, resp.New, resp.Private, state.Ready); rerr != nil {
				return fmt.Errorf("%w; and recording the resource failed: %v", err, rerr)
			}
		}
		return err
	}
	if resp.New == cty.NilVal || resp.New.IsNull() || !resp.New.IsWhollyKnown() {
		err := fmt.Errorf("provider %q returned no complete value for %s", c.Provider, c.Addr)
		if rerr := a.record(c, c.After, resp.Private, state.Tainted); rerr != nil {
			return fmt.Errorf("%w; and recording the tainted resource failed: %v", err, rerr)
		}
		return err
	}
	if err := a.record(c, resp.New, resp.Private, state.Ready); err != nil {
		return fmt.Errorf("recording the result: %w", err)
	}
	a.mu.Lock()
	switch {
	case act == plan.Update:
		a.res.Changed++
	default:
		a.res.Added++
		if c.Action.IsReplace() {
			a.res.Destroyed++
		}
	}
	a.mu.Unlock()
	return nil
}

func (a *applier) record(c *plan.Change, v cty.Value, private []byte, status state.Status) error {
	raw, err := encodeAttrs(v, c.Type)
	if err != nil {
		return err
	}
	r := &state.Resource{
		Addr: c.Addr, Provider: c.Provider, Attributes: raw, Private: private,
		Dependencies: append([]addrs.Resource(nil), c.Dependencies...), Status: status,
		Sensitive: c.AfterSensitive,
	}
	// Journalled outside a.mu: the journal encodes entries in parallel and
	// orders only its writes. A resource's own entries cannot cross: its
	// changes are made one after the other, by one goroutine.
	if err := a.j.Put(r); err != nil {
		return err
	}
	a.mu.Lock()
	a.st.Resources[c.Addr] = r
	a.mu.Unlock()
	return nil
}

func encodeOutput(v cty.Value) (state.Output, error) {
	ty := v.Type()
	val, err := ctyjson.Marshal(v, ty)
	if err != nil {
		return state.Output{}, err
	}
	typ, err := ctyjson.MarshalType(ty)
	if err != nil {
		return state.Output{}, err
	}
	return state.Output{Value: val, Type: typ}, nil
}

func decodeOutput(o state.Output) (cty.Value, error) {
	ty, err := ctyjson.UnmarshalType(o.Type)
	if err != nil {
		return cty.NilVal, err
	}
	return ctyjson.Unmarshal(o.Value, ty)
}
