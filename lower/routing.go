package lower

import (
	"net/netip"
	"sort"

	"github.com/benito-net/benito/model"
)

// staticRoutes computes, for routing = "static", shortest-path routes
// between all subnets, the routes DETER computed into route/<node>: every
// node gets a route to every subnet it is not on, through the first router
// on the shortest path (in hops). A router is a node with more than one
// addressed interface; it forwards between its subnets. Routes a node
// declares itself win over computed ones to the same destination. Ties
// between equally short paths go to the lowest subnet and then the lowest
// node name, so the result is deterministic.
//
// The work is one breadth-first search per destination subnet over the
// graph of subnets joined by routers, plus one pass over every node's
// interfaces per destination: O(S·(S+R) + S·I) for S subnets, R router
// attachments and I interfaces, which stays small for large stars (one
// subnet, no routes).
func staticRoutes(exp *model.Experiment) map[string][]*model.Route {
	subnetIdx := map[netip.Prefix]int{}
	var subnets []netip.Prefix
	for _, n := range exp.VNodes {
		for _, ifc := range n.Interfaces {
			if ifc.Address.IsValid() {
				p := ifc.Address.Masked()
				if _, ok := subnetIdx[p]; !ok {
					subnetIdx[p] = len(subnets)
					subnets = append(subnets, p)
				}
			}
		}
	}
	if len(subnets) < 2 {
		return nil
	}
	sort.Slice(subnets, func(i, j int) bool {
		return subnets[i].Addr().Less(subnets[j].Addr()) || (subnets[i].Addr() == subnets[j].Addr() && subnets[i].Bits() < subnets[j].Bits())
	})
	for i, p := range subnets {
		subnetIdx[p] = i
	}

	// Per node: its subnets (sorted) and its address on each.
	type nodeInfo struct {
		name    string
		subnets []int
		addrs   map[int]netip.Addr
	}
	nodes := make([]*nodeInfo, 0, len(exp.VNodes))
	// routers[s] lists the routers on subnet s, sorted by name, with their
	// address there.
	routers := make([][]attach, len(subnets))
	routerSubnets := map[string][]int{}
	for _, n := range exp.VNodes { // sorted by name
		ni := &nodeInfo{name: n.Name, addrs: map[int]netip.Addr{}}
		for _, ifc := range n.Interfaces {
			if !ifc.Address.IsValid() {
				continue
			}
			s := subnetIdx[ifc.Address.Masked()]
			if _, dup := ni.addrs[s]; !dup {
				ni.subnets = append(ni.subnets, s)
			}
			ni.addrs[s] = ifc.Address.Addr()
		}
		if len(ni.subnets) == 0 {
			continue
		}
		sort.Ints(ni.subnets)
		nodes = append(nodes, ni)
		if len(ni.subnets) > 1 {
			routerSubnets[n.Name] = ni.subnets
			for _, s := range ni.subnets {
				routers[s] = append(routers[s], attach{node: n.Name, addr: ni.addrs[s]})
			}
		}
	}

	out := map[string][]*model.Route{}
	dist := make([]int, len(subnets))
	gw := make([]netip.Addr, len(subnets))
	queue := make([]int, 0, len(subnets))
	for d := range subnets {
		for i := range dist {
			dist[i] = -1
			gw[i] = netip.Addr{}
		}
		dist[d] = 0
		queue = append(queue[:0], d)
		for len(queue) > 0 {
			t := queue[0]
			queue = queue[1:]
			// Every router on t leads from its other subnets to t.
			for _, r := range routers[t] {
				for _, s := range routerSubnets[r.node] {
					if dist[s] >= 0 {
						continue
					}
					dist[s] = dist[t] + 1
					gw[s] = routerAddr(routers[s], r.node)
					queue = append(queue, s)
				}
			}
		}
		for _, ni := range nodes {
			best := -1
			for _, s := range ni.subnets {
				if dist[s] == 0 {
					best = -1
					break
				}
				if dist[s] > 0 && (best < 0 || dist[s] < dist[best]) {
					best = s
				}
			}
			if best < 0 {
				continue
			}
			out[ni.name] = append(out[ni.name], &model.Route{
				Node:        ni.name,
				Destination: subnets[d],
				Gateway:     gw[best],
				Metric:      0,
				DeclRange:   exp.DeclRange,
			})
		}
	}
	return out
}

// attach is a node's address on a subnet.
type attach struct {
	node string
	addr netip.Addr
}

func routerAddr(on []attach, node string) netip.Addr {
	for _, a := range on {
		if a.node == node {
			return a.addr
		}
	}
	return netip.Addr{}
}
