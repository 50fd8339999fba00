package providers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/benito-net/benito/contract"
)

// ValidNodeName reports whether a node's name (recorded in a state, or
// found on the host) is safe as one element of a path: a platform names
// its nodes' files and cgroups by it.
func ValidNodeName(n string) bool {
	return n != "" && n != "." && n != ".." && !strings.ContainsAny(n, "/\x00")
}

// FoundNodes gathers, for a platform's Sweep, what the host holds of each
// of the experiment's nodes, by node name: what was found, for people.
type FoundNodes map[string][]string

// Add records what of node name was found; a name that is no node's
// (ValidNodeName) is left out.
func (f FoundNodes) Add(name, what string) {
	if ValidNodeName(name) && !slices.Contains(f[name], what) {
		f[name] = append(f[name], what)
	}
}

// AddGroups adds the nodes that have a cgroup of provider's in the
// experiment whose run directory is runDir (Group), with the number of
// processes in each.
func (f FoundNodes) AddGroups(runDir, provider string) Diagnostics {
	names, err := GroupNames(runDir, provider)
	if err != nil {
		return Errorf("", "listing the cgroups of the experiment: %v", err)
	}
	for _, n := range names {
		g := Group(runDir, provider, n)
		pids, _ := g.Pids()
		f.Add(n, fmt.Sprintf("%d process(es) in %s", len(pids), g))
	}
	return nil
}

// Objects returns the nodes found as vnodes, keyed by name, described as
// nodes of kind ("process", "QEMU"), sorted as a SweepResponse's.
func (f FoundNodes) Objects(kind string) []HostObject {
	var objs []HostObject
	for name, what := range f {
		objs = append(objs, HostObject{
			Type: contract.VNode, KeyAttribute: "name", Key: name,
			Description: fmt.Sprintf("%s node %s: %s", kind, name, strings.Join(what, ", ")),
		})
	}
	SortHostObjects(objs)
	return objs
}
