package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/engine"
	"github.com/benito-net/benito/plan"
)

// progress prints a line when each change starts and ends, and a "still
// ..." line for slow ones, in Terraform's words.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	color bool
}

var _ engine.Hooks = (*progress)(nil)

func newProgress(w io.Writer, color bool) *progress { return &progress{w: w, color: color} }

func (p *progress) line(addr addrs.Resource, format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := addr.String()
	if p.color {
		a = "\x1b[1m" + a + "\x1b[0m"
	}
	fmt.Fprintf(p.w, "%s: %s\n", a, fmt.Sprintf(format, args...))
}

func (p *progress) Started(addr addrs.Resource, action plan.Action) {
	p.line(addr, "%s...", map[plan.Action]string{plan.Create: "Creating", plan.Update: "Modifying", plan.Delete: "Destroying"}[action])
}

func (p *progress) Still(addr addrs.Resource, action plan.Action, elapsed time.Duration) {
	p.line(addr, "Still %s... [%s elapsed]", map[plan.Action]string{plan.Create: "creating", plan.Update: "modifying", plan.Delete: "destroying"}[action], roundDuration(elapsed))
}

func (p *progress) Finished(addr addrs.Resource, action plan.Action, elapsed time.Duration, err error) {
	noun := map[plan.Action]string{plan.Create: "Creation", plan.Update: "Modifications", plan.Delete: "Destruction"}[action]
	if err != nil {
		p.line(addr, "%s failed after %s", noun, roundDuration(elapsed))
		return
	}
	p.line(addr, "%s complete after %s", noun, roundDuration(elapsed))
}

func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}
