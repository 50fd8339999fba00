package plan

import (
	"bytes"
	"errors"
	"html"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/benito-net/benito/addrs"
	"github.com/zclconf/go-cty/cty"
)

// CommentLimit is the size, in bytes, to which a plan meant for a pull
// request comment is bounded. GitHub refuses a comment of more than 65,536
// characters (a character is at least one byte, so bytes are a safe
// measure); the margin leaves room for what a script adds around the plan.
const CommentLimit = 60_000

// MarkdownOptions controls RenderMarkdown.
type MarkdownOptions struct {
	// MaxBytes, when not zero, bounds the size of the rendering: the
	// heading and the summary table are always written whole, the rest
	// (the list of destructive changes, then the per-resource details,
	// destructive ones first) only as far as it fits, followed by a note
	// that says what was left out and where to read the whole plan.
	MaxBytes int
}

// markdownNoteMax is the room kept free, under MaxBytes, for the note that
// closes a truncated rendering (and the line that ends a truncated list).
const markdownNoteMax = 1024

// RenderMarkdown writes the plan as GitHub-flavoured Markdown, for a pull
// request comment: a heading with the summary line and a table of the
// changes by resource type, the destructive changes listed first with why
// they happen, then one collapsible <details> section per resource holding
// its diff as the human rendering shows it (its markers moved to the first
// column, `~` written `!`, so that a ```diff block colours it), the drift
// and the output changes. Every value and address is inside a code block, a
// code span or escaped HTML, so nothing from the plan can break the page.
// Sensitive values are hidden as in the human rendering. Equal plans render
// to identical bytes.
func RenderMarkdown(w io.Writer, p *Plan, opts MarkdownOptions) error {
	if p == nil {
		return errors.New("plan: cannot render a nil plan")
	}
	if opts.MaxBytes < 0 {
		return errors.New("plan: MarkdownOptions.MaxBytes is negative")
	}
	v, err := viewOf(p)
	if err != nil {
		return err
	}
	m := &markdown{w: w, max: opts.MaxBytes, h: &human{marks: make([]int, 0, 64)}}

	var drifted []*Drift
	for _, d := range v.drift {
		if drifts(d) {
			drifted = append(drifted, d)
		}
	}
	// Destructive changes first, in address order, then the others.
	var destructive, other []*Change
	for _, c := range v.changes {
		switch c.Action {
		case NoOp:
		case Delete, DeleteThenCreate:
			destructive = append(destructive, c)
		default:
			other = append(other, c)
		}
	}
	changed := len(destructive) + len(other)
	outputs := p.OutputsChanged()

	m.header(p)
	t := &m.trunc
	if changed > 0 {
		m.str("**")
		m.str(RenderSummary(p))
		m.str("**\n\n")
		m.table(v.changes)
		m.targets(p)
	}

	// The always-written part ends here; what follows fits or is counted.
	if len(destructive) > 0 {
		head := "#### ⚠️ Destructive changes\n\n"
		for i, c := range destructive {
			item := m.destructiveItem(c)
			if i == 0 {
				item = append([]byte(head), item...)
			}
			if !m.add(item) {
				t.list = len(destructive) - i
				t.listOf = len(destructive)
				if i > 0 {
					m.str("- … and ")
					m.int(t.list)
					m.str(" more, not shown (see the note at the end)\n")
				}
				break
			}
		}
		if t.list < len(destructive) {
			m.str("\n") // the list ends
		}
	}

	if len(drifted) > 0 {
		head := "#### Changed outside benito\n\nbenito detected these changes made outside of benito since the last `benito apply`:\n\n"
		t.driftOf = len(drifted)
		for i, d := range drifted {
			var item []byte
			if i == 0 {
				item = append(item, head...)
			}
			item = m.driftDetails(item, d)
			if !m.add(item) {
				t.drift = len(drifted) - i
				break
			}
		}
	}

	if changed > 0 {
		head := "#### Resource changes\n\n"
		t.changesOf = changed
		for i, c := range slices.Concat(destructive, other) {
			var item []byte
			if i == 0 {
				item = append(item, head...)
			}
			item = m.changeDetails(item, c)
			if !m.add(item) {
				t.changes = changed - i
				break
			}
		}
	}

	if outputs {
		var item []byte
		item = append(item, "#### Changes to outputs\n\n"...)
		item = m.outputDetails(item, v.outputs)
		if changed == 0 {
			item = append(item, outputsOnlyNote+"\n\n"...)
		}
		t.outputs = !m.add(item)
	}

	if changed == 0 && !outputs {
		headline, detail := noChanges(p, len(drifted) > 0)
		m.str("**No changes.** " + headline + "\n\n" + detail + "\n")
	}
	if m.full {
		m.note()
	}
	return m.finish()
}

// markdown accumulates the rendering and writes it out in large chunks.
type markdown struct {
	w     io.Writer
	buf   []byte
	n     int // bytes already written to w
	err   error
	max   int
	full  bool   // something did not fit under max: nothing more is added
	h     *human // renders the diff blocks
	trunc truncation
}

// truncation counts what a bounded rendering left out.
type truncation struct {
	list, listOf       int // destructive changes not listed, of
	drift, driftOf     int // drifted resources not detailed, of
	changes, changesOf int // changed resources not detailed, of
	outputs            bool
}

func (m *markdown) str(s string) { m.buf = append(m.buf, s...) }
func (m *markdown) int(n int)    { m.buf = strconv.AppendInt(m.buf, int64(n), 10) }

// add appends b if it fits under the bound, keeping room for the closing
// note; once something has not fitted, nothing more is added.
func (m *markdown) add(b []byte) bool {
	if m.full || m.max > 0 && m.n+len(m.buf)+len(b)+markdownNoteMax > m.max {
		m.full = true
		return false
	}
	m.buf = append(m.buf, b...)
	if len(m.buf) >= flushAt {
		m.flush()
	}
	return true
}

// flush writes out the buffer but for its trailing newlines, kept so
// that finish can make the rendering end with exactly one.
func (m *markdown) flush() {
	keep := len(m.buf) - len(bytes.TrimRight(m.buf, "\n"))
	out := m.buf[:len(m.buf)-keep]
	if m.err == nil && len(out) > 0 {
		_, m.err = m.w.Write(out)
	}
	m.n += len(out)
	m.buf = append(m.buf[:0], m.buf[len(out):]...)
}

func (m *markdown) finish() error {
	m.buf = append(bytes.TrimRight(m.buf, "\n"), '\n')
	m.flush()
	if m.err == nil {
		_, m.err = m.w.Write(m.buf)
	}
	return m.err
}

func (m *markdown) header(p *Plan) {
	if p.Destroy {
		m.str("### benito destroy plan")
	} else {
		m.str("### benito plan")
	}
	if p.Experiment != "" {
		m.str(": ")
		m.buf = appendCodeSpan(m.buf, p.Experiment, false)
	}
	m.str("\n\n")
}

// table writes the count of changes by resource type and action, for the
// types that have any, and their total. A replace counts in its own column
// (the summary line above counts it as one add and one destroy).
func (m *markdown) table(changes []*Change) {
	type row struct {
		typ string
		n   [4]int // add, change, replace, destroy
	}
	var rows []row
	var total [4]int
	byType := map[string]int{}
	for _, c := range changes {
		col := -1
		switch c.Action {
		case Create:
			col = 0
		case Update:
			col = 1
		case DeleteThenCreate:
			col = 2
		case Delete:
			col = 3
		}
		if col < 0 {
			continue
		}
		i, ok := byType[c.Addr.Type]
		if !ok {
			i = len(rows)
			byType[c.Addr.Type] = i
			rows = append(rows, row{typ: c.Addr.Type})
		}
		rows[i].n[col]++
		total[col]++
	}
	slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.typ, b.typ) })
	m.str("| Resource type | Add | Change | Replace | Destroy |\n| :--- | ---: | ---: | ---: | ---: |\n")
	for _, r := range rows {
		m.str("| ")
		m.buf = appendCodeSpan(m.buf, r.typ, true)
		for _, n := range r.n {
			m.str(" | ")
			m.int(n)
		}
		m.str(" |\n")
	}
	m.str("| **Total**")
	for _, n := range total {
		m.str(" | **")
		m.int(n)
		m.str("**")
	}
	m.str(" |\n\n")
}

// maxTargetsShown bounds the list of -target addresses in the heading.
const maxTargetsShown = 10

func (m *markdown) targets(p *Plan) {
	if len(p.Targets) == 0 {
		return
	}
	m.str("> Resource targeting is in effect: this plan covers only ")
	for i, a := range p.Targets[:min(len(p.Targets), maxTargetsShown)] {
		if i > 0 {
			m.str(", ")
		}
		m.buf = appendCodeSpan(m.buf, a.String(), false)
	}
	if n := len(p.Targets) - maxTargetsShown; n > 0 {
		m.str(" and ")
		m.int(n)
		m.str(" more")
	}
	m.str(" (`-target`), and what they depend on.\n\n")
}

func (m *markdown) destructiveItem(c *Change) []byte {
	b := []byte("- ⚠️ **")
	if c.Action == Delete {
		b = append(b, "destroy"...)
	} else {
		b = append(b, "replace"...)
	}
	b = append(b, "** "...)
	b = appendCodeSpan(b, c.Addr.String(), false)
	if why := destructiveReason(c); why != "" {
		b = append(b, ": "...)
		b = append(b, why...)
	}
	return append(b, '\n')
}

// destructiveReason says, in Markdown, why a resource is destroyed or
// replaced.
func destructiveReason(c *Change) string {
	switch c.Reason {
	case ReasonTainted:
		return "tainted (an earlier apply failed part-way through it)"
	case ReasonRequiresReplace:
		if len(c.RequiresReplace) == 0 {
			return "an attribute that cannot change in place changes"
		}
		var b []byte
		b = append(b, "changing "...)
		for i, p := range c.RequiresReplace {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendCodeSpan(b, pathString(p), false)
		}
		b = append(b, " forces replacement"...)
		return string(b)
	case ReasonNoConfig:
		return "not in the configuration any more"
	case ReasonDestroy:
		return "the whole experiment is destroyed (`benito destroy`)"
	case ReasonProviderChanged:
		return "a different provider now serves it"
	case ReasonContainerReplaced:
		return "the node it lives in is created anew"
	case ReasonReplaceByRequest:
		return "replacement requested with `-replace`"
	}
	return ""
}

// pathString writes an attribute path as a reviewer reads it:
// console.type, interfaces[0].mac, labels["role"].
func pathString(p cty.Path) string {
	if len(p) == 0 {
		return "(the whole resource)"
	}
	var b []byte
	for _, s := range p {
		switch s := s.(type) {
		case cty.GetAttrStep:
			if len(b) > 0 {
				b = append(b, '.')
			}
			b = append(b, s.Name...)
		case cty.IndexStep:
			k := s.Key
			switch {
			case isNull(k) || !k.IsKnown():
				b = append(b, "[?]"...)
			case k.Type() == cty.String:
				b = append(b, '[')
				b = appendQuoted(b, k.AsString())
				b = append(b, ']')
			case k.Type() == cty.Number:
				b = append(b, '[')
				b = appendNumber(b, k)
				b = append(b, ']')
			default:
				b = append(b, "[?]"...)
			}
		}
	}
	return string(b)
}

func (m *markdown) changeDetails(b []byte, c *Change) []byte {
	verb := ""
	switch c.Action {
	case Create:
		verb = "<b>create</b>"
	case Update:
		verb = "<b>update</b>"
	case DeleteThenCreate:
		verb = "⚠️ <b>replace</b>"
	case Delete:
		verb = "⚠️ <b>destroy</b>"
	}
	return m.details(b, verb, c.Addr, func(h *human) { h.changeBlock(c) })
}

func (m *markdown) driftDetails(b []byte, d *Drift) []byte {
	verb := "<b>changed</b>"
	switch {
	case isNull(d.After):
		verb = "<b>deleted</b>"
	case isNull(d.Before):
		verb = "<b>created</b>"
	}
	return m.details(b, verb, d.Addr, func(h *human) { h.driftBlock(d) })
}

// details appends one collapsed section: verb (HTML) and the address in
// its summary, and the text plan's block, as block writes it, as a diff.
func (m *markdown) details(b []byte, verb string, addr addrs.Resource, block func(*human)) []byte {
	b = append(b, "<details><summary>"...)
	b = append(b, verb...)
	b = append(b, " <code>"...)
	b = append(b, html.EscapeString(addr.String())...)
	b = append(b, "</code></summary>\n\n"...)
	h := m.h
	h.buf, h.marks = h.buf[:0], h.marks[:0]
	block(h)
	b = appendDiffBlock(b, h.buf, h.marks)
	return append(b, "\n</details>\n\n"...)
}

func (m *markdown) outputDetails(b []byte, outputs []*Output) []byte {
	h := m.h
	h.buf, h.marks = h.buf[:0], h.marks[:0]
	h.outputChanges(outputs)
	// outputChanges starts with a heading line of its own, which the
	// Markdown has as a heading already.
	text, marks := h.buf, h.marks
	if i := bytes.IndexByte(text, '\n'); i >= 0 {
		text = text[i+1:]
		for len(marks) > 0 && marks[0] <= i {
			marks = marks[1:]
		}
		shifted := make([]int, len(marks))
		for j, o := range marks {
			shifted[j] = o - (i + 1)
		}
		marks = shifted
	}
	b = appendDiffBlock(b, text, marks)
	return append(b, '\n')
}

// appendDiffBlock appends text, the human rendering of a block with the
// offsets of its action markers, as a fenced ```diff block: on each line
// that has one, the marker moves to the first column (`~`, a change in
// place, written `!`, which diff highlighting shows as changed), so that
// GitHub colours added and removed lines; the other lines keep their
// leading spaces and are shown as context. The fence is longer than any
// run of backticks in the text, so no value can close it.
func appendDiffBlock(b, text []byte, marks []int) []byte {
	fence := max(3, longestRun(text, '`')+1)
	b = appendRepeat(b, '`', fence)
	b = append(b, "diff\n"...)
	for start := 0; start < len(text); {
		end := bytes.IndexByte(text[start:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		at := -1
		for len(marks) > 0 && marks[0] < end {
			if at < 0 && marks[0] >= start && text[marks[0]] != ' ' {
				at = marks[0]
			}
			marks = marks[1:]
		}
		if at < 0 {
			b = appendCodeText(b, text[start:end])
		} else {
			c := text[at]
			if c == '~' {
				c = '!'
			}
			b = append(b, c)
			b = append(b, text[start:at]...)
			b = appendCodeText(b, text[at+1:end])
		}
		b = append(b, '\n')
		start = end + 1
	}
	b = appendRepeat(b, '`', fence)
	return append(b, '\n')
}

// appendCodeText appends a line of a code block. A control character (a
// carriage return in a file's content would end the line for Markdown) is
// written as its symbol from Unicode's Control Pictures, ␍ for \r, so that
// the reviewer sees it.
func appendCodeText(b, line []byte) []byte {
	for _, c := range line {
		switch {
		case c == '\t' || c >= 0x20 && c != 0x7f:
			b = append(b, c)
		default:
			b = utf8.AppendRune(b, controlPicture(c))
		}
	}
	return b
}

// controlPicture is the symbol of Unicode's Control Pictures for an ASCII
// control character.
func controlPicture(c byte) rune {
	if c == 0x7f {
		return '\u2421'
	}
	return 0x2400 + rune(c)
}

func appendRepeat(b []byte, c byte, n int) []byte {
	for range n {
		b = append(b, c)
	}
	return b
}

// longestRun returns the length of the longest run of c in s.
func longestRun[S string | []byte](s S, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

// appendCodeSpan appends s as a Markdown code span, which shows its content
// literally: the delimiters are longer than any run of backticks inside,
// padded with a space when s starts or ends with a backtick or a space, and
// a line break or other control character (which would end the span's
// block) is written as its control picture (appendCodeText). In a table
// cell a pipe is escaped, as GFM requires even inside a code span.
func appendCodeSpan(b []byte, s string, cell bool) []byte {
	n := longestRun(s, '`') + 1
	pad := s != "" && (s[0] == '`' || s[0] == ' ' || s[len(s)-1] == '`' || s[len(s)-1] == ' ')
	b = appendRepeat(b, '`', n)
	if pad {
		b = append(b, ' ')
	}
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f:
			b = utf8.AppendRune(b, controlPicture(byte(r)))
		case r == '|' && cell:
			b = append(b, '\\', '|')
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	if pad {
		b = append(b, ' ')
	}
	return appendRepeat(b, '`', n)
}

// note closes a truncated rendering: what was left out, and where the
// whole plan is.
func (m *markdown) note() {
	t := m.trunc
	var parts []string
	part := func(n, of int, what string) {
		if n > 0 {
			parts = append(parts, strconv.Itoa(n)+" of "+strconv.Itoa(of)+" "+what)
		}
	}
	part(t.list, t.listOf, "destructive changes in the list")
	part(t.drift, t.driftOf, "sections of resources changed outside benito")
	part(t.changes, t.changesOf, "sections of changed resources")
	if t.outputs {
		parts = append(parts, "the output changes")
	}
	m.str("> [!WARNING]\n> This plan is too large to show whole here (")
	m.int(m.max)
	m.str(" bytes at most); left out: ")
	for i, p := range parts {
		switch {
		case i == 0:
		case i == len(parts)-1:
			m.str(" and ")
		default:
			m.str(", ")
		}
		m.str(p)
	}
	m.str(". The whole plan: `benito show PLANFILE` on the saved plan, or the log of the job that made it.\n")
}
