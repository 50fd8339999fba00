package process

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/netdev"
	"github.com/benito-net/benito/internal/netmask"
	"github.com/benito-net/benito/internal/shaping"
	"github.com/benito-net/benito/internal/vdewire"
	"github.com/benito-net/benito/providers"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/sys/unix"
)

// node is a decoded vnode configuration.
type node struct {
	Name      string
	RunDir    string
	Type      string // the node type, which says where its things are (layout)
	HostsFile string // bound over the node's /etc/hosts; "" for none
	IPForward bool
	Ifaces    []iface
}

// iface is one decoded interface of a node.
type iface struct {
	providers.Interface
	raw cty.Value
	// runDir and node are the node's, for the host end's alias
	// (contract.DeviceAlias) and ownership (contract.DeviceIsOurs).
	runDir, node string
}

// plumbing says how the interface is attached; a change to it takes a new
// device.
func (f iface) plumbing() string {
	return fmt.Sprintf("%s|%s|%d|%s|%s", f.Kind, f.VDESocket, f.VDEPort, f.Bridge, f.HostDevice)
}

// layout is where the node's things are.
func (n node) layout() layout { return layout{n.RunDir, n.Type} }

func decodeNode(v cty.Value) (node, error) {
	n := node{
		Name:      str(v, "name"),
		RunDir:    str(v, "run_dir"),
		Type:      str(v, "type"),
		HostsFile: str(v, "hosts_file"),
		IPForward: boolean(v, "ip_forward"),
	}
	if !providers.ValidNodeName(n.Name) {
		return n, fmt.Errorf("node name %q cannot name a directory", n.Name)
	}
	ifs := v.GetAttr("interfaces")
	if ifs.IsNull() || !ifs.IsKnown() {
		return n, nil
	}
	seen := map[string]bool{}
	for it := ifs.ElementIterator(); it.Next(); {
		_, iv := it.Element()
		d, err := providers.DecodeInterface(iv)
		if err != nil {
			return n, err
		}
		if seen[d.Name] {
			return n, fmt.Errorf("interface %q appears twice", d.Name)
		}
		seen[d.Name] = true
		f := iface{Interface: d, raw: iv, runDir: n.RunDir, node: n.Name}
		n.Ifaces = append(n.Ifaces, f)
	}
	return n, nil
}

// processOf returns the process recorded in a value with pid and
// start_time: a startup command.
func processOf(v cty.Value) daemon.Process {
	return daemon.Process{Pid: int(num(v, "pid")), StartTime: uint64(num(v, "start_time"))}
}

// findNode returns the namespaces of a node of the experiment as its pins
// hold them now.
func (p *Provider) findNode(name string) (nodeNS, error) {
	_, runDir := p.config()
	if runDir == "" {
		return nodeNS{}, fmt.Errorf("the process provider is not configured")
	}
	if !providers.ValidNodeName(name) {
		// A name with "../" would lead to pins anywhere.
		return nodeNS{}, fmt.Errorf("%q is not a node name", name)
	}
	ns, err := nodeNSAt(p.lay(), name).check()
	if err != nil {
		return ns, fmt.Errorf("node %q is not running: it %v", name, err)
	}
	return ns, nil
}

func (p *Provider) applyNode(prior, planned cty.Value) (cty.Value, error) {
	switch {
	case planned.IsNull():
		if err := p.deleteNode(prior); err != nil {
			return prior, err
		}
		return cty.NilVal, nil
	case prior.IsNull():
		return p.createNode(planned)
	default:
		return p.updateNode(prior, planned)
	}
}

func (p *Provider) createNode(planned cty.Value) (cty.Value, error) {
	n, err := decodeNode(planned)
	if err != nil {
		return cty.NilVal, err
	}
	// What an earlier incarnation left: one re-created after it drifted
	// (read as gone, so not deleted), or whose create was interrupted.
	// Nothing is there on the common path: a few failed stats.
	if err := p.removeNode(n, nil); err != nil {
		return cty.NilVal, fmt.Errorf("removing what an earlier node %s left: %w", n.Name, err)
	}
	var (
		ns    nodeNS
		attrs map[string]cty.Value
	)
	if p.ct == nil {
		ns, err = newNamespaces(n)
	} else {
		ns, attrs, err = p.startContainer(n, planned)
	}
	files, inodes := ns.values()
	set := map[string]cty.Value{
		"namespaces":       files,
		"namespace_inodes": inodes,
		"log":              cty.StringVal(n.layout().nodeLog(n.Name)),
	}
	maps.Copy(set, attrs)
	v := setAttrs(planned, set)
	// From here on a failure returns v: the engine records what was made
	// (tainted), and the next apply deletes it.
	if err != nil {
		return v, err
	}
	if p.ct != nil && n.IPForward {
		// A process node's is set as its namespaces are made.
		if err := ns.setForwarding(true); err != nil {
			return v, err
		}
	}
	nh, nsh, err := ns.netHandle()
	if err != nil {
		return v, err
	}
	defer nh.Close()
	defer nsh.Close()
	// A new namespace's loopback device is always index 1 (the kernel's
	// LOOPBACK_IFINDEX): no lookup.
	if err := nh.LinkSetUp(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: 1, Name: "lo"}}); err != nil {
		return v, fmt.Errorf("bringing lo up: %w", err)
	}
	for _, f := range n.Ifaces {
		if err := ensureIface(ns, nh, nsh, n, f, nil, true); err != nil {
			return v, err
		}
	}
	if p.ct != nil {
		if err := p.ct.Run(containerNode(n, planned)); err != nil {
			return v, err
		}
	}
	return v, nil
}

// ensureIface makes interface f of node n exist and match: created when
// missing (or when its plumbing changed from prev), its MAC, MTU, address,
// state and shaping set in place otherwise. fresh says the node was just
// made, so there is nothing to look up first.
func ensureIface(ns nodeNS, nh *netlink.Handle, nsh netns.NsHandle, n node, f iface, prev *iface, fresh bool) error {
	var l netlink.Link
	if !fresh {
		l, _ = nh.LinkByName(f.Name)
		if l != nil && prev != nil && prev.plumbing() != f.plumbing() {
			if err := removeIface(nh, n, *prev); err != nil {
				return err
			}
			l = nil
		}
		if l != nil && f.Kind == contract.KindBridge && !plumbed(nil, n, f) {
			// The device is there but its other end is not: start over.
			// (A TAP outlives its plugs: ensurePlugs restarts them.)
			if err := removeIface(nh, n, f); err != nil {
				return err
			}
			l = nil
		}
	}
	created := l == nil
	if created {
		var err error
		if l, err = createIface(ns, nh, nsh, n, f); err != nil {
			return fmt.Errorf("interface %s: %w", f.Name, err)
		}
	}
	if err := configureIface(nh, l, f, created); err != nil {
		return fmt.Errorf("interface %s: %w", f.Name, err)
	}
	if f.Kind == contract.KindVDE {
		if err := ensurePlugs(ns, n, f, created); err != nil {
			return fmt.Errorf("interface %s: %w", f.Name, err)
		}
	}
	return nil
}

// createIface makes the device of f inside the node: a veth whose host end
// joins the bridge, or a TAP.
func createIface(ns nodeNS, nh *netlink.Handle, nsh netns.NsHandle, n node, f iface) (netlink.Link, error) {
	switch f.Kind {
	case contract.KindBridge:
		if err := addVeth(f, nsh); err != nil {
			return nil, err
		}
	case contract.KindVDE:
		if err := ns.makeTap(f.Name); err != nil {
			return nil, err
		}
	}
	return nh.LinkByName(f.Name)
}

// addVeth makes f's veth pair: the host end on f's bridge, up; the node's
// end in namespace ns.
func addVeth(f iface, ns netns.NsHandle) error {
	for attempt := 0; ; attempt++ {
		br, err := bridges.index(f.Bridge, attempt > 0)
		if err != nil {
			return fmt.Errorf("bridge %s: %w", f.Bridge, err)
		}
		err = newVeth(f, br, ns)
		if errors.Is(err, syscall.EEXIST) {
			// The host end of an earlier incarnation of the node, whose
			// namespace is still being torn down, if the device is ours.
			// netdev.Delete returns once the name is free, without
			// waiting for the slow rest of the delete.
			if stale := hostEnd(f); stale != nil && netdev.Delete(stale.Attrs().Index) == nil {
				err = newVeth(f, br, ns)
			} else if l, lerr := netlink.LinkByName(f.HostDevice); lerr == nil && !f.ownsHostEnd(l) {
				return f.foreignHostEnd(l)
			}
		}
		if err == nil {
			// The kernel ignores an alias in the request that makes the
			// link: until this is set, the name alone says the device is
			// the experiment's (contract.DeviceIsOurs).
			if err := netlink.LinkSetAlias(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: f.HostDevice}}, f.hostAlias()); err != nil {
				return fmt.Errorf("setting the alias of host device %s: %w", f.HostDevice, err)
			}
		}
		if errors.Is(err, syscall.EINVAL) && attempt == 0 {
			// A remembered bridge index that is no longer the bridge's
			// (it was made anew): the kernel refuses the master. Look
			// it up again.
			continue
		}
		if err != nil {
			return fmt.Errorf("creating veth %s (host) / %s (node): %w", f.HostDevice, f.Name, err)
		}
		return nil
	}
}

// newVeth asks the kernel for f's veth pair in one request: the host end
// named, enslaved to bridge index br and up; the peer named, with its MAC
// and MTU, in namespace ns. (netlink.LinkAdd follows its request with a
// lookup of the new link and a second request for the master: two more
// trips through the RTNL lock per node.)
func newVeth(f iface, br int, ns netns.NsHandle) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(f.HostDevice)))
	if f.MTU > 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(f.MTU))))
	}
	req.AddData(nl.NewRtAttr(unix.IFLA_MASTER, nl.Uint32Attr(uint32(br))))
	oneQueue(req.AddData)
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("veth"))
	peer := info.AddRtAttr(nl.IFLA_INFO_DATA, nil).AddRtAttr(nl.VETH_INFO_PEER, nil)
	// The peer cannot come up in the same request: the kernel opens it
	// before its other end exists (ENOTCONN).
	nl.NewIfInfomsgChild(peer, unix.AF_UNSPEC)
	peer.AddRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(f.Name))
	if f.MTU > 0 {
		peer.AddRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(f.MTU)))
	}
	if f.MAC != nil {
		peer.AddRtAttr(unix.IFLA_ADDRESS, []byte(f.MAC))
	}
	peer.AddRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(ns)))
	oneQueue(func(a nl.NetlinkRequestData) { peer.AddChild(a) })
	req.AddData(info)
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}

// oneQueue adds the attributes that give a new veth end one transmit and
// one receive queue. Without them the kernel gives each end a queue per
// CPU and then, the device registered, cuts them back to one, waiting for
// an RCU grace period each time while it holds the RTNL lock, which every
// other link change on the host waits for: two waits per veth, a fifth of
// a 100-node apply. A node's link, shaped by one root qdisc,
// has no use for more queues.
func oneQueue(add func(nl.NetlinkRequestData)) {
	add(nl.NewRtAttr(unix.IFLA_NUM_TX_QUEUES, nl.Uint32Attr(1)))
	add(nl.NewRtAttr(unix.IFLA_NUM_RX_QUEUES, nl.Uint32Attr(1)))
}

// bridges remembers the host bridges' indexes: a hundred nodes on one
// bridge need one lookup, not a hundred.
var bridges bridgeIndex

type bridgeIndex struct {
	mu sync.Mutex
	m  map[string]int
}

// index returns the index of bridge name, looked up on first use or when
// fresh is set.
func (b *bridgeIndex) index(name string, fresh bool) (int, error) {
	b.mu.Lock()
	i, ok := b.m[name]
	b.mu.Unlock()
	if ok && !fresh {
		return i, nil
	}
	l, err := netlink.LinkByName(name)
	if err != nil {
		return 0, err
	}
	b.mu.Lock()
	if b.m == nil {
		b.m = map[string]int{}
	}
	b.m[name] = l.Attrs().Index
	b.mu.Unlock()
	return l.Attrs().Index, nil
}

// configureIface sets MAC, MTU, address, up and shaping of l as f says.
// Shaping is by qdiscs on a bridge's veth; a TAP on a VDE switch is shaped
// by its wire (ensurePlugs), and a qdisc found on it is removed.
func configureIface(nh *netlink.Handle, l netlink.Link, f iface, created bool) error {
	a := l.Attrs()
	if f.MAC != nil && a.HardwareAddr.String() != f.MAC.String() {
		if err := nh.LinkSetHardwareAddr(l, f.MAC); err != nil {
			return fmt.Errorf("setting MAC %s: %w", f.MAC, err)
		}
	}
	if f.MTU != 0 && a.MTU != f.MTU {
		if err := nh.LinkSetMTU(l, f.MTU); err != nil {
			return fmt.Errorf("setting MTU %d: %w", f.MTU, err)
		}
	}
	var have []netlink.Addr
	if !created {
		var err error
		if have, err = nh.AddrList(l, netlink.FAMILY_V4); err != nil {
			return fmt.Errorf("listing addresses: %w", err)
		}
	}
	found := false
	for _, ad := range have {
		p, _ := netip.AddrFromSlice(ad.IP.To4())
		ones, _ := ad.Mask.Size()
		if f.Addr.IsValid() && p == f.Addr.Addr() && ones == f.Addr.Bits() {
			found = true
			continue
		}
		if err := nh.AddrDel(l, &ad); err != nil {
			return fmt.Errorf("removing address %s: %w", ad.IPNet, err)
		}
	}
	if f.Addr.IsValid() && !found {
		ad := &netlink.Addr{IPNet: &net.IPNet{IP: f.Addr.Addr().AsSlice(), Mask: net.CIDRMask(f.Addr.Bits(), 32)}}
		if err := nh.AddrAdd(l, ad); err != nil {
			return fmt.Errorf("adding address %s: %w", f.Addr, err)
		}
	}
	if a.Flags&net.FlagUp == 0 {
		if err := nh.LinkSetUp(l); err != nil {
			return fmt.Errorf("bringing it up: %w", err)
		}
	}
	qdisc := f.Shaping
	if f.Kind == contract.KindVDE {
		qdisc = shaping.Shaping{}
	}
	if !created || !qdisc.IsZero() {
		if err := shaping.Apply(nh, l, qdisc); err != nil {
			return err
		}
	}
	return nil
}

// plumbed reports whether f's other end is in place: the veth's host end on
// its bridge, or the TAP's plugs running (vdePlumbed). Host links are
// looked up in host, a snapshot, or one at a time if it is nil.
func plumbed(host hostLinks, n node, f iface) bool {
	switch f.Kind {
	case contract.KindBridge:
		hl, err := host.byName(f.HostDevice)
		if err != nil || hl.Type() != "veth" || !f.ownsHostEnd(hl) {
			return false
		}
		br, err := host.byName(f.Bridge)
		return err == nil && hl.Attrs().MasterIndex == br.Attrs().Index && hl.Attrs().Flags&net.FlagUp != 0
	case contract.KindVDE:
		return vdePlumbed(n, f)
	}
	return false
}

// hostLinks is a snapshot of the host's links by name, taken once for a
// batch of reads instead of two lookups per interface; nil looks each up.
type hostLinks map[string]netlink.Link

// snapshotHostLinks lists the host's links, or returns nil if it cannot.
func snapshotHostLinks() hostLinks {
	ls, err := netdev.Links(nil)
	if err != nil {
		return nil
	}
	m := make(hostLinks, len(ls))
	for _, l := range ls {
		m[l.Attrs().Name] = l
	}
	return m
}

func (h hostLinks) byName(name string) (netlink.Link, error) {
	if h == nil {
		return netlink.LinkByName(name)
	}
	if l, ok := h[name]; ok {
		return l, nil
	}
	return nil, netlink.LinkNotFoundError{}
}

// removeIface deletes f's device inside the node (a veth takes its host
// end with it) and stops its plug and wire.
func removeIface(nh *netlink.Handle, n node, f iface) error {
	if f.Kind == contract.KindVDE {
		if err := stopPlug(n, f); err != nil {
			return err
		}
		if err := stopWire(n, f); err != nil {
			return err
		}
	}
	if nh != nil {
		if l, err := nh.LinkByName(f.Name); err == nil {
			if err := nh.LinkDel(l); err != nil && !errors.Is(err, syscall.ENODEV) {
				return fmt.Errorf("deleting %s: %w", f.Name, err)
			}
		}
	}
	if f.Kind == contract.KindBridge {
		// The host end of a veth whose node end is gone (or whose
		// namespace is dying) is deleted by name, if it is a veth; the
		// name is free when netdev.Delete returns.
		if hl := hostEnd(f); hl != nil {
			if err := netdev.Delete(hl.Attrs().Index); err != nil {
				return fmt.Errorf("deleting host device %s: %w", f.HostDevice, err)
			}
		}
	}
	return nil
}

func plugPidFile(n node, f iface) string {
	return filepath.Join(n.layout().nodeDir(n.Name), "plug."+f.Name)
}

// plugState reports whether f's plug runs, and the switch it was started
// on (the tag of its pid file): f's port's switch, or f's hub; "" when
// there is no plug.
func plugState(n node, f iface) (alive bool, target string) {
	p, target, err := daemon.ReadPidFile(plugPidFile(n, f))
	if err != nil {
		return false, ""
	}
	if target == "" {
		target = f.VDESocket // written before plugs named their switch
	}
	return p.Alive(), target
}

// startPlug plugs f's TAP into a VDE switch with vde_plug2tap, started
// from a thread in the node's network namespace (so the plug opens the
// node's TAP: no nsenter) and supervised through its pid file: into port
// of socket, or any free port when port is 0 (f's hub). It returns once
// the plug has opened the TAP (waitPlugged).
func startPlug(ns nodeNS, n node, f iface, socket string, port int) error {
	if err := stopPlug(n, f); err != nil {
		return err
	}
	args := []string{"-s", socket}
	if port != 0 {
		args = append(args, "-p", strconv.Itoa(port))
	}
	// The log directory stays until the log is in it.
	log := n.layout().nodeLog(n.Name)
	release, err := providers.MakeDir(filepath.Dir(log), 0o755)
	if err != nil {
		return err
	}
	defer release()
	// The watch is made, the plug started and waited for on one thread
	// in the node's network namespace: the watch sees the node's links,
	// and the plug is born in the namespace of the thread that forks it.
	return ns.inNamespaces([]nsKind{kindNet}, func() error {
		watch, err := netdev.WatchLinks()
		if err != nil {
			return err
		}
		defer watch.Close()
		p, err := daemon.Start(daemon.Spec{Path: "vde_plug2tap", Args: append(args, "--", f.Name), Env: ns.env(), Log: log, Group: n.layout().nodeGroup(n.Name)})
		if err != nil {
			return fmt.Errorf("plugging into %s port %d: %w", socket, port, err)
		}
		if err := daemon.WritePidFile(plugPidFile(n, f), p, socket); err != nil {
			p.Stop(0)
			return err
		}
		if err := waitPlugged(watch, p, f.Name, plugReadyTimeout); err != nil {
			p.Stop(0)
			return fmt.Errorf("plugging %s into %s port %d: %w; %s ends with:\n%s", f.Name, socket, port, err, log, providers.LogTail(log, 3))
		}
		return nil
	})
}

// plugReadyTimeout bounds how long a new plug may take to connect.
const plugReadyTimeout = 5 * time.Second

// waitPlugged returns once the plug p has connected to its switch and
// opened TAP tap (vde_plug2tap opens the TAP after the switch accepted
// it), which the TAP's carrier announces on watch, or an error when the
// plug ended first: a plug that dies at once would otherwise only show as
// drift on the next plan.
func waitPlugged(watch *netdev.LinkWatch, p daemon.Process, tap string, timeout time.Duration) error {
	pidfd, err := p.Pidfd()
	if errors.Is(err, daemon.ErrEnded) {
		return fmt.Errorf("vde_plug2tap ended at once")
	}
	if err != nil {
		return err
	}
	defer unix.Close(pidfd)
	err = watch.WaitCarrier(tap, pidfd, timeout, netlink.LinkByName)
	if errors.Is(err, netdev.ErrEndedFirst) {
		return fmt.Errorf("vde_plug2tap ended at once")
	}
	if err != nil {
		return fmt.Errorf("vde_plug2tap did not connect: %w", err)
	}
	return nil
}

func stopPlug(n node, f iface) error {
	if err := stopProcess(plugPidFile(n, f)); err != nil {
		return fmt.Errorf("stopping the plug of %s: %w", f.Name, err)
	}
	return stopStrayPlugs(n, f)
}

// stopStrayPlugs ends the plugs of f that no pid file records: a provider
// killed between starting a plug and writing its pid file (benito killed
// during an apply) leaves one running, holding f's TAP, and every later
// plug of f would fail (TUNSETIFF: device or resource busy). They are
// found among the node's group's processes by their command line.
func stopStrayPlugs(n node, f iface) error {
	pids, err := n.layout().nodeGroup(n.Name).Pids()
	if err != nil {
		return fmt.Errorf("listing the processes of node %s: %w", n.Name, err)
	}
	for _, pid := range pids {
		argv, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil || !plugsInterface(strings.Split(strings.TrimSuffix(string(argv), "\x00"), "\x00"), f.Name) {
			continue
		}
		p, err := daemon.FromPid(pid)
		if err != nil {
			continue // ended meanwhile
		}
		if err := p.Stop(time.Second); err != nil {
			return fmt.Errorf("stopping a plug of %s that no pid file records: %w", f.Name, err)
		}
	}
	return nil
}

// plugsInterface reports whether argv is a vde_plug2tap command (as
// startPlug runs it) plugging the TAP named name.
func plugsInterface(argv []string, name string) bool {
	return len(argv) >= 3 && filepath.Base(argv[0]) == "vde_plug2tap" && argv[len(argv)-2] == "--" && argv[len(argv)-1] == name
}

func (p *Provider) updateNode(prior, planned cty.Value) (cty.Value, error) {
	n, err := decodeNode(planned)
	if err != nil {
		return prior, err
	}
	old, _ := decodeNode(prior)
	ns, err := recordedNS(prior).check()
	if err != nil {
		return prior, fmt.Errorf("the node %v; run benito apply again to re-create it", err)
	}
	set := map[string]cty.Value{
		"namespaces":       prior.GetAttr("namespaces"),
		"namespace_inodes": prior.GetAttr("namespace_inodes"),
		"log":              cty.StringVal(n.layout().nodeLog(n.Name)),
	}
	if p.ct != nil {
		attrs, err := p.ct.Update(containerNode(n, planned), prior)
		if err != nil {
			return prior, err
		}
		maps.Copy(set, attrs)
	}
	v := setAttrs(planned, set)
	// prior is as refreshed, its ip_forward as read from the node: a
	// change of anything else sends no thread into the namespace.
	if n.IPForward != old.IPForward {
		if err := ns.setForwarding(n.IPForward); err != nil {
			return prior, err
		}
	}
	nh, nsh, err := ns.netHandle()
	if err != nil {
		return prior, err
	}
	defer nh.Close()
	defer nsh.Close()
	prev := map[string]*iface{}
	for i := range old.Ifaces {
		prev[old.Ifaces[i].Name] = &old.Ifaces[i]
	}
	want := map[string]bool{}
	for _, f := range n.Ifaces {
		want[f.Name] = true
	}
	for _, f := range old.Ifaces {
		if !want[f.Name] {
			if err := removeIface(nh, old, f); err != nil {
				return prior, err
			}
		}
	}
	for _, f := range n.Ifaces {
		if err := ensureIface(ns, nh, nsh, n, f, prev[f.Name], false); err != nil {
			// What is recorded must not claim the interface is right:
			// keep the prior value, so the next plan tries again.
			return prior, err
		}
	}
	return v, nil
}

func (p *Provider) deleteNode(prior cty.Value) error {
	n, err := decodeNode(prior)
	if err != nil || n.RunDir == "" {
		return err
	}
	if p.ct != nil {
		// Asked to end first, as vzctl stop does; what is left is killed.
		p.ct.Stop(containerNode(n, prior))
	}
	ns, nsErr := recordedNS(prior).check()
	var scan <-chan map[string][]int
	if nsErr == nil {
		// Asked for now, the scan for the node's processes runs while
		// the veths go.
		scan = procScans.request()
	}
	// The veths go first, by their host ends (deleteHostEnds, reap.go);
	// removeIface does the rest, in the node's namespace, opened only
	// when needed (a node on bridges has nothing left there). A TAP is
	// left to its namespace: once its plug is stopped, nothing but the
	// pins holds the namespace, and the kernel deletes the devices of a
	// namespace it frees together, in the background, instead of one
	// request each under the RTNL lock.
	gone, err := deleteHostEnds(n)
	if err != nil {
		return err
	}
	var nh *netlink.Handle
	opened := false
	for _, f := range n.Ifaces {
		if gone[f.Name] {
			continue
		}
		if f.Kind == contract.KindVDE {
			if err := removeIface(nil, n, f); err != nil {
				return err
			}
			continue
		}
		if nsErr == nil && !opened {
			opened = true
			if hd, nsh, err := ns.netHandle(); err == nil {
				nh = hd
				defer nh.Close()
				defer nsh.Close()
			}
		}
		if err := removeIface(nh, n, f); err != nil {
			return err
		}
	}
	if err := p.removeNode(n, scan); err != nil {
		return err
	}
	// Empty parents go too, so destroy leaves no directory (nor cgroup)
	// behind.
	p.pruneRunDir(n.layout())
	return nil
}

// nodeRemains reports whether anything of node v is left on the host: a
// pin (mounted or not), its directory or log, or the host end of one of its
// veths.
func (p *Provider) nodeRemains(v cty.Value) bool {
	n, err := decodeNode(v)
	if err != nil {
		return true
	}
	if p.ct != nil && p.ct.Remains(containerNode(n, cty.NilVal)) {
		return true
	}
	for _, file := range recordedNS(v).Files {
		if s, _, err := inspect(file); err != nil || s != pinMissing {
			return true
		}
	}
	// Its log too: a destroy killed after the node's directory went must
	// still find the node on the next one, or the log stays behind.
	for _, f := range []string{n.layout().nodeDir(n.Name), n.layout().nodeLog(n.Name)} {
		if _, err := os.Lstat(f); err == nil {
			return true
		}
	}
	for _, f := range n.Ifaces {
		if f.Kind == contract.KindBridge && hostEnd(f) != nil {
			return true
		}
	}
	return false
}

// readNode returns the node as it is: null when a pin no longer holds the
// namespace recorded (unmounted, removed, or holding another); an
// interface whose device or other end is gone is left out, and attributes
// changed by hand read back as they are. A value recorded before its
// create finished (pending) has no inodes: the namespaces pinned are
// taken as its. look is the node as the request found it (nodeReads).
func (p *Provider) readNode(cur cty.Value, host hostLinks, look *nodeLook) (cty.Value, error) {
	n, err := decodeNode(cur)
	if err != nil {
		return cur, err
	}
	rec := recordedNS(cur)
	ns, err := look.pins()
	if err != nil || ns.Files != rec.Files {
		return cty.NilVal, nil
	}
	for i := range rec.Inodes {
		if rec.Inodes[i] != 0 && rec.Inodes[i] != ns.Inodes[i] {
			return cty.NilVal, nil // another namespace than the one recorded
		}
	}
	set := map[string]cty.Value{}
	if p.ct != nil {
		got, alive, err := p.ct.Read(containerNode(n, cur))
		if err != nil {
			return cur, err
		}
		if !alive {
			return cty.NilVal, nil
		}
		maps.Copy(set, got)
	}
	stack, err := look.network()
	if err != nil {
		return cur, err
	}
	changed := false
	var ifs []cty.Value
	for _, f := range n.Ifaces {
		l, ok := stack.link(f.Name)
		if !ok || !plumbed(host, n, f) {
			changed = true
			continue
		}
		got, err := observe(ns, stack, n, l, f)
		if err != nil {
			return cur, fmt.Errorf("interface %s: %w", f.Name, err)
		}
		if !got.RawEquals(f.raw) {
			changed = true
		}
		ifs = append(ifs, got)
	}
	if changed {
		list := cty.ListValEmpty(cur.GetAttr("interfaces").Type().ElementType())
		if len(ifs) > 0 {
			list = cty.ListVal(ifs)
		}
		set["interfaces"] = list
	}
	if stack.fwdErr == nil && stack.fwd != n.IPForward {
		set["ip_forward"] = cty.BoolVal(stack.fwd)
	}
	if ns != rec {
		files, inodes := ns.values()
		set["namespaces"], set["namespace_inodes"] = files, inodes
	}
	if len(set) == 0 {
		return cur, nil
	}
	return setAttrs(cur, set), nil
}

// observe returns f's recorded value with what the device shows now in
// place of what was configured, where the two differ.
func observe(ns nodeNS, stack *netLook, n node, l netlink.Link, f iface) (cty.Value, error) {
	set := map[string]cty.Value{}
	a := l.Attrs()
	if f.MAC != nil && a.HardwareAddr.String() != f.MAC.String() {
		set["mac_address"] = cty.StringVal(a.HardwareAddr.String())
	}
	if f.MTU != 0 && a.MTU != f.MTU {
		set["mtu"] = cty.NumberIntVal(int64(a.MTU))
	}
	addrs, err := stack.addrsOf(l)
	if err != nil {
		return f.raw, err
	}
	var got netip.Prefix
	for _, ad := range addrs {
		ip, _ := netip.AddrFromSlice(ad.IP.To4())
		ones, _ := ad.Mask.Size()
		got = netip.PrefixFrom(ip, ones)
		if got == f.Addr {
			break
		}
	}
	if got != f.Addr || a.Flags&net.FlagUp == 0 {
		// An interface that is down reads as unaddressed: either way
		// the node cannot use the address.
		if got.IsValid() && a.Flags&net.FlagUp != 0 {
			set["ip4_address"] = cty.StringVal(got.Addr().String())
			set["ip4_netmask"] = cty.StringVal(netmask.Format(got.Bits()))
		} else {
			set["ip4_address"] = cty.NullVal(cty.String)
			set["ip4_netmask"] = cty.NullVal(cty.String)
		}
	}
	var s shaping.Shaping
	same := true
	switch {
	case f.Kind == contract.KindBridge:
		if s, err = readShaping(ns, l); err != nil {
			return f.raw, err
		}
		same = sameShaping(s, f.Shaping)
	case wired(f):
		if s, err = wireOf(n, f).Read(); err != nil {
			return f.raw, fmt.Errorf("reading its wire: %w", err)
		}
		same = vdewire.Same(s, f.Shaping)
	}
	if !same {
		set["capacity"], set["latency"], set["loss"] = cty.NullVal(cty.Number), cty.NullVal(cty.String), cty.NullVal(cty.Number)
		if s.Capacity != 0 {
			set["capacity"] = cty.NumberUIntVal(s.Capacity)
		}
		if s.Latency != 0 {
			set["latency"] = cty.StringVal(s.Latency.String())
		}
		if s.Loss != 0 {
			set["loss"] = cty.NumberFloatVal(s.Loss)
		}
	}
	if len(set) == 0 {
		return f.raw, nil
	}
	return setAttrs(f.raw, set), nil
}

// readShaping reads the shaping of l, a link in the node of ns.
func readShaping(ns nodeNS, l netlink.Link) (shaping.Shaping, error) {
	nh, nsh, err := ns.netHandle()
	if err != nil {
		return shaping.Shaping{}, err
	}
	defer nh.Close()
	defer nsh.Close()
	return shaping.Read(nh, l)
}

// sameShaping compares what Read returned with what was asked, allowing
// for the kernel's units (whole bytes per second, microseconds, loss in
// 2^-32 steps).
func sameShaping(got, want shaping.Shaping) bool {
	d := got.Latency - want.Latency.Round(time.Microsecond)
	dl := got.Loss - want.Loss
	return got.Capacity == want.Capacity/8*8 && d > -time.Microsecond && d < time.Microsecond && dl > -1e-6 && dl < 1e-6
}

// makeNodeDir makes node n's directory (pid files of its plugs, wires and
// startup command). Made, it keeps its parents from a prune: it is in
// them, and no delete removes another node's directory.
func makeNodeDir(n node) error {
	release, err := providers.MakeDir(n.layout().nodeDir(n.Name), 0o755)
	release()
	return err
}
