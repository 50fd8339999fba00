package plan

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/internal/parallel"
)

// RenderOptions controls RenderHuman.
type RenderOptions struct {
	// Color adds ANSI colour codes. Callers set it only when writing to a
	// terminal: plans saved to files and pasted into reviews must stay plain.
	Color bool
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

// ruleLine separates the drift report from the plan proper. It has a fixed
// width so that the rendering does not depend on the terminal.
const ruleLine = "────────────────────────────────────────────────────────────────"

// flushAt is how much rendered text is buffered before it is written out:
// large enough that a 100,000-resource plan costs few writes, small enough
// that the buffer never holds the whole plan.
const flushAt = 64 << 10

// renderChunk is how many resources one rendering task covers.
const renderChunk = 500

// RenderHuman writes the plan as experimenters read it in a terminal, in the
// idiom of Terraform's plan output. Equal plans render to identical bytes:
// resources, attributes, map keys and outputs all appear in sorted order.
func RenderHuman(w io.Writer, p *Plan, opts RenderOptions) error {
	if p == nil {
		return errors.New("plan: cannot render a nil plan")
	}
	v, err := viewOf(p)
	if err != nil {
		return err
	}
	r := &human{w: w, color: opts.Color, buf: make([]byte, 0, flushAt+4<<10)}

	drifted := 0
	for _, d := range v.drift {
		if drifts(d) {
			drifted++
		}
	}
	if drifted > 0 {
		r.str("\n")
		r.bold("Note: Objects have changed outside of benito")
		r.str("\n\nbenito detected the following changes made outside of benito since the last \"benito apply\":\n\n")
		for _, d := range v.drift {
			if !drifts(d) {
				continue
			}
			r.driftBlock(d)
			r.str("\n")
			r.maybeFlush()
		}
		r.str(ruleLine + "\n")
	}

	changed := 0
	for _, c := range v.changes {
		if c.Action != NoOp {
			changed++
		}
	}
	outputs := p.OutputsChanged()

	switch {
	case changed > 0:
		r.str("\nbenito will perform the following actions:\n\n")
		shown := make([]*Change, 0, changed)
		for _, c := range v.changes {
			if c.Action != NoOp {
				shown = append(shown, c)
			}
		}
		// Blocks render independently: chunks of them are rendered on
		// every core and written out in order.
		err := parallel.Ordered(len(shown), renderChunk, func(lo, hi int) ([]byte, error) {
			sub := &human{color: r.color, buf: make([]byte, 0, flushAt)}
			for _, c := range shown[lo:hi] {
				sub.changeBlock(c)
				sub.str("\n")
			}
			return sub.buf, nil
		}, func(b []byte) error {
			r.flush()
			if r.err == nil {
				_, r.err = r.w.Write(b)
			}
			return r.err
		})
		if err != nil {
			return err
		}
		r.bold("Plan:")
		r.str(RenderSummary(p)[len("Plan:"):])
		r.str("\n")
		if outputs {
			r.str("\n")
			r.outputChanges(v.outputs)
		}
	case outputs:
		r.str("\n")
		r.outputChanges(v.outputs)
		r.str("\n" + outputsOnlyNote + "\n")
	default:
		headline, detail := noChanges(p, drifted > 0)
		r.str("\n")
		r.bold("No changes.")
		r.str(" " + headline + "\n\n" + detail + "\n")
	}
	return r.finish()
}

// RenderSummary returns the "Plan: …" line on its own, without a newline,
// for callers that report progress in a single line.
func RenderSummary(p *Plan) string {
	add, change, destroy := p.Counts()
	b := make([]byte, 0, 64)
	b = append(b, "Plan: "...)
	b = strconv.AppendInt(b, int64(add), 10)
	b = append(b, " to add, "...)
	b = strconv.AppendInt(b, int64(change), 10)
	b = append(b, " to change, "...)
	b = strconv.AppendInt(b, int64(destroy), 10)
	b = append(b, " to destroy."...)
	return string(b)
}

// view is a plan's lists in canonical order. The renderers work on a view
// rather than calling Plan.Sort so that rendering never mutates the plan,
// and so that a plan built out of order still renders deterministically.
type view struct {
	changes []*Change
	drift   []*Drift
	outputs []*Output
}

func viewOf(p *Plan) (view, error) {
	for i, c := range p.Changes {
		if c == nil {
			return view{}, fmt.Errorf("plan: change %d is nil", i)
		}
	}
	for i, d := range p.Drift {
		if d == nil {
			return view{}, fmt.Errorf("plan: drift %d is nil", i)
		}
	}
	for i, o := range p.Outputs {
		if o == nil {
			return view{}, fmt.Errorf("plan: output %d is nil", i)
		}
	}
	v := view{changes: p.Changes, drift: p.Drift, outputs: p.Outputs}
	if !sort.SliceIsSorted(v.changes, func(i, j int) bool { return v.changes[i].Addr.Less(v.changes[j].Addr) }) {
		v.changes = append([]*Change(nil), v.changes...)
		sort.SliceStable(v.changes, func(i, j int) bool { return v.changes[i].Addr.Less(v.changes[j].Addr) })
	}
	if !sort.SliceIsSorted(v.drift, func(i, j int) bool { return v.drift[i].Addr.Less(v.drift[j].Addr) }) {
		v.drift = append([]*Drift(nil), v.drift...)
		sort.SliceStable(v.drift, func(i, j int) bool { return v.drift[i].Addr.Less(v.drift[j].Addr) })
	}
	if !sort.SliceIsSorted(v.outputs, func(i, j int) bool { return v.outputs[i].Name < v.outputs[j].Name }) {
		v.outputs = append([]*Output(nil), v.outputs...)
		sort.SliceStable(v.outputs, func(i, j int) bool { return v.outputs[i].Name < v.outputs[j].Name })
	}
	return v, nil
}

func (r *human) changeBlock(c *Change) {
	r.str("  ")
	r.boldStart()
	r.str("# ")
	r.addr(c.Addr)
	switch c.Action {
	case Create:
		r.str(" will be created")
	case Update:
		r.str(" will be updated in-place")
	case DeleteThenCreate:
		switch c.Reason {
		case ReasonTainted:
			r.str(" is tainted, so must be replaced")
		case ReasonReplaceByRequest:
			r.str(" will be replaced, as requested")
		default:
			r.str(" must be replaced")
		}
	case Delete:
		r.str(" will be destroyed")
	}
	r.boldEnd()
	r.str("\n")
	switch c.Reason {
	case ReasonNoConfig:
		r.str("  # (because ")
		r.addr(c.Addr)
		r.str(" is not in configuration)\n")
	case ReasonProviderChanged:
		r.str("  # (because a different provider now serves ")
		r.addr(c.Addr)
		r.str(")\n")
	case ReasonContainerReplaced:
		r.str("  # (because the node it lives in is created anew)\n")
	}

	r.resourceLine(c.Action.Symbol(), c.Addr.Type, c.Addr.Name)
	before, after := hide(c.Before, c.After, c.BeforeSensitive, c.AfterSensitive, false)
	ro := &roles{runTime: c.RunTime, generated: c.Generated, rr: c.RequiresReplace}
	switch c.Action {
	case Create:
		r.objectEntries(4, '+', after, "", ro)
	case Delete:
		r.objectEntries(4, '-', before, " -> null", ro)
	default:
		r.objectDiff(4, before, after, c.RequiresReplace, ro)
	}
	r.str("    }\n")
}

// outputsOnlyNote ends a plan that changes outputs alone (Terraform's
// words).
const outputsOnlyNote = "You can apply this plan to save these new output values to the benito state, without changing any real infrastructure."

// noChanges returns what follows "No changes." in a plan that changes
// nothing: Terraform's words where the meaning is the same. drifted says
// whether the plan reports changes made outside benito.
func noChanges(p *Plan, drifted bool) (headline, detail string) {
	switch {
	case p.Destroy:
		return "No objects need to be destroyed.",
			"Either you have not created any objects yet or the existing objects were already deleted outside of benito."
	case drifted:
		return "Your infrastructure matches the configuration.",
			"Your configuration already matches the changes detected above, so no changes are needed."
	default:
		return "Your infrastructure matches the configuration.",
			"benito has compared your real infrastructure against your configuration and found no differences, so no changes are needed."
	}
}

// drifts reports whether d is a change to show: its values differ in
// more than its run-time attributes (the engine reports no other, but a
// plan may be built by hand).
func drifts(d *Drift) bool {
	if same(d.Before, d.After) {
		return false
	}
	if len(d.RunTime) == 0 || isNull(d.Before) || isNull(d.After) || !d.Before.Type().IsObjectType() || !d.After.Type().IsObjectType() {
		return true
	}
	for n := range d.After.Type().AttributeTypes() {
		if _, found := slices.BinarySearch(d.RunTime, n); !found && !same(attrOf(d.Before, n), attrOf(d.After, n)) {
			return true
		}
	}
	for n := range d.Before.Type().AttributeTypes() {
		if _, found := slices.BinarySearch(d.RunTime, n); !found && !d.After.Type().HasAttribute(n) && !isNull(d.Before.GetAttr(n)) {
			return true
		}
	}
	return false
}

func (r *human) driftBlock(d *Drift) {
	r.str("  ")
	r.boldStart()
	r.str("# ")
	r.addr(d.Addr)
	switch {
	case isNull(d.After):
		r.str(" has been deleted")
	case isNull(d.Before):
		r.str(" has been created")
	default:
		r.str(" has changed")
	}
	r.boldEnd()
	r.str("\n")
	before, after := hide(d.Before, d.After, d.Sensitive, d.Sensitive, false)
	ro := &roles{runTime: d.RunTime, generated: d.Generated}
	switch {
	case isNull(d.After):
		r.resourceLine(Delete.Symbol(), d.Addr.Type, d.Addr.Name)
		r.objectEntries(4, '-', before, " -> null", ro)
	case isNull(d.Before):
		r.resourceLine(Create.Symbol(), d.Addr.Type, d.Addr.Name)
		r.objectEntries(4, '+', after, "", ro)
	default:
		r.resourceLine(Update.Symbol(), d.Addr.Type, d.Addr.Name)
		r.objectDiff(4, before, after, nil, ro)
	}
	r.str("    }\n")
}

// addr writes a.String() without building the string: a large plan is
// mostly addresses of counted resources.
func (r *human) addr(a addrs.Resource) { r.buf = a.Append(r.buf) }

func (r *human) resourceLine(symbol, typ, name string) {
	for i := 0; i < len(symbol); i++ {
		r.mark(symbol[i])
	}
	r.str(" resource ")
	r.buf = appendQuoted(r.buf, typ)
	r.buf = append(r.buf, ' ')
	r.buf = appendQuoted(r.buf, name)
	r.str(" {\n")
}

func (r *human) outputChanges(outputs []*Output) {
	r.bold("Changes to Outputs:")
	r.str("\n")
	width := 0
	for _, o := range outputs {
		if !valuesEqual(o.Before, o.After) {
			width = max(width, r.keyWidth(attrKey, o.Name))
		}
	}
	for _, o := range outputs {
		if valuesEqual(o.Before, o.After) {
			continue
		}
		before, after := hideOutput(o)
		r.diff(0, key{kind: attrKey, name: o.Name, width: width}, before, after, nil, false)
	}
}

// human accumulates rendered text and writes it out in large chunks; the
// first write error stops all further output and is returned by finish.
type human struct {
	w       io.Writer
	buf     []byte
	err     error
	color   bool
	note    bool   // a "# forces replacement" waits for the end of the current line
	scratch []byte // for measuring quoted keys
	pairs   []pair
	names   []attrList
	lastHit int
	// marks, when not nil, receives the offset in buf of every action
	// marker written, for RenderMarkdown's diff blocks.
	marks []int
}

func (r *human) maybeFlush() {
	if len(r.buf) >= flushAt {
		r.flush()
	}
}

func (r *human) flush() {
	if r.err == nil && len(r.buf) > 0 {
		_, r.err = r.w.Write(r.buf)
	}
	r.buf = r.buf[:0]
}

func (r *human) finish() error {
	r.flush()
	return r.err
}

func (r *human) str(s string) { r.buf = append(r.buf, s...) }

func (r *human) bold(s string) {
	r.boldStart()
	r.str(s)
	r.boldEnd()
}

func (r *human) boldStart() {
	if r.color {
		r.str(ansiBold)
	}
}

func (r *human) boldEnd() {
	if r.color {
		r.str(ansiReset)
	}
}

// mark writes one action marker character, coloured when asked.
func (r *human) mark(m byte) {
	if r.marks != nil {
		r.marks = append(r.marks, len(r.buf))
	}
	if r.color {
		code := ""
		switch m {
		case '+':
			code = ansiGreen
		case '-':
			code = ansiRed
		case '~':
			code = ansiYellow
		}
		if code != "" {
			r.buf = append(r.buf, code...)
			r.buf = append(r.buf, m)
			r.buf = append(r.buf, ansiReset...)
			return
		}
	}
	r.buf = append(r.buf, m)
}

const spaces = "                                                                "

func (r *human) indent(n int) {
	for n > len(spaces) {
		r.buf = append(r.buf, spaces...)
		n -= len(spaces)
	}
	r.buf = append(r.buf, spaces[:n]...)
}

// endLine finishes the current line, first writing any pending
// "# forces replacement" annotation.
func (r *human) endLine() {
	r.flushNote()
	r.buf = append(r.buf, '\n')
}

func (r *human) flushNote() {
	if !r.note {
		return
	}
	r.note = false
	if r.color {
		r.str(" " + ansiRed + "# forces replacement" + ansiReset)
	} else {
		r.str(" # forces replacement")
	}
}
