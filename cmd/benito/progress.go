package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/engine"
	"github.com/benito-net/benito/plan"
	"golang.org/x/term"
)

// terminalWidth is the width in columns of the terminal w, or 0.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return cols
}

// progress prints a line when each change starts and ends, and a "still
// ..." line for slow ones, in Terraform's words.
//
// On a terminal (live), it also keeps one status line at the bottom, redrawn
// in place after each event and every statusEvery while changes run: how
// many changes are done of how many, how many failed, the time elapsed and
// the change running longest. The event lines are printed above it. end
// erases it, so what follows (the summary) reads as without it. Elsewhere
// (a pipe, a file) the output is the event lines only, as they always were.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	color bool

	live    bool
	width   func() int       // the terminal's width in columns; 0 if unknown
	now     func() time.Time // the clock, a fake one in tests
	every   time.Duration    // how often the status line is redrawn
	total   int              // the changes of the plan (a replacement is two)
	done    int              // changes finished well
	failed  int              // changes finished with an error
	began   time.Time        // when the first change started
	running map[step]time.Time
	shown   bool          // the status line is on the terminal
	ended   bool          // end was called: nothing more is drawn
	stop    chan struct{} // closed by end: the ticker stops
	stopped chan struct{} // closed when the ticker's goroutine has returned
}

// step is one change in flight: a replacement's destroy and create halves
// are two.
type step struct {
	addr   addrs.Resource
	action plan.Action
}

// statusEvery is how often the status line is redrawn between events.
const statusEvery = 250 * time.Millisecond

var _ engine.Hooks = (*progress)(nil)

func newProgress(w io.Writer, color bool) *progress { return &progress{w: w, color: color} }

// newLiveProgress is newProgress for a terminal w, width columns wide (its
// width is asked again at each redraw, as the window may be resized).
func newLiveProgress(w io.Writer, color bool, width func() int) *progress {
	return &progress{w: w, color: color, live: true, width: width, now: time.Now, every: statusEvery, running: map[step]time.Time{}}
}

// expect sets the number of changes the apply will make: the status line's
// total.
func (p *progress) expect(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total = total
}

// end stops the ticker, waiting for it, and erases the status line. It may
// be called more than once.
func (p *progress) end() {
	p.mu.Lock()
	if !p.live || p.ended {
		p.mu.Unlock()
		return
	}
	p.ended = true
	stop, stopped := p.stop, p.stopped
	p.mu.Unlock()
	if stop != nil {
		close(stop)
		<-stopped
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		io.WriteString(p.w, "\r\x1b[K")
		p.shown = false
	}
}

// endIfBegun ends p if a change has started: the apply is over when the
// workdir reports its diagnostics, and those before it leave p running.
func (p *progress) endIfBegun() {
	p.mu.Lock()
	begun := p.stop != nil
	p.mu.Unlock()
	if begun {
		p.end()
	}
}

// tick redraws the status line every p.every until end.
func (p *progress) tick(stop, stopped chan struct{}) {
	defer close(stopped)
	t := time.NewTicker(p.every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			p.mu.Lock()
			if !p.ended {
				io.WriteString(p.w, "\r\x1b[K"+p.status())
				p.shown = true
			}
			p.mu.Unlock()
		}
	}
}

// event prints an event line for addr and, when live, updates the status
// with update and redraws it below the line; p.mu is held.
func (p *progress) event(addr addrs.Resource, text string) {
	a := addr.String()
	if p.color {
		a = "\x1b[1m" + a + "\x1b[0m"
	}
	line := a + ": " + text + "\n"
	if !p.live || p.ended {
		io.WriteString(p.w, line)
		return
	}
	io.WriteString(p.w, "\r\x1b[K"+line+p.status())
	p.shown = true
}

var (
	startedWords = map[plan.Action]string{plan.Create: "Creating", plan.Update: "Modifying", plan.Delete: "Destroying"}
	stillWords   = map[plan.Action]string{plan.Create: "creating", plan.Update: "modifying", plan.Delete: "destroying"}
	finishWords  = map[plan.Action]string{plan.Create: "Creation", plan.Update: "Modifications", plan.Delete: "Destruction"}
)

func (p *progress) Started(addr addrs.Resource, action plan.Action) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live && !p.ended {
		now := p.now()
		if p.stop == nil {
			// The first change: the ticker starts, once for the apply.
			p.began = now
			p.stop, p.stopped = make(chan struct{}), make(chan struct{})
			go p.tick(p.stop, p.stopped)
		}
		p.running[step{addr, action}] = now
	}
	p.event(addr, startedWords[action]+"...")
}

func (p *progress) Still(addr addrs.Resource, action plan.Action, elapsed time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.event(addr, fmt.Sprintf("Still %s... [%s elapsed]", stillWords[action], roundDuration(elapsed)))
}

func (p *progress) Finished(addr addrs.Resource, action plan.Action, elapsed time.Duration, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live {
		delete(p.running, step{addr, action})
		if err != nil {
			p.failed++
		} else {
			p.done++
		}
	}
	if err != nil {
		p.event(addr, fmt.Sprintf("%s failed after %s", finishWords[action], roundDuration(elapsed)))
		return
	}
	p.event(addr, fmt.Sprintf("%s complete after %s", finishWords[action], roundDuration(elapsed)))
}

// status is the status line, without a newline, no wider than the
// terminal (80 columns when its width is unknown); p.mu is held.
func (p *progress) status() string {
	now := p.now()
	// The change running longest; of those started at once, the first by
	// address, so that the same run shows the same line.
	var slow step
	var since time.Time
	for s, t := range p.running {
		if since.IsZero() || t.Before(since) || t.Equal(since) && (s.addr.Compare(slow.addr) < 0 || s.addr == slow.addr && s.action < slow.action) {
			slow, since = s, t
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[%s/%s done", thousands(p.done), thousands(p.total))
	failedAt, failedEnd := -1, -1
	if p.failed > 0 {
		b.WriteString(", ")
		failedAt = b.Len()
		fmt.Fprintf(&b, "%s failed", thousands(p.failed))
		failedEnd = b.Len()
	}
	fmt.Fprintf(&b, "] %s elapsed", wholeSeconds(now.Sub(p.began)))
	addrAt, addrEnd := -1, -1
	if !since.IsZero() {
		b.WriteString(" · slowest now: ")
		addrAt = b.Len()
		b.WriteString(slow.addr.String())
		addrEnd = b.Len()
		fmt.Fprintf(&b, " %s %s", stillWords[slow.action], wholeSeconds(now.Sub(since)))
	}
	text := b.String()
	width := 0
	if p.width != nil {
		width = p.width()
	}
	if width <= 0 {
		width = 80
	}
	// One column short of the width: a line filling the last column leaves
	// some terminals waiting to wrap, and the next carriage return would
	// go to the line below.
	if max := width - 1; utf8.RuneCountInString(text) > max {
		if max < 1 {
			return ""
		}
		runes := []rune(text)
		// Cut, the colours go: they would mark a part that may be gone.
		return string(runes[:max-1]) + "…"
	}
	if !p.color {
		return text
	}
	// Failures in red, the slowest change's address in bold, as the
	// event lines show addresses.
	var c strings.Builder
	last := 0
	for _, m := range []struct {
		at, end int
		sgr     string
	}{{failedAt, failedEnd, "\x1b[31m"}, {addrAt, addrEnd, "\x1b[1m"}} {
		if m.at < 0 {
			continue
		}
		c.WriteString(text[last:m.at])
		c.WriteString(m.sgr + text[m.at:m.end] + "\x1b[0m")
		last = m.end
	}
	c.WriteString(text[last:])
	return c.String()
}

// thousands writes n with commas between groups of three digits: 1,024.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// wholeSeconds shows d to the second: 0s, 9s, 2m5s.
func wholeSeconds(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return d.Truncate(time.Second).String()
}

func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}
