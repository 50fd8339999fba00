package state

import (
	"encoding/json"
	"sort"

	"github.com/benito-net/benito/addrs"
)

// Status of a resource in state.
type Status string

const (
	// Ready: the resource exists as recorded.
	Ready Status = ""
	// Tainted: a create or update failed part-way; the next plan replaces it.
	Tainted Status = "tainted"
	// Pending: benito started changing the resource and was stopped before
	// it could record the outcome. The next refresh reads it back: if it
	// exists it is kept as tainted, otherwise it is dropped.
	Pending Status = "pending"
)

// Resource is one resource as recorded. Attributes and Private are the
// stored (encoded) form; the engine decodes Attributes with the resource
// type's schema.
type Resource struct {
	Addr         addrs.Resource
	Provider     string
	Attributes   json.RawMessage // a JSON object
	Private      []byte
	Dependencies []addrs.Resource // sorted
	Status       Status
}

// Output is a recorded output value: Value is JSON, Type is its cty type as
// JSON (what ctyjson.MarshalType writes).
type Output struct {
	Value json.RawMessage
	Type  json.RawMessage
}

// State is the recorded state of one experiment. It is not safe for
// concurrent use; the engine serialises its writes.
type State struct {
	Experiment string
	Lineage    string // set once, when the state is first created
	Serial     uint64 // bumped on every write
	Resources  map[addrs.Resource]*Resource
	Outputs    map[string]Output
}

// New returns an empty state with a fresh lineage.
func New(experiment string) *State {
	return &State{
		Experiment: experiment,
		Lineage:    newLineage(),
		Resources:  map[addrs.Resource]*Resource{},
		Outputs:    map[string]Output{},
	}
}

// SortedAddrs returns the addresses of all resources in sorted order.
func (s *State) SortedAddrs() []addrs.Resource {
	out := make([]addrs.Resource, 0, len(s.Resources))
	for a := range s.Resources {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out
}

// DeepCopy returns a copy that shares no mutable data with s.
func (s *State) DeepCopy() *State {
	c := &State{
		Experiment: s.Experiment,
		Lineage:    s.Lineage,
		Serial:     s.Serial,
		Resources:  make(map[addrs.Resource]*Resource, len(s.Resources)),
		Outputs:    make(map[string]Output, len(s.Outputs)),
	}
	for a, r := range s.Resources {
		rc := *r
		rc.Dependencies = append([]addrs.Resource(nil), r.Dependencies...)
		c.Resources[a] = &rc
	}
	for k, v := range s.Outputs {
		c.Outputs[k] = v
	}
	return c
}
