package process

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/zclconf/go-cty/cty"
)

func (r route) netlink(nh *netlink.Handle) (*netlink.Route, error) {
	nr := &netlink.Route{
		Dst:      &net.IPNet{IP: r.Dst.Addr().AsSlice(), Mask: net.CIDRMask(r.Dst.Bits(), 32)},
		Priority: r.Metric,
		Table:    syscall.RT_TABLE_MAIN,
	}
	if r.Gw.IsValid() {
		nr.Gw = r.Gw.AsSlice()
	}
	if r.Src.IsValid() {
		nr.Src = r.Src.AsSlice()
	}
	if r.Device != "" {
		l, err := nh.LinkByName(r.Device)
		if err != nil {
			return nil, fmt.Errorf("device %s of the route to %s: %w", r.Device, r.Dst, err)
		}
		nr.LinkIndex = l.Attrs().Index
	}
	return nr, nil
}

func (p *Provider) applyRoute(prior, planned cty.Value) (cty.Value, error) {
	v := planned
	if planned.IsNull() {
		v = prior
	}
	r, err := decodeRoute(v)
	if err != nil {
		return prior, err
	}
	ns, err := p.findNode(r.Node)
	if err != nil {
		if planned.IsNull() {
			return cty.NilVal, nil // the node is gone, and its routes with it
		}
		return prior, err
	}
	nh, nsh, err := ns.netHandle()
	if err != nil {
		return prior, err
	}
	defer nh.Close()
	defer nsh.Close()
	if !prior.IsNull() {
		// An update replaces the route: a changed metric is another
		// route to the kernel, so the old one goes first.
		if old, err := decodeRoute(prior); err == nil {
			if nr, err := old.netlink(nh); err == nil {
				if err := nh.RouteDel(nr); err != nil && !errors.Is(err, syscall.ESRCH) && !errors.Is(err, syscall.ENODEV) {
					return prior, fmt.Errorf("deleting the route to %s: %w", old.Dst, err)
				}
			}
		}
	}
	if planned.IsNull() {
		return cty.NilVal, nil
	}
	nr, err := r.netlink(nh)
	if err != nil {
		return cty.NilVal, err
	}
	if err := nh.RouteReplace(nr); err != nil {
		return cty.NilVal, fmt.Errorf("adding the route to %s in node %s: %w", r.Dst, r.Node, err)
	}
	return planned, nil
}

// readRoute returns the route as the node's main table holds it: null when
// the node or the route is gone. reads holds the nodes as the request
// found them.
func (p *Provider) readRoute(cur cty.Value, reads *nodeReads) (cty.Value, error) {
	r, err := decodeRoute(cur)
	if err != nil {
		return cur, err
	}
	look := reads.node(r.Node)
	if _, err := look.pins(); err != nil {
		return cty.NilVal, nil
	}
	stack, err := look.network()
	if err != nil {
		return cur, err
	}
	routes, err := stack.routesTo(&net.IPNet{IP: r.Dst.Addr().AsSlice(), Mask: net.CIDRMask(r.Dst.Bits(), 32)})
	if err != nil {
		return cur, err
	}
	if len(routes) == 0 {
		return cty.NilVal, nil
	}
	// Prefer the route with the recorded metric; any other to the same
	// destination reads back as a changed one.
	got := routes[0]
	for _, rt := range routes {
		if rt.Priority == r.Metric {
			got = rt
			break
		}
	}
	set := map[string]cty.Value{}
	if got.Priority != r.Metric {
		set["metric"] = cty.NumberIntVal(int64(got.Priority))
	}
	readAddr(set, "gateway", got.Gw, r.Gw)
	readAddr(set, "source", got.Src, r.Src)
	if r.Device != "" {
		dev := ""
		if l, ok := stack.byIndex[got.LinkIndex]; ok {
			dev = l.Attrs().Name
		}
		if dev != r.Device {
			set["device"] = cty.StringVal(dev)
		}
	}
	if len(set) == 0 {
		return cur, nil
	}
	return setAttrs(cur, set), nil
}

// readAddr notes in set, as attribute name, the address the kernel has
// (got, nil for none) where it differs from the one recorded (want).
func readAddr(set map[string]cty.Value, name string, got net.IP, want netip.Addr) {
	g, w := "", ""
	if got != nil {
		g = got.String()
	}
	if want.IsValid() {
		w = want.String()
	}
	if g == w {
		return
	}
	set[name] = cty.NullVal(cty.String)
	if g != "" {
		set[name] = cty.StringVal(g)
	}
}
