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

// TestFindNode: a node is found by its address without the type, or by its
// host name, the recorded "name".
func TestFindNode(t *testing.T) {
	st := &state.State{Resources: map[addrs.Resource]*state.Resource{}}
	for _, n := range []struct {
		addr addrs.Resource
		host string
	}{
		{addrs.Resource{Type: contract.VNode, Name: "a"}, "a"},
		{addrs.Resource{Type: contract.VNode, Name: "h", Key: addrs.IntKey(0)}, "h-0"},
		{addrs.Resource{Type: contract.VNode, Name: "g", Key: addrs.StringKey("east")}, "g-east"},
		{addrs.Resource{Type: contract.Route, Name: "h", Key: addrs.IntKey(0), Sub: addrs.StringKey("10.0.0.0/8")}, "x"},
	} {
		st.Resources[n.addr] = &state.Resource{Addr: n.addr, Attributes: []byte(fmt.Sprintf(`{"name":%q}`, n.host))}
	}
	for given, want := range map[string]string{
		"a": "vnode.a", "h[0]": "vnode.h[0]", "h-0": "vnode.h[0]", `g["east"]`: `vnode.g["east"]`, "g-east": `vnode.g["east"]`,
		"x": "", "h[1]": "", "h": "",
	} {
		got := ""
		if r := nodeIn(st, given); r != nil {
			got = r.Addr.String()
		}
		if got != want {
			t.Errorf("nodeIn(%q) = %q, want %q", given, got, want)
		}
	}
}
