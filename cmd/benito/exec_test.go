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
		if r := findNode(st, given); r != nil {
			got = r.Addr.String()
		}
		if got != want {
			t.Errorf("findNode(%q) = %q, want %q", given, got, want)
		}
	}
	_, err := nodeCommand(st, "h[1]", []string{"true"})
	if err == nil || !strings.Contains(err.Error(), `did you mean "h[0]"?`) || !strings.Contains(err.Error(), `the nodes are: a, g["east"], h[0]`) {
		t.Errorf("unknown node: %v", err)
	}
}
