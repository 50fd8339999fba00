package hostnet

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// What the state (or a saved plan) records of a switch, port or TAP is
// input (providers.RecordedError): the provider acts on the host as root,
// and a recorded socket names the directory a delete removes and the
// management socket Read and Update talk to, a recorded pid the process a
// delete stops. Before it acts on a recorded value, checkRecorded makes
// sure the value names only what this experiment's provider makes:
//
//   - a socket (of a VDE switch, a port, a TAP) is RUN_DIR/switch/NAME.ctl
//     in the experiment's run directory, as lowering derives it, and
//     neither it nor its management socket, pid file or log leads out of
//     the run directory through a symbolic link: any other directory
//     would be removed by a delete, another experiment's switch managed;
//   - a process it names (a switch's vde_switch, in the private data or
//     in the switch's pid file; a TAP's vde_plug2tap), when it runs, is
//     the program benito starts for it, running as benito's user, with
//     the socket (and, for a plug, the TAP's name) among its arguments:
//     that ties it to this experiment's switch, so a pid copied from a
//     stranger, or from another experiment's switch, is refused instead
//     of stopped;
//   - a TAP's name is a device name (it names the plug's log file).
//
// Whether a device is the experiment's is checked where it is looked up
// (owner.go: contract.DeviceIsOurs).

// checkRecorded returns a *providers.RecordedError when v, a value of
// type typ recorded in the state or a saved plan, or priv, its private
// data, names something that is not this experiment's; nil for a null
// value and for what is not yet known (a planned value).
func (p *Provider) checkRecorded(typ string, v cty.Value, priv []byte) error {
	return p.checkRecordedBy(typ, v, priv, p.checkSocket)
}

// checkRecordedBy is checkRecorded, checking sockets with checkSocket (a
// request's socketChecks).
func (p *Provider) checkRecordedBy(typ string, v cty.Value, priv []byte, checkSocket func(string) error) error {
	if v == cty.NilVal || v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() {
		return nil
	}
	socket, hasSocket := known(v, "socket")
	switch typ {
	case contract.Switch:
		if kind, ok := known(v, "kind"); !ok || kind != kindVDE {
			return nil
		}
		if !hasSocket {
			return nil
		}
		if err := checkSocket(socket); err != nil {
			return providers.Recorded("socket", socket, "%v", err)
		}
		if m, ok := known(v, "management"); ok && m != mgmtPath(socket) {
			return providers.Recorded("management", m, "is not the management socket of switch %s, %s", socket, mgmtPath(socket))
		}
		if proc, ok := decodePrivate(priv); ok {
			if problem := notStarted(proc, "vde_switch", socket); problem != "" {
				return providers.Recorded("pid", strconv.Itoa(proc.Pid), "is %s; benito did not start it as the switch %s", problem, socket)
			}
		}
		if err := pidFileSwitch(socket); err != nil {
			return providers.Recorded("socket", socket, "%v", err)
		}
	case contract.Port:
		if !hasSocket {
			return nil
		}
		if err := checkSocket(socket); err != nil {
			return providers.Recorded("socket", socket, "%v", err)
		}
	case contract.Tap:
		name, hasName := known(v, "name")
		if hasName {
			if err := contract.CheckDeviceName(name); err != nil {
				return providers.Recorded("name", name, "is not a device name: %v", err)
			}
		}
		if hasSocket && socket != "" {
			if err := checkSocket(socket); err != nil {
				return providers.Recorded("socket", socket, "%v", err)
			}
		}
		if plug, ok := decodePrivate(priv); ok {
			var problem string
			if !hasSocket || socket == "" || !hasName {
				if plug.Alive() {
					problem = fmt.Sprintf("process %d (%q), and a TAP without a socket has no plug", plug.Pid, plug.CommandLine())
				}
			} else {
				problem = notStarted(plug, "vde_plug2tap", socket, name)
			}
			if problem != "" {
				return providers.Recorded("plug_pid", strconv.Itoa(plug.Pid), "is %s; benito did not start it as the plug of TAP %s", problem, name)
			}
		}
	}
	return nil
}

// checkSocket returns nil when socket is the control directory of a
// switch of this experiment: RUN_DIR/switch/NAME.ctl, whose files do not
// lead out of RUN_DIR through a symbolic link; else, in words that
// follow the socket, what is wrong.
func (p *Provider) checkSocket(socket string) error {
	runDir := p.runDirectory()
	switchDir := filepath.Join(runDir, "switch")
	name := filepath.Base(socket)
	if runDir == "" || filepath.Dir(socket) != switchDir || !strings.HasSuffix(name, ".ctl") || name == ".ctl" {
		return fmt.Errorf("is not the socket of a switch of this experiment (%s)", filepath.Join(switchDir, "NAME.ctl"))
	}
	if err := providers.Inside(runDir, socket); err != nil {
		return err
	}
	for _, f := range []string{mgmtPath(socket), pidPath(socket), logPath(socket)} {
		if err := providers.Inside(runDir, f); err != nil {
			return fmt.Errorf("has the file %s, which %v", f, err)
		}
	}
	return nil
}

// socketChecks is checkSocket for one request: each socket is checked
// once however many resources (a switch's ports) record it. Safe for
// concurrent use.
type socketChecks struct {
	p  *Provider
	mu sync.Mutex
	m  map[string]*socketCheck
}

type socketCheck struct {
	once sync.Once
	err  error
}

func (c *socketChecks) check(socket string) error {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*socketCheck{}
	}
	sc := c.m[socket]
	if sc == nil {
		sc = &socketCheck{}
		c.m[socket] = sc
	}
	c.mu.Unlock()
	sc.once.Do(func() { sc.err = c.p.checkSocket(socket) })
	return sc.err
}

// pidFileSwitch returns an error when the pid file of the switch at
// socket names a running process that is not that switch's vde_switch.
func pidFileSwitch(socket string) error {
	proc, err := daemon.FromPidFile(pidPath(socket))
	if err != nil {
		return nil // no file, or no such process: nothing to stop or adopt
	}
	if problem := notStarted(proc, "vde_switch", socket); problem != "" {
		return fmt.Errorf("has the pid file %s naming %s; benito leaves it running (remove the pid file)", pidPath(socket), problem)
	}
	return nil
}

// notStarted says why proc, when it runs, is not a process benito started
// as program for a switch (daemon.NotStarted).
var notStarted = daemon.NotStarted

// known returns v's string attribute name when it is known and not null.
func known(v cty.Value, name string) (string, bool) {
	if !v.Type().HasAttribute(name) {
		return "", false
	}
	a := v.GetAttr(name)
	if a.IsNull() || !a.IsKnown() || !a.Type().Equals(cty.String) {
		return "", false
	}
	return a.AsString(), true
}
