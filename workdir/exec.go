package workdir

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/suggest"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/state"
	"github.com/hashicorp/hcl/v2"
)

// Exec runs a command inside node (vnode.NODE) through the provider that
// made it, whatever its platform, as req asks (the command and its
// streams; Exec fills in the node). The node is looked up in the state
// under the lock, which is released before the provider starts: a command
// may run for hours, and plan and apply may run meanwhile. Only that
// provider is started. w may be opened on the state alone (OpenState).
func (w *Workdir) Exec(ctx context.Context, node string, req providers.ExecRequest) (providers.ExecResponse, hcl.Diagnostics) {
	failed := providers.ExecResponse{ExitCode: -1}
	r, st, diags := w.Node(ctx, "exec", node)
	if diags.HasErrors() {
		return failed, diags
	}
	// A third party's platform: the binary the lock file pins.
	if d := w.addLockedProvider(r.Provider, fmt.Sprintf("Node %q was made by provider %q, which benito cannot start (below).", node, r.Provider)); d.HasErrors() {
		return failed, d
	}
	// Configured as the last apply configured it: exec reads no
	// configuration, so it needs none of the variables plan needs.
	one := &state.State{Experiment: st.Experiment, Site: st.Site, Resources: map[addrs.Resource]*state.Resource{r.Addr: r}}
	e, diags := w.Engine(ctx, nil, one, nil)
	if diags.HasErrors() {
		return failed, diags
	}
	defer e.Close()
	resp, d := e.Exec(ctx, r, req)
	return resp, append(diags, d...)
}

// maxListedNodes is how many node names an unknown node's message lists.
const maxListedNodes = 10

// Node returns the record of node (vnode.NODE), and the state it is in,
// read under the lock for operation (a word shown to whoever is locked
// out) and released. NODE is the node's address without "vnode." (a,
// h[0], h["east"]) or its host name (h-0); a node not in the state is an
// error that suggests the nearest name and lists the nodes.
func (w *Workdir) Node(ctx context.Context, operation, node string) (*state.Resource, *state.State, hcl.Diagnostics) {
	fail := func(summary, detail string, args ...any) (*state.Resource, *state.State, hcl.Diagnostics) {
		return nil, nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(detail, args...)}}
	}
	st, err := w.ReadState(ctx, operation)
	if err != nil {
		return fail("Failed to read the state", "%v", err)
	}
	if st == nil || len(st.Resources) == 0 {
		return fail("No such node", "There is no node %q: the state at %s is empty (nothing has been applied there yet).", node, w.StatePath())
	}
	if r := nodeIn(st, node); r != nil {
		return r, st, nil
	}
	var names []string
	for a := range st.Resources {
		if a.Type == contract.VNode {
			names = append(names, addrs.Instance{Name: a.Name, Key: a.Key}.String())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return fail("No such node", "There is no node %q: the experiment has no nodes in its state.", node)
	}
	msg := fmt.Sprintf("There is no node %q in the state", node)
	if s := suggest.Nearest(node, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	// A list of 10,000 names would bury the message.
	if len(names) <= maxListedNodes {
		return fail("No such node", "%s; the nodes are: %s.", msg, strings.Join(names, ", "))
	}
	return fail("No such node", "%s; it has %d nodes: `benito state list` lists them.", msg, len(names))
}

// nodeIn finds node in st: by its address without "vnode." (a, h[0],
// h["east"]), or by its host name (h-0), the name it has inside.
func nodeIn(st *state.State, node string) *state.Resource {
	if i, err := addrs.ParseInstance(node); err == nil {
		a := i.Resource(contract.VNode)
		if st.V1Addrs {
			// A format-1 state not yet upgraded by a plan or apply.
			a = lower.V1Addr(a)
		}
		if r := st.Resources[a]; r != nil {
			return r
		}
	}
	for a, r := range st.Resources {
		if a.Type != contract.VNode {
			continue
		}
		var rec struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(r.Attributes, &rec) == nil && rec.Name == node {
			return r
		}
	}
	return nil
}
