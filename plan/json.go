package plan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/internal/parallel"
	"github.com/benito-net/benito/state"
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
	Mode         string          `json:"mode"`
	Type         string          `json:"type"`
	Name         string          `json:"name"`
	Index        json.RawMessage `json:"index,omitempty"`
	ProviderName string          `json:"provider_name"`
	Provider     string          `json:"provider"`
	ActionReason string          `json:"action_reason,omitempty"`
	Change       jsonChange      `json:"change"`
}

// jsonStateResource is a resource of planned_values and prior_state:
// Terraform's values representation of one resource instance.
type jsonStateResource struct {
	Address         string          `json:"address"`
	Mode            string          `json:"mode"`
	Type            string          `json:"type"`
	Name            string          `json:"name"`
	Index           json.RawMessage `json:"index,omitempty"`
	ProviderName    string          `json:"provider_name"`
	SchemaVersion   int             `json:"schema_version"`
	Values          json.RawMessage `json:"values"`
	SensitiveValues json.RawMessage `json:"sensitive_values"`
	DependsOn       []string        `json:"depends_on,omitempty"`
	Tainted         bool            `json:"tainted,omitempty"`
}

// jsonStateOutput is an output of planned_values and prior_state.
type jsonStateOutput struct {
	Sensitive bool            `json:"sensitive"`
	Value     json.RawMessage `json:"value,omitempty"`
	Type      json.RawMessage `json:"type,omitempty"`
}

// modeManaged is Terraform's resource mode for what benito manages: every
// benito resource (benito has no data sources).
const modeManaged = "managed"

// priorStateFormatVersion is prior_state's format_version: the version of
// Terraform's JSON state representation it follows.
const priorStateFormatVersion = "1.0"

type jsonChange struct {
	Actions      []string        `json:"actions"`
	Before       json.RawMessage `json:"before"`
	After        json.RawMessage `json:"after"`
	AfterUnknown json.RawMessage `json:"after_unknown,omitempty"`
	// BeforeSensitive and AfterSensitive are Terraform's: which values
	// are sensitive (and written as null in before and after): false for
	// a null value, else an object with true for each sensitive
	// attribute ({} when none is); for an output, true or false.
	BeforeSensitive json.RawMessage `json:"before_sensitive"`
	AfterSensitive  json.RawMessage `json:"after_sensitive"`
	ReplacePaths    json.RawMessage `json:"replace_paths,omitempty"`
}

type jsonSummary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
}

var jsonNull = json.RawMessage("null")

// RenderJSON writes the plan in the versioned JSON format (FormatVersion,
// BenitoFormatVersion) for tools and reviews: a superset of Terraform's
// JSON plan representation. Every resource appears, no-ops included,
// sorted by address; equal plans render to identical bytes.
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
	// encoded on its own, so the rendering of a plan of 100,000 resources
	// is never held in memory whole (only the after values, compact, wait
	// between planned_values and resource_changes). The bytes are what one
	// json.Encoder with two-space indentation would write for the whole
	// document.
	jw := &jsonWriter{w: bufio.NewWriterSize(w, 1<<16)}
	jw.enc = json.NewEncoder(&jw.buf)
	jw.enc.SetEscapeHTML(false)
	jw.str("{\n")
	jw.field("format_version", FormatVersion)
	jw.field("benito_format_version", BenitoFormatVersion)
	jw.field("experiment", p.Experiment)
	jw.field("destroy", p.Destroy)
	jw.field("targets", targets)
	jw.field("state", jsonState{Lineage: p.StateLineage, Serial: p.StateSerial})
	jw.field("config_hash", p.ConfigHash)
	jw.field("applyable", p.HasChanges())
	jw.field("complete", len(p.Targets) == 0)
	jw.field("errored", false)

	outputs := make(map[string]jsonChange, len(v.outputs))
	planned := make(map[string]jsonStateOutput, len(v.outputs))
	for _, o := range v.outputs {
		oc, err := jsonOutputChange(o)
		if err != nil {
			return err
		}
		outputs[o.Name] = oc
		if isNull(o.After) {
			continue
		}
		po := jsonStateOutput{Sensitive: o.Sensitive}
		if o.After.IsWhollyKnown() {
			po.Value = oc.After
		}
		planned[o.Name] = po
	}

	// planned_values: what every resource with an after value will be.
	jw.key("planned_values")
	jw.str("{\n")
	jw.str("    ")
	jw.encode("outputs", "    ")
	jw.str(": ")
	jw.encode(planned, "    ")
	jw.str(",\n    \"root_module\": {\n")
	// A change's after value is encoded once, here, and written again in
	// its resource change: afters holds it meanwhile.
	var withAfter []int
	for i, c := range v.changes {
		if !isNull(c.After) {
			withAfter = append(withAfter, i)
		}
	}
	afters := make([]json.RawMessage, len(v.changes))
	jw.innerArray("resources", "      ", len(withAfter), false, func(i int, b []byte) ([]byte, error) {
		c := v.changes[withAfter[i]]
		r, err := plannedResource(c)
		if err != nil {
			return nil, err
		}
		afters[withAfter[i]] = r.Values
		return r.appendCompact(b), nil
	})
	jw.str("    }\n  },\n")

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
		if rc.Change.After, err = jsonValue(after); err != nil {
			return fmt.Errorf("plan: drift of %s: after: %w", rc.Address, err)
		}
		rc.Change.BeforeSensitive = sensitiveJSON(d.Before, d.Sensitive)
		rc.Change.AfterSensitive = sensitiveJSON(d.After, d.Sensitive)
		jw.element(rc, i == len(v.drift)-1)
	}
	jw.arrayEnd(len(v.drift))

	// Resources encode independently: chunks of them are encoded on every
	// core and written out in order.
	jw.innerArray("resource_changes", "  ", len(v.changes), true, func(i int, b []byte) ([]byte, error) {
		rc, err := jsonResource(v.changes[i], afters[i])
		if err != nil {
			return nil, err
		}
		return rc.appendCompact(b), nil
	})

	jw.field("output_changes", outputs)
	if p.Prior != nil && (len(p.Prior.Resources) > 0 || len(p.Prior.Outputs) > 0) {
		jw.priorState(p.Prior)
	}
	if len(p.Configuration) > 0 {
		jw.key("configuration")
		jw.indented(p.Configuration, "  ")
		jw.str(",\n")
	}
	jw.lastField("summary", jsonSummary{Add: add, Change: change, Destroy: destroy})
	jw.str("}\n")
	if jw.err != nil {
		var ve valueError
		if errors.As(jw.err, &ve) {
			return ve.error
		}
		return fmt.Errorf("plan: encoding JSON: %w", jw.err)
	}
	return jw.w.Flush()
}

// valueError is an error of encoding a value (not of writing), which
// carries its own context.
type valueError struct{ error }

// jsonOutputChange is the output_changes entry of o.
func jsonOutputChange(o *Output) (jsonChange, error) {
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
	var err error
	if o.Sensitive {
		before, after = jsonNull, jsonNull
	} else {
		if before, err = jsonValue(o.Before); err != nil {
			return oc, fmt.Errorf("plan: output %q: before: %w", o.Name, err)
		}
		if after, err = jsonValue(o.After); err != nil {
			return oc, fmt.Errorf("plan: output %q: after: %w", o.Name, err)
		}
	}
	oc.Before, oc.After = before, after
	oc.AfterUnknown, _ = appendUnknown(nil, o.After)
	// An output is sensitive or not as a whole, as in Terraform.
	oc.BeforeSensitive = jsonBool(o.Sensitive)
	oc.AfterSensitive = oc.BeforeSensitive
	return oc, nil
}

func jsonBool(b bool) json.RawMessage {
	if b {
		return json.RawMessage("true")
	}
	return json.RawMessage("false")
}

// jsonResourceOf fills in what drift and change entries share.
func jsonResourceOf(addr addrs.Resource, provider string, action Action) jsonResourceChange {
	return jsonResourceChange{
		Address:      addr.String(),
		Mode:         modeManaged,
		Type:         addr.Type,
		Name:         addr.Name,
		Index:        jsonIndex(addr),
		ProviderName: provider,
		Provider:     provider,
		Change:       jsonChange{Actions: action.JSONActions()},
	}
}

// jsonResource is the JSON form of one change. after, when not nil, is
// its after value as jsonAfter encoded it already.
func jsonResource(c *Change, after json.RawMessage) (jsonResourceChange, error) {
	rc := jsonResourceOf(c.Addr, c.Provider, c.Action)
	rc.ActionReason = c.Reason.jsonName()
	var err error
	before, _ := hide(c.Before, cty.NilVal, c.BeforeSensitive, c.AfterSensitive, true)
	if rc.Change.Before, err = jsonValue(before); err != nil {
		return rc, fmt.Errorf("plan: change of %s: before: %w", rc.Address, err)
	}
	if rc.Change.After = after; after == nil {
		if rc.Change.After, err = jsonAfter(c); err != nil {
			return rc, fmt.Errorf("plan: change of %s: after: %w", rc.Address, err)
		}
	}
	rc.Change.BeforeSensitive = sensitiveJSON(c.Before, c.BeforeSensitive)
	rc.Change.AfterSensitive = sensitiveJSON(c.After, c.AfterSensitive)
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

// jsonAfter is c's after value as JSON: the attributes sensitive before
// or after written as null.
func jsonAfter(c *Change) (json.RawMessage, error) {
	_, after := hide(cty.NilVal, c.After, c.BeforeSensitive, c.AfterSensitive, true)
	return jsonValue(after)
}

// plannedResource is the planned_values entry of a change whose after
// value is not null.
func plannedResource(c *Change) (jsonStateResource, error) {
	r := jsonStateResource{
		Address:      c.Addr.String(),
		Mode:         modeManaged,
		Type:         c.Addr.Type,
		Name:         c.Addr.Name,
		Index:        jsonIndex(c.Addr),
		ProviderName: c.Provider,
	}
	var err error
	if r.Values, err = jsonAfter(c); err != nil {
		return r, fmt.Errorf("plan: planned value of %s: %w", r.Address, err)
	}
	r.SensitiveValues = sensitiveJSON(c.After, c.AfterSensitive)
	return r, nil
}

// jsonName is the reason as the JSON format's action_reason says it:
// Terraform's keyword where Terraform has the same reason, benito's own
// name where it has none; "" for ReasonNone.
func (r Reason) jsonName() string {
	switch r {
	case ReasonTainted:
		return "replace_because_tainted"
	case ReasonRequiresReplace:
		return "replace_because_cannot_update"
	case ReasonNoConfig:
		return "delete_because_no_resource_config"
	case ReasonReplaceByRequest:
		return "replace_by_request"
	}
	// destroy, provider_changed, container_replaced: benito's own.
	return r.String()
}

// appendCompact appends rc as compact JSON, with the keys, omissions and
// escaping of encoding/json, but without its reflection and validation.
func (rc *jsonResourceChange) appendCompact(b []byte) []byte {
	b = appendIdentity(b, rc.Address, rc.Mode, rc.Type, rc.Name, rc.Index, rc.ProviderName)
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
	b = append(b, `,"before_sensitive":`...)
	b = append(b, rc.Change.BeforeSensitive...)
	b = append(b, `,"after_sensitive":`...)
	b = append(b, rc.Change.AfterSensitive...)
	if len(rc.Change.ReplacePaths) > 0 {
		b = append(b, `,"replace_paths":`...)
		b = append(b, rc.Change.ReplacePaths...)
	}
	return append(b, "}}"...)
}

// appendCompact appends r as compact JSON, as encoding/json would write it
// (see jsonResourceChange.appendCompact).
func (r *jsonStateResource) appendCompact(b []byte) []byte {
	b = appendIdentity(b, r.Address, r.Mode, r.Type, r.Name, r.Index, r.ProviderName)
	b = append(b, `,"schema_version":`...)
	b = strconv.AppendInt(b, int64(r.SchemaVersion), 10)
	b = append(b, `,"values":`...)
	b = append(b, r.Values...)
	b = append(b, `,"sensitive_values":`...)
	b = append(b, r.SensitiveValues...)
	if len(r.DependsOn) > 0 {
		b = append(b, `,"depends_on":[`...)
		for i, d := range r.DependsOn {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, d)
		}
		b = append(b, ']')
	}
	if r.Tainted {
		b = append(b, `,"tainted":true`...)
	}
	return append(b, '}')
}

// appendIdentity opens the object of a resource change or a resource of
// planned values or the prior state with the keys they share, in their
// order: address, mode, type, name, index (left out when empty),
// provider_name.
func appendIdentity(b []byte, address, mode, typ, name string, index json.RawMessage, providerName string) []byte {
	b = append(b, `{"address":`...)
	b = appendJSONString(b, address)
	b = append(b, `,"mode":`...)
	b = appendJSONString(b, mode)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, typ)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, name)
	if len(index) > 0 {
		b = append(b, `,"index":`...)
		b = append(b, index...)
	}
	b = append(b, `,"provider_name":`...)
	return appendJSONString(b, providerName)
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

// innerArray writes the key name at indentation prefix and an array of n
// elements, element i being what encode appends (compact JSON, which this
// package wrote), followed by a comma when more follows. The elements are
// encoded in chunks on every core and written out in order.
func (j *jsonWriter) innerArray(name, prefix string, n int, more bool, encode func(i int, b []byte) ([]byte, error)) {
	if j.err != nil {
		return
	}
	j.str(prefix)
	j.encode(name, "")
	j.str(": ")
	if n == 0 {
		j.str("[]")
	} else {
		j.str("[\n")
		inner := prefix + "  "
		// A chunk's buffer goes back to the pool once written, so that
		// the chunks after it reuse its grown capacity.
		var pool sync.Pool
		err := parallel.Ordered(n, renderChunk, func(lo, hi int) (*[]byte, error) {
			bp, _ := pool.Get().(*[]byte)
			if bp == nil {
				bp = new([]byte)
			}
			out := (*bp)[:0]
			var compact []byte
			for i := lo; i < hi; i++ {
				var err error
				if compact, err = encode(i, compact[:0]); err != nil {
					return nil, valueError{err}
				}
				out = append(out, inner...)
				out = appendIndented(out, compact, inner)
				if i == n-1 {
					out = append(out, '\n')
				} else {
					out = append(out, ",\n"...)
				}
			}
			*bp = out
			return bp, nil
		}, func(bp *[]byte) error {
			_, err := j.w.Write(*bp)
			pool.Put(bp)
			return err
		})
		if err != nil {
			j.err = err
			return
		}
		j.str(prefix + "]")
	}
	if more {
		j.str(",\n")
	} else {
		j.str("\n")
	}
}

// indented writes src, compact JSON, laid out at indentation prefix.
func (j *jsonWriter) indented(src []byte, prefix string) {
	if j.err == nil {
		_, j.err = j.w.Write(appendIndented(nil, src, prefix))
	}
}

// priorState writes the prior_state field: the refreshed state the plan
// was made against, in Terraform's JSON state representation.
func (j *jsonWriter) priorState(st *state.State) {
	j.key("prior_state")
	j.str("{\n    \"format_version\": ")
	j.encode(priorStateFormatVersion, "")
	j.str(",\n    \"values\": {\n      \"outputs\": ")
	outs := make(map[string]jsonStateOutput, len(st.Outputs))
	for name, o := range st.Outputs {
		so := jsonStateOutput{Sensitive: o.Sensitive, Value: o.Value, Type: o.Type}
		if o.Sensitive || len(so.Value) == 0 {
			so.Value = jsonNull
		}
		outs[name] = so
	}
	j.encode(outs, "      ")
	j.str(",\n      \"root_module\": {\n")
	sorted := st.SortedAddrs()
	j.innerArray("resources", "        ", len(sorted), false, func(i int, b []byte) ([]byte, error) {
		r, err := priorResource(st.Resources[sorted[i]])
		if err != nil {
			return nil, err
		}
		return r.appendCompact(b), nil
	})
	j.str("      }\n    }\n  },\n")
}

// priorResource is the prior_state entry of a recorded resource. Its
// values are the recorded attributes, sensitive ones written as null.
func priorResource(r *state.Resource) (jsonStateResource, error) {
	out := jsonStateResource{
		Address:         r.Addr.String(),
		Mode:            modeManaged,
		Type:            r.Addr.Type,
		Name:            r.Addr.Name,
		Index:           jsonIndex(r.Addr),
		ProviderName:    r.Provider,
		Values:          jsonNull,
		SensitiveValues: sensitiveNames(r.Sensitive),
		Tainted:         r.Status == state.Tainted,
	}
	if len(r.Attributes) > 0 {
		out.Values = unescapeHTML(r.Attributes)
	}
	if len(r.Sensitive) > 0 && len(r.Attributes) > 0 {
		var attrs map[string]json.RawMessage
		if err := json.Unmarshal(r.Attributes, &attrs); err != nil {
			return out, fmt.Errorf("plan: prior state of %s: attributes: %w", out.Address, err)
		}
		for _, n := range r.Sensitive {
			if _, ok := attrs[n]; ok {
				attrs[n] = jsonNull
			}
		}
		names := slices.Sorted(maps.Keys(attrs))
		b := []byte{'{'}
		for i, n := range names {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, n)
			b = append(b, ':')
			b = append(b, unescapeHTML(attrs[n])...)
		}
		out.Values = append(b, '}')
	}
	for _, d := range r.Dependencies {
		out.DependsOn = append(out.DependsOn, d.String())
	}
	return out, nil
}

// unescapeHTML returns src, compact JSON, with the escapes of <, > and &
// that encoding/json writes (and cty's JSON, with it) turned back into the
// characters, as this format writes them: recorded values come out as
// planned ones do.
func unescapeHTML(src []byte) []byte {
	if !bytes.Contains(src, []byte(`\u00`)) {
		return src
	}
	out := make([]byte, 0, len(src))
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c != '\\' || i+1 >= len(src) {
			out = append(out, c)
			continue
		}
		if src[i+1] == 'u' && i+6 <= len(src) {
			switch strings.ToLower(string(src[i+2 : i+6])) {
			case "003c":
				out = append(out, '<')
				i += 5
				continue
			case "003e":
				out = append(out, '>')
				i += 5
				continue
			case "0026":
				out = append(out, '&')
				i += 5
				continue
			}
		}
		// Any other escape is copied whole: its second byte is never
		// the start of one.
		out = append(out, c, src[i+1])
		i++
	}
	return out
}

// sensitiveJSON is Terraform's before_sensitive / after_sensitive of a
// resource's value v: false when v is null, else an object with true for
// each attribute names lists ({} when none).
func sensitiveJSON(v cty.Value, names []string) json.RawMessage {
	if isNull(v) {
		return json.RawMessage("false")
	}
	return sensitiveNames(names)
}

// sensitiveNames is an object with true for each of names.
func sensitiveNames(names []string) json.RawMessage {
	b := []byte{'{'}
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, n)
		b = append(b, ":true"...)
	}
	return append(b, '}')
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
