package process

import (
	"path/filepath"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/providers"
)

// layout is where the engine keeps the things of one node type's nodes
// in an experiment: the type served (process, or a Container's, such as
// openvz) decides the directories, so that two platforms built on the
// engine never take each other's nodes for their own (Sweep).
//
//	                 process                   another type T
//	pins             RUN_DIR/ns/KIND/NODE      RUN_DIR/ns-T/KIND/NODE
//	node directory   RUN_DIR/process/NODE      RUN_DIR/T/NODE
//	log              RUN_DIR/log/NODE.log      RUN_DIR/log/T/NODE.log
//	cgroup           providers.Group(RUN_DIR, TYPE, NODE)
type layout struct {
	runDir string // the experiment's run directory
	typ    string // the node type
}

// pinDir is the experiment's pin directory.
func (l layout) pinDir() string {
	if l.typ == contract.NodeProcess {
		return filepath.Join(l.runDir, "ns")
	}
	return filepath.Join(l.runDir, "ns-"+l.typ)
}

// nodesDir holds the node directories.
func (l layout) nodesDir() string { return filepath.Join(l.runDir, l.typ) }

// nodeDir holds a node's pid files.
func (l layout) nodeDir(node string) string { return filepath.Join(l.nodesDir(), node) }

// logDir holds the nodes' logs.
func (l layout) logDir() string {
	if l.typ == contract.NodeProcess {
		return filepath.Join(l.runDir, "log")
	}
	return filepath.Join(l.runDir, "log", l.typ)
}

// nodeLog is where a node's plugs (and a container's init) write.
func (l layout) nodeLog(node string) string { return filepath.Join(l.logDir(), node+".log") }

// nodeGroup is the cgroup every process benito starts for node (its plugs,
// hubs, wirefilters, startup command, a container's init) is born in, with
// what they fork: found from the host alone after a crash, whatever pid
// file was or was not written.
func (l layout) nodeGroup(node string) daemon.Group {
	return providers.Group(l.runDir, l.typ, node)
}

func (l layout) startupPidFile(node string) string {
	return filepath.Join(l.nodeDir(node), "startup")
}

func (l layout) startupStatusFile(node string) string {
	return filepath.Join(l.nodeDir(node), "startup.status")
}
