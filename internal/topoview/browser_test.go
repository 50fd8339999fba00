package topoview

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/testenv"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// browser is a headless Chromium for one test, with the console messages
// of its page. The test's cleanup closes it and checks that none of its
// processes is left, also when the test fails.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	messages []chromedp.ConsoleMessage
}

// Viewport of the browser, in CSS pixels.
const viewW, viewH = 1200, 800

func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe := testenv.Command(t, "chromium", "chromium")
	profile := t.TempDir() // names this browser's processes
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(viewW, viewH),
		chromedp.DisableGPU,
		// Chromium refuses to run as root with its sandbox, and the tests
		// run as root; the page is the test's own, served on loopback.
		chromedp.NoSandbox,
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		chromedp.Cancel(ctx)
		cancel()
		cancelAlloc()
		leftBehind(t, profile)
	})
	b := &browser{t: t, ctx: ctx}
	// The first Run starts the browser; Console then sees every message.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(viewW, viewH)); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.messages = append(b.messages, m)
			b.mu.Unlock()
		}
	}()
	return b
}

// leftBehind fails t if a process of the browser whose profile is in
// profile still runs a few seconds after it was closed (and kills it).
func leftBehind(t *testing.T, profile string) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids := processesWith("--user-data-dir=" + profile)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range pids {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			t.Errorf("chromium processes %v still ran after the browser was closed", pids)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processesWith lists the running processes (zombies aside) whose
// command line has arg.
func processesWith(arg string) []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var out []int
	for _, d := range dirs {
		cmd, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !slices.Contains(strings.Split(string(cmd), "\x00"), arg) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join(d, "stat")); err == nil {
			if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
				continue
			}
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		out = append(out, pid)
	}
	return out
}

// errorsSeen returns the console errors and exceptions so far.
func (b *browser) errorsSeen() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.messages {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			out = append(out, m.String())
		}
	}
	return out
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// serve serves page over a local HTTP server and returns its URL.
func serve(t *testing.T, page []byte) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r) // the page must ask for nothing else
			t.Errorf("the page asked for %s", r.URL)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

// load opens the page of m and waits for its script to have run.
func (b *browser) load(m *Model) {
	b.t.Helper()
	var page bytes.Buffer
	if err := WriteHTML(&page, m, Place(m)); err != nil {
		b.t.Fatal(err)
	}
	b.do(chromedp.Navigate(serve(b.t, page.Bytes())), chromedp.WaitReady("#viewport"))
	start := time.Now()
	for eval[string](b, `document.getElementById("viewport").getAttribute("transform") || ""`) == "" {
		if time.Since(start) > 10*time.Second {
			b.t.Fatal("the page's script never set the viewport's transform")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// nodesShown checks that the page has one element per node of m, by its
// data-address, each with a box on screen.
func (b *browser) nodesShown(m *Model) {
	b.t.Helper()
	got := eval[[]string](b, `Array.from(document.querySelectorAll("#topology g.node")).filter(function (g) { var r = g.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).map(function (g) { return g.dataset.address; })`)
	var want []string
	for _, n := range m.Nodes {
		want = append(want, n.Address)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		b.t.Errorf("nodes on the page: %d %v\nwant %d %v", len(got), first(got), len(want), first(want))
	}
}

func first(s []string) []string { return s[:min(len(s), 8)] }

// transform is the viewport's transform: translation and scale.
func (b *browser) transform() (tx, ty, s float64) {
	b.t.Helper()
	t := eval[string](b, `document.getElementById("viewport").getAttribute("transform")`)
	if _, err := fmt.Sscanf(t, "translate(%g %g) scale(%g)", &tx, &ty, &s); err != nil {
		b.t.Fatalf("viewport transform %q: %v", t, err)
	}
	return tx, ty, s
}

// wheelEvent is Input.dispatchMouseEvent's parameters for a wheel event.
// Chrome requires deltaX and deltaY, and cdproto's own parameters leave
// out a delta that is zero: these always send both.
type wheelEvent struct {
	Type   string  `json:"type"`
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	DeltaX float64 `json:"deltaX"`
	DeltaY float64 `json:"deltaY"`
}

var dispatchWheel = cdp.Command[wheelEvent, cdp.Empty]{Method: input.DispatchMouseEvent.Method}

// wheel turns the mouse wheel over the picture at (x, y).
func (b *browser) wheel(x, y, deltaY float64) {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, dispatchWheel, wheelEvent{Type: string(chromedp.MouseWheel), X: x, Y: y, DeltaY: deltaY})
		return err
	}))
}

// screenshot takes a PNG of the viewport, and checks that the picture (the
// part right of the legend) is not blank: some share of its pixels not
// white, in several colours. It returns the image.
func (b *browser) screenshot(name string) image.Image {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	data, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	if dir := os.Getenv("BENITO_SCREENSHOTS"); dir != "" {
		os.WriteFile(filepath.Join(dir, name+".png"), data, 0o644)
	}
	r := img.Bounds()
	left := r.Min.X + r.Dx()*220/viewW // right of the legend
	colours := map[[3]uint32]bool{}
	ink := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := left; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			colours[[3]uint32{cr >> 8, cg >> 8, cb >> 8}] = true
			if cr>>8 < 240 || cg>>8 < 240 || cb>>8 < 240 {
				ink++
			}
		}
	}
	area := (r.Max.X - left) * r.Dy()
	b.t.Logf("%s: screenshot %dx%d, %d bytes, %d colours, %.2f%% of the picture inked", name, r.Dx(), r.Dy(), len(data), len(colours), 100*float64(ink)/float64(area))
	if len(colours) < 8 || ink < area/500 {
		b.t.Errorf("%s: the screenshot is blank: %d colours, %d of %d pixels not white", name, len(colours), ink, area)
	}
	return img
}

// near reports whether img has, right of the legend, a pixel within a
// small distance of colour c ("#rrggbb").
func near(img image.Image, c string) bool {
	var want [3]int
	fmt.Sscanf(c, "#%02x%02x%02x", &want[0], &want[1], &want[2])
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X + r.Dx()*220/viewW; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			d := abs(int(cr>>8)-want[0]) + abs(int(cg>>8)-want[1]) + abs(int(cb>>8)-want[2])
			if d < 24 {
				return true
			}
		}
	}
	return false
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestBrowser loads the pages of examples/quickstart and of the plan
// fixture in headless Chromium: no console error or exception, every node
// on the page, the wheel zooms around the pointer and a drag pans, the
// screenshot is not blank and shows each action's colour.
func TestBrowser(t *testing.T) {
	b := newBrowser(t)

	// The console is really watched: an error the page writes is seen.
	b.do(chromedp.Navigate(serve(t, []byte(`<!DOCTYPE html><title>probe</title><link rel="icon" href="data:,"><script>console.error("probe")</script>`))))
	for start := time.Now(); len(b.errorsSeen()) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("a console error the page wrote was not seen")
		}
	}
	b.mu.Lock()
	b.messages = nil
	b.mu.Unlock()

	for _, c := range []struct {
		name string
		m    *Model
	}{{"quickstart", quickstart(t)}, {"plan", FromPlan(planFixture(t))}} {
		b.load(c.m)
		b.nodesShown(c.m)

		// The wheel over the middle of the picture zooms in, around it.
		x, y := float64(220+(viewW-220)/2), float64(viewH/2)
		tx0, ty0, s0 := b.transform()
		b.wheel(x, y, -300)
		tx1, ty1, s1 := b.transform()
		if !(s1 > s0) || (tx1 == tx0 && ty1 == ty0) {
			t.Errorf("%s: wheel: transform (%g %g) x%g, then (%g %g) x%g", c.name, tx0, ty0, s0, tx1, ty1, s1)
		}
		// A drag pans: the translation follows the pointer.
		b.do(
			chromedp.MouseEvent(chromedp.MouseMoved, x, y),
			chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonLeft, func(p *input.DispatchMouseEventParams) { p.Buttons = 1; p.ClickCount = 1 }),
			chromedp.MouseEvent(chromedp.MouseMoved, x+80, y+40, func(p *input.DispatchMouseEventParams) { p.Button = input.MouseButtonLeft; p.Buttons = 1 }),
			chromedp.MouseEvent(chromedp.MouseReleased, x+80, y+40, chromedp.ButtonLeft, func(p *input.DispatchMouseEventParams) { p.ClickCount = 1 }),
		)
		tx2, ty2, s2 := b.transform()
		if !(tx2 > tx1 && ty2 > ty1) || s2 != s1 {
			t.Errorf("%s: drag right and down: transform (%g %g) x%g, then (%g %g) x%g", c.name, tx1, ty1, s1, tx2, ty2, s2)
		}
		// Fit goes back to where the page started.
		b.do(chromedp.Click("#zoom-fit"))
		if tx, ty, s := b.transform(); tx != tx0 || ty != ty0 || s != s0 {
			t.Errorf("%s: fit: transform (%g %g) x%g, want (%g %g) x%g", c.name, tx, ty, s, tx0, ty0, s0)
		}

		img := b.screenshot(c.name)
		if c.m.Planned {
			for _, a := range []Action{Create, Update, Replace, Destroy, NoOp} {
				if !near(img, colours[a][0]) {
					t.Errorf("%s: the picture has nothing in %s's colour %s", c.name, a, colours[a][0])
				}
			}
		}
		if errs := b.errorsSeen(); len(errs) > 0 {
			t.Errorf("%s: console errors:\n%s", c.name, strings.Join(errs, "\n"))
		}
	}
}

// TestBrowser1000 loads the page of the generated 1,000-node experiment:
// it loads without error, all 1,000 nodes are on it, the screenshot is
// not blank; zoomed out to fit, node names are hidden (they would be
// unreadable), and zooming in shows them.
func TestBrowser1000(t *testing.T) {
	m := generated(t, 1000)
	b := newBrowser(t)
	start := time.Now()
	b.load(m)
	t.Logf("1,000 nodes: the page loaded in %v", time.Since(start).Round(time.Millisecond))
	b.nodesShown(m)
	b.screenshot("generated-1000")
	farther := func() bool {
		return eval[bool](b, `document.getElementById("topology").classList.contains("farther")`)
	}
	if !farther() {
		t.Errorf("zoomed out on 1,000 nodes, the node names are shown")
	}
	x, y := float64(220+(viewW-220)/2), float64(viewH/2)
	for i := 0; i < 20 && farther(); i++ {
		b.wheel(x, y, -300)
	}
	if farther() {
		t.Errorf("zoomed in, the node names are still hidden")
	}
	b.screenshot("generated-1000-zoomed")
	if errs := b.errorsSeen(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
	if err := b.ctx.Err(); err != nil && !errors.Is(err, context.Canceled) {
		t.Error(err)
	}
}
