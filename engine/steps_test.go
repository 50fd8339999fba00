package engine

import (
	"context"
	"testing"

	"github.com/benito-net/benito/providers/providertest"
	"github.com/benito-net/benito/state"
)

// TestStepsCountsWhatHooksReport: Steps is the number of changes Apply
// starts and finishes, a replacement counting twice (its destroy and its
// create), an update once.
func TestStepsCountsWhatHooksReport(t *testing.T) {
	fp := providertest.New(testSchema())
	e := newEngine(t, fp)
	_, st, _ := planApply(t, e, twoNodes("10ms", 512), state.New("test"), PlanOptions{})
	for _, tc := range []struct {
		latency string
		memory  int64
		want    int
	}{{"50ms", 512, 1}, {"10ms", 1024, 2}} {
		p, diags := e.Plan(context.Background(), twoNodes(tc.latency, tc.memory), st, PlanOptions{})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		h := &recHooks{}
		_, _, diags = e.Apply(context.Background(), p, st, newMemJournal(), ApplyOptions{Hooks: h})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		if n := Steps(p); n != h.started || n != h.finished || n != tc.want {
			t.Errorf("%s %d: Steps %d, hooks started %d and finished %d, want %d", tc.latency, tc.memory, n, h.started, h.finished, tc.want)
		}
	}
	p, diags := e.Plan(context.Background(), twoNodes("10ms", 512), st, PlanOptions{Destroy: true})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if n := Steps(p); n != len(st.Resources) {
		t.Errorf("destroy: Steps %d, want one per resource (%d)", n, len(st.Resources))
	}
}
