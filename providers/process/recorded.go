package process

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// What the state records of a process node and its resources is input
// (providers.RecordedError): the provider acts on the host as root, and a
// recorded run_dir, node name or pid names what it enters, changes, kills
// and removes. Before it acts on a recorded value, checkRecorded makes
// sure the value names only what this experiment's provider makes:
//
//   - a vnode's run_dir is the experiment's run directory (the one the
//     provider was configured with), and its name one path element, so
//     that its pins (RUN_DIR/ns/KIND/NODE) are the experiment's and not
//     another experiment's or `ip netns`'s: a pin elsewhere would have
//     benito set addresses in, and kill every process of, a namespace it
//     never made; and the "namespaces" recorded are those pins (benito
//     exec shows them). (That no symbolic link in the run directory leads
//     the pins elsewhere is checked wherever a pin is looked at: inspect.)
//   - a vnode's interface names are device names (they name files in
//     the node's directory: "..", its parent, was every node's);
//   - a route's, mount's or startup's node is one path element (a node
//     name with "../" reached pins anywhere);
//   - a startup's log is inside the run directory (a delete removes it),
//     and its process (pid, start_time), if one by that pid and start
//     time is running, carries the node's mark (nodeEnv) in its
//     environment and runs as the provider's user, as the startup
//     commands the provider starts do: a pid and start time copied from a
//     stranger's process in /proc are refused instead of killed.
//
// The pid files in a node's directory (plugs, the startup command) are
// benito's own, in the run directory benito makes and only root may
// write. Still, the process one names is stopped only when it is the one
// benito started there (pidFileProcess): of the same start time, running
// as benito's user, and carrying the node's mark or, for the programs
// that run without it, running that program. A wire's pid files are in
// its own directory (wireOf), and internal/vdewire checks them likewise
// (the program, with the wire's socket among its arguments).

// checkRecorded returns a *providers.RecordedError when v, a value of
// type typ recorded in the state or a saved plan, names something that
// is not this experiment's; nil for a null value and for what is not yet
// known (a planned value).
func (p *Provider) checkRecorded(typ string, v cty.Value) error {
	if v == cty.NilVal || v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() {
		return nil
	}
	_, runDir := p.config()
	switch typ {
	case contract.VNode:
		name, ok := known(v, "name")
		if !ok {
			return nil
		}
		if !providers.ValidNodeName(name) {
			return providers.Recorded("name", name, "is not a node name (one path element)")
		}
		if err := p.checkType(v); err != nil {
			return err
		}
		if rd, ok := known(v, "run_dir"); ok && rd != runDir {
			return providers.Recorded("run_dir", rd, "is not this experiment's run directory, %s (a node is the experiment's only under it; if run_root changed since the node was made, set it back to destroy the node)", runDir)
		}
		if ifs := attrOf(v, "interfaces"); !ifs.IsNull() && ifs.IsKnown() && ifs.CanIterateElements() {
			for i, it := 0, ifs.ElementIterator(); it.Next(); i++ {
				_, iv := it.Element()
				// The name is a file name in the node's directory (its
				// plug's and wire's): ".." was its parent, all nodes'.
				if f, ok := known(iv, "name"); ok && contract.CheckDeviceName(f) != nil {
					return &providers.RecordedError{Attribute: cty.GetAttrPath("interfaces").IndexInt(i).GetAttr("name"), Value: f, Problem: "is not an interface name the kernel accepts"}
				}
			}
		}
		pins := nodeNSAt(p.lay(), name)
		recorded := attrOf(v, "namespaces")
		for i, k := range nsKinds {
			attr := cty.GetAttrPath("namespaces").GetAttr(k.name)
			if f, ok := known(recorded, k.name); ok && f != pins.Files[i] {
				return &providers.RecordedError{Attribute: attr, Value: f, Problem: fmt.Sprintf("is not the pin of node %s, %s", name, pins.Files[i])}
			}
		}
	case contract.Route, contract.Mount:
		if node, ok := known(v, "node"); ok && !providers.ValidNodeName(node) {
			return providers.Recorded("node", node, "is not a node name (one path element)")
		}
	case contract.Startup:
		node, ok := known(v, "node")
		if !ok {
			return nil
		}
		if !providers.ValidNodeName(node) {
			return providers.Recorded("node", node, "is not a node name (one path element)")
		}
		if log, ok := known(v, "log"); ok {
			if err := providers.Inside(runDir, log); err != nil {
				return providers.Recorded("log", log, "%v", err)
			}
		}
		if proc := processOf(v); proc.Alive() {
			if problem := notStartedFor(proc, nodeNSAt(p.lay(), node)); problem != "" {
				return providers.Recorded("pid", strconv.Itoa(proc.Pid), "%s; benito did not start it as the startup command of node %s", problem, node)
			}
		}
	}
	return nil
}

// notStartedFor says why the running process proc is not one the
// provider started in the node of ns: it lacks the node's mark, or runs
// as another user; "" when it is.
func notStartedFor(proc daemon.Process, ns nodeNS) string {
	what := fmt.Sprintf("is process %d (%q)", proc.Pid, proc.CommandLine())
	if !markedFor(proc.Pid, ns.file(kindNet)) {
		if ended(proc) {
			return "" // nothing left to stop
		}
		return fmt.Sprintf("%s, which does not carry the node's mark %s in its environment", what, ns.mark())
	}
	if uid, ok := proc.UID(); (!ok || uid != os.Getuid()) && proc.Alive() {
		return fmt.Sprintf("%s, which runs as another user", what)
	}
	// Were proc to end and its pid go to a marked process between the
	// caller's check of its start time and the reading of the mark, Stop
	// would still not signal the newcomer: it checks the start time.
	return ""
}

// known returns v's string attribute name when it is known and not null.
func known(v cty.Value, name string) (string, bool) {
	a := attrOf(v, name)
	if a.IsNull() || !a.IsKnown() || !a.Type().Equals(cty.String) {
		return "", false
	}
	return a.AsString(), true
}

// unmarkedPrograms are the programs benito starts for a node without its
// mark (they run on the host, started by programs that daemonize
// themselves): a VDE hub, and the wirefilter joining it to the switch.
// Their pid files are in the wire's directory now, which vdewire checks;
// an older benito kept them in the node's directory (hub.IFACE,
// wire.IFACE), where a delete still reads them.
var unmarkedPrograms = map[string]bool{"vde_switch": true, "wirefilter": true}

// pidFileProcess returns nil when p, named by the pid file file in a
// node's directory (nodeDir), is a process benito started for that node,
// or is not running (there is nothing to stop); else an error saying
// what it is and what to do.
func pidFileProcess(file string, p daemon.Process) error {
	if !p.Alive() {
		return nil
	}
	dir := filepath.Dir(file)
	// nodeDir is RUN_DIR/TYPE/NODE.
	ns := nodeNSAt(layout{filepath.Dir(filepath.Dir(dir)), filepath.Base(filepath.Dir(dir))}, filepath.Base(dir))
	if uid, ok := p.UID(); ok && uid == os.Getuid() && (markedFor(p.Pid, ns.file(kindNet)) || unmarkedPrograms[p.Name()]) {
		return nil
	}
	if ended(p) {
		return nil
	}
	return fmt.Errorf("the pid file %s names process %d (%q), which benito did not start there (it is neither marked %s nor a VDE hub or wirefilter, running as benito's user); benito left it running. "+
		"The file was changed outside benito: remove it, and stop what benito started for the node by hand if anything is left", file, p.Pid, p.CommandLine(), ns.mark())
}

// endWait bounds how long ended waits for a process that is exiting.
const endWait = 500 * time.Millisecond

// ended reports whether process p, found not to be benito's, has ended
// since, or was ending: an exiting process has given up its memory
// before it is a zombie, so its environment reads empty and its mark
// cannot be seen (a plug whose switch went away, killed as the check
// ran). Such a process is waited for, up to endWait. A process that has
// its environment is not waited for: the check stands.
func ended(p daemon.Process) bool {
	env := "/proc/" + strconv.Itoa(p.Pid) + "/environ"
	for deadline := time.Now().Add(endWait); p.Alive(); time.Sleep(5 * time.Millisecond) {
		if b, err := os.ReadFile(env); (err == nil && len(b) > 0) || time.Now().After(deadline) {
			return false
		}
	}
	return true
}
