package hostnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/netdev"
	"github.com/benito-net/benito/providers"
	"github.com/vishvananda/netlink"
	"github.com/zclconf/go-cty/cty"
)

// plugTimeout bounds how long a new vde_plug2tap may take to show up on
// its port.
const plugTimeout = 5 * time.Second

func isNotFound(err error) bool {
	var lnf netlink.LinkNotFoundError
	return errors.As(err, &lnf) || errors.Is(err, syscall.ENODEV)
}

// ensureBridge makes a Linux bridge named dev for the resource at addr,
// up, with its alias. A bridge of that name already there is kept if it is
// the experiment's; another's, or another kind of device, is an error.
func (p *Provider) ensureBridge(dev, addr string) error {
	l, err := netlink.LinkByName(dev)
	made := false
	switch {
	case isNotFound(err):
		// EEXIST: made meanwhile, by someone else as far as we know.
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: dev}}
		err := netlink.LinkAdd(br)
		if err != nil && !errors.Is(err, syscall.EEXIST) {
			return fmt.Errorf("creating bridge %s: %w", dev, err)
		}
		made = err == nil
		if l, err = netlink.LinkByName(dev); err != nil {
			return fmt.Errorf("bridge %s: %w", dev, err)
		}
	case err != nil:
		return fmt.Errorf("bridge %s: %w", dev, err)
	}
	if !made {
		if err := p.checkOurs(l, addr); err != nil {
			return err
		}
	}
	if l.Type() != "bridge" {
		return fmt.Errorf("device %s exists and is a %s, not a bridge; remove it or choose another name", dev, l.Type())
	}
	if err := p.claim(l, addr); err != nil {
		return err
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return fmt.Errorf("bringing bridge %s up: %w", dev, err)
	}
	return nil
}

// deleteLink deletes device dev of the resource at addr and returns once
// the kernel has it gone (internal/netdev: without waiting for the slow
// end of the delete); one already gone is no error, one that is not the
// experiment's is (a recorded name is input: it may name eth0).
func (p *Provider) deleteLink(dev, addr string) error {
	if dev == "" {
		return nil
	}
	l, err := netlink.LinkByName(dev)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := p.checkOurs(l, addr); err != nil {
		return err
	}
	if err := netdev.Delete(l.Attrs().Index); err != nil && !isNotFound(err) {
		return fmt.Errorf("deleting %s: %w", dev, err)
	}
	return nil
}

// ensureTap brings the host to planned: a persistent TAP device, up,
// plugged into its VDE port by a vde_plug2tap (restarted if it died or
// its port changed) and enslaved to its bridge. prior and priv describe
// what an earlier apply made (null for a create). A create that fails
// removes what it made.
func (p *Provider) ensureTap(_ context.Context, addr string, prior cty.Value, priv []byte, planned cty.Value) (cty.Value, []byte, error) {
	name := str(planned, "name")
	creating := prior.IsNull()
	made := false
	oldPlug, hadPlug := decodePrivate(priv)
	fail := func(err error) (cty.Value, []byte, error) {
		if creating {
			if hadPlug {
				oldPlug.Stop(time.Second)
			}
			if made {
				p.deleteLink(name, addr)
			}
			return cty.NilVal, nil, err
		}
		return cty.NilVal, nil, err
	}

	l, err := netlink.LinkByName(name)
	switch {
	case isNotFound(err):
		uid, gid := int64(-1), int64(-1)
		if o := str(planned, "owner"); o != "" {
			u, err := lookupUser(o)
			if err != nil {
				return fail(fmt.Errorf("owner of %s: %w", name, err))
			}
			uid = int64(u)
		}
		if g := str(planned, "group"); g != "" {
			n, err := lookupGroup(g)
			if err != nil {
				return fail(fmt.Errorf("group of %s: %w", name, err))
			}
			gid = int64(n)
		}
		if err := netdev.CreateTap(name, uid, gid); err != nil {
			return fail(fmt.Errorf("creating TAP %s: %w", name, err))
		}
		made = true
		if l, err = netlink.LinkByName(name); err != nil {
			return fail(fmt.Errorf("TAP %s: %w", name, err))
		}
	case err != nil:
		return fail(fmt.Errorf("TAP %s: %w", name, err))
	}
	if !made {
		if err := p.checkOurs(l, addr); err != nil {
			return fail(err)
		}
	}
	if l.Type() != "tuntap" {
		return fail(fmt.Errorf("device %s exists and is a %s, not a TAP; remove it or choose another name", name, l.Type()))
	}
	if err := p.claim(l, addr); err != nil {
		return fail(err)
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return fail(fmt.Errorf("bringing TAP %s up: %w", name, err))
	}

	if err := setTapAddress(l, str(planned, "ip4_address")); err != nil {
		return fail(err)
	}

	// The plug.
	socket, port := str(planned, "socket"), num(planned, "port")
	keep := !creating && hadPlug && oldPlug.Alive() && socket == str(prior, "socket") && port == num(prior, "port")
	plug := daemon.Process{}
	if keep {
		plug = oldPlug
	} else if hadPlug {
		if err := oldPlug.Stop(time.Second); err != nil {
			return fail(err)
		}
	}
	if socket != "" && !keep {
		plug, err = p.startPlug(socket, port, name)
		if err != nil {
			return fail(err)
		}
		hadPlug, oldPlug = true, plug
	}

	// The bridge.
	if br := str(planned, "bridge"); br != "" {
		b, err := netlink.LinkByName(br)
		if err != nil {
			return fail(fmt.Errorf("bridge %s of TAP %s: %w", br, name, err))
		}
		if l.Attrs().MasterIndex != b.Attrs().Index {
			if err := netlink.LinkSetMaster(l, b); err != nil {
				return fail(fmt.Errorf("enslaving TAP %s to bridge %s: %w", name, br, err))
			}
		}
	} else if l.Attrs().MasterIndex != 0 {
		if err := netlink.LinkSetNoMaster(l); err != nil {
			return fail(fmt.Errorf("releasing TAP %s from its bridge: %w", name, err))
		}
	}

	pid := cty.NullVal(cty.Number)
	var newPriv []byte
	if plug.Pid != 0 {
		pid = cty.NumberIntVal(int64(plug.Pid))
		newPriv = encodePrivate(plug)
	}
	return setAttrs(planned, map[string]cty.Value{"plug_pid": pid}), newPriv, nil
}

// startPlug starts vde_plug2tap joining TAP tap to port of the switch at
// socket, and waits until the switch shows it on the port.
func (p *Provider) startPlug(socket string, port int64, tap string) (daemon.Process, error) {
	log := plugLog(socket, tap)
	os.Remove(log)
	n := strconv.FormatInt(port, 10)
	proc, err := daemon.Start(daemon.Spec{Path: "vde_plug2tap", Args: []string{"-s", socket, "-p", n, "--", tap}, Log: log, Group: p.tapGroup(tap)})
	if err != nil {
		return proc, err
	}
	want := "pid=" + strconv.Itoa(proc.Pid)
	deadline := time.Now().Add(plugTimeout)
	for {
		ports, err := p.allPorts(mgmtPath(socket))
		if err == nil {
			if pt := ports[int(port)]; pt != nil {
				for _, ep := range pt.Endpoints {
					if strings.HasSuffix(ep, want) {
						return proc, nil
					}
				}
			}
		}
		if !proc.Alive() || time.Now().After(deadline) {
			proc.Stop(time.Second)
			msg := readLog(log)
			os.Remove(log)
			if msg == "" && err != nil {
				msg = err.Error()
			}
			return daemon.Process{}, fmt.Errorf("vde_plug2tap -s %s -p %s -- %s did not attach to the port: %s", socket, n, tap, msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// deleteTap stops the plug and deletes the device.
func (p *Provider) deleteTap(addr string, prior cty.Value, priv []byte) error {
	if plug, ok := decodePrivate(priv); ok {
		if err := plug.Stop(2 * time.Second); err != nil {
			return err
		}
	}
	if err := p.tapGroup(str(prior, "name")).Kill(groupKillTimeout); err != nil {
		return err
	}
	p.pruneGroups()
	if s := str(prior, "socket"); s != "" {
		os.Remove(plugLog(s, str(prior, "name")))
	}
	return p.deleteLink(str(prior, "name"), addr)
}

// readTap reads a TAP back: gone when the device is, or when it should be
// plugged and its plug has died; its bridge is the one it is on now.
func (p *Provider) readTap(cur cty.Value, priv []byte) (cty.Value, []byte, error) {
	gone := cty.NullVal(cur.Type())
	l, err := netlink.LinkByName(str(cur, "name"))
	if isNotFound(err) {
		return gone, nil, nil
	}
	if err != nil {
		return cur, priv, err
	}
	if l.Type() != "tuntap" || !p.ours(l) {
		return gone, nil, nil
	}
	if str(cur, "socket") != "" {
		plug, ok := decodePrivate(priv)
		if !ok || !plug.Alive() {
			return gone, nil, nil
		}
	}
	br := cty.NullVal(cty.String)
	if mi := l.Attrs().MasterIndex; mi != 0 {
		if m, err := netlink.LinkByIndex(mi); err == nil {
			br = cty.StringVal(m.Attrs().Name)
		}
	}
	if !br.RawEquals(cur.GetAttr("bridge")) {
		cur = setAttrs(cur, map[string]cty.Value{"bridge": br})
	}
	addr, err := readTapAddress(l, str(cur, "ip4_address"))
	if err != nil {
		return cur, priv, err
	}
	if !addr.RawEquals(cur.GetAttr("ip4_address")) {
		cur = setAttrs(cur, map[string]cty.Value{"ip4_address": addr})
	}
	return cur, priv, nil
}

// tapAddress parses a TAP's ip4_address: an IPv4 address with its prefix
// length, as lowering writes it.
func tapAddress(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("%q is not an IPv4 address with a prefix length, such as \"198.18.0.1/30\"", s)
	}
	return p, nil
}

// tapIPv4 lists the IPv4 addresses of TAP l, in the kernel's order.
func tapIPv4(l netlink.Link) ([]netlink.Addr, error) {
	as, err := netlink.AddrList(l, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("reading the addresses of TAP %s: %w", l.Attrs().Name, err)
	}
	return as, nil
}

// setTapAddress makes want ("" for none) the only IPv4 address of TAP l:
// it adds it when missing and removes any other, so a changed address is
// changed in place. The TAP is the experiment's: nothing else's address
// is on it.
func setTapAddress(l netlink.Link, want string) error {
	name := l.Attrs().Name
	var p netip.Prefix
	if want != "" {
		var err error
		if p, err = tapAddress(want); err != nil {
			return err
		}
	}
	as, err := tapIPv4(l)
	if err != nil {
		return err
	}
	have := false
	for _, a := range as {
		if p.IsValid() && prefixOf(a) == p {
			have = true
			continue
		}
		if err := netlink.AddrDel(l, &a); err != nil && !errors.Is(err, syscall.EADDRNOTAVAIL) {
			return fmt.Errorf("removing address %s from TAP %s: %w", prefixOf(a), name, err)
		}
	}
	if p.IsValid() && !have {
		a := &netlink.Addr{IPNet: &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), 32)}}
		if err := netlink.AddrAdd(l, a); err != nil {
			return fmt.Errorf("adding address %s to TAP %s: %w", p, name, err)
		}
	}
	return nil
}

// readTapAddress reads the IPv4 address of TAP l back: cur (the address
// the state holds) while the TAP has it, else the first the TAP has, or
// null when it has none. A TAP with cur and others reads as cur; the next
// apply removes the others only if the plan changes the TAP.
func readTapAddress(l netlink.Link, cur string) (cty.Value, error) {
	as, err := tapIPv4(l)
	if err != nil {
		return cty.NilVal, err
	}
	if len(as) == 0 {
		return cty.NullVal(cty.String), nil
	}
	for _, a := range as {
		if prefixOf(a).String() == cur {
			return cty.StringVal(cur), nil
		}
	}
	return cty.StringVal(prefixOf(as[0]).String()), nil
}

// prefixOf is a netlink address as an address and its prefix length.
func prefixOf(a netlink.Addr) netip.Prefix {
	ip, _ := netip.AddrFromSlice(a.IP.To4())
	bits, _ := a.Mask.Size()
	return netip.PrefixFrom(ip, bits)
}

func (p *Provider) importResource(rs *providers.ResourceSchema, typ, addr, id string) (cty.Value, []byte, error) {
	attrs := map[string]cty.Value{}
	for name, a := range rs.Attributes {
		attrs[name] = cty.NullVal(a.Type)
	}
	switch typ {
	case contract.Switch, contract.Bridge:
		if strings.HasPrefix(id, "/") && typ == contract.Switch {
			socket := id
			if err := p.checkSocket(socket); err != nil {
				return cty.NilVal, nil, fmt.Errorf("the socket %s %v", socket, err)
			}
			if err := pidFileSwitch(socket); err != nil {
				return cty.NilVal, nil, fmt.Errorf("the socket %s %v", socket, err)
			}
			proc, err := daemon.FromPidFile(pidPath(socket))
			if err != nil || !proc.Alive() {
				return cty.NilVal, nil, fmt.Errorf("no running vde_switch with its pid file at %s", pidPath(socket))
			}
			attrs["kind"] = cty.StringVal(kindVDE)
			attrs["socket"] = cty.StringVal(socket)
			attrs["name"] = cty.StringVal(strings.TrimSuffix(socketName(socket), ".ctl"))
			attrs["pid"] = cty.NumberIntVal(int64(proc.Pid))
			attrs["management"] = cty.StringVal(mgmtPath(socket))
			return cty.ObjectVal(attrs), encodePrivate(proc), nil
		}
		l, err := netlink.LinkByName(id)
		if err != nil && !isNotFound(err) {
			return cty.NilVal, nil, err
		}
		if err != nil || l.Type() != "bridge" {
			return cty.NilVal, nil, fmt.Errorf("no bridge named %s", id)
		}
		if err := p.adopt(l, addr); err != nil {
			return cty.NilVal, nil, err
		}
		attrs["name"] = cty.StringVal(id)
		attrs["device"] = cty.StringVal(id)
		if typ == contract.Switch {
			attrs["kind"] = cty.StringVal(kindBridge)
		}
		return cty.ObjectVal(attrs), nil, nil
	case contract.Tap:
		l, err := netlink.LinkByName(id)
		if err != nil {
			return cty.NilVal, nil, err
		}
		if l.Type() != "tuntap" {
			return cty.NilVal, nil, fmt.Errorf("device %s is a %s, not a TAP", id, l.Type())
		}
		if err := p.adopt(l, addr); err != nil {
			return cty.NilVal, nil, err
		}
		attrs["name"] = cty.StringVal(id)
		if attrs["ip4_address"], err = readTapAddress(l, ""); err != nil {
			return cty.NilVal, nil, err
		}
		if mi := l.Attrs().MasterIndex; mi != 0 {
			if m, err := netlink.LinkByIndex(mi); err == nil {
				attrs["bridge"] = cty.StringVal(m.Attrs().Name)
			}
		}
		return cty.ObjectVal(attrs), nil, nil
	}
	return cty.NilVal, nil, fmt.Errorf("resources of type %q cannot be imported", typ)
}

func socketName(socket string) string {
	return socket[strings.LastIndexByte(socket, '/')+1:]
}
