package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// writeDiagnostics prints diagnostics as compilers do: the summary, then
// file:line:col (and the enclosing block), the source line with the
// problem underlined, and the detail. HCL's own text writer names no
// column and underlines only in colour; users asked for both.
func writeDiagnostics(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File, color bool) {
	lines := lineIndex{}
	for _, d := range diags {
		label, on := "Error", "\x1b[1;31m"
		if d.Severity == hcl.DiagWarning {
			label, on = "Warning", "\x1b[1;33m"
		}
		if color {
			fmt.Fprintf(w, "%s%s:\x1b[0m \x1b[1m%s\x1b[0m\n", on, label, d.Summary)
		} else {
			fmt.Fprintf(w, "%s: %s\n", label, d.Summary)
		}
		if d.Subject != nil {
			writeSnippet(w, d, files, lines, color)
		}
		if d.Detail != "" {
			fmt.Fprintf(w, "\n%s\n", d.Detail)
		}
		fmt.Fprintln(w)
	}
}

// snippetWidth is the widest source line shown whole under a diagnostic.
const snippetWidth = 120

func writeSnippet(w io.Writer, d *hcl.Diagnostic, files map[string]*hcl.File, lines lineIndex, color bool) {
	s := d.Subject
	ctx := ""
	f := files[s.Filename]
	if f != nil && f.Body != nil {
		if block := innermostBlock(f, *s); block != "" {
			ctx = ", in " + block
		}
	}
	fmt.Fprintf(w, "\n  on %s:%d:%d%s:\n", s.Filename, s.Start.Line, s.Start.Column, ctx)
	if f == nil || f.Bytes == nil {
		return
	}
	src, ok := lines.line(s.Filename, f.Bytes, s.Start.Line)
	if !ok {
		return
	}
	text := strings.ReplaceAll(src, "\t", " ")
	prefix := fmt.Sprintf("  %4d: ", s.Start.Line)
	start := s.Start.Column - 1
	end := len(text)
	if s.End.Line == s.Start.Line {
		end = s.End.Column - 1
	}
	if start < 0 || start > len(text) {
		fmt.Fprintf(w, "%s%s\n", prefix, text)
		return
	}
	end = min(max(end, start+1), len(text)+1)
	// A long line (a TopDL file written on one line) is shown as a
	// window around the problem.
	if len(text) > snippetWidth {
		from := max(0, start-snippetWidth/3)
		to := min(len(text), max(end, from+snippetWidth))
		cut := text[from:to]
		if from > 0 {
			cut = "…" + cut
			start, end = start-from+1, end-from+1
		}
		if to < len(text) {
			cut += "…"
		}
		text = cut
	}
	fmt.Fprintf(w, "%s%s\n", prefix, text)
	mark := strings.Repeat("^", end-start)
	if color {
		mark = "\x1b[1;31m" + mark + "\x1b[0m"
	}
	fmt.Fprintf(w, "%s%s%s\n", strings.Repeat(" ", len(prefix)), strings.Repeat(" ", start), mark)
}

// innermostBlock names the block holding rng, like `vnode "a"`.
func innermostBlock(f *hcl.File, rng hcl.Range) string {
	type blocksHaver interface {
		InnermostBlockAtPos(pos hcl.Pos) *hcl.Block
	}
	bh, ok := f.Body.(blocksHaver)
	if !ok {
		return ""
	}
	b := bh.InnermostBlockAtPos(rng.Start)
	if b == nil {
		return ""
	}
	parts := []string{b.Type}
	for _, l := range b.Labels {
		parts = append(parts, fmt.Sprintf("%q", l))
	}
	return strings.Join(parts, " ")
}

// lineIndex finds source lines by number: each file's line starts are
// found once, so that printing many diagnostics (one per resource of a
// large experiment) does not read the file again for each.
type lineIndex map[string][]int

// line returns line n (1-based) of src, the file named name, without its
// newline.
func (x lineIndex) line(name string, src []byte, n int) (string, bool) {
	starts, ok := x[name]
	if !ok {
		starts = []int{0}
		for i, c := range src {
			if c == '\n' {
				starts = append(starts, i+1)
			}
		}
		x[name] = starts
	}
	if n < 1 || n > len(starts) {
		return "", false
	}
	end := len(src)
	if n < len(starts) {
		end = starts[n] - 1
	}
	return strings.TrimSuffix(string(src[starts[n-1]:end]), "\r"), true
}
