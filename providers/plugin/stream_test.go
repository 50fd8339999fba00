package plugin_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benito-net/benito/providers"
	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

func applyReq(addr string) providers.ApplyResourceRequest {
	return providers.ApplyResourceRequest{Address: addr, Type: "thing", Prior: cty.NullVal(echoSchema.ResourceTypes["thing"].ImpliedType()), Planned: thingVal()}
}

// TestApplyConcurrent sends many applies at once, with a slow one among
// them: each gets its own answer, and the slow one delays none of the
// others.
func TestApplyConcurrent(t *testing.T) {
	for _, mode := range []string{"echo", "unary"} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			p := start(t, "echo", mode, 0)
			slow := make(chan time.Duration, 1)
			t0 := time.Now()
			go func() {
				p.ApplyResource(ctx, applyReq("thing.slow"))
				slow <- time.Since(t0)
			}()
			var wg sync.WaitGroup
			errs := make(chan string, 200)
			for i := range 200 {
				wg.Go(func() {
					req := applyReq(fmt.Sprintf("thing.x%d", i))
					req.PlannedPrivate = []byte(req.Address)
					resp := p.ApplyResource(ctx, req)
					if string(resp.Private) != req.Address || !sameValue(resp.New, req.Planned) ||
						len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Address != req.Address {
						errs <- fmt.Sprintf("%s: %q %+v", req.Address, resp.Private, resp.Diagnostics)
					}
				})
			}
			wg.Wait()
			fast := time.Since(t0)
			close(errs)
			for e := range errs {
				t.Error(e)
			}
			if s := <-slow; fast >= s {
				t.Errorf("200 fast applies took %s, longer than the slow one (%s)", fast, s)
			}
		})
	}
}

// TestCrashFailsEveryWaitingCall: a provider that crashes while several
// calls wait fails each of them at once, naming the provider; they all
// point to one end, which lists every call in flight.
func TestCrashFailsEveryWaitingCall(t *testing.T) {
	ctx := context.Background()
	p := start(t, "echo", "echo", 0)
	const waiting = 5
	out := make(chan providers.ApplyResourceResponse, waiting+1)
	for i := range waiting {
		go func() { out <- p.ApplyResource(ctx, applyReq(fmt.Sprintf("thing.block-%d", i))) }()
	}
	time.Sleep(200 * time.Millisecond)
	t0 := time.Now()
	go func() { out <- p.ApplyResource(ctx, applyReq("thing.crash")) }()
	// Which call notices first is chance: that one carries the whole
	// story; the others say they were in flight.
	seen, withOutput := map[string]bool{}, 0
	var end *providers.Ended
	for range waiting + 1 {
		select {
		case r := <-out:
			if len(r.Diagnostics) != 1 || r.Diagnostics[0].Summary != `Provider "echo" (`+testExe(t)+`) crashed` || r.Diagnostics[0].Ended == nil || r.Diagnostics[0].NotSent {
				t.Errorf("a call: %+v", r.Diagnostics)
				continue
			}
			d := r.Diagnostics[0]
			if end == nil {
				end = d.Ended
			} else if d.Ended != end {
				t.Errorf("%s: another end, %+v", d.Address, d.Ended)
			}
			seen[d.Address] = true
			switch {
			case strings.Contains(d.Detail, "panic: boom"):
				withOutput++
			case !strings.HasPrefix(d.Detail, "This call was in flight when the provider ended"):
				t.Errorf("%s: %s", d.Address, d.Detail)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a waiting call did not end after the crash")
		}
	}
	if len(seen) != waiting+1 || withOutput != 1 {
		t.Errorf("addresses: %v; %d with the output", seen, withOutput)
	}
	if el := time.Since(t0); el > 5*time.Second {
		t.Errorf("took %s", el)
	}
	if end == nil {
		return
	}
	// The calls in flight, in the order they were sent: the blocked ones
	// (in any order, sent at once), then the crashing one.
	const header = "In flight when it ended (benito does not know whether these 6 were done):\n"
	_, list, ok := strings.Cut(end.Detail, header)
	list, _, _ = strings.Cut(list, "\n\n")
	lines := strings.Split(list, "\n")
	if !ok || len(lines) != waiting+1 || lines[waiting] != "  creating thing.crash" {
		t.Fatalf("the end does not list the calls in flight:\n%s", end.Detail)
	}
	slices.Sort(lines[:waiting])
	if d := cmp.Diff([]string{"  creating thing.block-0", "  creating thing.block-1", "  creating thing.block-2", "  creating thing.block-3", "  creating thing.block-4"}, lines[:waiting]); d != "" {
		t.Errorf("the blocked calls in flight (-want +got):\n%s", d)
	}
}

// TestHangFailsEveryWaitingCall: the call that times out kills the
// provider, and the calls waiting with it end too.
func TestHangFailsEveryWaitingCall(t *testing.T) {
	ctx := context.Background()
	p := start(t, "echo", "echo", 500*time.Millisecond)
	other := make(chan providers.ApplyResourceResponse, 1)
	go func() {
		time.Sleep(100 * time.Millisecond)
		other <- p.ApplyResource(ctx, applyReq("thing.block"))
	}()
	resp := p.ApplyResource(ctx, applyReq("thing.hang"))
	want := `Provider "echo" (` + testExe(t) + `) did not answer within 500ms while creating thing.hang`
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Summary != want || resp.Diagnostics[0].Address != "thing.hang" {
		t.Errorf("the hanging call: %+v", resp.Diagnostics)
	}
	select {
	case r := <-other:
		if len(r.Diagnostics) != 1 || r.Diagnostics[0].Summary != want || r.Diagnostics[0].Address != "thing.block" ||
			!strings.HasPrefix(r.Diagnostics[0].Detail, "This call was in flight when the provider ended") {
			t.Errorf("the other call: %+v", r.Diagnostics)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the other call did not end")
	}
}

// TestCancelReachesProvider: a call its caller cancels is cancelled in
// the provider too, and the stream serves on.
func TestCancelReachesProvider(t *testing.T) {
	p := start(t, "echo", "echo", 0)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	resp := p.ApplyResource(ctx, applyReq("thing.wait"))
	if err := resp.Diagnostics.Err(); err == nil || !strings.Contains(err.Error(), "creating thing.wait was cancelled") {
		t.Errorf("diagnostics: %+v", resp.Diagnostics)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := p.ApplyResource(context.Background(), applyReq("thing.cancelled"))
		if len(r.Diagnostics) != 1 {
			t.Fatalf("diagnostics: %+v", r.Diagnostics)
		}
		if r.Diagnostics[0].Detail == "1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the provider's call was not cancelled: %+v", r.Diagnostics)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
