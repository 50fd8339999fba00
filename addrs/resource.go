package addrs

import (
	"fmt"
	"strconv"
	"strings"
)

// Key is one key of an address: IntKey or StringKey. Both implementations
// are comparable, so Resource stays comparable.
type Key interface {
	keySigil()
	String() string
}

// IntKey is the key of an instance made with count: vnode.a[0].
type IntKey int

// StringKey is the key of an instance made with for_each, or a resource's
// own key within what it belongs to (port.lan0["a.eth0"],
// route.a["10.0.1.0/24"]).
type StringKey string

func (IntKey) keySigil()    {}
func (StringKey) keySigil() {}

func (k IntKey) String() string    { return string(appendKey(nil, k)) }
func (k StringKey) String() string { return string(appendKey(nil, k)) }

// appendKey appends k in brackets; nothing for a nil key.
func appendKey(b []byte, k Key) []byte {
	switch k := k.(type) {
	case IntKey:
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(k), 10)
		b = append(b, ']')
	case StringKey:
		b = append(b, '[')
		b = strconv.AppendQuote(b, string(k))
		b = append(b, ']')
	}
	return b
}

// Resource is the address of one resource in the graph: a type, a name and
// up to two keys (see the package documentation for which resources have
// which). Sub is set only when Key is.
type Resource struct {
	Type string
	Name string
	Key  Key // the first key; nil when the address has none
	Sub  Key // the second key; nil when the address has fewer than two
}

// String renders the address as users write it: type.name, type.name[0],
// type.name["key"], type.name[0]["key"].
func (r Resource) String() string {
	return string(r.Append(make([]byte, 0, len(r.Type)+len(r.Name)+16)))
}

// Append appends the String form of r to b, for renderers that build their
// output in a buffer.
func (r Resource) Append(b []byte) []byte {
	b = append(b, r.Type...)
	b = append(b, '.')
	b = append(b, r.Name...)
	return appendKey(appendKey(b, r.Key), r.Sub)
}

// Less orders addresses by type, name, first key and second key. No key
// sorts before any key, integer keys before string keys and numerically
// among themselves, so vnode.a < vnode.a[2] < vnode.a[10] < vnode.a["x"].
func (r Resource) Less(o Resource) bool { return r.Compare(o) < 0 }

// Compare returns -1, 0 or +1, in the order of Less.
func (r Resource) Compare(o Resource) int {
	if c := strings.Compare(r.Type, o.Type); c != 0 {
		return c
	}
	if c := strings.Compare(r.Name, o.Name); c != 0 {
		return c
	}
	if c := compareKeys(r.Key, o.Key); c != 0 {
		return c
	}
	return compareKeys(r.Sub, o.Sub)
}

func compareKeys(a, b Key) int {
	rank := func(k Key) int {
		switch k.(type) {
		case nil:
			return 0
		case IntKey:
			return 1
		}
		return 2
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		if ra < rb {
			return -1
		}
		return 1
	}
	switch a := a.(type) {
	case IntKey:
		b := b.(IntKey)
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
	case StringKey:
		return strings.Compare(string(a), string(b.(StringKey)))
	}
	return 0
}

// ParseResource parses the String form of an address.
func ParseResource(s string) (Resource, error) {
	var r Resource
	typ, rest, ok := strings.Cut(s, ".")
	if !ok || typ == "" {
		return r, fmt.Errorf("invalid resource address %q: want TYPE.NAME, optionally followed by keys: TYPE.NAME[0], TYPE.NAME[\"KEY\"], TYPE.NAME[0][\"KEY\"]", s)
	}
	if !ValidName(typ) {
		return r, fmt.Errorf("invalid resource address %q: the type %q may only use letters, digits, '_' and '-'", s, typ)
	}
	inst, err := parseInstance(rest, 2)
	if err != nil {
		return r, fmt.Errorf("invalid resource address %q: %v", s, err)
	}
	r.Type, r.Name = typ, inst.Name
	if len(inst.keys) > 0 {
		r.Key = inst.keys[0]
	}
	if len(inst.keys) > 1 {
		r.Sub = inst.keys[1]
	}
	return r, nil
}

// Instance is the address of one instance of a block, without its type:
// the block's label and, for a block with count or for_each, the
// instance's key: h, h[0], h["east"]. It is how keys that name an instance
// write it (port.lan0["h[0].eth0"]), and what `benito exec` takes.
type Instance struct {
	Name string
	Key  Key // nil for a block without count or for_each
}

// String renders the instance as users write it: h, h[0] or h["east"].
func (i Instance) String() string {
	return string(i.Append(make([]byte, 0, len(i.Name)+8)))
}

// Append appends the String form of i to b.
func (i Instance) Append(b []byte) []byte {
	return appendKey(append(b, i.Name...), i.Key)
}

// Resource returns the address of the instance as a resource of type typ:
// vnode.h[0].
func (i Instance) Resource(typ string) Resource {
	return Resource{Type: typ, Name: i.Name, Key: i.Key}
}

// Nested returns the address of a resource of type typ that belongs to the
// instance, with its own key (nil for none) after the instance's:
// route.h[0]["10.0.1.0/24"], startup.h[0], route.a["10.0.1.0/24"].
func (i Instance) Nested(typ string, own Key) Resource {
	if i.Key == nil {
		return Resource{Type: typ, Name: i.Name, Key: own}
	}
	return Resource{Type: typ, Name: i.Name, Key: i.Key, Sub: own}
}

// ParseInstance parses the String form of an instance.
func ParseInstance(s string) (Instance, error) {
	in, err := parseInstance(s, 1)
	if err != nil {
		return Instance{}, fmt.Errorf("invalid instance %q: %v; want NAME, NAME[0] or NAME[\"KEY\"]", s, err)
	}
	var i Instance
	i.Name = in.Name
	if len(in.keys) > 0 {
		i.Key = in.keys[0]
	}
	return i, nil
}

type parsedName struct {
	Name string
	keys []Key
}

// parseInstance parses NAME followed by at most maxKeys keys.
func parseInstance(s string, maxKeys int) (parsedName, error) {
	var p parsedName
	name, rest := s, ""
	if br := strings.IndexByte(s, '['); br >= 0 {
		name, rest = s[:br], s[br:]
	}
	if !ValidName(name) {
		return p, fmt.Errorf("the name %q may only use letters, digits, '_' and '-'", name)
	}
	p.Name = name
	for rest != "" {
		if len(p.keys) == maxKeys {
			if maxKeys == 1 {
				return p, fmt.Errorf("more than one key")
			}
			return p, fmt.Errorf("more than %d keys", maxKeys)
		}
		if rest[0] != '[' {
			return p, fmt.Errorf("unexpected %q after the name and keys", rest)
		}
		rest = rest[1:]
		var k Key
		switch {
		case strings.HasPrefix(rest, `"`):
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return p, fmt.Errorf("unterminated or malformed string key")
			}
			u, _ := strconv.Unquote(q) // QuotedPrefix validated it
			k, rest = StringKey(u), rest[len(q):]
		default:
			end := 0
			for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
				end++
			}
			if end == 0 || end > 1 && rest[0] == '0' {
				return p, fmt.Errorf("a key must be a non-negative integer without leading zeros, or a quoted string")
			}
			n, err := strconv.Atoi(rest[:end])
			if err != nil {
				return p, fmt.Errorf("the key %s is too large", rest[:end])
			}
			k, rest = IntKey(n), rest[end:]
		}
		if !strings.HasPrefix(rest, "]") {
			return p, fmt.Errorf("unterminated key: want ']'")
		}
		rest = rest[1:]
		p.keys = append(p.keys, k)
	}
	return p, nil
}

// ValidName reports whether s is a valid benito name: one or more of
// [A-Za-z0-9_-], the rule DETER applied to node and link names.
func ValidName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
