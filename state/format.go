package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/benito-net/benito/addrs"
)

// formatVersion is the version of the state file this code writes. Bump it
// when an older benito would misread a newer file.
//
//   - 1: instances of count and for_each named by their host names in
//     addresses (vnode.h-0, route.h-0["…"], port.lan0["h-0.eth0"]).
//   - 2: addressed as Terraform does (vnode.h[0], route.h[0]["…"],
//     port.lan0["h[0].eth0"]); nothing else changed.
//
// Files of format 1 are still read: see State.V1Addrs.
const formatVersion = 2

// v1Format is the format whose addresses State.V1Addrs marks.
const v1Format = 1

// fileJSON is the state file as stored. It is kept apart from State so the
// in-memory types can change without changing the format.
type fileJSON struct {
	FormatVersion int                   `json:"format_version"`
	Experiment    string                `json:"experiment"`
	Lineage       string                `json:"lineage"`
	Serial        uint64                `json:"serial"`
	Outputs       map[string]outputJSON `json:"outputs"`
	Site          map[string]string     `json:"site,omitempty"`
	Resources     []resourceJSON        `json:"resources"`
}

type outputJSON struct {
	Value     json.RawMessage `json:"value"`
	Type      json.RawMessage `json:"type"`
	Sensitive bool            `json:"sensitive,omitempty"`
}

// resourceJSON is one resource as stored, both in the state file and in
// journal entries. Type repeats the address's type so the file can be read
// (and grepped) without parsing addresses.
type resourceJSON struct {
	Address      string          `json:"address"`
	Type         string          `json:"type"`
	Provider     string          `json:"provider"`
	Attributes   json.RawMessage `json:"attributes"`
	Private      []byte          `json:"private,omitempty"`
	Dependencies []string        `json:"dependencies"`
	Status       Status          `json:"status,omitempty"`
	Sensitive    []string        `json:"sensitive_attributes,omitempty"`
}

// encodeState renders s as the bytes of a state file. Identical states give
// identical bytes.
func encodeState(s *State) ([]byte, error) {
	version := formatVersion
	if s.V1Addrs {
		// Still format 1's addresses: say so, so that the configuration
		// can rename them when a command next reads it.
		version = v1Format
	}
	f := fileJSON{
		FormatVersion: version,
		Experiment:    s.Experiment,
		Lineage:       s.Lineage,
		Serial:        s.Serial,
		Outputs:       make(map[string]outputJSON, len(s.Outputs)),
		Site:          s.Site,
		Resources:     make([]resourceJSON, 0, len(s.Resources)),
	}
	for name, o := range s.Outputs {
		f.Outputs[name] = outputJSON{Value: jsonOrNull(o.Value), Type: jsonOrNull(o.Type), Sensitive: o.Sensitive}
	}
	for _, a := range s.SortedAddrs() {
		r := s.Resources[a]
		if r == nil {
			return nil, fmt.Errorf("resource %s is nil", a)
		}
		if r.Addr != a {
			return nil, fmt.Errorf("resource %s is stored under address %s", r.Addr, a)
		}
		rj, err := encodeResource(r)
		if err != nil {
			return nil, err
		}
		f.Resources = append(f.Resources, rj)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func encodeResource(r *Resource) (resourceJSON, error) {
	// An address that does not parse back would make the whole file
	// unreadable later, so refuse it now, while the culprit is on the stack.
	if !addrs.ValidName(r.Addr.Type) || !addrs.ValidName(r.Addr.Name) {
		return resourceJSON{}, fmt.Errorf("invalid resource address %q", r.Addr)
	}
	switch r.Status {
	case Ready, Tainted, Pending:
	default:
		return resourceJSON{}, fmt.Errorf("resource %s: unknown status %q", r.Addr, r.Status)
	}
	deps := make([]string, len(r.Dependencies))
	sorted := slices.Clone(r.Dependencies)
	slices.SortFunc(sorted, addrs.Resource.Compare)
	for i, d := range sorted {
		deps[i] = d.String()
	}
	attrs := r.Attributes
	if len(attrs) == 0 {
		attrs = json.RawMessage("{}")
	} else if !json.Valid(attrs) {
		// Caught here rather than by the encoder so the error names the
		// resource.
		return resourceJSON{}, fmt.Errorf("resource %s: attributes are not valid JSON", r.Addr)
	}
	return resourceJSON{
		Address:      r.Addr.String(),
		Type:         r.Addr.Type,
		Provider:     r.Provider,
		Attributes:   attrs,
		Private:      r.Private,
		Dependencies: deps,
		Status:       r.Status,
		Sensitive:    r.Sensitive,
	}, nil
}

func jsonOrNull(m json.RawMessage) json.RawMessage {
	if len(m) == 0 {
		return json.RawMessage("null")
	}
	return m
}

// errFormatVersion marks a file that is well-formed but written by a
// different version of benito; it is not corrupt, so no backup advice.
var errFormatVersion = errors.New("unsupported format_version")

// decodeState parses the bytes of a state file.
func decodeState(data []byte) (*State, error) {
	// Look at the version before anything else: a newer format may not even
	// decode into fileJSON, and "unsupported version" is the useful error.
	var probe struct {
		FormatVersion *int `json:"format_version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, err
	}
	if probe.FormatVersion == nil {
		return nil, errors.New("no format_version")
	}
	if v := *probe.FormatVersion; v != formatVersion && v != v1Format {
		return nil, fmt.Errorf("%w %d: this benito reads format_version %d and %d; use the benito that wrote it, or a newer one",
			errFormatVersion, v, v1Format, formatVersion)
	}
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	if f.Lineage == "" {
		return nil, errors.New("no lineage")
	}
	s := &State{
		Experiment: f.Experiment,
		Lineage:    f.Lineage,
		Serial:     f.Serial,
		V1Addrs:    f.FormatVersion == v1Format,
		Resources:  make(map[addrs.Resource]*Resource, len(f.Resources)),
		Outputs:    make(map[string]Output, len(f.Outputs)),
		Site:       f.Site,
	}
	for name, o := range f.Outputs {
		s.Outputs[name] = Output{Value: compact(o.Value), Type: compact(o.Type), Sensitive: o.Sensitive}
	}
	for i := range f.Resources {
		r, err := decodeResource(&f.Resources[i])
		if err != nil {
			return nil, err
		}
		if _, dup := s.Resources[r.Addr]; dup {
			return nil, fmt.Errorf("resource %s appears twice", r.Addr)
		}
		s.Resources[r.Addr] = r
	}
	return s, nil
}

func decodeResource(rj *resourceJSON) (*Resource, error) {
	a, err := addrs.ParseResource(rj.Address)
	if err != nil {
		return nil, err
	}
	if rj.Type != a.Type {
		return nil, fmt.Errorf("resource %s has type %q; its address says %q", a, rj.Type, a.Type)
	}
	switch rj.Status {
	case Ready, Tainted, Pending:
	default:
		return nil, fmt.Errorf("resource %s: unknown status %q", a, rj.Status)
	}
	r := &Resource{
		Addr:       a,
		Provider:   rj.Provider,
		Attributes: compact(rj.Attributes),
		Private:    rj.Private,
		Status:     rj.Status,
	}
	for _, name := range rj.Sensitive {
		if !addrs.ValidName(name) {
			return nil, fmt.Errorf("resource %s: %q in sensitive_attributes is not an attribute name", a, name)
		}
	}
	if len(rj.Sensitive) > 0 {
		r.Sensitive = slices.Clone(rj.Sensitive)
		slices.Sort(r.Sensitive)
		r.Sensitive = slices.Compact(r.Sensitive)
	}
	if len(rj.Dependencies) > 0 {
		r.Dependencies = make([]addrs.Resource, len(rj.Dependencies))
		for i, d := range rj.Dependencies {
			if r.Dependencies[i], err = addrs.ParseResource(d); err != nil {
				return nil, fmt.Errorf("resource %s: dependency: %w", a, err)
			}
		}
		slices.SortFunc(r.Dependencies, addrs.Resource.Compare)
	}
	return r, nil
}

// compact undoes the indentation the file adds, so a loaded state holds the
// same bytes the engine stored, whichever way it was written.
func compact(m json.RawMessage) json.RawMessage {
	if m == nil {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, m); err != nil {
		return m // cannot happen: the decoder already validated it
	}
	return buf.Bytes()
}
