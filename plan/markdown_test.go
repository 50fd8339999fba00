package plan

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/internal/golden"
	"github.com/google/go-cmp/cmp"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// markdownCases are the golden cases of RenderMarkdown: every fixture of
// the human rendering, and two of its own.
func markdownCases() []goldenCase {
	var cases []goldenCase
	for _, tc := range goldenCases {
		if !tc.color {
			cases = append(cases, tc)
		}
	}
	return append(cases,
		goldenCase{name: "sensitive", plan: planSensitive},
		goldenCase{name: "hostile", plan: planHostile},
		goldenCase{name: "everything", plan: planEverything},
	)
}

const markdownGoldenDir = "testdata/markdown"

func renderMarkdown(t testing.TB, p *Plan, opts MarkdownOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderMarkdown(&buf, p, opts); err != nil {
		t.Fatalf("RenderMarkdown: %v", err)
	}
	return buf.Bytes()
}

func TestMarkdownGolden(t *testing.T) {
	for _, tc := range markdownCases() {
		t.Run(tc.name, func(t *testing.T) {
			md := renderMarkdown(t, tc.plan(), MarkdownOptions{})
			golden.Check(t, filepath.Join(markdownGoldenDir, tc.name+".md"), md)
			if again := renderMarkdown(t, tc.plan(), MarkdownOptions{}); !bytes.Equal(md, again) {
				t.Errorf("markdown rendering is not idempotent:\n%s", cmp.Diff(string(md), string(again)))
			}
			// A bound the plan is far below changes nothing.
			if bounded := renderMarkdown(t, tc.plan(), MarkdownOptions{MaxBytes: CommentLimit}); !bytes.Equal(md, bounded) {
				t.Errorf("a small plan renders differently under CommentLimit:\n%s", cmp.Diff(string(md), string(bounded)))
			}
			checkMarkdown(t, tc.plan(), md, false)
		})
	}
}

func TestMarkdownUnsorted(t *testing.T) {
	sorted := planMixed()
	shuffled := planMixed()
	reverse(shuffled.Changes)
	reverse(shuffled.Outputs)
	first := shuffled.Changes[0]
	if got, want := renderMarkdown(t, shuffled, MarkdownOptions{}), renderMarkdown(t, sorted, MarkdownOptions{}); !bytes.Equal(got, want) {
		t.Errorf("markdown rendering depends on order:\n%s", cmp.Diff(string(want), string(got)))
	}
	if shuffled.Changes[0] != first {
		t.Errorf("rendering reordered the plan")
	}
}

// TestMarkdownSensitive: what the human rendering hides, the markdown
// hides too.
func TestMarkdownSensitive(t *testing.T) {
	for _, p := range []*Plan{planSensitive(), planEverything()} {
		md := renderMarkdown(t, p, MarkdownOptions{})
		if bytes.Contains(md, []byte("s3cret")) {
			t.Errorf("a sensitive value shows in the markdown:\n%s", md)
		}
		if !bytes.Contains(md, []byte("(sensitive value)")) {
			t.Errorf("no (sensitive value) in the markdown:\n%s", md)
		}
	}
}

func TestMarkdownErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := RenderMarkdown(&buf, nil, MarkdownOptions{}); err == nil {
		t.Error("a nil plan rendered")
	}
	p := planMixed()
	p.Changes[1] = nil
	if err := RenderMarkdown(&buf, p, MarkdownOptions{}); err == nil || !strings.Contains(err.Error(), "change 1 is nil") {
		t.Errorf("a nil change: %v", err)
	}
	if err := RenderMarkdown(&buf, planMixed(), MarkdownOptions{MaxBytes: -1}); err == nil {
		t.Error("a negative bound accepted")
	}
	if err := RenderMarkdown(failWriter{}, planMixed(), MarkdownOptions{}); !errors.Is(err, os.ErrClosed) {
		t.Errorf("a write error: %v", err)
	}
}

func TestAppendCodeSpan(t *testing.T) {
	for _, tc := range []struct {
		in   string
		cell bool
		want string
	}{
		{"vnode.a", false, "`vnode.a`"},
		{"a`b", false, "``a`b``"},
		{"`x", false, "`` `x ``"},
		{"a``b", false, "```a``b```"},
		{"a|b", false, "`a|b`"},
		{"a|b", true, "`a\\|b`"},
		{"a\nb\r\x00\x7f\t", false, "`a␊b␍␀␡␉`"},
	} {
		if got := string(appendCodeSpan(nil, tc.in, tc.cell)); got != tc.want {
			t.Errorf("appendCodeSpan(%q, %v) = %q, want %q", tc.in, tc.cell, got, tc.want)
		}
	}
}

// TestMarkdownLarge: a 100,000-resource plan, bounded as a comment, stays
// under the bound, keeps its table whole, lists as many destructive changes
// and details as fit, and says what it left out.
func TestMarkdownLarge(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		destroys             int
		wantWholeList        bool
		wantDetailsTruncated bool
	}{
		// A short destructive list stays whole, the details are cut.
		{"few destroys", 40, true, true},
		// Destroying everything: the list itself is cut.
		{"all destroyed", 100_000, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := largePlan(100_000, tc.destroys)
			md := renderMarkdown(t, p, MarkdownOptions{MaxBytes: CommentLimit})
			if len(md) > CommentLimit {
				t.Fatalf("%d bytes, over the bound of %d", len(md), CommentLimit)
			}
			doc := checkMarkdown(t, p, md, true)
			nd := destructiveCount(p)
			if tc.wantWholeList != (doc.listed == nd) {
				t.Errorf("%d of %d destructive changes listed", doc.listed, nd)
			}
			if doc.details == 0 && tc.wantWholeList {
				t.Errorf("no details at all")
			}
			note := string(md[bytes.LastIndex(md, []byte("> [!WARNING]")):])
			wantNote := fmt.Sprintf("%d of 100000 sections of changed resources", 100_000-doc.details)
			if !strings.Contains(note, wantNote) {
				t.Errorf("the note does not say %q:\n%s", wantNote, note)
			}
			if !tc.wantWholeList {
				want := fmt.Sprintf("%d of %d destructive changes in the list", nd-doc.listed, nd)
				if !strings.Contains(note, want) || !strings.Contains(string(md), fmt.Sprintf("- … and %d more, not shown", nd-doc.listed)) {
					t.Errorf("the truncated list is not said to be (%q):\n%s", want, note)
				}
			}
			if len(note) > markdownNoteMax {
				t.Errorf("the note is %d bytes, more than the %d kept for it", len(note), markdownNoteMax)
			}
			if again := renderMarkdown(t, p, MarkdownOptions{MaxBytes: CommentLimit}); !bytes.Equal(md, again) {
				t.Errorf("a truncated rendering is not deterministic")
			}
		})
	}

	// Unbounded, everything is there.
	p := largePlan(3000, 1000)
	md := renderMarkdown(t, p, MarkdownOptions{})
	if len(md) <= CommentLimit {
		t.Fatalf("the unbounded plan is only %d bytes: the test proves nothing", len(md))
	}
	doc := checkMarkdown(t, p, md, false)
	if doc.details != 3000 || doc.listed != destructiveCount(p) {
		t.Errorf("unbounded: %d details, %d listed, want 3000 and %d", doc.details, doc.listed, destructiveCount(p))
	}
}

// largePlan has n changed resources of three types: destroys deletes,
// then one replace in a thousand, the rest creates and updates.
func largePlan(n, destroys int) *Plan {
	p := basePlan()
	p.Changes = make([]*Change, 0, n)
	for i := range n {
		v := obj(vnodeType, map[string]cty.Value{
			"name":   str("bk3x9-pool-" + strconv.Itoa(i)),
			"image":  str("debian-12"),
			"memory": num(512),
			"labels": cty.MapVal(map[string]cty.Value{"role": str("host")}),
		})
		c := &Change{Addr: keyed("vnode", "pool", addrs.IntKey(i)), Provider: "process", Type: vnodeType}
		switch {
		case i < destroys:
			c.Addr.Type = "tap"
			c.Action, c.Reason, c.Before, c.After = Delete, ReasonNoConfig, v, cty.NullVal(vnodeType)
		case i%1000 == 1:
			c.Action, c.Reason, c.Before = DeleteThenCreate, ReasonRequiresReplace, v
			c.After = with(v, map[string]cty.Value{"image": str("alpine")})
			c.RequiresReplace = []cty.Path{cty.GetAttrPath("image")}
		case i%2 == 0:
			c.Action, c.Before, c.After = Create, cty.NullVal(vnodeType), with(v, map[string]cty.Value{"id": cty.UnknownVal(cty.String)})
		default:
			c.Addr.Type = "switch"
			c.Action, c.Before, c.After = Update, v, with(v, map[string]cty.Value{"memory": num(1024)})
		}
		p.Changes = append(p.Changes, c)
	}
	p.Sort()
	return p
}

// destructiveCount is how many of p's changes destroy or replace.
func destructiveCount(p *Plan) int {
	n := 0
	for _, c := range p.Changes {
		if c.Action == Delete || c.Action == DeleteThenCreate {
			n++
		}
	}
	return n
}

func BenchmarkRenderMarkdown100k(b *testing.B) {
	p := largePlan(100_000, 100)
	b.ReportAllocs()
	for b.Loop() {
		if err := RenderMarkdown(&bytes.Buffer{}, p, MarkdownOptions{MaxBytes: CommentLimit}); err != nil {
			b.Fatal(err)
		}
	}
}

// mdDoc is what checkMarkdown found in a rendering.
type mdDoc struct {
	listed  int // items of the destructive list
	details int // <details> of changed resources
}

// allowedElements are the only elements a rendering may produce: anything
// else came from a value that escaped its code block or span.
var allowedElements = map[atom.Atom]bool{
	atom.Html: true, atom.Head: true, atom.Body: true,
	atom.H3: true, atom.H4: true, atom.P: true, atom.Strong: true, atom.B: true, atom.Code: true, atom.Pre: true,
	atom.Table: true, atom.Thead: true, atom.Tbody: true, atom.Tr: true, atom.Th: true, atom.Td: true,
	atom.Ul: true, atom.Li: true, atom.Details: true, atom.Summary: true, atom.Blockquote: true,
}

// checkMarkdown renders md to HTML as GitHub would (CommonMark with GFM's
// tables, raw HTML let through) and checks its structure against the plan:
// the summary table, the destructive list, one balanced <details> per
// drifted and changed resource, in order, each with its address in the
// summary and its diff in a <pre><code class="language-diff"> whose lines
// are the human rendering's, markers in the first column. Nothing but the
// expected elements appears, and no value's text outside a code element.
// truncated allows the lists and details to stop early.
func checkMarkdown(t *testing.T, p *Plan, md []byte, truncated bool) mdDoc {
	t.Helper()
	var out bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	if err := gm.Convert(md, &out); err != nil {
		t.Fatalf("goldmark: %v", err)
	}
	if o, c := strings.Count(out.String(), "<details>"), strings.Count(out.String(), "</details>"); o != c {
		t.Errorf("%d <details> opened, %d closed", o, c)
	}
	root, err := html.Parse(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatalf("parsing the HTML: %v", err)
	}
	var doc mdDoc
	v, err := viewOf(p)
	if err != nil {
		t.Fatal(err)
	}

	for n := range root.Descendants() {
		if n.Type == html.ElementNode && !allowedElements[n.DataAtom] {
			t.Errorf("unexpected element <%s> in the rendering", n.Data)
		}
		if n.Type == html.TextNode && strings.Contains(n.Data, "alert(") && !under(n, atom.Code) {
			t.Errorf("a value's text outside any code element: %q", n.Data)
		}
	}

	// The table: one row per type with changes, and the total.
	counts := map[string]*[4]int{}
	var total [4]int
	for _, c := range v.changes {
		col := map[Action]int{Create: 0, Update: 1, DeleteThenCreate: 2, Delete: 3}
		i, ok := col[c.Action]
		if !ok {
			continue
		}
		if counts[c.Addr.Type] == nil {
			counts[c.Addr.Type] = new([4]int)
		}
		counts[c.Addr.Type][i]++
		total[i]++
	}
	var wantRows [][]string
	for _, typ := range sortedMapKeys(counts) {
		wantRows = append(wantRows, row(typ, *counts[typ]))
	}
	tables := find(root, atom.Table)
	if len(counts) == 0 {
		if len(tables) != 0 {
			t.Errorf("a table in a plan without changes")
		}
	} else if len(tables) != 1 {
		t.Errorf("%d tables, want 1", len(tables))
	} else {
		var got [][]string
		for _, tr := range find(tables[0], atom.Tr) {
			var cells []string
			for _, c := range children(tr) {
				cells = append(cells, text(c))
			}
			got = append(got, cells)
		}
		want := append([][]string{{"Resource type", "Add", "Change", "Replace", "Destroy"}}, wantRows...)
		want = append(want, row("Total", total))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("table (-want +got):\n%s", diff)
		}
	}

	// The destructive list, then the details, in the order of the plan:
	// drift, destructive changes, other changes.
	var destructive, other []*Change
	var drifted []*Drift
	for _, c := range v.changes {
		switch c.Action {
		case Delete, DeleteThenCreate:
			destructive = append(destructive, c)
		case Create, Update:
			other = append(other, c)
		}
	}
	for _, d := range v.drift {
		if drifts(d) {
			drifted = append(drifted, d)
		}
	}
	for _, h := range find(root, atom.H4) {
		if text(h) != "⚠️ Destructive changes" {
			continue
		}
		ul := h.NextSibling
		for ul != nil && ul.Type != html.ElementNode {
			ul = ul.NextSibling
		}
		if ul == nil || ul.DataAtom != atom.Ul {
			t.Fatalf("no list after the destructive changes' heading")
		}
		for i, li := range children(ul) {
			if i >= len(destructive) {
				t.Fatalf("more items than destructive changes")
			}
			if code := find(li, atom.Code); len(code) == 0 {
				if !truncated || !strings.HasPrefix(text(li), "… and ") {
					t.Errorf("item %d has no address: %q", i, text(li))
				}
				continue
			} else if got := text(code[0]); got != destructive[i].Addr.String() {
				t.Errorf("item %d names %q, want %q", i, got, destructive[i].Addr)
			}
			doc.listed++
		}
	}
	if !truncated && doc.listed != len(destructive) {
		t.Errorf("%d destructive changes listed, want %d", doc.listed, len(destructive))
	}

	type want struct {
		summary string
		block   string
	}
	var wants []want
	for _, d := range drifted {
		var r human
		r.driftBlock(d)
		what := map[bool]string{true: "deleted", false: "changed"}[isNull(d.After)]
		if isNull(d.Before) {
			what = "created"
		}
		wants = append(wants, want{what + " " + d.Addr.String(), string(r.buf)})
	}
	nDrift := len(wants)
	for _, c := range slices.Concat(destructive, other) {
		var r human
		r.changeBlock(c)
		what := map[Action]string{Create: "create", Update: "update", DeleteThenCreate: "⚠️ replace", Delete: "⚠️ destroy"}[c.Action]
		wants = append(wants, want{what + " " + c.Addr.String(), string(r.buf)})
	}
	wantPre := len(wants)
	if p.OutputsChanged() {
		wantPre++
	}
	if pre := find(root, atom.Pre); !truncated && len(pre) != wantPre {
		t.Errorf("%d code blocks, want %d", len(pre), wantPre)
	}
	details := find(root, atom.Details)
	if !truncated && len(details) != len(wants) || len(details) > len(wants) {
		t.Fatalf("%d <details>, want %d", len(details), len(wants))
	}
	for i, d := range details {
		if len(find(d, atom.Details)) > 0 {
			t.Errorf("<details> %d holds another: unbalanced", i)
		}
		kids := children(d)
		if len(kids) != 2 || kids[0].DataAtom != atom.Summary || kids[1].DataAtom != atom.Pre {
			t.Errorf("<details> %d holds %d elements, want a <summary> and a <pre>", i, len(kids))
			continue
		}
		if got := text(kids[0]); got != wants[i].summary {
			t.Errorf("<details> %d: summary %q, want %q", i, got, wants[i].summary)
		}
		code := children(kids[1])
		if len(code) != 1 || code[0].DataAtom != atom.Code || attr(code[0], "class") != "language-diff" {
			t.Errorf("<details> %d: no <code class=\"language-diff\"> in its <pre>", i)
			continue
		}
		checkDiffLines(t, i, rawText(code[0]), wants[i].block)
		if i >= nDrift {
			doc.details++
		}
	}
	return doc
}

// checkDiffLines compares a diff block with the human rendering it came
// from: the same lines, but for the marker that moved to the first column.
func checkDiffLines(t *testing.T, i int, got, human string) {
	t.Helper()
	// Control characters show as their pictures (U+2400 + c, U+2421 for
	// DEL), tabs and line ends as they are.
	human = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n':
			return r
		case r < 0x20:
			return 0x2400 + r
		case r == 0x7f:
			return 0x2421
		}
		return r
	}, human)
	gl, hl := strings.Split(got, "\n"), strings.Split(human, "\n")
	if len(gl) != len(hl) {
		t.Errorf("<details> %d: %d lines, the human rendering has %d:\n%s", i, len(gl), len(hl), got)
		return
	}
	for j := range gl {
		if gl[j] != "" && !strings.ContainsRune(" +-!", rune(gl[j][0])) {
			t.Errorf("<details> %d, line %d: %q does not start with a diff marker or a space", i, j, gl[j])
		}
		norm := func(s string) string { return strings.TrimLeft(s, " +-!~/") }
		if norm(gl[j]) != norm(hl[j]) || len(gl[j]) != len(hl[j]) {
			t.Errorf("<details> %d, line %d: %q, from the human rendering's %q", i, j, gl[j], hl[j])
		}
	}
}

func row(first string, n [4]int) []string {
	r := []string{first}
	for _, v := range n {
		r = append(r, strconv.Itoa(v))
	}
	return r
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func find(n *html.Node, a atom.Atom) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && d.DataAtom == a {
			out = append(out, d)
		}
	}
	return out
}

func children(n *html.Node) []*html.Node {
	var out []*html.Node
	for c := range n.ChildNodes() {
		if c.Type == html.ElementNode {
			out = append(out, c)
		}
	}
	return out
}

// text is n's text, trimmed; rawText all of it.
func text(n *html.Node) string { return strings.TrimSpace(rawText(n)) }

func rawText(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

func under(n *html.Node, a atom.Atom) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.DataAtom == a {
			return true
		}
	}
	return false
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// planSensitive: sensitive attributes created, changed and drifted, and a
// sensitive output.
func planSensitive() *Plan {
	p := basePlan()
	before := vnodeA()
	p.Changes = []*Change{
		{
			Addr: addr("vnode", "a"), Provider: "qemu", Action: Update, Type: vnodeType,
			Before: before, After: with(before, map[string]cty.Value{"image": str("s3cret-new"), "cpus": num(2)}),
			BeforeSensitive: []string{"image"}, AfterSensitive: []string{"image"},
		},
		{
			Addr: addr("vnode", "b"), Provider: "qemu", Action: Create, Type: vnodeType,
			Before: cty.NullVal(vnodeType),
			After: obj(vnodeType, map[string]cty.Value{
				"name":   str("bk3x9-b"),
				"image":  str("s3cret-image"),
				"labels": cty.MapVal(map[string]cty.Value{"token": str("s3cret-label")}),
			}),
			AfterSensitive: []string{"image", "labels"},
		},
	}
	p.Drift = []*Drift{{
		Addr: addr("vnode", "a"), Provider: "qemu", Type: vnodeType,
		Before: with(before, map[string]cty.Value{"image": str("s3cret-old")}), After: before,
		Sensitive: []string{"image"},
	}}
	p.Outputs = []*Output{{Name: "token", Before: str("s3cret-1"), After: str("s3cret-2"), Sensitive: true}}
	return p
}

// planHostile: addresses, types, names and values made to break out of
// code spans, code blocks, tables and HTML.
func planHostile() *Plan {
	p := basePlan()
	p.Experiment = "demo`|<b>x</b>\n# h1\n<script>alert(0)</script>"
	evil := "x`</details><script>alert(1)</script>|```"
	ty := cty.Object(map[string]cty.Type{"content": cty.String, "labels": cty.Map(cty.String)})
	p.Changes = []*Change{
		{
			Addr: keyed("vnode", "h", addrs.StringKey(evil)), Provider: "process", Action: Create, Type: ty,
			Before: cty.NullVal(ty),
			After: cty.ObjectVal(map[string]cty.Value{
				"content": str("line | one ```\n```\n</details>\n\n<script>alert(2)</script>\n    ````\n# not a heading\nx\r```\r<script>alert(6)</script>\n"),
				"labels":  cty.MapVal(map[string]cty.Value{"a|b": str("<i>alert(3)</i> `tick` | pipe")}),
			}),
		},
		{
			Addr: addrs.Resource{Type: "ty|pe`<b>", Name: "n"}, Provider: "process", Action: DeleteThenCreate, Reason: ReasonRequiresReplace, Type: ty,
			Before:          cty.ObjectVal(map[string]cty.Value{"content": str("a"), "labels": cty.MapVal(map[string]cty.Value{"k`|": str("1")})}),
			After:           cty.ObjectVal(map[string]cty.Value{"content": str("a"), "labels": cty.MapVal(map[string]cty.Value{"k`|": str("2")})}),
			RequiresReplace: []cty.Path{cty.GetAttrPath("labels").Index(cty.StringVal("k`|"))},
		},
	}
	p.Drift = []*Drift{{
		Addr: keyed("vnode", "h", addrs.StringKey("<script>alert(4)</script>")), Provider: "process", Type: ty,
		Before: cty.ObjectVal(map[string]cty.Value{"content": str("```\n</details>\n"), "labels": cty.NullVal(cty.Map(cty.String))}),
		After:  cty.NullVal(ty),
	}}
	p.Outputs = []*Output{{Name: "o", Before: cty.NullVal(cty.String), After: str("</details>\n```\nalert(5)\n")}}
	return p
}

// TestAppendDiffBlock: markers move to the first column, `~` becomes `!`,
// and no line of the text can end the block, whatever its backticks.
func TestAppendDiffBlock(t *testing.T) {
	text := "  # x\n  ~ a = 1\n```\n`````\n  - b\n\n    }\n"
	marks := []int{strings.Index(text, "~"), strings.Index(text, "-")}
	got := string(appendDiffBlock(nil, []byte(text), marks))
	want := "``````diff\n  # x\n!   a = 1\n```\n`````\n-   b\n\n    }\n``````\n"
	if got != want {
		t.Fatalf("appendDiffBlock:\n%s\nwant:\n%s", got, want)
	}
	var out bytes.Buffer
	if err := goldmark.New().Convert([]byte(got+"after\n"), &out); err != nil {
		t.Fatal(err)
	}
	root, err := html.Parse(&out)
	if err != nil {
		t.Fatal(err)
	}
	pre := find(root, atom.Pre)
	if len(pre) != 1 || rawText(pre[0]) != "  # x\n!   a = 1\n```\n`````\n-   b\n\n    }\n" {
		t.Errorf("the block does not hold the whole text:\n%s", out.String())
	}
}
