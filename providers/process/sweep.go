package process

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/netdev"
	"github.com/benito-net/benito/providers"
)

// groupKillTimeout bounds the wait for a cgroup to empty.
const groupKillTimeout = daemon.KillWait

// Sweep lists the nodes of the experiment the host holds, found from the
// host alone: by their pins (RUN_DIR/ns/KIND/NODE), their directories
// (RUN_DIR/process/NODE), their logs (RUN_DIR/log/NODE.log) and their
// cgroups (nodeGroup); each is a vnode whose name is the node's. A node
// in req.Remove is removed first as a delete removes it: its processes,
// pins and files (its veths go with its namespace).
func (p *Provider) Sweep(_ context.Context, req providers.SweepRequest) providers.SweepResponse {
	l := p.lay()
	runDir := l.runDir
	var resp providers.SweepResponse
	if runDir == "" {
		return resp
	}
	removed := false
	for _, o := range req.Remove {
		if o.Type != contract.VNode || o.KeyAttribute != "name" {
			continue
		}
		if !providers.ValidNodeName(o.Key) {
			resp.Diagnostics = append(resp.Diagnostics, providers.Errorf("", "not removing node %q: not a node name", o.Key)...)
			continue
		}
		deleteVeths(l, o.Key)
		err := p.removeNode(node{Name: o.Key, RunDir: runDir, Type: l.typ}, nil)
		if err == nil {
			if err = os.Remove(l.startupLog(o.Key)); errors.Is(err, fs.ErrNotExist) {
				err = nil
			}
		}
		if err != nil {
			resp.Diagnostics = append(resp.Diagnostics, providers.Errorf("", "removing node %s: %v", o.Key, err)...)
		}
		removed = true
	}
	if removed {
		p.pruneRunDir(l)
	}
	found := providers.FoundNodes{}
	for _, k := range nsKinds {
		names, _ := dirNames(filepath.Join(l.pinDir(), k.name))
		for _, n := range names {
			found.Add(n, "namespace pins under "+l.pinDir())
		}
	}
	names, _ := dirNames(l.nodesDir())
	for _, n := range names {
		found.Add(n, "directory "+l.nodeDir(n))
	}
	names, _ = dirNames(l.logDir())
	for _, n := range names {
		// NODE.log, and NODE.startup.log (startupLog).
		if node, ok := strings.CutSuffix(n, ".startup.log"); ok {
			found.Add(node, "log "+l.startupLog(node))
		} else if node, ok := strings.CutSuffix(n, ".log"); ok {
			found.Add(node, "log "+l.nodeLog(node))
		}
	}
	if p.ct != nil {
		p.ct.Found(runDir, found)
	}
	resp.Diagnostics = append(resp.Diagnostics, found.AddGroups(runDir, l.typ)...)
	resp.Objects = found.Objects(p.kind())
	return resp
}

// deleteVeths deletes the veths of node (pinned) from inside it, which
// takes their host ends with them at once: the state that named the host
// ends is not there, and a namespace let go takes its devices with it only
// in the kernel's own time.
func deleteVeths(l layout, node string) {
	ns, err := nodeNSAt(l, node).check()
	if err != nil {
		return
	}
	nh, nsh, err := ns.netHandle()
	if err != nil {
		return
	}
	defer nsh.Close()
	defer nh.Close()
	links, _ := netdev.Links(nh)
	for _, l := range links {
		if l.Type() == "veth" {
			nh.LinkDel(l)
		}
	}
}

// startupLog is where lowering puts the log of node's startup command: in
// the log directory of the node's type.
func (l layout) startupLog(node string) string {
	return filepath.Join(l.logDir(), node+".startup.log")
}

// dirNames returns the names in dir; none when it does not exist.
func dirNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, err
}

// pruneRunDir removes the experiment's directories of nodes, and its
// cgroups, once empty, so that a destroy leaves none behind.
func (p *Provider) pruneRunDir(l layout) {
	providers.Prune(func() {
		prunePinDir(l)
		if p.ct != nil {
			p.ct.Prune(l.runDir)
		}
		for _, d := range []string{l.nodesDir(), l.logDir(), filepath.Join(l.runDir, "log"), l.runDir} {
			os.Remove(d)
		}
		providers.PruneRoot(filepath.Dir(l.runDir))
		if g, err := providers.ExperimentGroup(l.runDir, l.typ); err == nil {
			g.Prune()
		}
	})
}
