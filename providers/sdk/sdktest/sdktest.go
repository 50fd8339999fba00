// Package sdktest drives a provider written with package sdk in process,
// from the provider author's go test, the way benito's engine drives it:
// validate, plan, apply, read back, plan again, destroy.
//
// Run checks a provider end to end through a list of steps; Harness gives
// the single moves, for tests of drift, replacement or failures. Both
// report problems through testing.TB and clean up what they created when
// the test ends, also when it fails.
package sdktest

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/sdk"
	"github.com/benito-net/benito/providers/sdk/internal/govalue"
	"github.com/zclconf/go-cty/cty"
)

// Action is what a plan does to one resource.
type Action string

// The actions.
const (
	NoOp    Action = "no-op"
	Create  Action = "create"
	Update  Action = "update"
	Replace Action = "replace"
	Delete  Action = "delete"
)

// Change is one planned (or applied) change.
type Change struct {
	Address string
	Action  Action
	// Before and After are the values before and after, nil when the
	// resource does not exist; After holds nil for what is known only
	// after apply.
	Before, After map[string]any
	// RequiresReplace names the attributes that force a replacement.
	RequiresReplace []string

	planned providers.PlannedChange
	typ     string
	prior   cty.Value
}

// Harness holds one configured provider and the resources it made.
type Harness struct {
	t      testing.TB
	p      providers.Provider
	schema providers.Schema
	state  map[string]cty.Value // address → value
}

// Experiment is the experiment name the harness configures providers with.
const Experiment = "sdktest"

// New configures p in process, with Experiment and the site settings
// given (nil: none). When the test ends, every resource still recorded
// is destroyed and the provider closed.
func New(t testing.TB, p *sdk.Provider, site map[string]string) *Harness {
	t.Helper()
	pp, err := sdk.InProcess(p)
	if err != nil {
		t.Fatal(err)
	}
	h := &Harness{t: t, p: pp, state: map[string]cty.Value{}}
	sr := pp.GetSchema(context.Background())
	h.check("GetSchema", sr.Diagnostics)
	h.schema = sr.Schema
	h.check("Configure", pp.Configure(context.Background(), providers.ConfigureRequest{Experiment: Experiment, Site: site}).Diagnostics)
	t.Cleanup(func() {
		for _, addr := range h.Addresses() {
			if _, err := h.apply(addr, nil); err != nil {
				t.Errorf("sdktest: cleaning up %s: %v", addr, err)
			}
		}
		_ = pp.Close()
	})
	return h
}

// Provider is the provider under test, as benito's engine sees it.
func (h *Harness) Provider() providers.Provider { return h.p }

// Addresses lists the resources the harness has recorded, sorted.
func (h *Harness) Addresses() []string {
	return slices.Sorted(maps.Keys(h.state))
}

// State returns the recorded value of a resource, nil when there is none.
func (h *Harness) State(address string) map[string]any {
	v, ok := h.state[address]
	if !ok {
		return nil
	}
	m, _ := govalue.ToGo(v).(map[string]any)
	return m
}

func (h *Harness) check(what string, diags providers.Diagnostics) {
	h.t.Helper()
	for _, d := range diags {
		if d.Severity == providers.Warning {
			h.t.Logf("sdktest: %s: warning: %s", what, diagString(d))
		}
	}
	if diags.HasErrors() {
		h.t.Fatalf("sdktest: %s: %s", what, diagsError(diags))
	}
}

func diagString(d providers.Diagnostic) string {
	s := d.Summary
	if d.Detail != "" {
		s += ": " + d.Detail
	}
	if len(d.Attribute) > 0 {
		if ga, ok := d.Attribute[0].(cty.GetAttrStep); ok {
			s = "attribute " + ga.Name + ": " + s
		}
	}
	if d.Address != "" {
		s = d.Address + ": " + s
	}
	return s
}

// diagsError joins the errors of diags.
func diagsError(diags providers.Diagnostics) error {
	var msgs []string
	for _, d := range diags {
		if d.Severity == providers.Error {
			msgs = append(msgs, diagString(d))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}

func typeOf(address string) string {
	typ, _, _ := strings.Cut(address, ".")
	return typ
}

func (h *Harness) resourceSchema(address string) (*providers.ResourceSchema, error) {
	typ := typeOf(address)
	rs := h.schema.ResourceTypes[typ]
	if rs == nil {
		return nil, fmt.Errorf("%s: the provider does not serve resource type %q", address, typ)
	}
	return rs, nil
}

// configValue turns a test's configuration into a value of the schema's
// ConfigType, the way benito conforms a configuration.
func configValue(rs *providers.ResourceSchema, address string, config map[string]any) (cty.Value, error) {
	attrs := map[string]cty.Value{}
	for name, ty := range rs.ConfigType().AttributeTypes() {
		v, err := govalue.ToCty(config[name], ty)
		if err != nil {
			return cty.NilVal, fmt.Errorf("%s: attribute %q: %v", address, name, err)
		}
		attrs[name] = v
	}
	for _, name := range slices.Sorted(maps.Keys(config)) {
		a := rs.Attributes[name]
		switch {
		case a == nil:
			return cty.NilVal, fmt.Errorf("%s: the provider does not support attribute %q", address, name)
		case !a.Required && !a.Optional:
			return cty.NilVal, fmt.Errorf("%s: attribute %q is computed by the provider and cannot be set", address, name)
		}
	}
	return cty.ObjectVal(attrs), nil
}

// PlanE validates and plans config for address (nil config: destroy),
// against the recorded state.
func (h *Harness) PlanE(address string, config map[string]any) (*Change, error) {
	rs, err := h.resourceSchema(address)
	if err != nil {
		return nil, err
	}
	typ := typeOf(address)
	prior, exists := h.state[address]
	if !exists {
		prior = cty.NullVal(rs.ImpliedType())
	}
	proposed := cty.NullVal(rs.ConfigType())
	if config != nil {
		if proposed, err = configValue(rs, address, config); err != nil {
			return nil, err
		}
		vr := h.p.ValidateResources(context.Background(), providers.ValidateResourcesRequest{
			Resources: []providers.ValidateResource{{Address: address, Type: typ, Config: proposed}},
		})
		if err := diagsError(vr.Diagnostics); err != nil {
			return nil, err
		}
	}
	pr := h.p.PlanResources(context.Background(), providers.PlanResourcesRequest{
		Changes: []providers.PlanChange{{Address: address, Type: typ, Prior: prior, Proposed: proposed}},
	})
	if err := diagsError(pr.Diagnostics); err != nil {
		return nil, err
	}
	if len(pr.Changes) != 1 {
		return nil, fmt.Errorf("%s: the provider answered %d plans for 1 request", address, len(pr.Changes))
	}
	pc := pr.Changes[0]
	c := &Change{Address: address, planned: pc, typ: typ, prior: prior}
	if exists {
		c.Before, _ = govalue.ToGo(prior).(map[string]any)
	}
	if !pc.Planned.IsNull() {
		c.After, _ = govalue.ToGo(pc.Planned).(map[string]any)
	}
	for _, p := range pc.RequiresReplace {
		if ga, ok := p[0].(cty.GetAttrStep); ok {
			c.RequiresReplace = append(c.RequiresReplace, ga.Name)
		}
	}
	sort.Strings(c.RequiresReplace)
	switch {
	case !exists && config == nil:
		c.Action = NoOp
	case !exists:
		c.Action = Create
	case config == nil:
		c.Action = Delete
	case len(pc.RequiresReplace) > 0:
		c.Action = Replace
	case providers.ValuesEqual(prior, pc.Planned):
		c.Action = NoOp
	default:
		c.Action = Update
	}
	return c, nil
}

// Plan is PlanE that fails the test on error.
func (h *Harness) Plan(address string, config map[string]any) *Change {
	h.t.Helper()
	c, err := h.PlanE(address, config)
	if err != nil {
		h.t.Fatalf("sdktest: plan: %v", err)
	}
	return c
}

// ApplyE plans config for address (nil: destroy) and carries the change
// out, recording the result. A replacement destroys first.
func (h *Harness) ApplyE(address string, config map[string]any) (*Change, error) {
	return h.apply(address, config)
}

func (h *Harness) apply(address string, config map[string]any) (*Change, error) {
	c, err := h.PlanE(address, config)
	if err != nil {
		return nil, err
	}
	rs, _ := h.resourceSchema(address)
	null := cty.NullVal(rs.ImpliedType())
	call := func(prior, planned cty.Value) (cty.Value, error) {
		resp := h.p.ApplyResource(context.Background(), providers.ApplyResourceRequest{
			Address: address, Type: c.typ, Prior: prior, Planned: planned, PlannedPrivate: c.planned.PlannedPrivate,
		})
		if !resp.New.IsNull() {
			if !resp.New.IsWhollyKnown() {
				return resp.New, fmt.Errorf("%s: the provider returned a value with unknowns after apply", address)
			}
			h.state[address] = resp.New
		} else {
			delete(h.state, address)
		}
		return resp.New, diagsError(resp.Diagnostics)
	}
	var newVal cty.Value
	switch c.Action {
	case NoOp:
		return c, nil
	case Create, Delete, Update:
		newVal, err = call(c.prior, c.planned.Planned)
	case Replace:
		if _, err = call(c.prior, null); err == nil {
			// The create half makes the replace plan's value, as benito's
			// engine does: it does not plan again after the delete.
			newVal, err = call(null, c.planned.Planned)
		}
	}
	if err != nil {
		return c, err
	}
	c.After, _ = govalue.ToGo(newVal).(map[string]any)
	return c, nil
}

// Apply is ApplyE that fails the test on error.
func (h *Harness) Apply(address string, config map[string]any) *Change {
	h.t.Helper()
	c, err := h.ApplyE(address, config)
	if err != nil {
		h.t.Fatalf("sdktest: apply: %v", err)
	}
	return c
}

// Destroy deletes a recorded resource.
func (h *Harness) Destroy(address string) {
	h.t.Helper()
	h.Apply(address, nil)
}

// RefreshE reads a recorded resource back and records what it finds; the
// result is nil when the resource is gone (and no longer recorded).
func (h *Harness) RefreshE(address string) (map[string]any, error) {
	cur, ok := h.state[address]
	if !ok {
		return nil, fmt.Errorf("%s: no such resource recorded", address)
	}
	resp := h.p.ReadResources(context.Background(), providers.ReadResourcesRequest{
		Resources: []providers.ReadResource{{Address: address, Type: typeOf(address), Current: cur}},
	})
	if err := diagsError(resp.Diagnostics); err != nil {
		return nil, err
	}
	if len(resp.Resources) != 1 {
		return nil, fmt.Errorf("%s: the provider answered %d reads for 1 request", address, len(resp.Resources))
	}
	nv := resp.Resources[0].New
	if nv.IsNull() {
		delete(h.state, address)
		return nil, nil
	}
	if !nv.IsWhollyKnown() {
		return nil, fmt.Errorf("%s: the provider read back a value with unknowns", address)
	}
	h.state[address] = nv
	return h.State(address), nil
}

// ExecE runs args inside a recorded resource as benito exec does (through
// the resource type's Exec, with this process's environment), with stdin
// as its input, and returns what it wrote to its standard output and
// standard error and its exit status (128+N when signal N ended it). The
// error says why it could not run: the type declares no Exec, or Exec
// failed.
func (h *Harness) ExecE(address, stdin string, args ...string) (stdout, stderr string, code int, err error) {
	cur, ok := h.state[address]
	if !ok {
		return "", "", -1, fmt.Errorf("%s: no such resource recorded", address)
	}
	rs, err := h.resourceSchema(address)
	if err != nil {
		return "", "", -1, err
	}
	if !rs.Exec {
		return "", "", -1, fmt.Errorf("%s: resource type %q declares no Exec: benito exec refuses it", address, typeOf(address))
	}
	var out, errb bytes.Buffer // written by two goroutines, one each
	resp := h.p.Exec(context.Background(), providers.ExecRequest{
		Address: address, Type: typeOf(address), Value: cur, Args: args, Env: os.Environ(),
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
	})
	if err := diagsError(resp.Diagnostics); err != nil {
		return out.String(), errb.String(), -1, err
	}
	code = resp.ExitCode
	if resp.Signal != 0 {
		code = 128 + int(resp.Signal)
	}
	return out.String(), errb.String(), code, nil
}

// Exec is ExecE that fails the test when the command cannot run.
func (h *Harness) Exec(address, stdin string, args ...string) (stdout, stderr string, code int) {
	h.t.Helper()
	stdout, stderr, code, err := h.ExecE(address, stdin, args...)
	if err != nil {
		h.t.Fatalf("sdktest: exec: %v", err)
	}
	return stdout, stderr, code
}

// Refresh is RefreshE that fails the test on error.
func (h *Harness) Refresh(address string) map[string]any {
	h.t.Helper()
	m, err := h.RefreshE(address)
	if err != nil {
		h.t.Fatalf("sdktest: refresh: %v", err)
	}
	return m
}

// Step is one configuration of Run: the resources that should exist, by
// address, with their configurations.
type Step struct {
	Resources map[string]map[string]any
	// ExpectActions, when set, is the action each address's change must
	// have (addresses left out are not checked).
	ExpectActions map[string]Action
	// Check, when set, runs after the step is applied and verified.
	Check func(t testing.TB, h *Harness)
}

// Run drives p through steps. For each step it applies every resource of
// the step (and destroys recorded ones the step leaves out), reads each
// back, and plans the step again, expecting no changes. After the last
// step it destroys everything and checks that a read finds nothing.
func Run(t testing.TB, p *sdk.Provider, steps ...Step) {
	t.Helper()
	h := New(t, p, nil)
	for i, st := range steps {
		addrs := map[string]bool{}
		for a := range st.Resources {
			addrs[a] = true
		}
		for _, a := range h.Addresses() {
			addrs[a] = true
		}
		for _, a := range slices.Sorted(maps.Keys(addrs)) {
			c, err := h.ApplyE(a, st.Resources[a])
			if err != nil {
				t.Fatalf("sdktest: step %d: %v", i+1, err)
			}
			if want, ok := st.ExpectActions[a]; ok && c.Action != want {
				t.Errorf("sdktest: step %d: %s: action %s, want %s", i+1, a, c.Action, want)
			}
		}
		for _, a := range slices.Sorted(maps.Keys(st.Resources)) {
			got, err := h.RefreshE(a)
			if err != nil {
				t.Fatalf("sdktest: step %d: read back: %v", i+1, err)
			}
			if got == nil {
				t.Fatalf("sdktest: step %d: %s was applied but reads back as gone", i+1, a)
			}
			c, err := h.PlanE(a, st.Resources[a])
			if err != nil {
				t.Fatalf("sdktest: step %d: plan again: %v", i+1, err)
			}
			if c.Action != NoOp {
				t.Errorf("sdktest: step %d: planning again after apply gives %s for %s, want no changes%s\nbefore: %v\nafter:  %v",
					i+1, c.Action, a, replaceNote(c), c.Before, c.After)
			}
		}
		if st.Check != nil {
			st.Check(t, h)
		}
	}
	for _, a := range h.Addresses() {
		cur := h.state[a]
		if _, err := h.ApplyE(a, nil); err != nil {
			t.Fatalf("sdktest: destroy: %v", err)
		}
		resp := h.p.ReadResources(context.Background(), providers.ReadResourcesRequest{
			Resources: []providers.ReadResource{{Address: a, Type: typeOf(a), Current: cur}},
		})
		if err := diagsError(resp.Diagnostics); err != nil {
			t.Fatalf("sdktest: read after destroy: %v", err)
		}
		switch {
		case len(resp.Resources) != 1:
			t.Errorf("sdktest: read after destroy: %s: the provider answered %d reads for 1 request", a, len(resp.Resources))
		case !resp.Resources[0].New.IsNull():
			t.Errorf("sdktest: %s still reads back after destroy", a)
		}
	}
}

func replaceNote(c *Change) string {
	if len(c.RequiresReplace) == 0 {
		return ""
	}
	return " (replacement forced by " + strings.Join(c.RequiresReplace, ", ") + ")"
}
