package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/state"
)

// TestNodeCommandUnknown: an unknown node's message suggests the nearest
// name, and lists the nodes only when they are few.
func TestNodeCommandUnknown(t *testing.T) {
	withNodes := func(n int) *state.State {
		st := &state.State{Resources: map[addrs.Resource]*state.Resource{}}
		for i := range n {
			a := addrs.Resource{Type: contract.VNode, Name: fmt.Sprintf("node%d", i)}
			st.Resources[a] = &state.Resource{Addr: a}
		}
		return st
	}
	_, err := nodeCommand(withNodes(3), "node7", []string{"true"})
	if err == nil || !strings.Contains(err.Error(), "the nodes are: node0, node1, node2") {
		t.Errorf("few nodes: %v", err)
	}
	_, err = nodeCommand(withNodes(1000), "nod17", []string{"true"})
	if err == nil || !strings.Contains(err.Error(), `did you mean "node17"?`) || strings.Contains(err.Error(), "node999") ||
		!strings.Contains(err.Error(), "1000 nodes") {
		t.Errorf("many nodes: %v", err)
	}
}
