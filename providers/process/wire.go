package process

import (
	"fmt"
	"path/filepath"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/shaping"
	"github.com/benito-net/benito/internal/vdewire"
)

// A shaped interface on a VDE switch is plugged through a wire
// (internal/vdewire): a private hub that the node's vde_plug2tap joins,
// and a wirefilter between the hub and the node's port on the switch,
// shaping the node's egress. Values change in place through wirefilter's
// management socket.
//
// Files, per interface: RUN_DIR/process/NODE/IFACE/ is the wire's
// directory (the hub's control directory, wirefilter's management socket,
// their pid files); a delete finds it in the node's directory
// (stopPidFiles), the plug's pid file beside it.

// wired reports whether f is plugged through a wire.
func wired(f iface) bool { return f.Kind == contract.KindVDE && !f.Shaping.IsZero() }

// wireOf is f's wire, in the node's directory and born in its cgroup.
func wireOf(n node, f iface) vdewire.Wire {
	return vdewire.Wire{
		Dir:     filepath.Join(n.layout().nodeDir(n.Name), f.Name),
		Switch:  f.VDESocket,
		Port:    f.VDEPort,
		Shaping: f.Shaping,
		Group:   n.layout().nodeGroup(n.Name),
	}
}

// vdePlumbed reports whether f's plugs are all running: the plug into the
// port, or the plug into the hub, the hub and the wirefilter.
func vdePlumbed(n node, f iface) bool {
	alive, target := plugState(n, f)
	if !wired(f) {
		return alive && target == f.VDESocket
	}
	w := wireOf(n, f)
	return alive && target == w.Hub() && w.Working()
}

// ensurePlugs makes f's plugs run and its wire's values match, repairing
// only what is missing: a latency change on a working wire is a few
// commands on the management socket; the TAP, its plug and the switch
// port are untouched. Going from unshaped to shaped (or back) re-plugs
// the TAP, and so does newTap: the TAP was just made, and a plug still
// running holds the one it replaced.
func ensurePlugs(ns nodeNS, n node, f iface, newTap bool) error {
	// The node's directory holds the pid files and the wire; made, it
	// keeps its parents from a prune: it is in them, and no delete
	// removes another node's directory.
	if err := makeNodeDir(n); err != nil {
		return err
	}
	if !wired(f) {
		alive, target := plugState(n, f)
		replug := newTap || !alive || target != f.VDESocket
		if replug {
			// Stopped before its hub, if it was on one.
			if err := stopPlug(n, f); err != nil {
				return err
			}
		}
		if err := stopWire(n, f); err != nil {
			return err
		}
		if replug {
			return startPlug(ns, n, f, f.VDESocket, f.VDEPort)
		}
		return nil
	}
	w := wireOf(n, f)
	if !w.HubAlive() {
		// The plug goes before its hub.
		if err := stopPlug(n, f); err != nil {
			return err
		}
		if err := stopWire(n, f); err != nil {
			return err
		}
	}
	hubStarted, err := w.Ensure()
	if err != nil {
		return err
	}
	if alive, target := plugState(n, f); newTap || hubStarted || !alive || target != w.Hub() {
		return startPlug(ns, n, f, w.Hub(), 0)
	}
	return nil
}

// stopWire stops f's wirefilter and hub and removes their files. What is
// already gone is no error.
func stopWire(n node, f iface) error {
	if err := wireOf(n, f).Stop(); err != nil {
		return fmt.Errorf("stopping the wire of %s: %w", f.Name, err)
	}
	return nil
}

// shapingProblem says why f's shaping cannot be carried out on this host,
// or returns "": latency or loss on a bridge needs the kernel's netem
// qdisc; any shaping on a VDE switch needs wirefilter.
func shapingProblem(f iface) string {
	switch {
	case f.Kind == contract.KindBridge && (f.Shaping.Latency != 0 || f.Shaping.Loss != 0):
		ok, err := shaping.NetemAvailable()
		if err != nil {
			// The probe could not run (not root?): apply will tell.
			return ""
		}
		if !ok {
			return `it asks for latency or loss on a bridge switch, but this kernel has no netem qdisc (kernel module sch_netem, CONFIG_NET_SCH_NETEM); ` +
				`put the link on a VDE switch (kind = "vde"), where benito delays packets with wirefilter, or load the module (modprobe sch_netem), or use a kernel built with it`
		}
	case wired(f):
		if err := vdewire.Available(); err != nil {
			return err.Error()
		}
	}
	return ""
}
