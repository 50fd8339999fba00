package process

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// enterArgs are nsenter's arguments that put a command in all of a node's
// namespaces.
func (h holder) enterArgs() []string {
	args := []string{"--net=" + h.nsPath("net"), "--uts=" + h.nsPath("uts")}
	if own, err := os.Readlink(h.nsPath("mnt")); err == nil {
		if host, err := os.Readlink("/proc/self/ns/mnt"); err == nil && own != host {
			args = append(args, "--mount="+h.nsPath("mnt"))
		}
	}
	return args
}

// applyStartup runs the node's startup command (sh -c) inside the node,
// detached, in a session of its own, its output appended to the log. A
// changed command replaces the resource: the old command is stopped and
// the new one run.
func (p *Provider) applyStartup(prior, planned cty.Value) (cty.Value, error) {
	if !prior.IsNull() {
		if err := processOf(prior).Stop(time.Second); err != nil {
			return prior, err
		}
		_, runDir := p.config()
		os.Remove(filepath.Join(nodeDir(runDir, str(prior, "node")), "startup"))
		if planned.IsNull() {
			if log := str(prior, "log"); log != "" {
				if err := os.Remove(log); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return prior, err
				}
				os.Remove(filepath.Dir(log)) // only when empty
			}
			return cty.NilVal, nil
		}
	}
	node, command, log := str(planned, "node"), str(planned, "command"), str(planned, "log")
	h, err := p.findHolder(node)
	if err != nil {
		return cty.NilVal, err
	}
	args := append(h.enterArgs(), "--", "/bin/sh", "-c", command)
	// The log directory stays until the log is in it.
	release, err := providers.MakeDir(filepath.Dir(log), 0o755)
	if err != nil {
		return cty.NilVal, err
	}
	proc, err := daemon.Start(daemon.Spec{Path: "nsenter", Args: args, Env: h.env(), Log: log, Dir: "/"})
	release()
	if err != nil {
		return cty.NilVal, fmt.Errorf("running the startup command of node %s: %w", node, err)
	}
	// The node's directory names it too, so that a node re-created after
	// its holder died stops it (see cleanupStale).
	_, runDir := p.config()
	if err := writePidFile(filepath.Join(nodeDir(runDir, node), "startup"), proc, ""); err != nil {
		proc.Stop(0)
		return cty.NilVal, err
	}
	return setAttrs(planned, map[string]cty.Value{
		"pid":        cty.NumberIntVal(int64(proc.Pid)),
		"start_time": cty.NumberUIntVal(proc.StartTime),
		"holder":     cty.StringVal(h.String()),
	}), nil
}

// readStartup returns null when the node the command ran in is gone (a
// re-created node runs its startup again). A command that has finished is
// not drift: startup commands may well end.
func (p *Provider) readStartup(cur cty.Value) (cty.Value, error) {
	h, err := p.findHolder(str(cur, "node"))
	if err != nil || h.String() != str(cur, "holder") {
		return cty.NilVal, nil
	}
	return cur, nil
}
