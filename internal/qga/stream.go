package qga

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// maxText bounds one JSON text, as QEMU's JSON parser does (64 MiB).
const maxText = 64 << 20

// errReset says a 0xFF byte cut a JSON text short: the text is dropped.
var errReset = errors.New("qga: text cut short by 0xFF")

// texts splits a byte stream into JSON texts the way QEMU's JSON streamer
// does: by brace and bracket depth outside strings, skipping whitespace and
// 0xFF between texts; a 0xFF inside a text drops what was read of it.
type texts struct {
	r *bufio.Reader
}

func newTexts(r io.Reader) *texts { return &texts{r: bufio.NewReaderSize(r, 64<<10)} }

// next returns the next whole JSON text, errReset when a 0xFF cut it short,
// or the reader's error (io.EOF at the end between texts).
func (t *texts) next() ([]byte, error) {
	var buf []byte
	depth := 0
	inString, escaped := false, false
	for {
		c, err := t.r.ReadByte()
		if err != nil {
			if err == io.EOF && len(buf) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if c == Sentinel {
			if len(buf) > 0 {
				return nil, errReset
			}
			continue
		}
		if len(buf) == 0 {
			switch c {
			case ' ', '\t', '\r', '\n':
				continue
			}
		}
		if len(buf) >= maxText {
			return nil, fmt.Errorf("qga: JSON text longer than %d bytes", maxText)
		}
		buf = append(buf, c)
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString && c == '"':
			inString = false
		case inString:
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		}
		if depth <= 0 && !inString {
			// A text at depth 0 ends at its closing brace; a scalar
			// (not a valid command, reported as such) at a delimiter.
			if c == '}' || c == ']' || c == '\n' {
				return buf, nil
			}
		}
	}
}
