package process

import (
	"fmt"

	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/sys/unix"
)

// Container is what a platform whose nodes are programs of their own adds
// to this provider's engine: an OS container (providers/openvz), whose
// first process is born in new network, UTS, mount, PID and IPC
// namespaces and becomes the node's init. The engine pins that process's
// network, UTS and mount namespaces where it pins a process node's, and
// does the rest as for process nodes: interfaces, addresses, shaping,
// routes, the hosts file's readers, mounts, the startup command, benito
// exec, deletes, and sweeps. The Container does what a container has
// beyond a process node: its root file system, its init, its limits.
//
// A provider built with NewContainer serves the vnodes, routes, mounts
// and startup commands of nodes of the Container's type. Its files are
// laid out by type (layout), so that it and the process provider never
// take each other's nodes for their own.
type Container interface {
	// Type is the node type served (contract.NodeOpenVZ); Kind names
	// such nodes for people ("OpenVZ").
	Type() string
	Kind() string
	// Configure takes the site's defaults (a site block's keys).
	Configure(site map[string]string) error
	// Computed are the vnode attributes the container adds, computed
	// ones; ForceNew are the vnode attributes whose change needs a new
	// node, beyond the engine's (name, type, run_dir, hosts_file, ...;
	// memory and cpus are the container's to say).
	Computed() map[string]*providers.Attribute
	ForceNew() []string
	// Validate checks a vnode's configuration (known), for the node
	// type's own attributes; the engine sets the diagnostics' address.
	Validate(cfg cty.Value) providers.Diagnostics
	// Plan returns the vnode's computed attributes known at plan, from
	// its proposed value; Replace, the paths whose planned change (from
	// prior) needs a new node beyond ForceNew's (a site default's);
	// Fresh, the computed attributes a new node has anew (unknown until
	// it runs), for a planned replacement.
	Plan(proposed cty.Value) map[string]cty.Value
	Replace(prior, planned cty.Value) []cty.Path
	Fresh() map[string]cty.Value
	// Start makes what the node stands on (its root file system) and
	// starts its first process, born in the node's cgroup (Node.Group)
	// and in new namespaces, held before it runs the node's init until
	// Run. It returns that process and the attributes to record. A
	// failure may return attributes too: the engine records the node
	// (tainted) with them, and the next apply deletes it. Start runs
	// while the engine holds providers.MakeDir, so no directory it makes
	// under the run directory is pruned meanwhile; it must not call
	// MakeDir itself (a second read hold deadlocks against a waiting
	// Prune).
	Start(n Node) (daemon.Process, map[string]cty.Value, error)
	// Run lets the node's init run, once its network is set up.
	Run(n Node) error
	// Update changes in place what can change in a running node (its
	// limits), from prior to n.Config, returning the attributes to
	// record.
	Update(n Node, prior cty.Value) (map[string]cty.Value, error)
	// Read reads the node (n.Config as recorded) back: alive false when
	// its init is gone (the node reads as gone, and the next apply makes
	// it anew); set, the attributes that read back otherwise.
	Read(n Node) (set map[string]cty.Value, alive bool, err error)
	// Stop asks the node's init to end, and waits for it a while, before
	// the engine kills what is left of the node.
	Stop(n Node)
	// Remove removes what Start made on the host beyond the engine's (a
	// root file system), once the node's processes are gone and its pins
	// unmounted; what is gone is no error. Remains reports whether any of
	// it is left. Only Name, RunDir, Dir, Group and Log of n are set.
	Remove(n Node) error
	Remains(n Node) bool
	// Prune removes the container's directories of the experiment
	// whose run directory is runDir once they are empty; the engine
	// calls it within providers.Prune, after a delete or a sweep.
	Prune(runDir string)
	// Found adds to a Sweep's findings the nodes of which Remove would
	// remove something.
	Found(runDir string, found providers.FoundNodes)
	// Init returns the node's init, running; an error when it is gone.
	// The engine enters its PID and IPC namespaces to run a command in
	// the node, once it has checked that its network namespace is the
	// node's. Only Name, RunDir, Dir, Group and Log of n are set.
	Init(n Node) (daemon.Process, error)
}

// Node is a vnode of a Container's, as its methods see it.
type Node struct {
	Name   string
	RunDir string
	// HostsFile is the experiment's hosts file, to bind over the node's
	// /etc/hosts read-only; "" for none.
	HostsFile string
	// Config is the vnode's value: planned, or as recorded.
	Config cty.Value
	// Dir is the node's directory (made before Start; removed after
	// Remove), for the container's pid files. Group is the cgroup every
	// process of the node is born in; Log is the node's log (0600), for
	// its init's output.
	Dir   string
	Group daemon.Group
	Log   string
}

// NewContainer returns an unconfigured provider of ct's node type.
func NewContainer(ct Container) *Provider {
	return &Provider{schema: buildSchemaFor(ct), typ: ct.Type(), ct: ct}
}

// kind names the provider's nodes for people.
func (p *Provider) kind() string {
	if p.ct != nil {
		return p.ct.Kind()
	}
	return "process"
}

// containerNode is the Node of n, of value v (cty.NilVal when only its
// name and place are known).
func containerNode(n node, v cty.Value) Node {
	l := n.layout()
	return Node{Name: n.Name, RunDir: n.RunDir, HostsFile: n.HostsFile, Config: v, Dir: l.nodeDir(n.Name), Group: l.nodeGroup(n.Name), Log: l.nodeLog(n.Name)}
}

// startContainer starts a Container's node n: its first process, whose
// namespaces are pinned as the node's.
func (p *Provider) startContainer(n node, planned cty.Value) (nodeNS, map[string]cty.Value, error) {
	l := n.layout()
	// The pins' paths, recorded whatever happens: a failed create is
	// recorded, and its delete looks there.
	ns := nodeNSAt(l, n.Name)
	if err := makeNodeDir(n); err != nil {
		return ns, nil, err
	}
	release, err := providers.MakeDir(l.logDir(), 0o755)
	if err != nil {
		return ns, nil, err
	}
	proc, attrs, err := p.ct.Start(containerNode(n, planned))
	release()
	if err != nil {
		return ns, attrs, err
	}
	ns, err = adoptNamespaces(n, proc)
	if err != nil {
		return ns, attrs, fmt.Errorf("%s node %s: %w", p.kind(), n.Name, err)
	}
	return ns, attrs, nil
}

// checkType returns an error when a recorded vnode is not of the
// provider's node type: its type says where its pins are (layout).
func (p *Provider) checkType(v cty.Value) error {
	if t, ok := known(v, "type"); ok && t != p.typ {
		return providers.Recorded("type", t, "is not the node type this provider serves, %q", p.typ)
	}
	return nil
}

// initEnterArgs are nsenter's options that put a command in the PID and
// IPC namespaces of the init of ct's node whose namespaces ns pins.
func initEnterArgs(ct Container, l layout, name string, ns nodeNS) ([]string, error) {
	init, err := ct.Init(containerNode(node{Name: name, RunDir: l.runDir, Type: l.typ}, cty.NilVal))
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	dir := fmt.Sprintf("/proc/%d/ns/", init.Pid)
	if err := unix.Stat(dir+kindNet.name, &st); err != nil || st.Ino != ns.Inodes[indexOf(kindNet)] || !init.Alive() {
		return nil, fmt.Errorf("its init (process %d) is not in its network namespace: the node was made anew, or its init ended", init.Pid)
	}
	return []string{"--pid=" + dir + "pid", "--ipc=" + dir + "ipc"}, nil
}
