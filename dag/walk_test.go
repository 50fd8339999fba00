package dag

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var errBoom = errors.New("boom")

// failing returns a walk function that fails for the given vertices, and a
// function returning, sorted, the vertices it was called for.
func failing(fail ...string) (fn func(string) error, visited func() []string) {
	var mu sync.Mutex
	var seen []string
	fn = func(v string) error {
		mu.Lock()
		seen = append(seen, v)
		mu.Unlock()
		if slices.Contains(fail, v) {
			return fmt.Errorf("%s: %w", v, errBoom)
		}
		return nil
	}
	visited = func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := slices.Clone(seen)
		slices.Sort(out)
		return out
	}
	return fn, visited
}

// walkSummary is a WalkResult with errors reduced to their vertices, so
// that tests can compare it whole.
type walkSummary struct {
	Visited    []string
	Failed     []string
	Skipped    map[string]string
	NotStarted []string
}

func summarize(t *testing.T, res WalkResult[string], visited []string) walkSummary {
	t.Helper()
	s := walkSummary{Visited: visited, Skipped: res.Skipped, NotStarted: res.NotStarted}
	for v, err := range res.Errors {
		if !errors.Is(err, errBoom) {
			t.Errorf("Errors[%s] = %v, want the error fn returned", v, err)
		}
		s.Failed = append(s.Failed, v)
	}
	slices.Sort(s.Failed)
	return s
}

var parallelisms = []int{1, 2, 8}

func TestWalkOrderMatchesTopoOrder(t *testing.T) {
	g := build(t, "top:l,r l:bottom r:bottom x:r y q:y")
	want, err := g.TopoOrder()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	res := g.Walk(nil, 1, func(v string) error {
		got = append(got, v)
		return nil
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("visit order with parallelism 1 (-TopoOrder +Walk):\n%s", diff)
	}
	if len(res.Errors)+len(res.Skipped)+len(res.NotStarted) != 0 {
		t.Errorf("clean walk reported %+v", res)
	}
}

// Every visit must see all its dependencies already finished, whatever the
// parallelism.
func TestWalkDependenciesFirst(t *testing.T) {
	g := New(stringLess)
	for i := range 500 {
		v := fmt.Sprintf("v%03d", i)
		g.Add(v)
		for _, d := range []int{i / 2, i / 3, i - 7, i - 1} {
			if d >= 0 && d < i {
				g.Connect(v, fmt.Sprintf("v%03d", d))
			}
		}
	}
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("parallelism=%d", p), func(t *testing.T) {
			var done sync.Map
			res := g.Walk(nil, p, func(v string) error {
				for _, d := range g.DependenciesOf(v) {
					if _, ok := done.Load(d); !ok {
						t.Errorf("%s visited before its dependency %s finished", v, d)
					}
				}
				done.Store(v, true)
				return nil
			})
			n := 0
			done.Range(func(any, any) bool { n++; return true })
			if n != g.Len() {
				t.Errorf("visited %d vertices, want %d", n, g.Len())
			}
			if len(res.Errors)+len(res.Skipped)+len(res.NotStarted) != 0 {
				t.Errorf("clean walk reported %+v", res)
			}
		})
	}
}

func TestWalkFailure(t *testing.T) {
	tests := []struct {
		name string
		spec string
		fail []string
		want walkSummary
	}{
		{
			name: "nothing fails",
			spec: "a b:a",
			want: walkSummary{Visited: []string{"a", "b"}, Skipped: map[string]string{}},
		},
		{
			name: "chain",
			spec: "a b:a c:b d:c other",
			fail: []string{"b"},
			want: walkSummary{
				Visited: []string{"a", "b", "other"},
				Failed:  []string{"b"},
				Skipped: map[string]string{"c": "b", "d": "b"},
			},
		},
		{
			name: "a failed leaf stops the whole diamond",
			spec: "top:l,r l:bottom r:bottom",
			fail: []string{"bottom"},
			want: walkSummary{
				Visited: []string{"bottom"},
				Failed:  []string{"bottom"},
				Skipped: map[string]string{"l": "bottom", "r": "bottom", "top": "bottom"},
			},
		},
		{
			name: "equally near failures: the least wins",
			spec: "top:l,r l r",
			fail: []string{"r", "l"},
			want: walkSummary{
				Visited: []string{"l", "r"},
				Failed:  []string{"l", "r"},
				Skipped: map[string]string{"top": "l"},
			},
		},
		{
			// a is less than z, but z is one step away and a two.
			name: "the nearest failure wins over the least",
			spec: "top:mid,z mid:a a z",
			fail: []string{"a", "z"},
			want: walkSummary{
				Visited: []string{"a", "z"},
				Failed:  []string{"a", "z"},
				Skipped: map[string]string{"mid": "a", "top": "z"},
			},
		},
		{
			name: "skip reasons propagate past a fan-in",
			spec: "app:db,cache db:net cache:net net web:app",
			fail: []string{"net"},
			want: walkSummary{
				Visited: []string{"net"},
				Failed:  []string{"net"},
				Skipped: map[string]string{"app": "net", "cache": "net", "db": "net", "web": "net"},
			},
		},
		{
			name: "a failure in front of a cycle skips it",
			spec: "a b:a,c c:b d:c e",
			fail: []string{"a"},
			want: walkSummary{
				Visited: []string{"a", "e"},
				Failed:  []string{"a"},
				Skipped: map[string]string{"b": "a", "c": "a", "d": "a"},
			},
		},
	}
	for _, tt := range tests {
		for _, p := range parallelisms {
			t.Run(fmt.Sprintf("%s/parallelism=%d", tt.name, p), func(t *testing.T) {
				g := build(t, tt.spec)
				fn, visited := failing(tt.fail...)
				got := summarize(t, g.Walk(nil, p, fn), visited())
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("Walk (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// Skip reasons must not depend on which failure happened to finish first.
func TestWalkSkipsDeterministic(t *testing.T) {
	// Twenty failing roots, each two steps from top; some of them slow.
	spec := "top:"
	for i := range 20 {
		if i > 0 {
			spec += ","
		}
		spec += fmt.Sprintf("m%02d", i)
	}
	for i := range 20 {
		spec += fmt.Sprintf(" m%02d:f%02d", i, i)
	}
	g := build(t, spec)
	for i := range 20 {
		res := g.Walk(nil, 8, func(v string) error {
			if v[0] == 'f' {
				if (v[2]-'0'+byte(i))%3 == 0 {
					time.Sleep(time.Millisecond)
				}
				return errBoom
			}
			return nil
		})
		if got := res.Skipped["top"]; got != "f00" {
			t.Fatalf("run %d: top skipped because of %q, want f00", i, got)
		}
	}
}

func TestWalkParallelismBound(t *testing.T) {
	g := New(stringLess)
	for i := range 64 {
		g.Add(fmt.Sprintf("v%02d", i))
	}
	for _, p := range []int{1, 3, 8} {
		t.Run(fmt.Sprintf("parallelism=%d", p), func(t *testing.T) {
			var running, peak atomic.Int32
			// The first p visits wait for each other, so that reaching
			// the bound is certain rather than likely.
			var gate sync.WaitGroup
			gate.Add(p)
			var arrived atomic.Int32
			res := g.Walk(nil, p, func(string) error {
				n := running.Add(1)
				defer running.Add(-1)
				for {
					old := peak.Load()
					if n <= old || peak.CompareAndSwap(old, n) {
						break
					}
				}
				if arrived.Add(1) <= int32(p) {
					gate.Done()
					gate.Wait()
				}
				time.Sleep(100 * time.Microsecond)
				return nil
			})
			if got := peak.Load(); got != int32(p) {
				t.Errorf("peak concurrent visits = %d, want %d", got, p)
			}
			if len(res.Errors)+len(res.Skipped)+len(res.NotStarted) != 0 {
				t.Errorf("clean walk reported %+v", res)
			}
		})
	}
}

func TestWalkParallelismBelowOne(t *testing.T) {
	g := build(t, "a b c")
	for _, p := range []int{0, -1} {
		fn, visited := failing()
		g.Walk(nil, p, fn)
		if diff := cmp.Diff([]string{"a", "b", "c"}, visited()); diff != "" {
			t.Errorf("parallelism %d visited (-want +got):\n%s", p, diff)
		}
	}
}

func TestWalkStop(t *testing.T) {
	tests := []struct {
		name      string
		spec      string
		closeAt   string // closes stop from inside fn for this vertex
		fail      []string
		preclosed bool
		want      walkSummary
	}{
		{
			name:    "stop in the middle of a chain",
			spec:    "a b:a c:b d:c",
			closeAt: "b",
			want: walkSummary{
				Visited:    []string{"a", "b"},
				Skipped:    map[string]string{},
				NotStarted: []string{"c", "d"},
			},
		},
		{
			name:    "stop among independent vertices",
			spec:    "a b c d e",
			closeAt: "a",
			want: walkSummary{
				Visited:    []string{"a"},
				Skipped:    map[string]string{},
				NotStarted: []string{"b", "c", "d", "e"},
			},
		},
		{
			name:    "stop on the last vertex",
			spec:    "a b:a",
			closeAt: "b",
			want:    walkSummary{Visited: []string{"a", "b"}, Skipped: map[string]string{}},
		},
		{
			name:      "stopped before the walk",
			spec:      "a b:a c",
			preclosed: true,
			want:      walkSummary{Skipped: map[string]string{}, NotStarted: []string{"a", "b", "c"}},
		},
		{
			// c would never have run, so it is skipped, not merely not
			// started.
			name:    "skipped wins over not started",
			spec:    "a b c:a d:b",
			fail:    []string{"a"},
			closeAt: "a",
			want: walkSummary{
				Visited:    []string{"a"},
				Failed:     []string{"a"},
				Skipped:    map[string]string{"c": "a"},
				NotStarted: []string{"b", "d"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := build(t, tt.spec)
			stop := make(chan struct{})
			if tt.preclosed {
				close(stop)
			}
			inner, visited := failing(tt.fail...)
			fn := func(v string) error {
				if v == tt.closeAt {
					close(stop)
				}
				return inner(v)
			}
			got := summarize(t, g.Walk(stop, 1, fn), visited())
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Walk (-want +got):\n%s", diff)
			}
		})
	}
}

// With several workers, closing stop must let the visits in flight finish,
// start nothing afterwards, and account for every vertex exactly once.
func TestWalkStopParallel(t *testing.T) {
	g := New(stringLess)
	for i := range 200 {
		v := fmt.Sprintf("v%03d", i)
		g.Add(v)
		if i >= 10 {
			g.Connect(v, fmt.Sprintf("v%03d", i%10))
		}
	}
	const p = 4
	stop := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	started := map[string]bool{}
	finished := map[string]bool{}
	var lateStarts atomic.Int32
	res := g.Walk(stop, p, func(v string) error {
		mu.Lock()
		started[v] = true
		n := len(started)
		mu.Unlock()
		select {
		case <-stop:
			// Walk may have checked stop just before it was closed, so
			// one start per other worker can race with the close; more
			// would mean it stopped checking.
			lateStarts.Add(1)
		default:
		}
		if n == 30 {
			once.Do(func() { close(stop) })
		}
		// Outlive the close, so that visits are in flight when it happens.
		time.Sleep(200 * time.Microsecond)
		mu.Lock()
		finished[v] = true
		mu.Unlock()
		return nil
	})

	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(started, finished); diff != "" {
		t.Errorf("Walk returned with visits in flight (-started +finished):\n%s", diff)
	}
	if n := lateStarts.Load(); n > p-1 {
		t.Errorf("%d visits started after stop was closed, want at most %d", n, p-1)
	}
	if len(res.NotStarted) == 0 {
		t.Fatalf("nothing reported NotStarted after stopping at 30 of %d", g.Len())
	}
	if !slices.IsSorted(res.NotStarted) {
		t.Errorf("NotStarted is not sorted: %v", res.NotStarted)
	}
	for _, v := range res.NotStarted {
		if started[v] {
			t.Errorf("%s both visited and NotStarted", v)
		}
	}
	if got, want := len(started)+len(res.NotStarted), g.Len(); got != want {
		t.Errorf("visited %d + not started %d = %d, want %d", len(started), len(res.NotStarted), got, want)
	}
	if len(res.Errors)+len(res.Skipped) != 0 {
		t.Errorf("stopped walk reported errors or skips: %+v", res)
	}
}

func TestWalkCycle(t *testing.T) {
	// b ⇄ c is a cycle; d is behind it; a, e and f:e are clear of it.
	g := build(t, "a b:a,c c:b d:c e f:e")
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("parallelism=%d", p), func(t *testing.T) {
			fn, visited := failing()
			done := make(chan walkSummary)
			go func() { done <- summarize(t, g.Walk(nil, p, fn), visited()) }()
			select {
			case got := <-done:
				want := walkSummary{
					Visited:    []string{"a", "e", "f"},
					Skipped:    map[string]string{},
					NotStarted: []string{"b", "c", "d"},
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Walk (-want +got):\n%s", diff)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Walk did not return on a graph with a cycle")
			}
		})
	}
}

func TestWalkSelfLoop(t *testing.T) {
	g := build(t, "a:a b:a c")
	fn, visited := failing()
	got := summarize(t, g.Walk(nil, 2, fn), visited())
	want := walkSummary{Visited: []string{"c"}, Skipped: map[string]string{}, NotStarted: []string{"a", "b"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Walk (-want +got):\n%s", diff)
	}
}

func TestWalkEmpty(t *testing.T) {
	res := New(stringLess).Walk(nil, 4, func(string) error {
		t.Error("fn called on an empty graph")
		return nil
	})
	want := WalkResult[string]{}
	if diff := cmp.Diff(want, res, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Walk (-want +got):\n%s", diff)
	}
}

func TestWalkLongChain(t *testing.T) {
	const n = 100_000
	g := chain(n)
	for _, p := range []int{1, 8} {
		t.Run(fmt.Sprintf("parallelism=%d", p), func(t *testing.T) {
			next := 0
			res := g.Walk(nil, p, func(v string) error {
				// A chain admits one visit at a time, so next needs no lock.
				if want := chainName(next); v != want {
					t.Errorf("visited %s, want %s", v, want)
				}
				next++
				return nil
			})
			if next != n {
				t.Errorf("visited %d, want %d", next, n)
			}
			if len(res.Errors)+len(res.Skipped)+len(res.NotStarted) != 0 {
				t.Errorf("clean walk reported %d errors, %d skipped, %d not started",
					len(res.Errors), len(res.Skipped), len(res.NotStarted))
			}
		})
	}

	t.Run("failure at the root", func(t *testing.T) {
		res := g.Walk(nil, 4, func(v string) error {
			if v == chainName(0) {
				return errBoom
			}
			t.Errorf("visited %s after the root failed", v)
			return nil
		})
		if len(res.Skipped) != n-1 || res.Skipped[chainName(n-1)] != chainName(0) {
			t.Errorf("skipped %d, last because of %q; want %d because of %s",
				len(res.Skipped), res.Skipped[chainName(n-1)], n-1, chainName(0))
		}
	})
}
