package msgpackwalk

import (
	"encoding/binary"
	"errors"
)

// MaxDepth bounds how deeply arrays and maps may nest. cty's decoder
// recurses once per level, and dynamic values can nest without bound;
// real resource values nest a few levels deep.
const MaxDepth = 256

var (
	// ErrTruncated is the error of a value cut short or a length claiming
	// more than the bytes that follow it.
	ErrTruncated = errors.New("msgpack value is truncated or declares more than it holds")
	errInvalid   = errors.New("invalid msgpack")
	errDeep      = errors.New("msgpack value nests too deeply")
	errTrailing  = errors.New("trailing data after msgpack value")
)

// Check verifies that b holds exactly one well-formed msgpack value whose
// lengths all fit in b and whose nesting is at most MaxDepth.
func Check(b []byte) error {
	end, err := walk(b, 0)
	if err != nil {
		return err
	}
	if end != len(b) {
		return errTrailing
	}
	return nil
}

// Skip returns where the msgpack value at b[p] ends; !ok if it is not
// well formed, does not fit in b or nests beyond MaxDepth.
func Skip(b []byte, p int) (end int, ok bool) {
	end, err := walk(b, p)
	return end, err == nil
}

func walk(b []byte, p int) (int, error) {
	// open[i] counts the values still to read at nesting level i; the
	// array backs it for values nesting up to 16 deep.
	var backing [16]int
	open := append(backing[:0], 1)
	pending := 1 // the sum of open
	for pending > 0 {
		for open[len(open)-1] == 0 {
			open = open[:len(open)-1]
		}
		if p >= len(b) {
			return p, ErrTruncated
		}
		c := b[p]
		pending--
		open[len(open)-1]--
		q, items, ok := p+1, 0, true // where the value's payload ends; values nested in it
		switch {
		case c <= 0x7f || c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3:
			// fixint, nil, bool
		case c <= 0x8f:
			items = 2 * int(c&0x0f)
		case c <= 0x9f:
			items = int(c & 0x0f)
		case c <= 0xbf, c == 0xd9, c == 0xda, c == 0xdb:
			_, q, ok = Str(b, p)
		case c == 0xc4, c == 0xc5, c == 0xc6:
			var l int
			l, q, ok = readLen(b, q, 1<<(c-0xc4))
			q += l
		case IsExt(c):
			_, q, ok = Ext(b, p)
		case c == 0xcc, c == 0xd0:
			q++
		case c == 0xcd, c == 0xd1:
			q += 2
		case c == 0xca, c == 0xce, c == 0xd2:
			q += 4
		case c == 0xcb, c == 0xcf, c == 0xd3:
			q += 8
		case c == 0xdc, c == 0xdd:
			items, q, ok = ArrayLen(b, p)
		case c == 0xde, c == 0xdf:
			items, q, ok = MapLen(b, p)
			items *= 2
		default: // 0xc1, never used
			return p, errInvalid
		}
		if !ok || q > len(b) {
			return p, ErrTruncated
		}
		p = q
		if items > 0 {
			if len(open) > MaxDepth {
				return p, errDeep
			}
			open = append(open, items)
			pending += items
			if pending > len(b)-p {
				return p, ErrTruncated
			}
		}
	}
	return p, nil
}

// The header readers below (Str, ArrayLen, MapLen, Ext) return ok false
// if the value at b[p] is not of their kind or claims more than the bytes
// after its header; then their other results mean nothing. The codec
// calls them for every header it decodes, so they are written out, not
// shared with readLen; comparing as uint keeps a 32-bit length that int
// cannot hold (on 32-bit platforms) from passing as negative.

// Str returns where the bytes of the msgpack string at b[p] start and end.
func Str(b []byte, p int) (start, end int, ok bool) {
	if p >= len(b) {
		return 0, 0, false
	}
	var l int
	switch c := b[p]; {
	case c >= 0xa0 && c <= 0xbf:
		l, start = int(c&0x1f), p+1
	case c == 0xd9 && len(b)-p >= 2:
		l, start = int(b[p+1]), p+2
	case c == 0xda && len(b)-p >= 3:
		l, start = int(binary.BigEndian.Uint16(b[p+1:])), p+3
	case c == 0xdb && len(b)-p >= 5:
		l, start = int(binary.BigEndian.Uint32(b[p+1:])), p+5
	default:
		return 0, 0, false
	}
	return start, start + l, uint(l) <= uint(len(b)-start)
}

// ArrayLen returns the number of elements of the msgpack array at b[p] and
// where the first one starts; each element takes a byte at least.
func ArrayLen(b []byte, p int) (n, next int, ok bool) {
	if p >= len(b) {
		return 0, p, false
	}
	switch c := b[p]; {
	case c >= 0x90 && c <= 0x9f:
		n, next = int(c&0x0f), p+1
	case c == 0xdc && len(b)-p >= 3:
		n, next = int(binary.BigEndian.Uint16(b[p+1:])), p+3
	case c == 0xdd && len(b)-p >= 5:
		n, next = int(binary.BigEndian.Uint32(b[p+1:])), p+5
	default:
		return 0, p, false
	}
	return n, next, uint(n) <= uint(len(b)-next)
}

// MapLen returns the number of entries of the msgpack map at b[p] and
// where the first key starts; a key and its value take two bytes at least.
func MapLen(b []byte, p int) (n, next int, ok bool) {
	if p >= len(b) {
		return 0, p, false
	}
	switch c := b[p]; {
	case c >= 0x80 && c <= 0x8f:
		n, next = int(c&0x0f), p+1
	case c == 0xde && len(b)-p >= 3:
		n, next = int(binary.BigEndian.Uint16(b[p+1:])), p+3
	case c == 0xdf && len(b)-p >= 5:
		n, next = int(binary.BigEndian.Uint32(b[p+1:])), p+5
	default:
		return 0, p, false
	}
	return n, next, uint(n) <= uint(len(b)-next)/2
}

// IsExt says whether c starts a msgpack extension value.
func IsExt(c byte) bool { return (c >= 0xd4 && c <= 0xd8) || (c >= 0xc7 && c <= 0xc9) }

// Ext returns the length of the body of the msgpack extension value at
// b[p] (after its type byte) and where the value ends.
func Ext(b []byte, p int) (body, end int, ok bool) {
	if p >= len(b) {
		return 0, 0, false
	}
	c, q := b[p], p+1
	switch c {
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1, 2, 4, 8, 16
		body = 1 << (c - 0xd4)
	case 0xc7, 0xc8, 0xc9: // ext 8, 16, 32
		if body, q, ok = readLen(b, q, 1<<(c-0xc7)); !ok {
			return 0, 0, false
		}
	default:
		return 0, 0, false
	}
	if body >= len(b)-q { // the type byte, then the body
		return 0, 0, false
	}
	return body, q + 1 + body, true
}

// readLen reads the w-byte big-endian length at b[q:] and returns it and
// where it ends; !ok if b ends first or the length is more than the bytes
// after it, which also keeps the conversion to int safe.
func readLen(b []byte, q, w int) (n, next int, ok bool) {
	if len(b)-q < w {
		return 0, q, false
	}
	var v uint64
	switch w {
	case 1:
		v = uint64(b[q])
	case 2:
		v = uint64(binary.BigEndian.Uint16(b[q:]))
	default:
		v = uint64(binary.BigEndian.Uint32(b[q:]))
	}
	if q += w; v > uint64(len(b)-q) {
		return 0, q, false
	}
	return int(v), q, true
}
