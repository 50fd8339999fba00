package workdir

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/engine"
	"github.com/benito-net/benito/plan"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/configdir"
	"github.com/benito-net/benito/providers/providertest"
	"github.com/benito-net/benito/state"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// experiment writes an experiment of two resources of the fake provider,
// b depending on a, plus the config directory's files (made for real, by
// the config provider, under the test's own directory). It returns the
// options to open it with and the fake provider.
func experiment(t *testing.T) (Options, *providertest.Provider) {
	t.Helper()
	dir := t.TempDir()
	src := fmt.Sprintf(`experiment "wd" {
  required_providers {
    fake = { source = "example.org/test/fake" }
  }
}

site {
  config_root = %q
  run_root    = %q
}

resource "fake_thing" "a" {
  name = "a"
}

resource "fake_thing" "b" {
  name       = "b"
  after      = fake_thing.a.name
  depends_on = [fake_thing.a]
}
`, filepath.Join(dir, "config"), filepath.Join(dir, "run"))
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	fake := providertest.New(providers.Schema{ResourceTypes: map[string]*providers.ResourceSchema{
		"fake_thing": {Attributes: map[string]*providers.Attribute{
			"name":  {Type: cty.String, Required: true, ForceNew: true},
			"after": {Type: cty.String, Optional: true},
			"id":    {Type: cty.String, Computed: true},
		}},
	}})
	return Options{
		Dir: dir,
		Factories: map[string]providers.Factory{
			"fake":   func() (providers.Provider, error) { return fake, nil },
			"config": func() (providers.Provider, error) { return configdir.New(), nil },
		},
	}, fake
}

func open(t *testing.T, opts Options) *Workdir {
	t.Helper()
	w, diags := Open(opts)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	t.Cleanup(w.Close)
	return w
}

// recorder is a UI that notes what Run showed and asked, in order, and
// answers the question with answer.
type recorder struct {
	answer bool
	events []string
	diags  hcl.Diagnostics
	plans  []*plan.Plan
}

func (r *recorder) Diagnostics(d hcl.Diagnostics) {
	r.events = append(r.events, "diagnostics")
	r.diags = append(r.diags, d...)
}

func (r *recorder) Planned(p *plan.Plan) error {
	r.events = append(r.events, fmt.Sprintf("planned %d changes", countChanges(p)))
	r.plans = append(r.plans, p)
	return nil
}

func (r *recorder) Confirm(p *plan.Plan) (bool, error) {
	r.events = append(r.events, "confirm")
	return r.answer, nil
}

func countChanges(p *plan.Plan) int {
	n := 0
	for _, c := range p.Changes {
		if c.Action != plan.NoOp {
			n++
		}
	}
	return n
}

// stateSerial is the serial of the state file, or -1 when there is none.
func stateSerial(t *testing.T, w *Workdir) int {
	t.Helper()
	st, err := w.ReadState(t.Context(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if st == nil {
		return -1
	}
	return int(st.Serial)
}

var (
	thingA = addrs.Resource{Type: "fake_thing", Name: "a"}
	thingB = addrs.Resource{Type: "fake_thing", Name: "b"}
)

// TestRun follows one operation per case from a fresh experiment: what the
// UI sees, in which order, and what changed.
func TestRun(t *testing.T) {
	const changes = 4 // a, b, config_file.hosts, config_file.topology
	closed := make(chan struct{})
	close(closed)
	for _, tc := range []struct {
		name       string
		op         Operation
		answer     bool
		wantErr    error
		wantEvents []string
		wantApply  []string // what the fake provider was asked, in order
		wantSerial int
	}{
		{
			name:       "plan only",
			op:         Operation{Name: "plan"},
			wantEvents: []string{fmt.Sprintf("planned %d changes", changes)},
			wantSerial: -1,
		},
		{
			name:       "apply, approved",
			op:         Operation{Name: "apply", Apply: true},
			answer:     true,
			wantEvents: []string{fmt.Sprintf("planned %d changes", changes), "confirm"},
			wantApply:  []string{"create fake_thing.a", "create fake_thing.b"},
			wantSerial: 1,
		},
		{
			name:       "apply, refused",
			op:         Operation{Name: "apply", Apply: true},
			wantErr:    ErrCancelled,
			wantEvents: []string{fmt.Sprintf("planned %d changes", changes), "confirm"},
			wantSerial: -1,
		},
		{
			name:       "apply, auto-approved",
			op:         Operation{Name: "apply", Apply: true, AutoApprove: true},
			wantEvents: []string{fmt.Sprintf("planned %d changes", changes)},
			wantApply:  []string{"create fake_thing.a", "create fake_thing.b"},
			wantSerial: 1,
		},
		{
			name:       "apply, interrupted before the question",
			op:         Operation{Name: "apply", Apply: true, ApplyOptions: engine.ApplyOptions{Stop: closed}},
			answer:     true,
			wantErr:    ErrInterrupted,
			wantEvents: []string{fmt.Sprintf("planned %d changes", changes)},
			wantSerial: -1,
		},
		{
			name:       "destroy of nothing",
			op:         Operation{Name: "destroy", Plan: PlanOptions{Destroy: true}, Apply: true},
			answer:     true,
			wantEvents: []string{"planned 0 changes"},
			wantSerial: -1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, fake := experiment(t)
			w := open(t, opts)
			ui := &recorder{answer: tc.answer}
			out, err := w.Run(t.Context(), tc.op, ui)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Run: got error %v, want %v; diagnostics: %v", err, tc.wantErr, ui.diags)
			}
			if d := cmp.Diff(tc.wantEvents, ui.events); d != "" {
				t.Errorf("what the UI saw (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.wantApply, fake.Applied); d != "" {
				t.Errorf("what the provider did (-want +got):\n%s", d)
			}
			if got := stateSerial(t, w); got != tc.wantSerial {
				t.Errorf("state serial %d, want %d", got, tc.wantSerial)
			}
			if (out.Result != nil) != (tc.wantApply != nil) {
				t.Errorf("Result %+v, yet the provider was asked %v", out.Result, fake.Applied)
			}
			if tc.wantErr == ErrCancelled && err.Error() != "apply cancelled" {
				t.Errorf("error %q, want \"apply cancelled\"", err)
			}
			// The lock is released, whatever happened.
			lk, err := state.NewFile(w.StatePath()).Lock(t.Context(), "test", 0)
			if err != nil {
				t.Fatalf("after Run: %v", err)
			}
			lk.Unlock()
		})
	}
}

// TestRunConverges: after an apply, the same configuration plans no
// changes, is not asked about, and a destroy takes everything away.
func TestRunConverges(t *testing.T) {
	opts, fake := experiment(t)
	w := open(t, opts)
	if _, err := w.Run(t.Context(), Operation{Name: "apply", Apply: true, AutoApprove: true}, &recorder{}); err != nil {
		t.Fatal(err)
	}
	ui := &recorder{answer: true}
	out, err := w.Run(t.Context(), Operation{Name: "apply", Apply: true}, ui)
	if err != nil || out.Result != nil {
		t.Fatalf("second apply: %v, %+v", err, out.Result)
	}
	if d := cmp.Diff([]string{"planned 0 changes"}, ui.events); d != "" {
		t.Errorf("second apply (-want +got):\n%s", d)
	}
	fake.Applied = nil
	out, err = w.Run(t.Context(), Operation{Name: "destroy", Plan: PlanOptions{Destroy: true}, Apply: true, AutoApprove: true}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"delete fake_thing.b", "delete fake_thing.a"}, fake.Applied); d != "" {
		t.Errorf("destroy (-want +got):\n%s", d)
	}
	if out.Result.Destroyed != 4 {
		t.Errorf("destroyed %d, want 4", out.Result.Destroyed)
	}
	st, err := w.ReadState(t.Context(), "test")
	if err != nil || len(st.Resources) != 0 {
		t.Fatalf("state after destroy: %v, %v", st, err)
	}
}

// savedPlan makes a plan as benito plan -out does, through the file.
func savedPlan(t *testing.T, w *Workdir, opts PlanOptions) *plan.Plan {
	t.Helper()
	ui := &recorder{}
	if _, err := w.Run(t.Context(), Operation{Name: "plan", Plan: opts}, ui); err != nil {
		t.Fatal(err, ui.diags)
	}
	path := filepath.Join(t.TempDir(), "saved.plan")
	if err := plan.WriteFile(path, ui.plans[0]); err != nil {
		t.Fatal(err)
	}
	p, err := plan.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunSavedPlan: a saved plan is carried out without being shown or
// asked about, once: the state it was made against has moved on after.
func TestRunSavedPlan(t *testing.T) {
	opts, fake := experiment(t)
	w := open(t, opts)
	p := savedPlan(t, w, PlanOptions{})
	ui := &recorder{}
	out, err := w.Run(t.Context(), Operation{Name: "apply", Saved: p, SavedPath: "saved.plan", Apply: true}, ui)
	if err != nil {
		t.Fatal(err, ui.diags)
	}
	if len(ui.events) != 0 || out.Result.Added != 4 || len(fake.Applied) != 2 {
		t.Errorf("UI saw %v; %d added; provider asked %v", ui.events, out.Result.Added, fake.Applied)
	}
	_, err = w.Run(t.Context(), Operation{Name: "apply", Saved: p, SavedPath: "saved.plan", Apply: true}, ui)
	if err == nil || !strings.Contains(err.Error(), "cannot apply saved.plan: the state has changed since the plan was made") {
		t.Errorf("the same plan again: got %v", err)
	}
}

// withCycle records a and b as depending on each other, as a state edited
// by hand could.
func withCycle(st *state.State) error {
	st.Resources[thingA].Dependencies = []addrs.Resource{thingB}
	st.Resources[thingB].Dependencies = []addrs.Resource{thingA}
	return nil
}

// TestRunReportsCyclesBeforeAsking: a destroy whose changes wait for each
// other in a loop fails when planned, naming the loop, and nobody is asked
// to approve it; a saved plan with such a loop fails before anything is
// changed.
func TestRunReportsCyclesBeforeAsking(t *testing.T) {
	const want = "destroy fake_thing.a → destroy fake_thing.b → destroy fake_thing.a"
	opts, fake := experiment(t)
	w := open(t, opts)
	if _, err := w.Run(t.Context(), Operation{Name: "apply", Apply: true, AutoApprove: true}, &recorder{}); err != nil {
		t.Fatal(err)
	}
	saved := savedPlan(t, w, PlanOptions{Destroy: true})
	if err := w.EditState(t.Context(), "test", withCycle); err != nil {
		t.Fatal(err)
	}
	fake.Applied = nil

	ui := &recorder{answer: true}
	_, err := w.Run(t.Context(), Operation{Name: "destroy", Plan: PlanOptions{Destroy: true}, Apply: true}, ui)
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("Run: got %v, want ErrFailed", err)
	}
	if d := cmp.Diff([]string{"diagnostics"}, ui.events); d != "" {
		t.Errorf("what the UI saw (-want +got):\n%s", d)
	}
	if !strings.Contains(ui.diags.Error(), want) {
		t.Errorf("diagnostics %q do not name the cycle %q", ui.diags.Error(), want)
	}

	// The saved plan, made before the state was edited, with the edit in
	// its changes and its serial, as a plan made now would have.
	for _, c := range saved.Changes {
		switch c.Addr {
		case thingA:
			c.Dependencies = []addrs.Resource{thingB}
		case thingB:
			c.Dependencies = []addrs.Resource{thingA}
		}
	}
	saved.StateSerial++
	ui = &recorder{}
	_, err = w.Run(t.Context(), Operation{Name: "apply", Saved: saved, Apply: true}, ui)
	if !errors.Is(err, ErrFailed) || !strings.Contains(ui.diags.Error(), want) {
		t.Errorf("saved plan: got %v, diagnostics %v; want the cycle %q", err, ui.diags, want)
	}
	if len(fake.Applied) != 0 {
		t.Errorf("the provider was asked %v", fake.Applied)
	}
}

// TestRunSecondInterrupt: cancelling the context (a second Ctrl-C) asks
// the providers to stop, and what was done is saved.
func TestRunSecondInterrupt(t *testing.T) {
	opts, fake := experiment(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	fake.ApplyFn = func(ctx context.Context, req providers.ApplyResourceRequest) providers.ApplyResourceResponse {
		if req.Address == thingB.String() {
			cancel()
			<-ctx.Done()
			return providers.ApplyResourceResponse{Diagnostics: providers.Errorf(req.Address, "interrupted")}
		}
		return fake.DefaultApply(req)
	}
	w := open(t, opts)
	out, err := w.Run(ctx, Operation{Name: "apply", Apply: true, AutoApprove: true}, &recorder{})
	if !errors.Is(err, ErrFailed) || out.Result == nil || out.Result.Failed[thingB] == nil {
		t.Fatalf("Run: %v, %+v; want fake_thing.b failed", err, out.Result)
	}
	deadline := time.Now().Add(5 * time.Second)
	for fake.CallCount("Stop") == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if fake.CallCount("Stop") == 0 {
		t.Error("the provider was not asked to stop")
	}
	st, err := w.ReadState(t.Context(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if st.Resources[thingA] == nil || st.Resources[thingB] != nil {
		t.Errorf("state after the interrupt holds %v, want fake_thing.a without fake_thing.b", st.SortedAddrs())
	}
}

// TestRunLocked: while another holds the lock, Run fails at once, naming
// the holder, and plans nothing; with LockTimeout it waits.
func TestRunLocked(t *testing.T) {
	opts, fake := experiment(t)
	w := open(t, opts)
	lk, err := state.NewFile(w.StatePath()).Lock(t.Context(), "destroy", 0)
	if err != nil {
		t.Fatal(err)
	}
	ui := &recorder{}
	_, err = w.Run(t.Context(), Operation{Name: "plan"}, ui)
	var le *state.LockedError
	if !errors.As(err, &le) || le.Info == nil || le.Info.Operation != "destroy" {
		t.Fatalf("Run under another's lock: got %v, want a *state.LockedError naming destroy", err)
	}
	if len(ui.events) != 0 || fake.CallCount("PlanResources") != 0 {
		t.Errorf("Run planned under another's lock: %v", ui.events)
	}

	opts.LockTimeout = 10 * time.Second
	w = open(t, opts)
	time.AfterFunc(200*time.Millisecond, func() { lk.Unlock() })
	if _, err := w.Run(t.Context(), Operation{Name: "plan"}, ui); err != nil {
		t.Fatalf("Run with -lock-timeout: %v", err)
	}
}

// TestRunLeavesNoLock: however a run ends (a plan, an apply, a plan its
// provider refuses, one that cannot take the lock), neither the lock file
// nor its info is left in the directory.
func TestRunLeavesNoLock(t *testing.T) {
	opts, _ := experiment(t)
	w := open(t, opts)
	lockFiles := func(when string) {
		t.Helper()
		f := state.NewFile(w.StatePath())
		for _, p := range []string{f.LockPath(), f.LockInfoPath()} {
			if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("after %s: %s is left behind (%v)", when, filepath.Base(p), err)
			}
		}
	}
	if _, err := w.Run(t.Context(), Operation{Name: "plan"}, &recorder{}); err != nil {
		t.Fatal(err)
	}
	lockFiles("a plan")
	if _, err := w.Run(t.Context(), Operation{Name: "apply", Apply: true, AutoApprove: true}, &recorder{}); err != nil {
		t.Fatal(err)
	}
	lockFiles("an apply")

	// A value the provider's schema refuses: the plan fails under the lock.
	main := filepath.Join(opts.Dir, "main.hcl")
	src, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(src), `after      = fake_thing.a.name`, `after      = [fake_thing.a.name, "x"]`, 1)
	if err := os.WriteFile(main, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	w = open(t, opts)
	ui := &recorder{}
	if _, err := w.Run(t.Context(), Operation{Name: "apply", Apply: true, AutoApprove: true}, ui); !errors.Is(err, ErrFailed) {
		t.Fatalf("Run of a refused plan: got %v (diagnostics %v), want ErrFailed", err, ui.diags)
	}
	lockFiles("a refused plan")

	lk, err := state.NewFile(w.StatePath()).Lock(t.Context(), "destroy", 0)
	if err != nil {
		t.Fatal(err)
	}
	var le *state.LockedError
	if _, err := w.Run(t.Context(), Operation{Name: "plan"}, &recorder{}); !errors.As(err, &le) {
		t.Fatalf("Run under another's lock: got %v", err)
	}
	if err := lk.Unlock(); err != nil {
		t.Fatal(err)
	}
	lockFiles("a run locked out")
}

// TestEditState: an edit is written under the lock; a failed edit, or an
// experiment never applied, writes nothing.
func TestEditState(t *testing.T) {
	opts, _ := experiment(t)
	w := open(t, opts)
	err := w.EditState(t.Context(), "state rm", func(*state.State) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "no state at ") {
		t.Errorf("editing no state: got %v", err)
	}
	if _, err := w.Run(t.Context(), Operation{Name: "apply", Apply: true, AutoApprove: true}, &recorder{}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := w.EditState(t.Context(), "state rm", func(st *state.State) error {
		delete(st.Resources, thingB)
		return boom
	}); !errors.Is(err, boom) {
		t.Errorf("a failing edit: got %v", err)
	}
	if got := stateSerial(t, w); got != 1 {
		t.Errorf("a failed edit wrote serial %d", got)
	}
	if err := w.EditState(t.Context(), "state rm", func(st *state.State) error {
		delete(st.Resources, thingB)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	st, err := w.ReadState(t.Context(), "test")
	if err != nil || st.Serial != 2 || st.Resources[thingB] != nil {
		t.Errorf("after the edit: %v, %v", st, err)
	}
}
