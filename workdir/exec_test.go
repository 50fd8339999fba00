package workdir

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/state"
)

// TestExecUnknownNode: an unknown node's message suggests the nearest
// name, and lists the nodes only when they are few; no provider starts.
func TestExecUnknownNode(t *testing.T) {
	for _, tc := range []struct {
		nodes      int
		node, want string
		notWant    string
	}{
		{0, "a", `There is no node "a": the state at`, ""},
		{3, "node7", `There is no node "node7" in the state (did you mean "node0"?); the nodes are: node0, node1, node2.`, ""},
		{1000, "nod17", `There is no node "nod17" in the state (did you mean "node17"?); it has 1000 nodes: ` + "`benito state list`", "node999"},
	} {
		dir := t.TempDir()
		st := state.New("exp")
		for i := range tc.nodes {
			a := addrs.Resource{Type: contract.VNode, Name: fmt.Sprintf("node%d", i)}
			st.Resources[a] = &state.Resource{Addr: a, Provider: "process", Attributes: []byte(`{}`)}
		}
		w := OpenState(Options{Dir: dir})
		if tc.nodes > 0 {
			lk, err := w.lock(context.Background(), "test")
			if err != nil {
				t.Fatal(err)
			}
			if err := lk.Write(st); err != nil {
				t.Fatal(err)
			}
			lk.Unlock()
		}
		_, diags := w.Exec(context.Background(), tc.node, providers.ExecRequest{Args: []string{"true"}})
		got := diags.Error()
		if !diags.HasErrors() || !strings.Contains(got, tc.want) || (tc.notWant != "" && strings.Contains(got, tc.notWant)) {
			t.Errorf("%d nodes, exec in %q: %s", tc.nodes, tc.node, got)
		}
	}
}
