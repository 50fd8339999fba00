package hcl

import (
	"bytes"
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/benito-net/benito/internal/parallel"
)

// chunkSize is roughly how much source one parse handles. hclsyntax lexes a
// whole file into one slice of tokens before parsing it; for a generated
// file of thousands of blocks that slice alone is hundreds of megabytes
// built by doubling, and the parse takes longer than everything else Load
// does. Files are therefore cut between top-level blocks and the pieces
// parsed separately, in parallel.
const chunkSize = 8 << 10

// parseFile parses a configuration file into parser, so that parser.Files
// holds it for diagnostics. The result is the same as parser.ParseHCLFile's.
func parseFile(parser *hclparse.Parser, path string) (*hcl.File, hcl.Diagnostics) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Failed to read file",
			Detail:   fmt.Sprintf("The configuration file %q could not be read: %s.", path, err),
		}}
	}
	if len(data) <= chunkSize {
		return parser.ParseHCL(data, path)
	}
	if f := parseChunks(data, path); f != nil {
		parser.AddFile(path, f)
		return f, nil
	}
	// Something did not parse: parse the whole file again, so that the
	// diagnostics are exactly those of a plain parse.
	return parser.ParseHCL(data, path)
}

// parseChunks parses data in pieces cut at top-level block boundaries and
// joins the pieces' bodies into one. It returns nil when any piece has
// diagnostics, or holds top-level attributes (whose duplicates only a whole
// parse would see): the caller then parses the whole file.
//
// A cut is made after a line that is exactly "}", the way a formatted file
// closes a top-level block. When such a line is really inside something (a
// heredoc, a comment, a badly indented nested block), the piece before the
// cut ends with that something unclosed, which HCL always reports, so a
// wrong cut can cost time but never change the result.
func parseChunks(data []byte, path string) *hcl.File {
	type chunk struct {
		start, end int
		pos        hcl.Pos
		file       *hcl.File
		bad        bool
	}
	var chunks []*chunk
	cur := &chunk{pos: hcl.InitialPos}
	line := 1
	for off := 0; off < len(data); {
		nl := bytes.IndexByte(data[off:], '\n')
		if nl < 0 {
			break
		}
		text := bytes.TrimRight(data[off:off+nl], " \t\r")
		off += nl + 1
		line++
		if off-cur.start >= chunkSize && len(text) == 1 && text[0] == '}' && off < len(data) {
			cur.end = off
			chunks = append(chunks, cur)
			cur = &chunk{start: off, pos: hcl.Pos{Line: line, Column: 1, Byte: off}}
		}
	}
	cur.end = len(data)
	chunks = append(chunks, cur)

	// The pieces are about the same size: an even split across the cores
	// keeps them all busy.
	parallel.Ranges(len(chunks), 1, func(lo, hi int) {
		for _, c := range chunks[lo:hi] {
			f, diags := hclsyntax.ParseConfig(data[c.start:c.end], path, c.pos)
			body, ok := f.Body.(*hclsyntax.Body)
			c.file, c.bad = f, len(diags) > 0 || !ok || len(body.Attributes) > 0
		}
	})
	for _, c := range chunks {
		if c.bad {
			return nil
		}
	}

	// The first piece's navigation (which names the enclosing block in
	// diagnostics) points at its body, which becomes the whole file's.
	first := chunks[0].file
	body := first.Body.(*hclsyntax.Body)
	for _, c := range chunks[1:] {
		b := c.file.Body.(*hclsyntax.Body)
		body.Blocks = append(body.Blocks, b.Blocks...)
		body.SrcRange = hcl.RangeBetween(body.SrcRange, b.SrcRange)
		body.EndRange = b.EndRange
	}
	return &hcl.File{Body: body, Bytes: data, Nav: first.Nav}
}
