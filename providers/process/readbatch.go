package process

import (
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"

	"github.com/moby/sys/mountinfo"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// A read request holds many resources of each node (the node, its
// routes, its mounts, its startup). Each looks at the same few things of
// its node: the pins, the network stack, the mount table. nodeReads takes
// each of those once per node and request, when a resource first needs
// it, and every resource of the node is read from that one look: one
// check of the pins, one netlink socket in the node's network namespace
// (one dump of its links, addresses and main routing table, and its
// forwarding, asked of the same namespace), one read of its
// mountinfo. A resource is still checked (checkRecorded) before anything
// is looked at for it, and its node is found only by a valid name, at
// the experiment's pins (findNode).

// nodeReads is what one ReadResources has looked at of each node, by
// name. Safe for concurrent use; each look is taken once.
type nodeReads struct {
	p      *Provider
	mu     sync.Mutex
	nodes  map[string]*nodeLook
	mounts mountReaders
}

func newNodeReads(p *Provider) *nodeReads {
	return &nodeReads{p: p, nodes: map[string]*nodeLook{}}
}

// close ends what the request started (its mount readers).
func (r *nodeReads) close() { r.mounts.close() }

// nodeLook is one node as a request found it. Each part is taken on first
// use.
type nodeLook struct {
	p     *Provider
	reads *nodeReads
	name  string

	pinsOnce sync.Once
	ns       nodeNS // the pins, with the namespaces' inodes (findNode)
	nsErr    error

	netOnce sync.Once
	net     netLook
	netErr  error

	mntOnce sync.Once
	mounts  []*mountinfo.Info
	mntErr  error
}

// netLook is a node's network stack as one netlink socket in its network
// namespace dumped it.
type netLook struct {
	links   map[string]netlink.Link // by name
	byIndex map[int]netlink.Link
	addrs   []netlink.Addr // IPv4, in the kernel's order
	addrErr error          // the address dump failed
	routes  []netlink.Route
	routErr error // the route dump failed
	fwd     bool
	fwdErr  error
}

// node returns the look of node name, made on first use.
func (r *nodeReads) node(name string) *nodeLook {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.nodes[name]
	if l == nil {
		l = &nodeLook{p: r.p, reads: r, name: name}
		r.nodes[name] = l
	}
	return l
}

// pins returns the node's namespaces as findNode finds them.
func (l *nodeLook) pins() (nodeNS, error) {
	l.pinsOnce.Do(func() { l.ns, l.nsErr = l.p.findNode(l.name) })
	return l.ns, l.nsErr
}

// network returns the node's network stack: its links, IPv4 addresses,
// main table routes and forwarding, read through one netlink socket made
// in its network namespace (found by pins). An error is one of opening the
// namespace, or of listing its links; a failed address or route dump is
// kept for the resources that need it.
func (l *nodeLook) network() (*netLook, error) {
	l.netOnce.Do(func() {
		ns, err := l.pins()
		if err != nil {
			l.netErr = err
			return
		}
		l.netErr = ns.inNamespaces([]nsKind{kindNet}, func() error {
			// A netlink socket belongs to the network namespace of the
			// thread that makes it, this one.
			nh, err := netlink.NewHandle(unix.NETLINK_ROUTE)
			if err != nil {
				return fmt.Errorf("netlink in the node's network namespace: %w", err)
			}
			defer nh.Close()
			links, err := nh.LinkList()
			if err != nil {
				return fmt.Errorf("listing the node's links: %w", err)
			}
			n := &l.net
			n.links = make(map[string]netlink.Link, len(links))
			n.byIndex = make(map[int]netlink.Link, len(links))
			for _, k := range links {
				n.links[k.Attrs().Name] = k
				n.byIndex[k.Attrs().Index] = k
			}
			// As AddrList(link, FAMILY_V4) and RouteListFiltered(FAMILY_V4,
			// main table, destination) do, for all links and destinations:
			// an interrupted dump is an error.
			n.addrs, n.addrErr = nh.AddrList(nil, netlink.FAMILY_V4)
			n.routes, n.routErr = nh.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: syscall.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
			if n.routErr != nil {
				n.routErr = fmt.Errorf("listing routes: %w", n.routErr)
			}
			n.fwd, n.fwdErr = ipv4Forwarding()
			return nil
		})
	})
	return &l.net, l.netErr
}

// link returns the node's link named name, as LinkByName finds it (an
// alternative name counts).
func (n *netLook) link(name string) (netlink.Link, bool) {
	if k, ok := n.links[name]; ok {
		return k, true
	}
	for _, k := range n.byIndex {
		for _, alt := range k.Attrs().AltNames {
			if alt == name {
				return k, true
			}
		}
	}
	return nil, false
}

// addrsOf returns the IPv4 addresses of link k, as AddrList(k, FAMILY_V4)
// does.
func (n *netLook) addrsOf(k netlink.Link) ([]netlink.Addr, error) {
	if n.addrErr != nil {
		return nil, n.addrErr
	}
	var out []netlink.Addr
	for _, a := range n.addrs {
		if a.LinkIndex == k.Attrs().Index {
			out = append(out, a)
		}
	}
	return out, nil
}

// routesTo returns the main table's routes to dst, as
// RouteListFiltered(FAMILY_V4, main table and dst, RT_FILTER_TABLE|
// RT_FILTER_DST) does.
func (n *netLook) routesTo(dst *net.IPNet) ([]netlink.Route, error) {
	if n.routErr != nil {
		return nil, n.routErr
	}
	var out []netlink.Route
	for _, rt := range n.routes {
		if sameNet(rt.Dst, dst) {
			out = append(out, rt)
		}
	}
	return out, nil
}

// mountTable returns the mounts of the node's mount namespace, read once
// by one of the request's mount readers.
func (l *nodeLook) mountTable() ([]*mountinfo.Info, error) {
	l.mntOnce.Do(func() {
		ns, err := l.pins()
		if err != nil {
			l.mntErr = err
			return
		}
		l.mounts, l.mntErr = l.reads.mounts.read(ns)
	})
	return l.mounts, l.mntErr
}

// mountReaders are a request's threads that read nodes' mount tables. A
// thread joins a node's mount namespace to read its mountinfo (inMountNS),
// and cannot go back: it ends afterwards. Rather than a thread made and
// ended per node, each reader thread leaves the provider's file system
// attributes once and goes from node to node, reading what it is sent,
// until the request ends (close). The namespace a reader joins is opened
// by the node's reading goroutine, in the provider's own mount namespace,
// where the pins are (a node's mount namespace has none).
type mountReaders struct {
	start sync.Once
	jobs  chan mountJob
	done  sync.WaitGroup
	proc  *os.File // the host's /proc (mountsOf)
	err   error    // /proc could not be opened
}

// mountReaderThreads is how many threads read mount tables at once.
const mountReaderThreads = 4

type mountJob struct {
	fd    int // the node's mount namespace
	reply chan mountReply
}

type mountReply struct {
	mounts []*mountinfo.Info
	err    error
}

// read returns the mounts of the mount namespace of ns.
func (m *mountReaders) read(ns nodeNS) ([]*mountinfo.Info, error) {
	m.start.Do(m.run)
	if m.err != nil {
		return nil, m.err
	}
	fd, err := ns.open(kindMnt)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	reply := make(chan mountReply, 1)
	m.jobs <- mountJob{fd: fd, reply: reply}
	r := <-reply
	return r.mounts, r.err
}

// run starts the reader threads.
func (m *mountReaders) run() {
	m.proc, m.err = os.Open("/proc")
	if m.err != nil {
		return
	}
	m.jobs = make(chan mountJob)
	for range mountReaderThreads {
		m.done.Add(1)
		go func() {
			defer m.done.Done()
			onThread(func() bool {
				// The thread is not given back: it leaves the
				// provider's file system attributes and namespace.
				left := unix.Unshare(unix.CLONE_FS)
				if left != nil {
					left = fmt.Errorf("leaving the provider's file system attributes: %w", left)
				}
				for j := range m.jobs {
					j.reply <- readMountsIn(j.fd, m.proc, left)
				}
				return false
			})
		}()
	}
}

// readMountsIn is a reader thread's work for one node: join the mount
// namespace fd, read its mountinfo through proc.
func readMountsIn(fd int, proc *os.File, left error) mountReply {
	if left != nil {
		return mountReply{err: left}
	}
	if err := unix.Setns(fd, unix.CLONE_NEWNS); err != nil {
		return mountReply{err: fmt.Errorf("joining the node's mount namespace: %w", err)}
	}
	ms, err := mountsOf(proc)
	return mountReply{mounts: ms, err: err}
}

// close ends the reader threads, once no read is under way.
func (m *mountReaders) close() {
	m.start.Do(func() {}) // none started after this
	if m.jobs != nil {
		close(m.jobs)
		m.done.Wait()
	}
	if m.proc != nil {
		m.proc.Close()
	}
}

// sameNet reports whether a and b are the same destination, as the
// netlink package's route filter compares them.
func sameNet(a, b *net.IPNet) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	m1, _ := a.Mask.Size()
	m2, _ := b.Mask.Size()
	return m1 == m2 && a.IP.Equal(b.IP)
}

// netconf attributes (linux/netconf.h), which x/sys/unix lacks.
const (
	netconfaIfindex    = 1
	netconfaForwarding = 2
	netconfaIfindexAll = -1 // the "all" settings: net.ipv4.ip_forward
)

// netconfMsg is struct netconfmsg, padded as netlink aligns it.
type netconfMsg struct{ family uint8 }

func (m netconfMsg) Len() int          { return 4 }
func (m netconfMsg) Serialize() []byte { return []byte{m.family, 0, 0, 0} }

// ipv4Forwarding returns the IPv4 forwarding of the calling thread's
// network namespace, what ip_forward shows (ipForward), as the kernel's
// netconf (RTM_GETNETCONF for all interfaces) reports it: one netlink
// exchange instead of an open of /proc/sys in a namespace the thread has
// just joined, which costs the kernel far more.
func ipv4Forwarding() (bool, error) {
	req := nl.NewNetlinkRequest(unix.RTM_GETNETCONF, unix.NLM_F_ACK)
	req.AddData(netconfMsg{family: unix.AF_INET})
	all := int32(netconfaIfindexAll)
	req.AddData(nl.NewRtAttr(netconfaIfindex, nl.Uint32Attr(uint32(all))))
	msgs, err := req.Execute(unix.NETLINK_ROUTE, unix.RTM_NEWNETCONF)
	if err != nil {
		return false, fmt.Errorf("reading ip_forward: %w", err)
	}
	for _, m := range msgs {
		if len(m) < 4 {
			continue
		}
		attrs, err := nl.ParseRouteAttr(m[4:])
		if err != nil {
			return false, fmt.Errorf("reading ip_forward: %w", err)
		}
		for _, a := range attrs {
			if a.Attr.Type == netconfaForwarding && len(a.Value) >= 4 {
				return nl.NativeEndian().Uint32(a.Value[:4]) == 1, nil
			}
		}
	}
	return false, fmt.Errorf("reading ip_forward: the kernel's answer has no forwarding")
}
