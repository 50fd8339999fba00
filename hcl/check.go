package hcl

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"sort"

	"github.com/benito-net/benito/internal/suggest"
	"github.com/benito-net/benito/model"
)

// check validates what needs the whole experiment: unique host names,
// switches that exist, addresses that fit their switch and do not collide,
// routes that can be reached. Then it sorts the model. It works in source
// order (block, instance, position within the block), so that an error
// lands on the later of two clashing declarations.
func (e *evaluator) check() {
	e.checkNames()
	e.checkInterfaces()
	e.checkForwards()
	e.checkCTIDs()
	e.checkRoutes()
	e.checkTaps()
	e.checkResources()

	exp := e.exp
	byName := func(a, b string) int { return cmp.Compare(a, b) }
	slices.SortStableFunc(exp.Switches, func(a, b *model.Switch) int { return byName(a.Name, b.Name) })
	slices.SortStableFunc(exp.Bridges, func(a, b *model.Bridge) int { return byName(a.Name, b.Name) })
	slices.SortStableFunc(exp.VNodes, func(a, b *model.VNode) int { return byName(a.Name, b.Name) })
	slices.SortStableFunc(exp.Taps, func(a, b *model.Tap) int { return byName(a.Name, b.Name) })
	slices.SortStableFunc(exp.Outputs, func(a, b *model.Output) int { return byName(a.Name, b.Name) })
	slices.SortStableFunc(exp.Routes, func(a, b *model.Route) int {
		if c := cmp.Compare(a.Node, b.Node); c != 0 {
			return c
		}
		return comparePrefix(a.Destination, b.Destination)
	})
	for _, vn := range exp.VNodes {
		slices.SortStableFunc(vn.Routes, func(a, b *model.Route) int { return comparePrefix(a.Destination, b.Destination) })
		slices.SortStableFunc(vn.Forwards, model.CompareForwards)
	}
}

// origin is where a record that the checks read was declared: its block,
// the block's instance, and its position among its kind within the
// instance, such as the second interface of vnode.a[1].
type origin struct {
	b         *block
	inst, idx int
}

// before reports whether o comes before p in source order.
func (o origin) before(p origin) bool {
	if o.b.order != p.b.order {
		return o.b.order < p.b.order
	}
	if o.inst != p.inst {
		return o.inst < p.inst
	}
	return o.idx < p.idx
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(a.Bits(), b.Bits())
}

// checkNames reports host names that two instances of one block type
// share, such as those of vnode "a" with count = 2 and vnode "a-1": their
// addresses differ (vnode.a[1], vnode.a-1) but both would be a-1 on the
// host.
func (e *evaluator) checkNames() {
	for _, kind := range []string{kindSwitch, kindBridge, kindVNode, kindTap} {
		recs := e.insts[kind]
		sort.SliceStable(recs, func(i, j int) bool {
			if recs[i].b.order != recs[j].b.order {
				return recs[i].b.order < recs[j].b.order
			}
			return recs[i].idx < recs[j].idx
		})
		first := make(map[string]instRec, len(recs))
		for _, r := range recs {
			prev, dup := first[r.name]
			if !dup {
				first[r.name] = r
				continue
			}
			how := ""
			if ex := r; ex.addr.Key != nil || prev.addr.Key != nil {
				if ex.addr.Key == nil {
					ex = prev
				}
				how = fmt.Sprintf(" (an instance of count or for_each is named LABEL-KEY on the host: %s is %q)", ex.addr.Resource(kind), ex.name)
			}
			e.errorf(r.b.label, fmt.Sprintf("Duplicate %s name %q", kindWord(kind), r.name),
				"%s would be named %q on the host, and so would %s, declared at %s. Instances of one block type need different host names%s: rename one of the blocks.",
				describeInst(kind, r), r.name, describeInst(kind, prev), rangeString(prev.b.def), how)
		}
	}
}

// nodeAddr is how messages name a node: by its address, vnode.h[0].
func nodeAddr(vn *model.VNode) string { return vn.Addr.Resource(kindVNode).String() }

func describeInst(kind string, r instRec) string {
	a := r.addr.Resource(kind).String()
	switch {
	case r.b.counted:
		return a + " (with count)"
	case r.b.forEach:
		return a + " (with for_each)"
	}
	return a
}

func (e *evaluator) checkInterfaces() {
	recs := e.ifaces
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].before(recs[j].origin) })
	var switchNames []string
	type onSwitch struct {
		sw   string
		addr netip.Addr
	}
	addrs := map[onSwitch]*ifaceRec{}
	macs := map[string]*ifaceRec{}
	for _, r := range recs {
		ifc := r.ifc
		if ifc.MAC != nil {
			if prev := macs[ifc.MAC.String()]; prev != nil {
				e.errorf(ifc.DeclRange, "Duplicate MAC address",
					"Interface %q of %s has MAC address %s, like interface %q of %s at %s. Give each interface its own, "+
						"or leave mac_address out and benito derives one.",
					ifc.Name, nodeAddr(r.node), ifc.MAC, prev.ifc.Name, nodeAddr(prev.node), rangeString(prev.ifc.DeclRange))
			} else {
				macs[ifc.MAC.String()] = r
			}
		}
		if ifc.Switch == "" {
			continue // its switch attribute failed, and said so
		}
		sw := e.switches[ifc.Switch]
		if sw == nil {
			if switchNames == nil {
				for name := range e.switches {
					switchNames = append(switchNames, name)
				}
			}
			detail := fmt.Sprintf("Interface %q of %s is on switch %q, but no switch has that name.", ifc.Name, nodeAddr(r.node), ifc.Switch)
			if s := suggest.Nearest(ifc.Switch, switchNames); s != "" {
				detail += fmt.Sprintf(" Did you mean %q?", s)
			} else {
				detail += fmt.Sprintf(" Declare it with switch %q { ... }, or name an existing switch.", ifc.Switch)
			}
			e.errorf(r.swRange, fmt.Sprintf("Unknown switch %q", ifc.Switch), "%s", detail)
			continue
		}
		// The switch's shaping fills what the interface leaves unset, so
		// that Interface.Shaping is what the link really gets.
		if !r.shaped.capacity {
			ifc.Shaping.Capacity = sw.Shaping.Capacity
		}
		if !r.shaped.latency {
			ifc.Shaping.Latency = sw.Shaping.Latency
		}
		if !r.shaped.loss {
			ifc.Shaping.Loss = sw.Shaping.Loss
		}
		if r.pending.IsValid() {
			if bits := e.subnetBits(sw, r, r.pending); bits >= 0 {
				ifc.Address = e.hostPrefix(r.pending, bits, r.addrRange)
			}
		}
		if !ifc.Address.IsValid() {
			continue
		}
		addr := ifc.Address.Addr()
		if sw.Subnet.IsValid() && !sw.Subnet.Contains(addr) {
			e.errorf(r.addrRange, "Address outside the switch's subnet",
				"Interface %q of %s has address %s, but its switch %s has subnet %s. Pick an address inside the subnet, "+
					"or put the interface on another switch.", ifc.Name, nodeAddr(r.node), addr, sw.Addr.Resource(kindSwitch), sw.Subnet)
		}
		key := onSwitch{sw.Name, addr}
		if prev := addrs[key]; prev != nil {
			e.errorf(r.addrRange, fmt.Sprintf("Duplicate address %s on %s", addr, sw.Addr.Resource(kindSwitch)),
				"Interface %q of %s has address %s, which interface %q of %s, declared at %s, has on the same switch. "+
					"Give each interface on a switch its own address.",
				ifc.Name, nodeAddr(r.node), addr, prev.ifc.Name, nodeAddr(prev.node), rangeString(prev.ifc.DeclRange))
			continue
		}
		addrs[key] = r
	}
}

// checkForwards reports two forwards that would bind one port of the
// host, in one node or in two: the second could not listen. The later
// declaration gets the error.
func (e *evaluator) checkForwards() {
	recs := e.forwards
	if len(recs) < 2 {
		return
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].before(recs[j].origin) })
	// By protocol and port: a clash needs both equal, so only forwards
	// of one bucket are compared with each other.
	type key struct {
		protocol string
		port     int
	}
	seen := map[key][]*forwardRec{}
	for _, r := range recs {
		k := key{r.f.Protocol, r.f.HostPort}
		for _, prev := range seen[k] {
			if !r.f.Clashes(prev.f) {
				continue
			}
			where := "Another forward of " + nodeAddr(prev.node)
			if prev.node == r.node {
				where = "Another forward of this node"
			}
			hint := "Pick another host_port."
			if prev.f.DeclRange == r.f.DeclRange {
				hint = "Every instance of the block forwards the same port: derive it from the instance, as in host_port = 2222 + count.index, or from each.value."
			}
			e.errorf(r.f.DeclRange, "Host port forwarded twice",
				"%s binds %s port %d on %s, declared at %s, and this one binds it on %s: the host can listen on a port once. %s",
				where, r.f.Protocol, r.f.HostPort, prev.f.HostAddress, rangeString(prev.f.DeclRange), r.f.HostAddress, hint)
			break
		}
		seen[k] = append(seen[k], r)
	}
}

// checkCTIDs reports two nodes with one ctid: a container id names one
// container on the host. The later declaration gets the error.
func (e *evaluator) checkCTIDs() {
	recs := e.ctids
	if len(recs) < 2 {
		return
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].before(recs[j].origin) })
	seen := make(map[int64]*ctidRec, len(recs))
	for _, r := range recs {
		prev, dup := seen[r.node.CTID]
		if !dup {
			seen[r.node.CTID] = r
			continue
		}
		hint := "Pick another ctid, or remove it to have one derived."
		if prev.b == r.b {
			hint = "Every instance of the block has the same ctid: derive it from the instance, as in ctid = 101 + count.index, or remove it to have one derived."
		}
		e.errorf(r.rng, "Duplicate ctid",
			"%s has ctid %d, and so has %s, declared at %s: a container id names one container. %s",
			nodeAddr(r.node), r.node.CTID, nodeAddr(prev.node), rangeString(prev.rng), hint)
	}
}

func (e *evaluator) checkRoutes() {
	recs := e.routes
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].before(recs[j].origin) })
	nodes := make(map[string]*model.VNode, len(e.exp.VNodes))
	var nodeNames []string
	for _, vn := range e.exp.VNodes {
		if nodes[vn.Name] == nil {
			nodes[vn.Name] = vn
			nodeNames = append(nodeNames, vn.Name)
		}
	}
	type dest struct {
		node string
		dest netip.Prefix
	}
	seen := map[dest]*routeRec{}
	for _, rec := range recs {
		r := rec.r
		vn := nodes[r.Node]
		if vn == nil {
			// Only a top-level route can name a node that is not there.
			detail := fmt.Sprintf("The route is for node %q, but no vnode has that name.", r.Node)
			if s := suggest.Nearest(r.Node, nodeNames); s != "" {
				detail += fmt.Sprintf(" Did you mean %q?", s)
			}
			e.errorf(*rec.nodeRange, fmt.Sprintf("Unknown vnode %q", r.Node), "%s", detail)
			continue
		}
		if r.Device != "" && !hasInterface(vn, r.Device) {
			e.errorf(rec.devRange, fmt.Sprintf("Unknown device %q", r.Device),
				"%s has no interface %q. Name one of its interfaces: %s.", nodeAddr(vn), r.Device, interfaceNames(vn))
		}
		if r.Gateway.IsValid() && !reaches(vn, r.Gateway) {
			e.errorf(rec.gwRange, "Gateway not on a connected subnet",
				"%s cannot reach gateway %s: it is outside the subnets of all its interfaces (%s). A gateway must be a "+
					"neighbour on one of the node's networks.", nodeAddr(vn), r.Gateway, interfaceSubnets(vn))
		}
		key := dest{r.Node, r.Destination}
		if prev := seen[key]; prev != nil {
			e.errorf(rec.def, fmt.Sprintf("Duplicate route to %s", r.Destination),
				"%s already has a route to %s, declared at %s. A node has one route per destination: remove one of them.",
				nodeAddr(vn), r.Destination, rangeString(prev.def))
			continue
		}
		seen[key] = rec
	}
}

func hasInterface(vn *model.VNode, name string) bool {
	for _, ifc := range vn.Interfaces {
		if ifc.Name == name {
			return true
		}
	}
	return false
}

func reaches(vn *model.VNode, gw netip.Addr) bool {
	for _, ifc := range vn.Interfaces {
		if ifc.Address.IsValid() && ifc.Address.Masked().Contains(gw) {
			return true
		}
	}
	return false
}

func interfaceNames(vn *model.VNode) string {
	s := ""
	for i, ifc := range vn.Interfaces {
		if i > 0 {
			s += ", "
		}
		s += ifc.Name
	}
	if s == "" {
		return "it has none"
	}
	return s
}

func interfaceSubnets(vn *model.VNode) string {
	s := ""
	for _, ifc := range vn.Interfaces {
		if !ifc.Address.IsValid() {
			continue
		}
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%s %s", ifc.Name, ifc.Address.Masked())
	}
	if s == "" {
		return "it has no addresses"
	}
	return s
}

func (e *evaluator) checkTaps() {
	bridges := map[string]bool{}
	var bridgeNames, switchNames []string
	for _, br := range e.exp.Bridges {
		bridges[br.Name] = true
		bridgeNames = append(bridgeNames, br.Name)
	}
	for name := range e.switches {
		switchNames = append(switchNames, name)
	}
	for _, r := range e.taps {
		kind, name, names := kindSwitch, r.tap.Switch, switchNames
		exists := e.switches[name] != nil
		if r.isBridge {
			kind, name, names, exists = kindBridge, r.tap.Bridge, bridgeNames, bridges[r.tap.Bridge]
		}
		if exists {
			continue
		}
		detail := fmt.Sprintf("%s is plugged into %s %q, but no %s has that name.", r.tap.Addr.Resource(kindTap), kind, name, kind)
		if s := suggest.Nearest(name, names); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		}
		e.errorf(r.rng, fmt.Sprintf("Unknown %s %q", kind, name), "%s", detail)
	}
}
