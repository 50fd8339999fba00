package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/internal/pty"
	"github.com/benito-net/benito/internal/syncbuf"
	"github.com/benito-net/benito/plan"
)

func vnodeAddr(key int) addrs.Resource {
	return addrs.Resource{Type: "vnode", Name: "h", Key: addrs.IntKey(key)}
}

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock           { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }
func liveForTest(w *bytes.Buffer, color bool, width int, c *fakeClock) *progress {
	p := newLiveProgress(w, color, func() int { return width })
	p.now = c.now
	p.every = time.Hour // redrawn by events only, unless a test says otherwise
	return p
}

// TestProgressLines: not on a terminal, the lines are Terraform's, and
// nothing else: no carriage return, no status.
func TestProgressLines(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, false)
	p.expect(3)
	p.Started(vnodeAddr(1), plan.Create)
	p.Still(vnodeAddr(1), plan.Create, 10*time.Second)
	p.Finished(vnodeAddr(1), plan.Create, 10400*time.Millisecond, nil)
	p.Started(vnodeAddr(2), plan.Delete)
	p.Finished(vnodeAddr(2), plan.Delete, 21*time.Millisecond, errors.New("no"))
	p.Started(vnodeAddr(3), plan.Update)
	p.Finished(vnodeAddr(3), plan.Update, 1500*time.Microsecond, nil)
	p.end()
	want := `vnode.h[1]: Creating...
vnode.h[1]: Still creating... [10s elapsed]
vnode.h[1]: Creation complete after 10s
vnode.h[2]: Destroying...
vnode.h[2]: Destruction failed after 21ms
vnode.h[3]: Modifying...
vnode.h[3]: Modifications complete after 2ms
`
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}

// TestProgressStatus: the status line counts, names the change running
// longest, and is redrawn below each event line.
func TestProgressStatus(t *testing.T) {
	var b bytes.Buffer
	c := newFakeClock()
	p := liveForTest(&b, false, 200, c)
	defer p.end()
	p.expect(1024)
	p.Started(vnodeAddr(17), plan.Create)
	if want := "\r\x1b[Kvnode.h[17]: Creating...\n[0/1,024 done] 0s elapsed · slowest now: vnode.h[17] creating 0s"; b.String() != want {
		t.Fatalf("after the first event:\n%q\nwant\n%q", b.String(), want)
	}
	c.add(5 * time.Second)
	// Started at once: the first by address is the slowest.
	p.Started(vnodeAddr(9), plan.Delete)
	p.Started(vnodeAddr(3), plan.Create)
	c.add(4 * time.Second)
	for i := 100; i < 411; i++ {
		p.Finished(vnodeAddr(i), plan.Create, time.Second, nil)
	}
	p.Finished(vnodeAddr(411), plan.Create, time.Second, errors.New("no"))
	p.Finished(vnodeAddr(412), plan.Create, time.Second, errors.New("no"))
	c.add(900 * time.Millisecond)
	if got, want := p.status(), "[311/1,024 done, 2 failed] 9s elapsed · slowest now: vnode.h[17] creating 9s"; got != want {
		t.Errorf("status:\n%q\nwant\n%q", got, want)
	}
	p.Finished(vnodeAddr(17), plan.Create, 9*time.Second, nil)
	if got, want := p.status(), "[312/1,024 done, 2 failed] 9s elapsed · slowest now: vnode.h[3] creating 4s"; got != want {
		t.Errorf("status:\n%q\nwant\n%q", got, want)
	}
	p.Finished(vnodeAddr(3), plan.Create, 4*time.Second, nil)
	if got, want := p.status(), "[313/1,024 done, 2 failed] 9s elapsed · slowest now: vnode.h[9] destroying 4s"; got != want {
		t.Errorf("status:\n%q\nwant\n%q", got, want)
	}
	p.Finished(vnodeAddr(9), plan.Delete, 4*time.Second, nil)
	c.add(2 * time.Minute)
	if got, want := p.status(), "[314/1,024 done, 2 failed] 2m9s elapsed"; got != want {
		t.Errorf("nothing running:\n%q\nwant\n%q", got, want)
	}
	// Every event line is printed above the status, which is redrawn.
	out := b.String()
	if n := strings.Count(out, "\r\x1b[K"); n != 3+314+2 {
		t.Errorf("%d redraws, want one per event (319)", n)
	}
	if !strings.Contains(out, "\r\x1b[Kvnode.h[412]: Creation failed after 1s\n[311/1,024 done, 2 failed] ") {
		t.Errorf("no event line above a redrawn status:\n%s", out[len(out)-300:])
	}
	b.Reset()
	p.end()
	if b.String() != "\r\x1b[K" {
		t.Errorf("end wrote %q, want the status erased", b.String())
	}
	// After end, the lines are plain again.
	b.Reset()
	p.Started(vnodeAddr(1), plan.Create)
	p.end()
	if want := "vnode.h[1]: Creating...\n"; b.String() != want {
		t.Errorf("after end: %q, want %q", b.String(), want)
	}
}

// TestProgressStatusWidth: the status line is cut to the terminal's
// width, less a column, and to 80 columns when the width is unknown.
func TestProgressStatusWidth(t *testing.T) {
	c := newFakeClock()
	long := addrs.Resource{Type: "vnode", Name: "host", Key: addrs.StringKey(strings.Repeat("x", 100))}
	for _, tc := range []struct {
		width, want int
	}{{40, 39}, {0, 79}, {1000, len([]rune("[0/2 done] 0s elapsed · slowest now: vnode.host[\"" + strings.Repeat("x", 100) + "\"] creating 0s"))}} {
		var b bytes.Buffer
		p := liveForTest(&b, true, tc.width, c)
		p.expect(2)
		p.Started(long, plan.Create)
		s := p.status()
		if n := len([]rune(regexp.MustCompile("\x1b\\[[0-9]*m").ReplaceAllString(s, ""))); n != tc.want {
			t.Errorf("width %d: %d columns, want %d: %q", tc.width, n, tc.want, s)
		}
		if tc.width < 1000 && (!strings.HasSuffix(s, "…") || strings.Contains(s, "\x1b")) {
			t.Errorf("width %d: want a cut with … and no colour (it may cut a coloured part): %q", tc.width, s)
		}
		p.end()
	}
}

// TestProgressStatusColor: in colour, failures are red and the slowest
// change's address bold; without, plain.
func TestProgressStatusColor(t *testing.T) {
	for _, color := range []bool{true, false} {
		var b bytes.Buffer
		c := newFakeClock()
		p := liveForTest(&b, color, 120, c)
		p.expect(3)
		p.Started(vnodeAddr(1), plan.Create)
		p.Started(vnodeAddr(2), plan.Create)
		p.Finished(vnodeAddr(2), plan.Create, 0, errors.New("no"))
		want := "[0/3 done, 1 failed] 0s elapsed · slowest now: vnode.h[1] creating 0s"
		if color {
			want = "[0/3 done, \x1b[31m1 failed\x1b[0m] 0s elapsed · slowest now: \x1b[1mvnode.h[1]\x1b[0m creating 0s"
		}
		if got := p.status(); got != want {
			t.Errorf("colour %v:\n%q\nwant\n%q", color, got, want)
		}
		p.end()
	}
}

// TestProgressEndIfBegun: diagnostics before the apply (a plan's
// warnings) leave the status to come; after it, they end it.
func TestProgressEndIfBegun(t *testing.T) {
	var b bytes.Buffer
	c := newFakeClock()
	p := liveForTest(&b, false, 80, c)
	p.expect(1)
	p.endIfBegun()
	p.Started(vnodeAddr(1), plan.Create)
	if !strings.Contains(b.String(), "[0/1 done]") {
		t.Fatalf("no status after diagnostics before the apply: %q", b.String())
	}
	p.Finished(vnodeAddr(1), plan.Create, 0, nil)
	p.endIfBegun()
	if !strings.HasSuffix(b.String(), "[1/1 done] 0s elapsed\r\x1b[K") {
		t.Errorf("the status is not erased by diagnostics after the apply: %q", b.String())
	}
	select {
	case <-p.stopped:
	default:
		t.Error("the ticker still runs after the apply's diagnostics")
	}
}

// TestProgressTicker: between events the status is redrawn by one ticker,
// started by the first change and gone when end returns.
func TestProgressTicker(t *testing.T) {
	var b syncbuf.Buffer
	p := newLiveProgress(&b, false, func() int { return 80 })
	p.every = time.Millisecond
	p.expect(1)
	p.Started(vnodeAddr(1), plan.Create)
	stopped := p.stopped
	for i := 0; strings.Count(b.String(), "\r\x1b[K") < 3; i++ {
		if i == 1000 {
			t.Fatalf("the status was not redrawn in 10s: %q", b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.Finished(vnodeAddr(1), plan.Create, time.Millisecond, nil)
	p.end()
	select {
	case <-stopped:
	default:
		t.Fatal("end returned with the ticker's goroutine still running")
	}
	out := b.String()
	if !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("the status was not erased last: %q", out[max(0, len(out)-100):])
	}
	time.Sleep(20 * time.Millisecond)
	if b.String() != out {
		t.Errorf("written after end: %q", b.String()[len(out):])
	}
}

// TestApplyProgressTerminal applies the quickstart for real through a
// pipe, where no status is drawn, then destroys and applies it again with
// the output on a pseudo-terminal: the status line is drawn, and erased
// before the summary, which reads as it does elsewhere.
func TestApplyProgressTerminal(t *testing.T) {
	requireRoot(t)
	dir, _ := realExperiment(t, "quickstart")

	// Through a real pipe (an *os.File, as a terminal is, but not one).
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	var piped bytes.Buffer
	read := make(chan struct{})
	go func() {
		defer close(read)
		piped.ReadFrom(pr)
	}()
	var stderr bytes.Buffer
	code := run([]string{"apply", "-auto-approve", dir}, strings.NewReader(""), pw, &stderr, []string{"NO_COLOR=1"})
	pw.Close()
	<-read
	r := result{code, piped.String(), stderr.String()}
	if r.code != 0 {
		t.Fatalf("apply through a pipe:\n%s", r)
	}
	if strings.Contains(r.stdout, "\r") || strings.Contains(r.stdout, "\x1b") || strings.Contains(r.stdout, " elapsed ·") || !strings.Contains(r.stdout, "Creation complete after") {
		t.Errorf("apply through a pipe drew a status line, or no progress lines:\n%q", r.stdout)
	}
	onTerminal(t, "destroy", dir, `Destroy complete! Resources: \d+ destroyed\.`)
	onTerminal(t, "apply", dir, `Apply complete! Resources: \d+ added, 0 changed, 0 destroyed\.`)
}

// onTerminal runs benito command -auto-approve dir with its output on a
// pseudo-terminal 100 columns wide, and checks the status line and the
// summary, which must match summary.
func onTerminal(t *testing.T, command, dir, summary string) {
	t.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer tty.Close()
	if err := pty.SetSize(tty, 24, 100); err != nil {
		t.Fatal(err)
	}
	var out syncbuf.Buffer
	go io.Copy(&out, master)
	var stderr syncbuf.Buffer
	code := run([]string{command, "-auto-approve", dir}, strings.NewReader(""), tty, &stderr, []string{"NO_COLOR=1"})
	// What the terminal shows, without the line discipline's \r before \n.
	sum := regexp.MustCompile(`(?m)^(.*)` + summary + `\n`)
	var got string
	for i := 0; ; i++ {
		got = strings.ReplaceAll(out.String(), "\r\n", "\n")
		if sum.MatchString(got) || i == 500 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code != 0 {
		t.Fatalf("%s on a terminal: exit %d\n%s\n--- stderr\n%s", command, code, got, stderr.String())
	}
	// The status follows an event line or its own erasure.
	status := regexp.MustCompile(`(?:\r\x1b\[K|\n)\[\d+/(\d+) done\] \d+s elapsed( · slowest now: [^\r\n]+ (creating|modifying|destroying) \d+s)?`)
	m := status.FindAllStringSubmatch(got, -1)
	if len(m) == 0 {
		t.Fatalf("%s: no status line on the terminal:\n%q", command, got)
	}
	if strings.Contains(got, "\x1b[1m") || strings.Contains(got, "\x1b[31m") {
		t.Errorf("%s: colour on a terminal with NO_COLOR set:\n%q", command, got)
	}
	if m[0][1] == "0" {
		t.Errorf("%s: the status line counts no changes: %q", command, m[0][0])
	}
	if last := m[len(m)-1][0]; !strings.Contains(last, fmt.Sprintf("[%s/%s done] ", m[0][1], m[0][1])) {
		t.Errorf("%s: the last status line is not all done: %q", command, last)
	}
	for _, l := range strings.Split(got, "\n") {
		for _, part := range strings.Split(l, "\r") {
			if n := len([]rune(strings.TrimPrefix(part, "\x1b[K"))); n >= 100 {
				t.Errorf("%s: %d columns on a terminal 100 wide: %q", command, n, part)
			}
		}
	}
	s := sum.FindStringSubmatch(got)
	if s == nil {
		t.Fatalf("%s: no summary line:\n%q", command, got)
	}
	// Erased before it: the status's erasure, then the blank line that
	// precedes the summary, nothing else.
	i := strings.Index(got, s[0])
	if s[1] != "" || !strings.HasSuffix(got[:i], "\r\x1b[K\n") {
		t.Errorf("%s: the summary is not on a clean line:\n%q", command, got[max(0, i-200):i+len(s[0])])
	}
	if strings.ContainsAny(got[i:], "\x1b\r") {
		t.Errorf("%s: something drawn after the summary:\n%q", command, got[i:])
	}
}
