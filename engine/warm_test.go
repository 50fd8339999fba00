package engine

import (
	"sync/atomic"
	"testing"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/providertest"
)

// TestWarm: the warmed providers start at once, go once to a Start that
// needs no others, and are closed by release when nobody took them; any
// other Start starts afresh.
func TestWarm(t *testing.T) {
	var starts atomic.Int32
	var made []*providertest.Provider
	g := Group{Names: []string{"a", "b", "c"}, Start: func(names []string) (map[string]providers.Provider, error) {
		starts.Add(1)
		out := map[string]providers.Provider{}
		for _, n := range names {
			p := providertest.New(providers.Schema{})
			made = append(made, p)
			out[n] = p
		}
		return out, nil
	}}

	w, release := Warm(g, []string{"a", "b"})
	got, err := w.Start([]string{"a"})
	if err != nil || got["a"] == nil || len(got) != 1 {
		t.Fatalf("Start(a) = %v, %v", got, err)
	}
	if n := starts.Load(); n != 1 {
		t.Errorf("%d starts, want the warm one only", n)
	}
	// b was warmed but not needed: closed when a was handed out.
	if made[1].CallCount("Close") != 1 || made[0].CallCount("Close") != 0 {
		t.Errorf("closes: a %d, b %d; want 0 and 1", made[0].CallCount("Close"), made[1].CallCount("Close"))
	}
	// Handed out once: the next Start, and one needing another, start afresh.
	if got, _ := w.Start([]string{"a"}); got["a"] == nil || starts.Load() != 2 {
		t.Errorf("a second Start did not start afresh")
	}
	if got, _ := w.Start([]string{"c"}); got["c"] == nil || starts.Load() != 3 {
		t.Errorf("a Start of another provider did not start afresh")
	}
	release() // nothing left to close
	if made[0].CallCount("Close") != 0 {
		t.Errorf("release closed a provider that was handed out")
	}

	// Never taken: release closes them all.
	made = nil
	_, release = Warm(g, []string{"a", "b"})
	release()
	for i, p := range made {
		if p.CallCount("Close") != 1 {
			t.Errorf("warm provider %d closed %d times by release, want 1", i, p.CallCount("Close"))
		}
	}
}
