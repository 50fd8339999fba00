package plan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/internal/parallel"
	"github.com/zclconf/go-cty/cty"
)

// The JSON plan format, documented in docs/json-plan.md. The envelope is
// made of structs so that keys always come out in the same order; values
// are written by appendJSON, which sorts object keys.

type jsonState struct {
	Lineage string `json:"lineage"`
	Serial  uint64 `json:"serial"`
}

type jsonResourceChange struct {
	Address      string          `json:"address"`
	Type         string          `json:"type"`
	Name         string          `json:"name"`
	Index        json.RawMessage `json:"index,omitempty"`
	Provider     string          `json:"provider"`
	ActionReason string          `json:"action_reason,omitempty"`
	Change       jsonChange      `json:"change"`
}

type jsonChange struct {
	Actions      []string        `json:"actions"`
	Before       json.RawMessage `json:"before"`
	After        json.RawMessage `json:"after"`
	AfterUnknown json.RawMessage `json:"after_unknown,omitempty"`
	// BeforeSensitive and AfterSensitive are Terraform's: which values
	// are sensitive (and written as null in before and after). Left out
	// when nothing is.
	BeforeSensitive json.RawMessage `json:"before_sensitive,omitempty"`
	AfterSensitive  json.RawMessage `json:"after_sensitive,omitempty"`
	ReplacePaths    json.RawMessage `json:"replace_paths,omitempty"`
}

type jsonSummary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
}

var jsonNull = json.RawMessage("null")

// RenderJSON writes the plan in the versioned JSON format (FormatVersion)
// for tools and reviews. Every resource appears, no-ops included, sorted by
// address; equal plans render to identical bytes.
func RenderJSON(w io.Writer, p *Plan) error {
	if p == nil {
		return errors.New("plan: cannot render a nil plan")
	}
	v, err := viewOf(p)
	if err != nil {
		return err
	}
	add, change, destroy := p.Counts()
	targets := make([]string, len(p.Targets))
	for i, t := range p.Targets {
		targets[i] = t.String()
	}

	// The document is streamed: the envelope field by field, each resource
	// encoded on its own, so a plan of 100,000 resources is never held in
	// memory twice. The bytes are what one json.Encoder with two-space
	// indentation would write for jsonPlan.
	jw := &jsonWriter{w: bufio.NewWriterSize(w, 1<<16)}
	jw.enc = json.NewEncoder(&jw.buf)
	jw.enc.SetEscapeHTML(false)
	jw.str("{\n")
	jw.field("format_version", FormatVersion)
	jw.field("experiment", p.Experiment)
	jw.field("destroy", p.Destroy)
	jw.field("targets", targets)
	jw.field("state", jsonState{Lineage: p.StateLineage, Serial: p.StateSerial})
	jw.field("config_hash", p.ConfigHash)

	jw.arrayStart("resource_drift", len(v.drift))
	for i, d := range v.drift {
		actions := Update
		switch {
		case isNull(d.After):
			actions = Delete
		case isNull(d.Before):
			actions = Create
		}
		rc := jsonResourceOf(d.Addr, d.Provider, actions)
		before, after := hide(d.Before, d.After, d.Sensitive, d.Sensitive, true)
		if rc.Change.Before, err = jsonValue(before); err != nil {
			return fmt.Errorf("plan: drift of %s: before: %w", rc.Address, err)
		}
		if len(d.Sensitive) > 0 {
			rc.Change.BeforeSensitive = sensitiveJSON(d.Sensitive)
			rc.Change.AfterSensitive = rc.Change.BeforeSensitive
		}
		if rc.Change.After, err = jsonValue(after); err != nil {
			return fmt.Errorf("plan: drift of %s: after: %w", rc.Address, err)
		}
		jw.element(rc, i == len(v.drift)-1)
	}
	jw.arrayEnd(len(v.drift))

	jw.arrayStart("resource_changes", len(v.changes))
	// Resources encode independently: chunks of them are encoded on every
	// core and written out in order.
	err = parallel.Ordered(len(v.changes), renderChunk, func(lo, hi int) ([]byte, error) {
		var out, compact []byte
		for i, c := range v.changes[lo:hi] {
			rc, err := jsonResource(c)
			if err != nil {
				return nil, err
			}
			compact = rc.appendCompact(compact[:0])
			out = append(out, "    "...)
			out = appendIndented(out, compact, "    ")
			if lo+i == len(v.changes)-1 {
				out = append(out, '\n')
			} else {
				out = append(out, ",\n"...)
			}
		}
		return out, nil
	}, func(b []byte) error {
		if jw.err == nil {
			_, jw.err = jw.w.Write(b)
		}
		return jw.err
	})
	if err != nil {
		return err
	}
	jw.arrayEnd(len(v.changes))

	outputs := make(map[string]jsonChange, len(v.outputs))
	for _, o := range v.outputs {
		var action Action
		switch {
		case valuesEqual(o.Before, o.After):
			action = NoOp
		case isNull(o.Before):
			action = Create
		case isNull(o.After):
			action = Delete
		default:
			action = Update
		}
		oc := jsonChange{Actions: action.JSONActions()}
		var before, after json.RawMessage
		if o.Sensitive {
			before, after = jsonNull, jsonNull
			oc.BeforeSensitive, oc.AfterSensitive = json.RawMessage("true"), json.RawMessage("true")
		} else {
			if before, err = jsonValue(o.Before); err != nil {
				return fmt.Errorf("plan: output %q: before: %w", o.Name, err)
			}
			if after, err = jsonValue(o.After); err != nil {
				return fmt.Errorf("plan: output %q: after: %w", o.Name, err)
			}
		}
		oc.Before, oc.After = before, after
		oc.AfterUnknown, _ = appendUnknown(nil, o.After)
		outputs[o.Name] = oc
	}
	jw.field("output_changes", outputs)
	jw.lastField("summary", jsonSummary{Add: add, Change: change, Destroy: destroy})
	jw.str("}\n")
	if jw.err != nil {
		return fmt.Errorf("plan: encoding JSON: %w", jw.err)
	}
	return jw.w.Flush()
}

// jsonResourceOf fills in what drift and change entries share.
func jsonResourceOf(addr addrs.Resource, provider string, action Action) jsonResourceChange {
	return jsonResourceChange{
		Address:  addr.String(),
		Type:     addr.Type,
		Name:     addr.Name,
		Index:    jsonIndex(addr),
		Provider: provider,
		Change:   jsonChange{Actions: action.JSONActions()},
	}
}

// jsonResource is the JSON form of one change.
func jsonResource(c *Change) (jsonResourceChange, error) {
	rc := jsonResourceOf(c.Addr, c.Provider, c.Action)
	rc.ActionReason = c.Reason.String()
	var err error
	before, after := hide(c.Before, c.After, c.BeforeSensitive, c.AfterSensitive, true)
	if rc.Change.Before, err = jsonValue(before); err != nil {
		return rc, fmt.Errorf("plan: change of %s: before: %w", rc.Address, err)
	}
	if len(c.BeforeSensitive)+len(c.AfterSensitive) > 0 {
		rc.Change.BeforeSensitive = sensitiveJSON(c.BeforeSensitive)
		rc.Change.AfterSensitive = sensitiveJSON(c.AfterSensitive)
	}
	if rc.Change.After, err = jsonValue(after); err != nil {
		return rc, fmt.Errorf("plan: change of %s: after: %w", rc.Address, err)
	}
	// A resource's after_unknown is an object even when nothing is
	// unknown, so that tools can look an attribute up without first
	// checking for false.
	rc.Change.AfterUnknown = json.RawMessage("{}")
	if u, any := appendUnknown(nil, c.After); any {
		rc.Change.AfterUnknown = u
	}
	if len(c.RequiresReplace) > 0 {
		if rc.Change.ReplacePaths, err = jsonPaths(c.RequiresReplace); err != nil {
			return rc, fmt.Errorf("plan: change of %s: replace paths: %w", rc.Address, err)
		}
	}
	return rc, nil
}

// appendCompact appends rc as compact JSON, with the keys, omissions and
// escaping of encoding/json, but without its reflection and validation.
func (rc *jsonResourceChange) appendCompact(b []byte) []byte {
	b = append(b, `{"address":`...)
	b = appendJSONString(b, rc.Address)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, rc.Type)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, rc.Name)
	if len(rc.Index) > 0 {
		b = append(b, `,"index":`...)
		b = append(b, rc.Index...)
	}
	b = append(b, `,"provider":`...)
	b = appendJSONString(b, rc.Provider)
	if rc.ActionReason != "" {
		b = append(b, `,"action_reason":`...)
		b = appendJSONString(b, rc.ActionReason)
	}
	b = append(b, `,"change":{"actions":[`...)
	for i, a := range rc.Change.Actions {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, a)
	}
	b = append(b, `],"before":`...)
	b = append(b, rc.Change.Before...)
	b = append(b, `,"after":`...)
	b = append(b, rc.Change.After...)
	if len(rc.Change.AfterUnknown) > 0 {
		b = append(b, `,"after_unknown":`...)
		b = append(b, rc.Change.AfterUnknown...)
	}
	if len(rc.Change.BeforeSensitive) > 0 {
		b = append(b, `,"before_sensitive":`...)
		b = append(b, rc.Change.BeforeSensitive...)
		b = append(b, `,"after_sensitive":`...)
		b = append(b, rc.Change.AfterSensitive...)
	}
	if len(rc.Change.ReplacePaths) > 0 {
		b = append(b, `,"replace_paths":`...)
		b = append(b, rc.Change.ReplacePaths...)
	}
	return append(b, "}}"...)
}

// appendIndented appends src, compact JSON that this package wrote (so
// known to be valid), laid out as json.Indent(dst, src, prefix, "  ")
// would, in one pass without a validating scanner.
func appendIndented(dst, src []byte, prefix string) []byte {
	depth := 0
	newline := func() {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for i := 0; i < depth; i++ {
			dst = append(dst, "  "...)
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '"':
			// Copy the string whole, escapes included.
			j := i + 1
			for ; j < len(src) && src[j] != '"'; j++ {
				if src[j] == '\\' {
					j++
				}
			}
			dst = append(dst, src[i:j+1]...)
			i = j
		case '{', '[':
			dst = append(dst, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, src[i+1])
				i++
				continue
			}
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, ':', ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// jsonWriter writes the indented JSON document piece by piece.
type jsonWriter struct {
	w   *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
	err error
}

func (j *jsonWriter) str(s string) {
	if j.err == nil {
		_, j.err = j.w.WriteString(s)
	}
}

// encode writes v indented as it would be at the given prefix.
func (j *jsonWriter) encode(v any, prefix string) {
	if j.err != nil {
		return
	}
	j.buf.Reset()
	j.enc.SetIndent(prefix, "  ")
	if j.err = j.enc.Encode(v); j.err != nil {
		return
	}
	_, j.err = j.w.Write(bytes.TrimSuffix(j.buf.Bytes(), []byte("\n")))
}

func (j *jsonWriter) key(name string) {
	j.str("  ")
	j.encode(name, "")
	j.str(": ")
}

func (j *jsonWriter) field(name string, v any) {
	j.key(name)
	j.encode(v, "  ")
	j.str(",\n")
}

func (j *jsonWriter) lastField(name string, v any) {
	j.key(name)
	j.encode(v, "  ")
	j.str("\n")
}

func (j *jsonWriter) arrayStart(name string, n int) {
	j.key(name)
	if n == 0 {
		j.str("[]")
		return
	}
	j.str("[\n")
}

func (j *jsonWriter) element(v any, last bool) {
	j.str("    ")
	j.encode(v, "    ")
	if last {
		j.str("\n")
	} else {
		j.str(",\n")
	}
}

func (j *jsonWriter) arrayEnd(n int) {
	if n > 0 {
		j.str("  ]")
	}
	j.str(",\n")
}

// jsonIndex is an address's "index": its key, or both keys as an array
// (route.h[0]["10.0.2.0/24"]: [0, "10.0.2.0/24"]); nil when it has none.
func jsonIndex(a addrs.Resource) json.RawMessage {
	if a.Sub == nil {
		return appendJSONKey(nil, a.Key)
	}
	b := append(appendJSONKey([]byte{'['}, a.Key), ',')
	return append(appendJSONKey(b, a.Sub), ']')
}

func appendJSONKey(b []byte, k addrs.Key) []byte {
	switch k := k.(type) {
	case addrs.IntKey:
		return strconv.AppendInt(b, int64(k), 10)
	case addrs.StringKey:
		return appendJSONString(b, string(k))
	}
	return b
}

func jsonValue(v cty.Value) (json.RawMessage, error) {
	if isNull(v) {
		return jsonNull, nil
	}
	return appendJSON(nil, v)
}

// jsonPaths writes paths as arrays of steps: attribute names and string
// keys as strings, list indices as numbers.
func jsonPaths(paths []cty.Path) (json.RawMessage, error) {
	b := []byte{'['}
	for i, p := range paths {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, s := range p {
			if j > 0 {
				b = append(b, ',')
			}
			switch s := s.(type) {
			case cty.GetAttrStep:
				b = appendJSONString(b, s.Name)
			case cty.IndexStep:
				var err error
				if b, err = appendJSON(b, s.Key); err != nil {
					return nil, err
				}
			default:
				return nil, fmt.Errorf("unsupported path step %T", s)
			}
		}
		b = append(b, ']')
	}
	return append(b, ']'), nil
}

// appendJSON appends v as plain JSON. Unknown object attributes and map
// entries are left out (after_unknown says where they were); an unknown
// list, set or tuple element becomes null, to keep the others' positions.
func appendJSON(b []byte, v cty.Value) ([]byte, error) {
	if isNull(v) || !v.IsKnown() {
		return append(b, "null"...), nil
	}
	if v.IsMarked() {
		return nil, errors.New("value has marks")
	}
	ty := v.Type()
	var err error
	switch {
	case ty == cty.String:
		return appendJSONString(b, v.AsString()), nil
	case ty == cty.Number:
		f := v.AsBigFloat()
		if f.IsInf() {
			return nil, errors.New("infinity has no JSON form")
		}
		return appendNumber(b, v), nil
	case ty == cty.Bool:
		return strconv.AppendBool(b, v.True()), nil
	case ty.IsObjectType() || ty.IsMapType():
		b = append(b, '{')
		first := true
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if !e.IsKnown() {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendJSONString(b, k.AsString())
			b = append(b, ':')
			if b, err = appendJSON(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		b = append(b, '[')
		first := true
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if !first {
				b = append(b, ',')
			}
			first = false
			if b, err = appendJSON(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	return nil, fmt.Errorf("%s has no JSON form", ty.FriendlyName())
}

// appendUnknown appends the after_unknown shape of v: true where v is
// unknown; objects and maps holding only the keys that are or contain
// unknowns; lists, sets and tuples holding one entry per element, false for
// known ones, once any element is unknown; false elsewhere. any reports
// whether anything was unknown.
func appendUnknown(b []byte, v cty.Value) (_ []byte, any bool) {
	switch {
	case !v.IsKnown():
		return append(b, "true"...), true
	case isNull(v) || v.IsWhollyKnown():
		return append(b, "false"...), false
	}
	ty := v.Type()
	switch {
	case ty.IsObjectType() || ty.IsMapType():
		b = append(b, '{')
		first := true
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if e.IsWhollyKnown() {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendJSONString(b, k.AsString())
			b = append(b, ':')
			b, _ = appendUnknown(b, e)
		}
		return append(b, '}'), true
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		b = append(b, '[')
		first := true
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if !first {
				b = append(b, ',')
			}
			first = false
			b, _ = appendUnknown(b, e)
		}
		return append(b, ']'), true
	}
	return append(b, "false"...), false
}

// appendJSONString appends s as a JSON string, replacing invalid UTF-8 as
// encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			// Valid JSON, but not valid JavaScript: escape as encoding/json does.
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
