package plan

import (
	"encoding/binary"
	"errors"
)

// maxMsgpackDepth bounds the nesting of a stored value. The cty decoder
// recurses once per level, and dynamic values can nest without bound; real
// resource values nest a few levels deep.
const maxMsgpackDepth = 256

// checkMsgpack verifies that b holds exactly one well-formed msgpack value
// whose declared lengths all fit in b and whose nesting is bounded.
//
// The cty decoder sizes its slices and maps from the lengths a value
// declares, so a damaged plan file of a few bytes that declares a map of
// 2^28 entries would have it allocate gigabytes. Each element takes at
// least one byte, so lengths that do not fit in what is left of b are
// damage, found here before cty sees them.
func checkMsgpack(b []byte) error {
	// open[i] counts the values still to read at nesting level i.
	open := make([]int, 1, 16)
	open[0] = 1
	pending := 1 // the sum of open
	for pending > 0 {
		for open[len(open)-1] == 0 {
			open = open[:len(open)-1]
		}
		if len(b) == 0 {
			return errTruncated
		}
		c := b[0]
		b = b[1:]
		pending--
		open[len(open)-1]--
		var size, items int // payload bytes to skip; nested values to read
		switch {
		case c <= 0x7f || c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3:
			// fixint, nil, bool
		case c >= 0x80 && c <= 0x8f:
			items = 2 * int(c&0x0f)
		case c >= 0x90 && c <= 0x9f:
			items = int(c & 0x0f)
		case c >= 0xa0 && c <= 0xbf:
			size = int(c & 0x1f)
		default:
			var n uint64
			var err error
			switch c {
			case 0xc4, 0xd9: // bin8, str8
				n, b, err = readLen(b, 1)
				size = int(n)
			case 0xc5, 0xda:
				n, b, err = readLen(b, 2)
				size = int(n)
			case 0xc6, 0xdb:
				n, b, err = readLen(b, 4)
				size = int(n)
			case 0xc7: // ext8: length, then type
				n, b, err = readLen(b, 1)
				size = int(n) + 1
			case 0xc8:
				n, b, err = readLen(b, 2)
				size = int(n) + 1
			case 0xc9:
				n, b, err = readLen(b, 4)
				size = int(n) + 1
			case 0xca, 0xd2, 0xce: // 32-bit numbers
				size = 4
			case 0xcb, 0xd3, 0xcf: // 64-bit numbers
				size = 8
			case 0xcc, 0xd0:
				size = 1
			case 0xcd, 0xd1:
				size = 2
			case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1, 2, 4, 8, 16, after the type
				size = 1 + 1<<(c-0xd4)
			case 0xdc:
				n, b, err = readLen(b, 2)
				items = int(n)
			case 0xdd:
				n, b, err = readLen(b, 4)
				items = int(n)
			case 0xde:
				n, b, err = readLen(b, 2)
				items = 2 * int(n)
			case 0xdf:
				n, b, err = readLen(b, 4)
				items = 2 * int(n)
			default: // 0xc1, never used
				return errors.New("invalid msgpack")
			}
			if err != nil {
				return err
			}
		}
		if size > len(b) {
			return errTruncated
		}
		b = b[size:]
		if items > 0 {
			if len(open) > maxMsgpackDepth {
				return errors.New("msgpack value nests too deeply")
			}
			open = append(open, items)
			pending += items
			if pending > len(b) {
				return errTruncated
			}
		}
	}
	if len(b) != 0 {
		return errors.New("trailing data after msgpack value")
	}
	return nil
}

var errTruncated = errors.New("msgpack value is truncated or declares more than it holds")

// readLen reads an n-byte big-endian length. Any length, of bytes or of
// elements, beyond what is left of b is damage, which also keeps the
// conversions to int safe.
func readLen(b []byte, n int) (uint64, []byte, error) {
	if len(b) < n {
		return 0, nil, errTruncated
	}
	var v uint64
	switch n {
	case 1:
		v = uint64(b[0])
	case 2:
		v = uint64(binary.BigEndian.Uint16(b))
	default:
		v = uint64(binary.BigEndian.Uint32(b))
	}
	if b = b[n:]; v > uint64(len(b)) {
		return 0, nil, errTruncated
	}
	return v, b, nil
}
