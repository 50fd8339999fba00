package addrs

import (
	"fmt"
	"strconv"
	"strings"
)

// Key is the instance key of a resource: nil (no key), IntKey or StringKey.
// Both implementations are comparable, so Resource stays comparable.
type Key interface {
	keySigil()
	String() string
}

// IntKey is the key of a resource made with count: vnode.a[0].
type IntKey int

// StringKey is the key of a resource made with for_each, or of a resource
// that belongs to another (port.lan0["a.eth0"], route.a["10.0.1.0/24"]).
type StringKey string

func (IntKey) keySigil()    {}
func (StringKey) keySigil() {}

func (k IntKey) String() string    { return "[" + strconv.Itoa(int(k)) + "]" }
func (k StringKey) String() string { return "[" + strconv.Quote(string(k)) + "]" }

// Resource is the address of one resource in the graph.
type Resource struct {
	Type string
	Name string
	Key  Key // nil when the resource has no key
}

// String renders the address as users write it: type.name, type.name[0] or
// type.name["key"].
func (r Resource) String() string {
	var b strings.Builder
	b.Grow(len(r.Type) + len(r.Name) + 8)
	b.WriteString(r.Type)
	b.WriteByte('.')
	b.WriteString(r.Name)
	if r.Key != nil {
		b.WriteString(r.Key.String())
	}
	return b.String()
}

// Less orders addresses by type, name and key; integer keys sort before
// string keys and numerically among themselves, so vnode.a[2] < vnode.a[10].
func (r Resource) Less(o Resource) bool {
	if r.Type != o.Type {
		return r.Type < o.Type
	}
	if r.Name != o.Name {
		return r.Name < o.Name
	}
	return keyLess(r.Key, o.Key)
}

// Compare returns -1, 0 or +1, in the order of Less.
func (r Resource) Compare(o Resource) int {
	switch {
	case r == o:
		return 0
	case r.Less(o):
		return -1
	default:
		return 1
	}
}

func keyLess(a, b Key) bool {
	switch a := a.(type) {
	case nil:
		return b != nil
	case IntKey:
		switch b := b.(type) {
		case nil:
			return false
		case IntKey:
			return a < b
		default:
			return true
		}
	case StringKey:
		if b, ok := b.(StringKey); ok {
			return a < b
		}
		return false
	}
	return false
}

// ParseResource parses the String form of an address.
func ParseResource(s string) (Resource, error) {
	var r Resource
	dot := strings.IndexByte(s, '.')
	if dot <= 0 {
		return r, fmt.Errorf("invalid resource address %q: want TYPE.NAME, TYPE.NAME[N] or TYPE.NAME[\"KEY\"]", s)
	}
	r.Type = s[:dot]
	rest := s[dot+1:]
	if br := strings.IndexByte(rest, '['); br >= 0 {
		if !strings.HasSuffix(rest, "]") {
			return r, fmt.Errorf("invalid resource address %q: unterminated key", s)
		}
		keyText := rest[br+1 : len(rest)-1]
		rest = rest[:br]
		switch {
		case strings.HasPrefix(keyText, `"`):
			k, err := strconv.Unquote(keyText)
			if err != nil {
				return r, fmt.Errorf("invalid resource address %q: bad string key: %v", s, err)
			}
			r.Key = StringKey(k)
		default:
			n, err := strconv.Atoi(keyText)
			if err != nil || n < 0 {
				return r, fmt.Errorf("invalid resource address %q: key must be a non-negative integer or a quoted string", s)
			}
			r.Key = IntKey(n)
		}
	}
	r.Name = rest
	if !ValidName(r.Type) || !ValidName(r.Name) {
		return r, fmt.Errorf("invalid resource address %q: type and name may only use letters, digits, '_' and '-'", s)
	}
	return r, nil
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
