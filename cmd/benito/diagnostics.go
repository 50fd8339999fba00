package main

import (
	"bufio"
	"bytes"
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
			writeSnippet(w, d, files, color)
		}
		if d.Detail != "" {
			fmt.Fprintf(w, "\n%s\n", d.Detail)
		}
		fmt.Fprintln(w)
	}
}

// snippetWidth is the widest source line shown whole under a diagnostic.
const snippetWidth = 120

func writeSnippet(w io.Writer, d *hcl.Diagnostic, files map[string]*hcl.File, color bool) {
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
	sc := bufio.NewScanner(bytes.NewReader(f.Bytes))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		if line < s.Start.Line {
			continue
		}
		if line > s.Start.Line {
			break
		}
		text := strings.ReplaceAll(sc.Text(), "\t", " ")
		prefix := fmt.Sprintf("  %4d: ", line)
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
