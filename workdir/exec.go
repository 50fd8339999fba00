package workdir

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/suggest"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/state"
	"github.com/hashicorp/hcl/v2"
)

// Exec runs a command inside node (vnode.NODE) through the provider that
// made it, whatever its platform, as req asks (the command and its
// streams; Exec fills in the node). The node is looked up in the state
// under the lock, which is released before the provider starts: a command
// may run for hours, and plan and apply may run meanwhile. Only that
// provider is started.
func (w *Workdir) Exec(ctx context.Context, node string, req providers.ExecRequest) (providers.ExecResponse, hcl.Diagnostics) {
	failed := providers.ExecResponse{ExitCode: -1}
	r, st, diags := w.findNode(ctx, node)
	if diags.HasErrors() {
		return failed, diags
	}
	if !w.served()[r.Provider] {
		return failed, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: fmt.Sprintf("Provider %q is not available", r.Provider),
			Detail: fmt.Sprintf("Node %q was made by provider %q, which this benito cannot start: name it in the experiment's required_providers and run `benito init`.", node, r.Provider)}}
	}
	one := &state.State{Experiment: st.Experiment, Resources: map[addrs.Resource]*state.Resource{r.Addr: r}}
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

// findNode returns node's record, and the state it is in, read under the
// lock.
func (w *Workdir) findNode(ctx context.Context, node string) (*state.Resource, *state.State, hcl.Diagnostics) {
	fail := func(summary, detail string, args ...any) (*state.Resource, *state.State, hcl.Diagnostics) {
		return nil, nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(detail, args...)}}
	}
	st, err := w.ReadState(ctx, "exec")
	if err != nil {
		return fail("Failed to read the state", "%v", err)
	}
	if st == nil || len(st.Resources) == 0 {
		return fail("No such node", "There is no node %q: the state at %s is empty (nothing has been applied there yet).", node, w.StatePath())
	}
	if r := st.Resources[addrs.Resource{Type: contract.VNode, Name: node}]; r != nil {
		return r, st, nil
	}
	var names []string
	for a := range st.Resources {
		if a.Type == contract.VNode {
			names = append(names, a.Name)
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
