package hostnet

import (
	"fmt"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
	"github.com/vishvananda/netlink"
	"github.com/zclconf/go-cty/cty"
)

// A bridge (a switch of kind bridge, or a bridge) can join the host's own
// devices: existing says its device is a host bridge benito uses but never
// creates, deletes or reconfigures; uplink names a host interface that
// benito enslaves to the bridge on apply and releases on destroy, and
// otherwise leaves alone. Neither carries the experiment's alias: they are
// not the experiment's.

func isExisting(v cty.Value) bool {
	if !v.Type().HasAttribute("existing") {
		return false
	}
	e := v.GetAttr("existing")
	return e.IsKnown() && !e.IsNull() && e.True()
}

// joinedDevice is the bridge device of a switch of kind bridge or of a
// bridge, or "" for a VDE switch.
func joinedDevice(typ string, v cty.Value) string {
	switch {
	case typ == contract.Bridge:
		return bridgeDevice(v)
	case typ == contract.Switch && str(v, "kind") == kindBridge:
		return str(v, "device")
	}
	return ""
}

// checkJoin tells what is missing on the host for a planned bridge to
// join it: the existing bridge, or the uplink, or an uplink already in
// another bridge. It is asked at plan, so that a missing device is refused
// before anything is made.
func checkJoin(dev string, existing bool, uplink string) error {
	if existing {
		l, err := netlink.LinkByName(dev)
		switch {
		case isNotFound(err):
			return fmt.Errorf("the existing bridge %s is not on this host. Create it (ip link add %s type bridge) or name another with existing; benito does not make it", dev, dev)
		case err != nil:
			return fmt.Errorf("the existing bridge %s: %w", dev, err)
		case l.Type() != "bridge":
			return fmt.Errorf("existing = %q names a %s, not a bridge. Name a bridge; to put an interface into the experiment's bridge, use uplink", dev, l.Type())
		}
	}
	if uplink == "" {
		return nil
	}
	u, err := netlink.LinkByName(uplink)
	switch {
	case isNotFound(err):
		return fmt.Errorf("the uplink %s is not on this host. Name an interface that exists (ip -br link lists them); benito does not make it", uplink)
	case err != nil:
		return fmt.Errorf("the uplink %s: %w", uplink, err)
	case u.Type() == "bridge":
		return fmt.Errorf("the uplink %s is a bridge; a bridge in a bridge is not what you want: use existing = %q to put the experiment on it", uplink, uplink)
	}
	if mi := u.Attrs().MasterIndex; mi != 0 {
		m, err := netlink.LinkByIndex(mi)
		if err != nil || m.Attrs().Name != dev {
			name := fmt.Sprintf("index %d", mi)
			if err == nil {
				name = m.Attrs().Name
			}
			return fmt.Errorf("the uplink %s is already in bridge %s; benito does not move it. Take it out (ip link set %s nomaster) or name another interface", uplink, name, uplink)
		}
	}
	return nil
}

// planJoin is checkJoin for a planned change, as a diagnostic.
func planJoin(c providers.PlanChange) providers.Diagnostics {
	dev := joinedDevice(c.Type, c.Proposed)
	if dev == "" {
		return nil
	}
	uplink := str(c.Proposed, "uplink")
	if !isExisting(c.Proposed) && uplink == "" {
		return nil
	}
	if err := checkJoin(dev, isExisting(c.Proposed), uplink); err != nil {
		return providers.Errorf(c.Address, "Host device missing: %v", err)
	}
	return nil
}

// ensureJoined brings a bridge to planned: the experiment's own bridge
// made (ensureBridge) or the existing one found, the uplink enslaved to
// it, and an uplink the prior value had and planned has not released.
func (p *Provider) ensureJoined(addr, typ string, prior, planned cty.Value) error {
	dev := joinedDevice(typ, planned)
	if isExisting(planned) {
		if err := checkJoin(dev, true, ""); err != nil {
			return err
		}
	} else if err := p.ensureBridge(dev, addr); err != nil {
		return err
	}
	uplink := str(planned, "uplink")
	if !prior.IsNull() {
		if old := str(prior, "uplink"); old != "" && old != uplink {
			if err := release(old, joinedDevice(typ, prior)); err != nil {
				return err
			}
		}
	}
	if uplink == "" {
		return nil
	}
	if err := checkJoin(dev, false, uplink); err != nil {
		return err
	}
	u, err := netlink.LinkByName(uplink)
	if err != nil {
		return fmt.Errorf("the uplink %s: %w", uplink, err)
	}
	b, err := netlink.LinkByName(dev)
	if err != nil {
		return fmt.Errorf("bridge %s: %w", dev, err)
	}
	if u.Attrs().MasterIndex != b.Attrs().Index {
		if err := netlink.LinkSetMaster(u, b); err != nil {
			return fmt.Errorf("enslaving the uplink %s to bridge %s: %w", uplink, dev, err)
		}
	}
	return nil
}

// release takes uplink out of bridge dev, if it is there: an uplink moved
// elsewhere by hand since, or gone, is left as it is.
func release(uplink, dev string) error {
	u, err := netlink.LinkByName(uplink)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("the uplink %s: %w", uplink, err)
	}
	mi := u.Attrs().MasterIndex
	if mi == 0 {
		return nil
	}
	m, err := netlink.LinkByIndex(mi)
	if err != nil || m.Attrs().Name != dev {
		return nil
	}
	if err := netlink.LinkSetNoMaster(u); err != nil {
		return fmt.Errorf("releasing the uplink %s from bridge %s: %w", uplink, dev, err)
	}
	return nil
}

// deleteJoined releases the uplink and deletes the experiment's own
// bridge; an existing bridge is left.
func (p *Provider) deleteJoined(addr, typ string, prior cty.Value) error {
	dev := joinedDevice(typ, prior)
	if u := str(prior, "uplink"); u != "" {
		if err := release(u, dev); err != nil {
			return err
		}
	}
	if isExisting(prior) {
		return nil
	}
	return p.deleteLink(dev, addr)
}

// readJoined reads a bridge back: gone when its device is (or, for the
// experiment's own, is not the experiment's); its uplink null when the
// uplink is not in it.
func (p *Provider) readJoined(typ string, cur cty.Value) (cty.Value, error) {
	gone := cty.NullVal(cur.Type())
	dev := joinedDevice(typ, cur)
	l, err := netlink.LinkByName(dev)
	if isNotFound(err) {
		return gone, nil
	}
	if err != nil {
		return cur, err
	}
	if l.Type() != "bridge" || (!isExisting(cur) && !p.ours(l)) {
		return gone, nil
	}
	if uplink := str(cur, "uplink"); uplink != "" {
		u, err := netlink.LinkByName(uplink)
		if err != nil && !isNotFound(err) {
			return cur, err
		}
		if err != nil || u.Attrs().MasterIndex != l.Attrs().Index {
			cur = setAttrs(cur, map[string]cty.Value{"uplink": cty.NullVal(cty.String)})
		}
	}
	return cur, nil
}

// joinedRemains tells whether anything of a bridge is left for a destroy
// to take off: the experiment's own bridge, or the uplink in an existing
// one.
func (p *Provider) joinedRemains(typ string, cur cty.Value) bool {
	v, err := p.readJoined(typ, cur)
	if err != nil {
		return true
	}
	if v.IsNull() {
		return false
	}
	return !isExisting(cur) || !v.GetAttr("uplink").IsNull()
}
