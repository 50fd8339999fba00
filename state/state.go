package state

import (
	"encoding/json"
	"maps"
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
	// Sensitive names the attributes whose value was derived from a
	// sensitive variable when the resource was last applied, sorted; the
	// value itself is in Attributes (the state file is 0600), and a plan
	// that deletes or changes the resource hides it.
	Sensitive []string
}

// Output is a recorded output value: Value is JSON, Type is its cty type as
// JSON (what ctyjson.MarshalType writes).
type Output struct {
	Value json.RawMessage
	Type  json.RawMessage
	// Sensitive: the output is declared sensitive and is never shown.
	Sensitive bool
}

// State is the recorded state of one experiment. It is not safe for
// concurrent use; the engine serialises its writes.
type State struct {
	Experiment string
	Lineage    string // set once, when the state is first created
	Serial     uint64 // bumped on every write
	Resources  map[addrs.Resource]*Resource
	Outputs    map[string]Output
	// Site is the experiment's site settings at its last apply (the
	// values its providers were configured with), for the commands that
	// start a provider without reading the configuration (benito exec).
	Site map[string]string

	// V1Addrs marks a state read from a format-1 file, whose addresses
	// name an instance of a block with count or for_each by its host name
	// (vnode.h-0, route.h-0["10.0.1.0/24"], port.lan0["h-0.eth0"]) where
	// benito now writes vnode.h[0]. Which recorded names are such
	// instances cannot be told from the state alone (vnode.h-0 may be a
	// block labelled h-0), so the state keeps them until the configuration
	// says, through MoveV1Addrs. A state so marked is written in format 1
	// again, so that commands which do not read the configuration (state
	// list, show, rm, mv) keep the mark.
	V1Addrs bool
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
		V1Addrs:    s.V1Addrs,
		Resources:  make(map[addrs.Resource]*Resource, len(s.Resources)),
		Outputs:    make(map[string]Output, len(s.Outputs)),
		Site:       maps.Clone(s.Site),
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

// MoveV1Addrs upgrades a state marked V1Addrs: it renames every resource
// recorded under an address that renames maps (format 1's address to the
// current one), and every dependency on one, then clears the mark. A record
// whose new address is taken already is dropped: only a journal of a run
// that had upgraded the state can have put it there, and that record is
// the newer. Resources renames does not name keep their address. It does
// nothing to a state not marked V1Addrs, so that it can be called on every
// load.
func (s *State) MoveV1Addrs(renames map[addrs.Resource]addrs.Resource) {
	if !s.V1Addrs {
		return
	}
	for from, to := range renames {
		r := s.Resources[from]
		if r == nil || from == to {
			continue
		}
		delete(s.Resources, from)
		if s.Resources[to] != nil {
			continue
		}
		r.Addr = to
		s.Resources[to] = r
	}
	for _, r := range s.Resources {
		moved := false
		for i, d := range r.Dependencies {
			if to, ok := renames[d]; ok {
				r.Dependencies[i], moved = to, true
			}
		}
		if moved {
			sort.Slice(r.Dependencies, func(i, j int) bool { return r.Dependencies[i].Less(r.Dependencies[j]) })
		}
	}
	s.V1Addrs = false
}
