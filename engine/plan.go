package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/internal/logging"
	"github.com/benito-net/benito/internal/parallel"
	"github.com/benito-net/benito/internal/suggest"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/model"
	"github.com/benito-net/benito/plan"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/state"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// PlanOptions select what a plan covers.
type PlanOptions struct {
	// Destroy plans the deletion of everything in state.
	Destroy bool
	// Targets, when not empty, restricts the plan to these resources and
	// what they depend on (or, when destroying, what depends on them).
	Targets []addrs.Resource
	// Replace lists resources to replace even though nothing forces it
	// (-replace): each is planned as a replace, with reason
	// ReasonReplaceByRequest, and what lives inside it is replaced too.
	Replace []addrs.Resource
	// SkipRefresh plans against the recorded state as it is.
	SkipRefresh bool
	// ConfigHash identifies the configuration, for saved plans.
	ConfigHash string
	// Outputs are the experiment's output values.
	Outputs map[string]cty.Value
}

// Refresh reads every resource in prior back from its provider, batched per
// provider, and returns the refreshed state (a copy) and what changed
// outside benito. Pending resources (a create interrupted before its outcome
// was recorded) are kept as tainted, whether they read back or not (what
// the create made may not read back as the object), so that the plan
// replaces them; they are not reported as drift.
func (e *Engine) Refresh(ctx context.Context, prior *state.State) (*state.State, []*plan.Drift, hcl.Diagnostics) {
	refreshed, _, drift, diags := e.refresh(ctx, prior, false)
	return refreshed, drift, diags
}

// refresh is Refresh that also returns the values read back, by address,
// so that planning need not decode the refreshed state again. With
// existenceOnly (a destroy's refresh), providers are told that only which
// resources still exist matters.
func (e *Engine) refresh(ctx context.Context, prior *state.State, existenceOnly bool) (_ *state.State, _ map[addrs.Resource]cty.Value, _ []*plan.Drift, diags hcl.Diagnostics) {
	refreshed := prior.DeepCopy()
	values := make(map[addrs.Resource]cty.Value, len(prior.Resources))
	type item struct {
		res *state.Resource
		ty  cty.Type
		cur cty.Value
		rs  *providers.ResourceSchema
	}
	byProvider := map[string][]item{}
	schemaChanged := map[string]*schemaChange{}
	defer func() { diags = append(diags, schemaChangeWarnings(schemaChanged)...) }()
	// Decoding the recorded values is most of the engine's part of a
	// refresh: it is split across the cores, the rest done in order.
	sorted := prior.SortedAddrs()
	type decoded struct {
		cur     cty.Value
		changed []string
		err     error
	}
	dec := make([]decoded, len(sorted))
	parallel.Ranges(len(sorted), decodeChunk, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			r := refreshed.Resources[sorted[i]]
			if rs := e.Schema(r.Provider, sorted[i].Type); rs != nil {
				d := &dec[i]
				d.cur, d.changed, d.err = decodeAttrs(r.Attributes, rs.ImpliedType())
			}
		}
	})
	for i, addr := range sorted {
		r := refreshed.Resources[addr]
		rs := e.Schema(r.Provider, addr.Type)
		if rs == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Resource type not served",
				Detail:   fmt.Sprintf("%s is recorded as served by provider %q, which does not serve resource type %q.", addr, r.Provider, addr.Type),
			})
			continue
		}
		cur, changed, err := dec[i].cur, dec[i].changed, dec[i].err
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unreadable state",
				Detail:   fmt.Sprintf("The recorded attributes of %s do not match the schema of provider %q: %v. Remove it with `benito state rm %s` if it no longer exists.", addr, r.Provider, err, addr),
			})
			continue
		}
		if len(changed) > 0 {
			key := r.Provider + "\x00" + addr.Type
			if schemaChanged[key] == nil {
				schemaChanged[key] = &schemaChange{provider: r.Provider, typ: addr.Type, attrs: map[string]bool{}}
			}
			sc := schemaChanged[key]
			sc.addrs = append(sc.addrs, addr)
			for _, a := range changed {
				sc.attrs[a] = true
			}
		}
		byProvider[r.Provider] = append(byProvider[r.Provider], item{res: r, ty: rs.ImpliedType(), cur: cur, rs: rs})
	}
	// The providers read side by side: each waits on the host (the
	// kernel, its daemons) more than it computes. What they return is
	// taken in the providers' order, so the outcome does not depend on
	// which answered first.
	names := slices.Sorted(maps.Keys(byProvider))
	results := make([][]providers.ReadResult, len(names))
	readDiags := make([]hcl.Diagnostics, len(names))
	var wg sync.WaitGroup
	for p, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			items := byProvider[name]
			results[p] = make([]providers.ReadResult, len(items))
			readDiags[p] = inChunks(len(items), func(lo, hi int) hcl.Diagnostics {
				req := providers.ReadResourcesRequest{Resources: make([]providers.ReadResource, hi-lo), ExistenceOnly: existenceOnly}
				for i, it := range items[lo:hi] {
					req.Resources[i] = providers.ReadResource{Address: it.res.Addr.String(), Type: it.res.Addr.Type, Current: it.cur, Private: it.res.Private}
				}
				resp := e.providers[name].ReadResources(ctx, req)
				d := convertDiags(name, resp.Diagnostics, nil)
				if len(resp.Resources) != hi-lo {
					return append(d, shortAnswer(name, "reads", len(resp.Resources), hi-lo))
				}
				copy(results[p][lo:hi], resp.Resources)
				return d
			})
			logging.Default().Debug("refreshed", "provider", name, "resources", len(items), "took", time.Since(start))
		}()
	}
	wg.Wait()
	var drift []*plan.Drift
	for p, name := range names {
		items := byProvider[name]
		diags = append(diags, readDiags[p]...)
		if diags.HasErrors() {
			continue
		}
		// Which values read back as recorded, side by side; and of those
		// that did not, which differ in run-time attributes alone (a
		// restarted process's pid): recorded, not drift.
		same := make([]bool, len(items))
		runTimeOnly := make([]bool, len(items))
		parallel.Ranges(len(items), decodeChunk, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				if got := results[p][i].New; got != cty.NilVal && !got.IsNull() {
					same[i] = valuesEqual(items[i].cur, got)
					runTimeOnly[i] = !same[i] && equalBut(items[i].cur, got, items[i].rs.RunTimeNames())
				}
			}
		})
		for i, it := range items {
			got := results[p][i]
			addr := it.res.Addr
			if got.New == cty.NilVal || got.New.IsNull() {
				if it.res.Status == state.Pending {
					// A create interrupted before its outcome was known
					// may have made part of its object, which the
					// provider cannot read back as the object (a process
					// started whose pid was never returned): kept as
					// tainted, with what was recorded before the create,
					// it is deleted (replaced) rather than created anew
					// over what is left.
					it.res.Status = state.Tainted
					values[addr] = it.cur
					continue
				}
				drift = append(drift, &plan.Drift{Addr: addr, Provider: name, Before: it.cur, After: cty.NullVal(it.ty), Type: it.ty, Sensitive: it.res.Sensitive,
					RunTime: it.rs.RunTimeNames(), Generated: it.rs.GeneratedNames()})
				delete(refreshed.Resources, addr)
				continue
			}
			values[addr] = got.New // this loop runs on one goroutine
			wasPending := it.res.Status == state.Pending
			if wasPending {
				it.res.Status = state.Tainted
			}
			it.res.Private = got.Private
			if !same[i] {
				raw, err := encodeAttrs(got.New, it.ty)
				if err != nil {
					diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Provider error", Detail: fmt.Sprintf("%s: provider %q returned a value that cannot be stored: %v", addr, name, err)})
					continue
				}
				it.res.Attributes = raw
				if !wasPending && !runTimeOnly[i] {
					drift = append(drift, &plan.Drift{Addr: addr, Provider: name, Before: it.cur, After: got.New, Type: it.ty, Sensitive: it.res.Sensitive,
						RunTime: it.rs.RunTimeNames(), Generated: it.rs.GeneratedNames()})
				}
			}
		}
	}
	sort.Slice(drift, func(i, j int) bool { return drift[i].Addr.Less(drift[j].Addr) })
	return refreshed, values, drift, diags
}

// Plan diffs the graph against prior (refreshed first, unless
// opts.SkipRefresh) and returns the plan. The plan's Prior is the refreshed
// state the plan was made against.
func (e *Engine) Plan(ctx context.Context, g *lower.Graph, prior *state.State, opts PlanOptions) (*plan.Plan, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	refreshed := prior
	var drift []*plan.Drift
	var read map[addrs.Resource]cty.Value // values read back, when refreshed
	if !opts.SkipRefresh {
		var d hcl.Diagnostics
		refreshed, read, drift, d = e.refresh(ctx, prior, opts.Destroy)
		diags = append(diags, d...)
		if diags.HasErrors() {
			return nil, diags
		}
	} else {
		refreshed = prior.DeepCopy()
	}
	p := &plan.Plan{
		Experiment:   g.Experiment,
		Destroy:      opts.Destroy,
		Targets:      opts.Targets,
		Drift:        drift,
		StateLineage: prior.Lineage,
		StateSerial:  prior.Serial,
		ConfigHash:   opts.ConfigHash,
		Prior:        refreshed,
	}
	inScope, d := e.scope(g, refreshed, opts)
	diags = append(diags, d...)
	replace, d := replacements(g, refreshed, opts, inScope)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return nil, diags
	}

	ranges := func(address string) *hcl.Range {
		a, err := addrs.ParseResource(address)
		if err != nil {
			return nil
		}
		if r := g.Get(a); r != nil {
			rng := r.DeclRange
			return &rng
		}
		return nil
	}

	// Conform and validate the configuration, batched per provider.
	type pending struct {
		res      *lower.Resource
		schema   *providers.ResourceSchema
		proposed cty.Value
		prior    *state.Resource
		priorVal cty.Value
		// sensitive names the attributes the configuration marks.
		sensitive []string
	}
	byProvider := map[string][]*pending{}
	if !opts.Destroy {
		var scoped []*lower.Resource
		for _, r := range g.Resources {
			if inScope(r.Addr) {
				scoped = append(scoped, r)
			}
		}
		// Conforming and decoding are independent per resource.
		work := make([]*pending, len(scoped))
		diags = append(diags, inChunks(len(scoped), func(lo, hi int) hcl.Diagnostics {
			var diags hcl.Diagnostics
			for i, r := range scoped[lo:hi] {
				rs := e.Schema(r.Provider, r.Addr.Type)
				if rs == nil {
					rng := r.DeclRange
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  "Resource type not served",
						Detail:   fmt.Sprintf("%s needs provider %q to serve resource type %q, and it does not.", r.Addr, r.Provider, r.Addr.Type),
						Subject:  &rng,
					})
					continue
				}
				// Providers get plain values; the plan keeps which
				// attributes were marked.
				cfg, sensitive := unmarkAttrs(r.Config)
				proposed, problems := conform(rs, cfg)
				for _, p := range problems {
					diags = append(diags, p.diagnostic(r, rs))
				}
				w := &pending{res: r, schema: rs, proposed: proposed, priorVal: cty.NullVal(rs.ImpliedType()), sensitive: sensitive}
				if pr := refreshed.Resources[r.Addr]; pr != nil && pr.Provider == r.Provider {
					if v, ok := read[r.Addr]; ok {
						w.prior, w.priorVal = pr, v
						work[lo+i] = w
						continue
					}
					v, _, err := decodeAttrs(pr.Attributes, rs.ImpliedType())
					if err != nil {
						diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unreadable state", Detail: fmt.Sprintf("%s: %v", r.Addr, err)})
						continue
					}
					w.prior, w.priorVal = pr, v
				}
				work[lo+i] = w
			}
			return diags
		})...)
		if diags.HasErrors() {
			return nil, diags
		}
		for _, w := range work {
			byProvider[w.res.Provider] = append(byProvider[w.res.Provider], w)
		}
	}

	// Validate and plan, batched per provider: one call per batch
	// (providers.ValidateAndPlan), so that an out-of-process provider gets
	// each configuration once. Nothing is planned in a batch with an
	// invalid configuration, and nothing of the plan is used then.
	for _, name := range slices.Sorted(maps.Keys(byProvider)) {
		items := byProvider[name]
		planned := make([]providers.PlannedChange, len(items))
		diags = append(diags, inChunks(len(items), func(lo, hi int) hcl.Diagnostics {
			req := providers.PlanResourcesRequest{Changes: make([]providers.PlanChange, hi-lo)}
			for i, w := range items[lo:hi] {
				pc := providers.PlanChange{Address: w.res.Addr.String(), Type: w.res.Addr.Type, Prior: w.priorVal, Proposed: w.proposed}
				if w.prior != nil {
					pc.PriorPrivate = w.prior.Private
				}
				req.Changes[i] = pc
			}
			resp := providers.ValidateAndPlan(ctx, e.providers[name], req)
			d := convertDiags(name, resp.Diagnostics, ranges)
			if resp.Diagnostics.HasErrors() && len(resp.Changes) == 0 {
				return d // invalid: nothing planned
			}
			if len(resp.Changes) != hi-lo {
				return append(d, shortAnswer(name, "plan requests", len(resp.Changes), hi-lo))
			}
			copy(planned[lo:hi], resp.Changes)
			return d
		})...)
		if diags.HasErrors() {
			continue
		}
		for i, w := range items {
			pc := planned[i]
			c := &plan.Change{
				Addr:            w.res.Addr,
				Provider:        name,
				Before:          w.priorVal,
				After:           pc.Planned,
				Type:            w.schema.ImpliedType(),
				Private:         pc.PlannedPrivate,
				RequiresReplace: pc.RequiresReplace,
				Dependencies:    w.res.DependsOn,
				AfterSensitive:  w.sensitive,
				RunTime:         w.schema.RunTimeNames(),
				Generated:       w.schema.GeneratedNames(),
			}
			if w.prior != nil {
				c.PriorPrivate = w.prior.Private
				c.BeforeSensitive = union(w.prior.Sensitive, w.sensitive)
			}
			switch {
			case w.prior == nil:
				c.Action = plan.Create
			case w.prior.Status != state.Ready:
				c.Action, c.Reason = plan.DeleteThenCreate, plan.ReasonTainted
			case len(pc.RequiresReplace) > 0:
				c.Action, c.Reason = plan.DeleteThenCreate, plan.ReasonRequiresReplace
			case replace[w.res.Addr]:
				c.Action, c.Reason = plan.DeleteThenCreate, plan.ReasonReplaceByRequest
			case equalBut(w.priorVal, pc.Planned, c.RunTime) && slices.Equal(w.prior.Dependencies, w.res.DependsOn):
				// One value for both sides: a plan of 100,000 unchanged
				// resources holds each value once. A change of
				// sensitivity alone changes nothing on the host: the
				// plan hides what either side marks, and the state's
				// record follows at the resource's next change. Nor
				// does a difference in run-time attributes alone (a
				// pid): the refreshed value is what stays recorded.
				c.Action, c.After = plan.NoOp, c.Before
			default:
				c.Action = plan.Update
			}
			p.Changes = append(p.Changes, c)
		}
	}

	// What is in state and no longer in the configuration (or all of it,
	// when destroying) is deleted. So is a resource whose provider changed:
	// the old provider deletes it, the new one creates it. byAddr finds a
	// resource's change without a scan of them all per resource.
	byAddr := make(map[addrs.Resource]*plan.Change, len(p.Changes))
	for _, c := range p.Changes {
		byAddr[c.Addr] = c
	}
	for _, addr := range refreshed.SortedAddrs() {
		if !inScope(addr) {
			continue
		}
		pr := refreshed.Resources[addr]
		want := g.Get(addr)
		reason := plan.ReasonNoConfig
		switch {
		case opts.Destroy:
			reason = plan.ReasonDestroy
		case want == nil:
		case want.Provider != pr.Provider:
			reason = plan.ReasonProviderChanged
		default:
			continue
		}
		rs := e.Schema(pr.Provider, addr.Type)
		if rs == nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Resource type not served", Detail: fmt.Sprintf("%s is recorded as served by provider %q, which does not serve resource type %q.", addr, pr.Provider, addr.Type)})
			continue
		}
		before, _, err := decodeAttrs(pr.Attributes, rs.ImpliedType())
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unreadable state", Detail: fmt.Sprintf("%s: %v", addr, err)})
			continue
		}
		if reason == plan.ReasonProviderChanged {
			// The old provider deletes, the new one creates: one replace.
			if oc := byAddr[addr]; oc != nil {
				oc.Action, oc.Reason = plan.DeleteThenCreate, plan.ReasonProviderChanged
				oc.Before, oc.PriorType, oc.PriorProvider, oc.PriorPrivate = before, rs.ImpliedType(), pr.Provider, pr.Private
				oc.BeforeSensitive = union(pr.Sensitive, oc.AfterSensitive)
			}
			continue
		}
		c := &plan.Change{
			Addr: addr, Provider: pr.Provider, Action: plan.Delete, Reason: reason,
			Before: before, After: cty.NullVal(rs.ImpliedType()), Type: rs.ImpliedType(),
			PriorPrivate: pr.Private, Dependencies: pr.Dependencies,
			BeforeSensitive: pr.Sensitive,
			RunTime:         rs.RunTimeNames(), Generated: rs.GeneratedNames(),
		}
		p.Changes = append(p.Changes, c)
		byAddr[addr] = c
	}

	if !opts.Destroy {
		replaceWithContainers(g, p.Changes, byAddr)
	}

	for _, name := range slices.Sorted(maps.Keys(opts.Outputs)) {
		after, marks := opts.Outputs[name].UnmarkDeep()
		_, sensitive := marks[model.Sensitive]
		o := &plan.Output{Name: name, Before: cty.NullVal(cty.DynamicPseudoType), After: after, Sensitive: sensitive}
		if so, ok := prior.Outputs[name]; ok {
			if v, err := decodeOutput(so); err == nil {
				o.Before = v
				o.Sensitive = o.Sensitive || so.Sensitive
			}
		}
		if opts.Destroy {
			o.After = cty.NullVal(cty.DynamicPseudoType)
		}
		p.Outputs = append(p.Outputs, o)
	}
	if !opts.Destroy && len(opts.Targets) == 0 {
		for _, name := range slices.Sorted(maps.Keys(prior.Outputs)) {
			if _, ok := opts.Outputs[name]; !ok {
				if v, err := decodeOutput(prior.Outputs[name]); err == nil {
					p.Outputs = append(p.Outputs, &plan.Output{Name: name, Before: v, After: cty.NullVal(cty.DynamicPseudoType),
						Sensitive: prior.Outputs[name].Sensitive})
				}
			}
		}
	}
	p.Sort()
	// The order of the apply is known now: a cycle among the changes is
	// reported before anyone is asked to approve them, not once apply
	// has begun.
	if d := CheckApplyOrder(p); d.HasErrors() {
		return nil, append(diags, d...)
	}
	return p, diags
}

// scope returns the filter of -target: with no targets everything is in
// scope; otherwise the targets and what they depend on (when creating) or
// what depends on them (when destroying).
func (e *Engine) scope(g *lower.Graph, st *state.State, opts PlanOptions) (func(addrs.Resource) bool, hcl.Diagnostics) {
	if len(opts.Targets) == 0 {
		return func(addrs.Resource) bool { return true }, nil
	}
	diags := hcl.Diagnostics{targetingWarning()}
	in := map[addrs.Resource]bool{}
	var queue []addrs.Resource
	for _, t := range opts.Targets {
		if g.Get(t) == nil && st.Resources[t] == nil {
			diags = append(diags, notFound("Target not found", "-target", t, g, st))
			continue
		}
		in[t] = true
		queue = append(queue, t)
	}
	if opts.Destroy {
		// Everything that depends on a target must go first.
		dependents := map[addrs.Resource][]addrs.Resource{}
		for a, r := range st.Resources {
			for _, d := range r.Dependencies {
				dependents[d] = append(dependents[d], a)
			}
		}
		for len(queue) > 0 {
			a := queue[0]
			queue = queue[1:]
			for _, d := range dependents[a] {
				if !in[d] {
					in[d] = true
					queue = append(queue, d)
				}
			}
		}
	} else {
		for len(queue) > 0 {
			a := queue[0]
			queue = queue[1:]
			var deps []addrs.Resource
			if r := g.Get(a); r != nil {
				deps = r.DependsOn
			} else if r := st.Resources[a]; r != nil {
				deps = r.Dependencies
			}
			for _, d := range deps {
				if !in[d] {
					in[d] = true
					queue = append(queue, d)
				}
			}
		}
	}
	return func(a addrs.Resource) bool { return in[a] }, diags
}

// targetingWarning is Terraform's warning for a plan restricted by
// -target: benito plan, apply and destroy all show it.
func targetingWarning() *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  "Resource targeting is in effect",
		Detail: "You are creating a plan with the -target option, which means that the result of this plan may not represent all of the changes requested by the current configuration.\n\n" +
			"The -target option is not for routine use, and is provided only for exceptional situations such as recovering from errors or mistakes, or when benito specifically suggests to use it as part of an error message.",
	}
}

// replacements checks -replace's addresses and returns those to replace:
// each must name a resource of the configuration or the state, within
// -target's scope; it cannot go with a destroy.
func replacements(g *lower.Graph, st *state.State, opts PlanOptions, inScope func(addrs.Resource) bool) (map[addrs.Resource]bool, hcl.Diagnostics) {
	if len(opts.Replace) == 0 {
		return nil, nil
	}
	var diags hcl.Diagnostics
	if opts.Destroy {
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid -replace with a destroy",
			Detail:   "-replace plans a replacement of resources that stay; a destroy plan removes them all. Leave out one of the two.",
		})
	}
	out := make(map[addrs.Resource]bool, len(opts.Replace))
	for _, a := range opts.Replace {
		switch {
		case g.Get(a) == nil && st.Resources[a] == nil:
			diags = append(diags, notFound("Resource to replace not found", "-replace", a, g, st))
		case !inScope(a):
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Resource to replace not targeted",
				Detail:   fmt.Sprintf("-replace=%s names a resource outside what -target selects, so the plan would leave it alone. Add -target=%s as well.", a, a),
			})
		case g.Get(a) == nil:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Replacement of a resource that is destroyed",
				Detail:   fmt.Sprintf("-replace=%s has no effect: %s is no longer in the configuration, so the plan destroys it.", a, a),
			})
		default:
			out[a] = true
		}
	}
	return out, diags
}

// notFound reports an address given with flag that names no resource of
// the configuration or the state, with the nearest one that does.
func notFound(summary, flag string, a addrs.Resource, g *lower.Graph, st *state.State) *hcl.Diagnostic {
	names := make([]string, 0, len(g.Resources)+len(st.Resources))
	for _, r := range g.Resources {
		names = append(names, r.Addr.String())
	}
	for sa := range st.Resources {
		if g.Get(sa) == nil {
			names = append(names, sa.String())
		}
	}
	detail := fmt.Sprintf("%s=%s names no resource of the configuration or the state.", flag, a)
	if s := suggest.Nearest(a.String(), names); s != "" {
		detail += fmt.Sprintf(" Did you mean %s?", s)
	}
	detail += " `benito state list` and `benito graph` show the addresses."
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail}
}

// Validate checks the graph against the providers' schemas and their
// validation, as a plan from empty state would, without reading or
// changing anything on the host.
func (e *Engine) Validate(ctx context.Context, g *lower.Graph) hcl.Diagnostics {
	_, diags := e.Plan(ctx, g, state.New(g.Experiment), PlanOptions{SkipRefresh: true})
	return diags
}

// shortAnswer reports a provider that broke the promise of one answer per
// request in a batched call.
func shortAnswer(provider, what string, got, want int) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Provider error",
		Detail:   fmt.Sprintf("Provider %q answered %d of %d %s; this is a bug in the provider.", provider, got, want, what),
	}
}

// decodeChunk is the smallest share of a refresh's decoding and comparing
// of values that is worth a core of its own.
const decodeChunk = 1000

// batchSize is the smallest batch worth a call of its own: batched
// provider calls are split into about one batch per core, none smaller.
const batchSize = 2000

// inChunks runs call over [0, n) split into concurrent batches and returns
// their diagnostics in the order of the batches, so that the result does
// not depend on scheduling.
func inChunks(n int, call func(lo, hi int) hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range parallel.Map(n, batchSize, call) {
		out = append(out, d...)
	}
	return out
}

// replaceWithContainers replaces a resource that lives inside another (a
// route, mount or startup inside its node) whenever the other is created
// anew: what was inside died with the old one, even though its own
// configuration did not change. byAddr indexes changes by address.
func replaceWithContainers(g *lower.Graph, changes []*plan.Change, byAddr map[addrs.Resource]*plan.Change) {
	for _, c := range changes {
		if c.Action != plan.NoOp && c.Action != plan.Update {
			continue
		}
		r := g.Get(c.Addr)
		if r == nil || r.Container == (addrs.Resource{}) {
			continue
		}
		cc := byAddr[r.Container]
		if cc == nil {
			continue
		}
		switch cc.Action {
		case plan.Create, plan.DeleteThenCreate:
			if c.Action == plan.NoOp {
				c.After = c.Before
			}
			c.Action, c.Reason = plan.DeleteThenCreate, plan.ReasonContainerReplaced
		}
	}
}

// unmarkAttrs returns a resource's configuration without its marks, and
// the names of its marked attributes, sorted: a plan hides an attribute
// whole, as Terraform does a leaf. Lowering marks a sensitive attribute's
// value as a whole (lower.Resource.Config), so only the top level is
// looked at: walking every configuration for nested marks would cost a
// third more allocations in a plan of 100,000 resources. A nested mark
// left by mistake fails the provider call (cty's msgpack refuses marked
// values) rather than leak.
func unmarkAttrs(cfg cty.Value) (cty.Value, []string) {
	if cfg.IsNull() || !cfg.Type().IsObjectType() {
		return cfg, nil
	}
	var names []string
	for name := range cfg.Type().AttributeTypes() {
		if cfg.GetAttr(name).IsMarked() {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return cfg, nil
	}
	slices.Sort(names)
	attrs := cfg.AsValueMap()
	for _, name := range names {
		attrs[name], _ = attrs[name].UnmarkDeep()
	}
	return cty.ObjectVal(attrs), names
}

// union returns the sorted names in a or b.
func union(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}
