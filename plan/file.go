package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/internal/atomicfile"
	"github.com/benito-net/benito/internal/msgpackwalk"
	"github.com/benito-net/benito/internal/parallel"
	"github.com/benito-net/benito/state"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	"github.com/zclconf/go-cty/cty/msgpack"
)

// FileKind is the "kind" of a saved plan file, which tells it apart from
// state files and from `benito plan -json` output.
const FileKind = "benito-plan"

var (
	// ErrNotPlanFile is wrapped by ReadFile's error when the file is not a
	// saved benito plan at all.
	ErrNotPlanFile = errors.New("not a benito plan file")
	// ErrFormatVersion is wrapped by ReadFile's error when the plan file was
	// written in a format major version this benito does not read.
	ErrFormatVersion = errors.New("unsupported plan file format version")
	// ErrChecksum is wrapped by ReadFile's error when the plan file's
	// content does not match the checksum it carries, or it carries none:
	// it was changed after benito wrote it.
	ErrChecksum = errors.New("the plan file does not match its checksum")
)

// A saved plan is a header line carrying the SHA-256 of the rest of the
// file, then the plan as JSON (fileJSON):
//
//	benito-plan sha256:<64 hex digits>
//	{"kind":"benito-plan","format_version":"2.2",...}
//
// The checksum is checked before anything else of the file is read: apply
// carries out what a plan says (a delete is a delete), so a plan changed
// after it was written (a no-op turned into a delete, by hand or by a
// tool) is refused whole. It is a checksum, not a signature: it catches
// every change made without rewriting the header, and a plan file is
// written with mode 0600, so that only its owner can make a new one.
const checksumPrefix = FileKind + " sha256:"

// The stored form of a plan. Types are stored once, in a table
// (ctyjson.MarshalType), and changes refer to them by index: a plan of
// 100,000 resources has a handful of types. Values are cty msgpack (which
// keeps unknown values and their refinements), prefixed with one byte:
// 't' for a value encoded against its change's type, 'd' for one that
// carries its own type (cty.DynamicPseudoType), used for outputs and for
// any value that does not conform to the type. Slices carry no omitempty:
// null and [] decode to nil and empty, keeping the two apart.
type fileJSON struct {
	Kind          string        `json:"kind"`
	FormatVersion string        `json:"format_version"`
	Experiment    string        `json:"experiment"`
	Destroy       bool          `json:"destroy"`
	Targets       []string      `json:"targets"`
	StateLineage  string        `json:"state_lineage"`
	StateSerial   uint64        `json:"state_serial"`
	ConfigHash    string        `json:"config_hash"`
	Dir           string        `json:"dir"`
	Vars          []string      `json:"vars"`
	VarFiles      []string      `json:"var_files"`
	VarEnv        []string      `json:"var_env"`
	Changes       []*changeJSON `json:"changes"`
	Drift         []*driftJSON  `json:"drift"`
	Outputs       []*outputJSON `json:"outputs"`
	// Prior is the refreshed state, in the state file format.
	Prior json.RawMessage `json:"prior"`
	// Types is the table the changes' and drift's types index.
	Types []json.RawMessage `json:"types"`
	// NameSets is the table of attribute name lists (sorted) that the
	// changes' and drift's run_time and generated index; absent in files
	// of earlier benitos, which had neither.
	NameSets [][]string `json:"name_sets,omitempty"`
	// Configuration is Plan.Configuration (since format 2.2; absent in
	// older files, whose JSON rendering then has no "configuration").
	Configuration json.RawMessage `json:"configuration,omitempty"`
}

type changeJSON struct {
	Addr            string       `json:"addr"`
	Provider        string       `json:"provider"`
	Action          string       `json:"action"`
	Reason          string       `json:"reason,omitempty"`
	Type            *int         `json:"type"`
	Before          []byte       `json:"before"`
	After           []byte       `json:"after"`
	Private         []byte       `json:"private"`
	PriorPrivate    []byte       `json:"prior_private"`
	PriorProvider   string       `json:"prior_provider,omitempty"`
	PriorType       *int         `json:"prior_type,omitempty"`
	RequiresReplace [][]stepJSON `json:"requires_replace"`
	Dependencies    []string     `json:"dependencies"`
	BeforeSensitive []string     `json:"before_sensitive,omitempty"`
	AfterSensitive  []string     `json:"after_sensitive,omitempty"`
	RunTime         *int         `json:"run_time,omitempty"`
	Generated       *int         `json:"generated,omitempty"`
}

type driftJSON struct {
	Addr      string   `json:"addr"`
	Provider  string   `json:"provider"`
	Type      *int     `json:"type"`
	Before    []byte   `json:"before"`
	After     []byte   `json:"after"`
	Sensitive []string `json:"sensitive,omitempty"`
	RunTime   *int     `json:"run_time,omitempty"`
	Generated *int     `json:"generated,omitempty"`
}

type outputJSON struct {
	Name      string `json:"name"`
	Before    []byte `json:"before"`
	After     []byte `json:"after"`
	Sensitive bool   `json:"sensitive,omitempty"`
}

// stepJSON is one step of a cty.Path: an attribute name, or an index key
// as ctyjson writes a value of cty.DynamicPseudoType ({"value","type"}).
type stepJSON struct {
	Attr  *string         `json:"attr,omitempty"`
	Index json.RawMessage `json:"index,omitempty"`
}

// WriteFile saves p for a later `benito apply FILE`. The file is replaced
// atomically and readable only by its owner: a plan holds provider private
// data and the variables it was made with, which may be secrets.
func WriteFile(path string, p *Plan) error {
	data, err := encodeFile(p)
	if err != nil {
		return fmt.Errorf("saving plan to %s: %w", path, err)
	}
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("saving plan to %s: %w", path, err)
	}
	return nil
}

// ReadFile loads a plan saved by WriteFile. A file that is not a saved
// benito plan, or that a benito with another format major version wrote,
// is refused with an error that says what the file is and how to make a
// new plan.
func ReadFile(path string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading plan: %w", err)
	}
	p, err := decodeFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

const remake = "make a new one with `benito plan -out FILE`"

func encodeFile(p *Plan) ([]byte, error) {
	if p == nil {
		return nil, errors.New("nil plan")
	}
	f := fileJSON{
		Kind:          FileKind,
		FormatVersion: FileFormatVersion,
		Experiment:    p.Experiment,
		Destroy:       p.Destroy,
		Targets:       encodeAddrs(p.Targets),
		StateLineage:  p.StateLineage,
		StateSerial:   p.StateSerial,
		ConfigHash:    p.ConfigHash,
		Dir:           p.Dir,
		Vars:          p.Vars,
		VarFiles:      p.VarFiles,
		VarEnv:        p.VarEnv,
		Prior:         jsonNull,
		Configuration: p.Configuration,
	}
	var err error
	// A state never written has no lineage and nothing in it: a plan of a
	// new experiment records no prior state, and apply starts from empty.
	if p.Prior != nil && !(p.Prior.Lineage == "" && len(p.Prior.Resources) == 0 && len(p.Prior.Outputs) == 0) {
		if f.Prior, err = state.Marshal(p.Prior); err != nil {
			return nil, fmt.Errorf("prior state: %w", err)
		}
	}
	if p.Changes != nil {
		f.Changes = make([]*changeJSON, len(p.Changes))
	}
	types := &typeTable{}
	sets := &nameSetTable{}
	for i, c := range p.Changes {
		if c == nil {
			return nil, fmt.Errorf("change %d is nil", i)
		}
		cj := &changeJSON{
			Addr:            c.Addr.String(),
			Provider:        c.Provider,
			Action:          c.Action.String(),
			Reason:          c.Reason.String(),
			Private:         c.Private,
			PriorPrivate:    c.PriorPrivate,
			PriorProvider:   c.PriorProvider,
			Dependencies:    encodeAddrs(c.Dependencies),
			BeforeSensitive: c.BeforeSensitive,
			AfterSensitive:  c.AfterSensitive,
			RunTime:         sets.index(c.RunTime),
			Generated:       sets.index(c.Generated),
		}
		if cj.Type, err = types.index(c.Type); err != nil {
			return nil, fmt.Errorf("%s: type: %w", cj.Addr, err)
		}
		if cj.PriorType, err = types.index(c.PriorType); err != nil {
			return nil, fmt.Errorf("%s: prior type: %w", cj.Addr, err)
		}
		if cj.RequiresReplace, err = encodePaths(c.RequiresReplace); err != nil {
			return nil, fmt.Errorf("%s: requires_replace: %w", cj.Addr, err)
		}
		f.Changes[i] = cj
	}
	// The values are most of the work; they encode independently.
	var errMu sync.Mutex
	var firstErr error
	parallel.Ranges(len(p.Changes), 1000, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			c, cj := p.Changes[i], f.Changes[i]
			beforeType := c.Type
			if c.PriorProvider != "" {
				beforeType = c.PriorType
			}
			var err error
			if cj.Before, err = encodeValue(c.Before, beforeType); err != nil {
				err = fmt.Errorf("%s: before: %w", cj.Addr, err)
			} else if cj.After, err = encodeValue(c.After, c.Type); err != nil {
				err = fmt.Errorf("%s: after: %w", cj.Addr, err)
			}
			if err != nil {
				errMu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				errMu.Unlock()
				return
			}
		}
	})
	if firstErr != nil {
		return nil, firstErr
	}
	if p.Drift != nil {
		f.Drift = make([]*driftJSON, len(p.Drift))
	}
	for i, d := range p.Drift {
		if d == nil {
			return nil, fmt.Errorf("drift %d is nil", i)
		}
		dj := &driftJSON{Addr: d.Addr.String(), Provider: d.Provider, Sensitive: d.Sensitive, RunTime: sets.index(d.RunTime), Generated: sets.index(d.Generated)}
		if dj.Type, err = types.index(d.Type); err != nil {
			return nil, fmt.Errorf("drift of %s: type: %w", dj.Addr, err)
		}
		if dj.Before, err = encodeValue(d.Before, d.Type); err != nil {
			return nil, fmt.Errorf("drift of %s: before: %w", dj.Addr, err)
		}
		if dj.After, err = encodeValue(d.After, d.Type); err != nil {
			return nil, fmt.Errorf("drift of %s: after: %w", dj.Addr, err)
		}
		f.Drift[i] = dj
	}
	if p.Outputs != nil {
		f.Outputs = make([]*outputJSON, len(p.Outputs))
	}
	for i, o := range p.Outputs {
		if o == nil {
			return nil, fmt.Errorf("output %d is nil", i)
		}
		oj := &outputJSON{Name: o.Name, Sensitive: o.Sensitive}
		if oj.Before, err = encodeValue(o.Before, cty.NilType); err != nil {
			return nil, fmt.Errorf("output %q: before: %w", o.Name, err)
		}
		if oj.After, err = encodeValue(o.After, cty.NilType); err != nil {
			return nil, fmt.Errorf("output %q: after: %w", o.Name, err)
		}
		f.Outputs[i] = oj
	}

	f.Types = types.stored
	f.NameSets = sets.stored
	// No indentation: the file is for benito, not for reading (that is
	// what `benito show` is for), and it can be large.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	return seal(buf.Bytes()), nil
}

// seal returns body behind its checksum header.
func seal(body []byte) []byte {
	sum := sha256.Sum256(body)
	out := make([]byte, 0, len(checksumPrefix)+sha256.Size*2+1+len(body))
	out = append(out, checksumPrefix...)
	out = hex.AppendEncode(out, sum[:])
	out = append(out, '\n')
	return append(out, body...)
}

// unseal checks data's checksum header against the rest of data and
// returns the rest. A file without the header is named for what it is
// (identify).
func unseal(data []byte) ([]byte, error) {
	if !bytes.HasPrefix(data, []byte(checksumPrefix)) {
		if err := identify(data); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: it carries no checksum, so it was written by an older benito or changed since; %s", ErrChecksum, remake)
	}
	header, body, ok := bytes.Cut(data, []byte("\n"))
	want, err := hex.DecodeString(string(header[len(checksumPrefix):]))
	if !ok || err != nil || len(want) != sha256.Size {
		return nil, fmt.Errorf("%w: its first line is not a checksum header (%q then 64 hex digits); %s", ErrChecksum, checksumPrefix, remake)
	}
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], want) {
		return nil, fmt.Errorf("%w: it was changed after benito wrote it (by hand, by another tool, or damaged), and benito does not carry out a plan it cannot trust; %s", ErrChecksum, remake)
	}
	return body, nil
}

// decodeFile decodes a saved plan: its checksum first (unseal), then the
// plan.
func decodeFile(data []byte) (*Plan, error) {
	body, err := unseal(data)
	if err != nil {
		return nil, err
	}
	return decodeBody(body)
}

// identify returns an error that names what data is when it is not a
// saved plan of this benito's (empty, another kind of file, the JSON
// rendering of a plan, a state file, another format version), or nil.
// It reads only what tells files apart, so that a file of another kind
// or version is named for what it is rather than reported as a decoding
// error.
func identify(data []byte) error {
	var probe struct {
		Kind          *string          `json:"kind"`
		FormatVersion *json.RawMessage `json:"format_version"`
		Lineage       *json.RawMessage `json:"lineage"`
		Resources     *json.RawMessage `json:"resources"`
		Changes       *json.RawMessage `json:"resource_changes"`
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("%w: the file is empty; %s", ErrNotPlanFile, remake)
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return fmt.Errorf("%w: it cannot be read as one (%v); %s", ErrNotPlanFile, err, remake)
	}
	switch {
	case probe.Kind != nil && *probe.Kind == FileKind:
	case probe.Kind != nil:
		return fmt.Errorf("%w: it is a %q file; %s", ErrNotPlanFile, *probe.Kind, remake)
	case probe.Changes != nil:
		return fmt.Errorf("%w: it is the JSON rendering of a plan (`benito plan -json`), which is for reading, not applying; %s", ErrNotPlanFile, remake)
	case probe.Lineage != nil && probe.Resources != nil:
		return fmt.Errorf("%w: it is a benito state file; %s", ErrNotPlanFile, remake)
	default:
		return fmt.Errorf("%w: it has no \"kind\": %q; %s", ErrNotPlanFile, FileKind, remake)
	}
	var version string
	if probe.FormatVersion == nil || json.Unmarshal(*probe.FormatVersion, &version) != nil {
		return fmt.Errorf("%w: the plan file has no valid format_version; %s", ErrFormatVersion, remake)
	}
	if major(version) != major(FileFormatVersion) {
		return fmt.Errorf("%w: the plan file is in format %q and this benito reads format %s.x; %s with this benito",
			ErrFormatVersion, version, major(FileFormatVersion), remake)
	}
	return nil
}

// decodeBody decodes the plan behind a checksum header that matched.
func decodeBody(data []byte) (p *Plan, err error) {
	if err := identify(data); err != nil {
		return nil, err
	}
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, corrupt(err)
	}
	// The cty decoders were written for trusted input. A panic on a damaged
	// file is turned into the same answer as any other damage.
	defer func() {
		if v := recover(); v != nil {
			p, err = nil, corrupt(fmt.Errorf("%v", v))
		}
	}()

	p = &Plan{
		Experiment:   f.Experiment,
		Destroy:      f.Destroy,
		StateLineage: f.StateLineage,
		StateSerial:  f.StateSerial,
		ConfigHash:   f.ConfigHash,
		Dir:          f.Dir,
		Vars:         f.Vars,
		VarFiles:     f.VarFiles,
		VarEnv:       f.VarEnv,
	}
	if len(f.Configuration) > 0 {
		// Rendered as it is: it must be one compact JSON object.
		var buf bytes.Buffer
		if err := json.Compact(&buf, f.Configuration); err != nil || buf.Len() == 0 || buf.Bytes()[0] != '{' {
			return nil, corrupt(errors.New("the configuration is not a JSON object"))
		}
		p.Configuration = buf.Bytes()
	}
	if len(f.Prior) > 0 && string(f.Prior) != "null" {
		if p.Prior, err = state.Unmarshal(f.Prior); err != nil {
			return nil, corrupt(fmt.Errorf("prior state: %w", err))
		}
	}
	if p.Targets, err = decodeAddrs(f.Targets); err != nil {
		return nil, corrupt(fmt.Errorf("targets: %w", err))
	}
	types := make([]cty.Type, len(f.Types))
	for i, tj := range f.Types {
		if types[i], err = decodeType(tj); err != nil {
			return nil, corrupt(fmt.Errorf("type %d: %w", i, err))
		}
	}
	typeAt := func(i *int) (cty.Type, error) {
		switch {
		case i == nil:
			return cty.NilType, nil
		case *i < 0 || *i >= len(types):
			return cty.NilType, fmt.Errorf("type %d is not in the table", *i)
		}
		return types[*i], nil
	}
	for i, set := range f.NameSets {
		if _, err := decodeNames(set); err != nil {
			return nil, corrupt(fmt.Errorf("name set %d: %w", i, err))
		}
	}
	setAt := func(i *int) ([]string, error) {
		switch {
		case i == nil:
			return nil, nil
		case *i < 0 || *i >= len(f.NameSets):
			return nil, fmt.Errorf("name set %d is not in the table", *i)
		}
		return f.NameSets[*i], nil
	}
	if f.Changes != nil {
		p.Changes = make([]*Change, len(f.Changes))
	}
	for i, cj := range f.Changes {
		if cj == nil {
			return nil, corrupt(fmt.Errorf("change %d is null", i))
		}
		c := &Change{Provider: cj.Provider, Private: cj.Private, PriorPrivate: cj.PriorPrivate, PriorProvider: cj.PriorProvider}
		if c.Addr, err = addrs.ParseResource(cj.Addr); err != nil {
			return nil, corrupt(err)
		}
		if c.Action, err = parseAction(cj.Action); err != nil {
			return nil, corrupt(fmt.Errorf("%s: %w", cj.Addr, err))
		}
		if c.Reason, err = parseReason(cj.Reason); err != nil {
			return nil, corrupt(fmt.Errorf("%s: %w", cj.Addr, err))
		}
		if c.Type, err = typeAt(cj.Type); err != nil {
			return nil, corrupt(fmt.Errorf("%s: type: %w", cj.Addr, err))
		}
		if c.PriorType, err = typeAt(cj.PriorType); err != nil {
			return nil, corrupt(fmt.Errorf("%s: prior type: %w", cj.Addr, err))
		}
		beforeType := c.Type
		if c.PriorProvider != "" {
			beforeType = c.PriorType
		}
		if c.Before, err = decodeValue(cj.Before, beforeType); err != nil {
			return nil, corrupt(fmt.Errorf("%s: before: %w", cj.Addr, err))
		}
		if c.After, err = decodeValue(cj.After, c.Type); err != nil {
			return nil, corrupt(fmt.Errorf("%s: after: %w", cj.Addr, err))
		}
		if c.RequiresReplace, err = decodePaths(cj.RequiresReplace); err != nil {
			return nil, corrupt(fmt.Errorf("%s: requires_replace: %w", cj.Addr, err))
		}
		if c.Dependencies, err = decodeAddrs(cj.Dependencies); err != nil {
			return nil, corrupt(fmt.Errorf("%s: dependencies: %w", cj.Addr, err))
		}
		if c.BeforeSensitive, err = decodeNames(cj.BeforeSensitive); err != nil {
			return nil, corrupt(fmt.Errorf("%s: before_sensitive: %w", cj.Addr, err))
		}
		if c.AfterSensitive, err = decodeNames(cj.AfterSensitive); err != nil {
			return nil, corrupt(fmt.Errorf("%s: after_sensitive: %w", cj.Addr, err))
		}
		if c.RunTime, err = setAt(cj.RunTime); err != nil {
			return nil, corrupt(fmt.Errorf("%s: run_time: %w", cj.Addr, err))
		}
		if c.Generated, err = setAt(cj.Generated); err != nil {
			return nil, corrupt(fmt.Errorf("%s: generated: %w", cj.Addr, err))
		}
		p.Changes[i] = c
	}
	if f.Drift != nil {
		p.Drift = make([]*Drift, len(f.Drift))
	}
	for i, dj := range f.Drift {
		if dj == nil {
			return nil, corrupt(fmt.Errorf("drift %d is null", i))
		}
		d := &Drift{Provider: dj.Provider}
		if d.Sensitive, err = decodeNames(dj.Sensitive); err != nil {
			return nil, corrupt(fmt.Errorf("drift of %s: sensitive: %w", dj.Addr, err))
		}
		if d.Addr, err = addrs.ParseResource(dj.Addr); err != nil {
			return nil, corrupt(err)
		}
		if d.RunTime, err = setAt(dj.RunTime); err != nil {
			return nil, corrupt(fmt.Errorf("drift of %s: run_time: %w", dj.Addr, err))
		}
		if d.Generated, err = setAt(dj.Generated); err != nil {
			return nil, corrupt(fmt.Errorf("drift of %s: generated: %w", dj.Addr, err))
		}
		if d.Type, err = typeAt(dj.Type); err != nil {
			return nil, corrupt(fmt.Errorf("drift of %s: type: %w", dj.Addr, err))
		}
		if d.Before, err = decodeValue(dj.Before, d.Type); err != nil {
			return nil, corrupt(fmt.Errorf("drift of %s: before: %w", dj.Addr, err))
		}
		if d.After, err = decodeValue(dj.After, d.Type); err != nil {
			return nil, corrupt(fmt.Errorf("drift of %s: after: %w", dj.Addr, err))
		}
		p.Drift[i] = d
	}
	if f.Outputs != nil {
		p.Outputs = make([]*Output, len(f.Outputs))
	}
	for i, oj := range f.Outputs {
		if oj == nil {
			return nil, corrupt(fmt.Errorf("output %d is null", i))
		}
		o := &Output{Name: oj.Name, Sensitive: oj.Sensitive}
		if o.Before, err = decodeValue(oj.Before, cty.NilType); err != nil {
			return nil, corrupt(fmt.Errorf("output %q: before: %w", oj.Name, err))
		}
		if o.After, err = decodeValue(oj.After, cty.NilType); err != nil {
			return nil, corrupt(fmt.Errorf("output %q: after: %w", oj.Name, err))
		}
		p.Outputs[i] = o
	}
	return p, nil
}

func corrupt(err error) error {
	return fmt.Errorf("the plan file is damaged: %w; %s", err, remake)
}

// major returns the part of a format version before the first dot.
func major(v string) string {
	m, _, _ := strings.Cut(v, ".")
	return m
}

func encodeAddrs(as []addrs.Resource) []string {
	if as == nil {
		return nil
	}
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

func decodeAddrs(ss []string) ([]addrs.Resource, error) {
	if ss == nil {
		return nil, nil
	}
	out := make([]addrs.Resource, len(ss))
	for i, s := range ss {
		a, err := addrs.ParseResource(s)
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// typeTable interns the types of a plan: each distinct type is stored once.
type typeTable struct {
	types  []cty.Type
	stored []json.RawMessage
}

// index returns the table index of t (adding it if new), or nil for
// cty.NilType, the type of a change built without one.
func (tt *typeTable) index(t cty.Type) (*int, error) {
	if t == cty.NilType {
		return nil, nil
	}
	for i, have := range tt.types {
		if have.Equals(t) {
			return &i, nil
		}
	}
	js, err := ctyjson.MarshalType(t)
	if err != nil {
		return nil, err
	}
	i := len(tt.types)
	tt.types = append(tt.types, t)
	tt.stored = append(tt.stored, js)
	return &i, nil
}

// nameSetTable interns the attribute name lists of a plan (run_time,
// generated): a plan of 100,000 resources has a handful of them, one per
// resource type at most.
type nameSetTable struct {
	stored [][]string
}

// index returns the table index of names (adding it if new), or nil for
// an empty list.
func (nt *nameSetTable) index(names []string) *int {
	if len(names) == 0 {
		return nil
	}
	for i, have := range nt.stored {
		if slices.Equal(have, names) {
			return &i
		}
	}
	i := len(nt.stored)
	nt.stored = append(nt.stored, names)
	return &i
}

func decodeType(b json.RawMessage) (cty.Type, error) {
	if len(b) == 0 || string(b) == "null" {
		return cty.NilType, nil
	}
	return ctyjson.UnmarshalType(b)
}

// Value encodings, the first byte of a stored value.
const (
	typedValue   = 't' // encoded against the type the change or drift names
	dynamicValue = 'd' // carries its own type
)

// encodeValue stores v, against ty when v is of that type. cty.NilVal is
// stored as null, apart from a null value, which keeps its type.
func encodeValue(v cty.Value, ty cty.Type) ([]byte, error) {
	if v.Type() == cty.NilType {
		return nil, nil
	}
	if ty != cty.NilType && v.Type().Equals(ty) {
		b, err := msgpack.Marshal(v, ty)
		return append([]byte{typedValue}, b...), err
	}
	b, err := msgpack.Marshal(v, cty.DynamicPseudoType)
	return append([]byte{dynamicValue}, b...), err
}

func decodeValue(b []byte, ty cty.Type) (cty.Value, error) {
	if b == nil {
		return cty.NilVal, nil
	}
	if len(b) < 2 {
		return cty.NilVal, errors.New("value too short")
	}
	// cty's decoder allocates what the lengths in a value claim: a damaged
	// file of a few bytes must not have it allocate gigabytes.
	if err := msgpackwalk.Check(b[1:]); err != nil {
		return cty.NilVal, err
	}
	switch b[0] {
	case typedValue:
		if ty == cty.NilType {
			return cty.NilVal, errors.New("a typed value without a type")
		}
		return msgpack.Unmarshal(b[1:], ty)
	case dynamicValue:
		return msgpack.Unmarshal(b[1:], cty.DynamicPseudoType)
	}
	return cty.NilVal, fmt.Errorf("unknown value encoding %q", b[0])
}

func encodePaths(ps []cty.Path) ([][]stepJSON, error) {
	if ps == nil {
		return nil, nil
	}
	out := make([][]stepJSON, len(ps))
	for i, p := range ps {
		if p == nil {
			continue
		}
		out[i] = make([]stepJSON, len(p))
		for j, s := range p {
			switch s := s.(type) {
			case cty.GetAttrStep:
				name := s.Name
				out[i][j].Attr = &name
			case cty.IndexStep:
				k, err := ctyjson.Marshal(s.Key, cty.DynamicPseudoType)
				if err != nil {
					return nil, err
				}
				out[i][j].Index = k
			default:
				return nil, fmt.Errorf("unsupported path step %T", s)
			}
		}
	}
	return out, nil
}

func decodePaths(ps [][]stepJSON) ([]cty.Path, error) {
	if ps == nil {
		return nil, nil
	}
	out := make([]cty.Path, len(ps))
	for i, p := range ps {
		if p == nil {
			continue
		}
		out[i] = make(cty.Path, len(p))
		for j, s := range p {
			switch {
			case s.Attr != nil && s.Index == nil:
				out[i][j] = cty.GetAttrStep{Name: *s.Attr}
			case s.Attr == nil && s.Index != nil:
				k, err := ctyjson.Unmarshal(s.Index, cty.DynamicPseudoType)
				if err != nil {
					return nil, err
				}
				out[i][j] = cty.IndexStep{Key: k}
			default:
				return nil, errors.New(`a path step needs exactly one of "attr" and "index"`)
			}
		}
	}
	return out, nil
}

func parseAction(s string) (Action, error) {
	for a := range Action(255) {
		if a.String() == s && s != "unknown" {
			return a, nil
		}
	}
	return 0, fmt.Errorf("unknown action %q", s)
}

func parseReason(s string) (Reason, error) {
	if s == "" {
		return ReasonNone, nil
	}
	for r := range Reason(255) {
		if r.String() == s {
			return r, nil
		}
	}
	return 0, fmt.Errorf("unknown reason %q", s)
}

// decodeNames reads a list of attribute names (sensitive attributes): each
// a valid name, sorted, no repeats, as the encoder writes them.
func decodeNames(names []string) ([]string, error) {
	for i, n := range names {
		if !addrs.ValidName(n) {
			return nil, fmt.Errorf("%q is not an attribute name", n)
		}
		if i > 0 && names[i-1] >= n {
			return nil, fmt.Errorf("names not sorted or repeated at %q", n)
		}
	}
	return names, nil
}
