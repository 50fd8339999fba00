package vdewire

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/shaping"
	"github.com/benito-net/benito/internal/vdemgmt"
)

// Timeout bounds starting a hub or a wirefilter, and one exchange on
// wirefilter's management socket. It catches a program that hangs, not a
// slow one: on a loaded host of two cores, a hundred nodes starting their
// wires at once took more than 5 s for some (the process was killed at the
// deadline and the apply failed).
const Timeout = 15 * time.Second

// Wire is a shaped attachment to one port of a VDE switch.
type Wire struct {
	// Dir holds the hub's control directory, wirefilter's management
	// socket and the pid files; Ensure makes it (with its parents: a
	// caller whose parents another may prune holds them), Stop removes
	// it. It is the wire's identity: one directory, one wire.
	Dir string
	// Switch is the switch's control directory (what vde_switch -s got).
	Switch string
	// Port is the port on the switch.
	Port int
	// Shaping is what the packets going L->R (hub to switch) get.
	Shaping shaping.Shaping
	// Group is the cgroup the hub and the wirefilter are born in.
	Group daemon.Group
}

// Hub returns the hub's control directory: what the endpoint
// (vde_plug2tap -s, QEMU's -netdev vde,sock=) joins.
func (w Wire) Hub() string { return filepath.Join(w.Dir, "wire.ctl") }

// Mgmt returns the path of wirefilter's management socket.
func (w Wire) Mgmt() string { return filepath.Join(w.Dir, "wire.mgmt") }

// benito's pid files, and the ones the daemons write themselves.
func (w Wire) hubPidFile() string     { return filepath.Join(w.Dir, "hub.benito") }
func (w Wire) wirePidFile() string    { return filepath.Join(w.Dir, "wire.benito") }
func (w Wire) hubOwnPidFile() string  { return filepath.Join(w.Dir, "hub.pid") }
func (w Wire) wireOwnPidFile() string { return filepath.Join(w.Dir, "wire.pid") }

// check says what is wrong with w for starting it.
func (w Wire) check() error {
	if w.Dir == "" {
		return errors.New("vdewire: a wire needs a directory")
	}
	if w.Switch == "" || w.Port <= 0 {
		return fmt.Errorf("vdewire: the wire in %s needs a switch and a port on it (has %q port %d)", w.Dir, w.Switch, w.Port)
	}
	// wirefilter -v takes "HUB:SWITCH[PORT]": a path with one of those
	// characters would be read as another.
	for _, p := range []string{w.Hub(), w.Switch} {
		if strings.ContainsAny(p, ":[]") {
			return fmt.Errorf("vdewire: wirefilter cannot join %s: its paths may hold no ':', '[' or ']'; use a run directory and switch without them", p)
		}
	}
	return w.Shaping.Validate()
}

// Ensure starts what is missing of the wire (hub, wirefilter) and sets the
// values of a working wirefilter in place, sending only those that
// differ. hubStarted says a new hub was started: an endpoint joined to
// the old one must re-join (the old one is gone).
func (w Wire) Ensure() (hubStarted bool, err error) {
	if err := w.check(); err != nil {
		return false, err
	}
	if !w.HubAlive() {
		// What is left of the wire (a wirefilter joined to the dead
		// hub, its files) goes first.
		if err := w.Stop(); err != nil {
			return false, err
		}
		if err := w.startHub(); err != nil {
			return false, err
		}
		hubStarted = true
	}
	if w.Working() {
		return hubStarted, w.set()
	}
	return hubStarted, w.startWire()
}

// HubAlive reports whether the hub benito started runs.
func (w Wire) HubAlive() bool { return daemon.PidFileAlive(w.hubPidFile()) }

// Working reports whether the hub runs, and the wirefilter runs and is
// still joined to the switch and port it was started on. A wirefilter
// outlives a switch that dies (and spins): the switch must still answer
// on its control socket, and be the same one, told by its control
// socket's inode and time of creation (inode numbers are reused), which a
// restarted switch makes anew.
func (w Wire) Working() bool {
	if !w.HubAlive() {
		return false
	}
	p, tag, err := daemon.ReadPidFile(w.wirePidFile())
	if err != nil || tag == "" || tag != w.tag() || !p.Alive() {
		return false
	}
	return daemon.Listening(filepath.Join(w.Switch, "ctl"), Timeout) == nil
}

// tag is what the wirefilter's pid file records it was started on: the
// switch (switchID) and the port; "" when the switch has no control
// socket.
func (w Wire) tag() string {
	id := switchID(w.Switch)
	if id == "" {
		return ""
	}
	return id + " port " + strconv.Itoa(w.Port)
}

// switchID identifies the switch whose control directory is sw: the
// device, inode and modification time (set when the socket is made, kept
// by chmod and chown) of its control socket, or "" when there is none.
func switchID(sw string) string {
	fi, err := os.Stat(filepath.Join(sw, "ctl"))
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d:%d:%d.%09d", st.Dev, st.Ino, st.Mtim.Sec, st.Mtim.Nsec)
}

// Processes returns the hub and the wirefilter benito's pid files name
// (a zero Process where a file is missing), running or not.
func (w Wire) Processes() (hub, wirefilter daemon.Process) {
	hub, _, _ = daemon.ReadPidFile(w.hubPidFile())
	wirefilter, _, _ = daemon.ReadPidFile(w.wirePidFile())
	return hub, wirefilter
}

// startHub starts the wire's hub: three ports (port 0 is never given
// out), one for the wirefilter and one for the endpoint.
func (w Wire) startHub() error {
	if err := os.MkdirAll(w.Dir, 0o755); err != nil {
		return err
	}
	sock, pidFile := w.Hub(), w.hubOwnPidFile()
	os.RemoveAll(sock)
	os.Remove(pidFile)
	args := []string{"-x", "-d", "-s", sock, "-p", pidFile, "-n", "3"}
	p, err := w.start("vde_switch", args, pidFile, func() error { return daemon.Listening(filepath.Join(sock, "ctl"), Timeout) })
	if err != nil {
		return fmt.Errorf("starting the hub of the wire: %w", err)
	}
	if err := daemon.WritePidFile(w.hubPidFile(), p, ""); err != nil {
		p.Stop(0)
		return err
	}
	return nil
}

// startWire starts the wirefilter joining the hub to the switch's port,
// with w's shaping from its first packet on.
func (w Wire) startWire() error {
	if err := w.stopWirefilter(); err != nil {
		return err
	}
	pidFile, mgmt := w.wireOwnPidFile(), w.Mgmt()
	// Taken before the start: were the switch started again meanwhile,
	// the wirefilter reads as not working, and is started again.
	tag := w.tag()
	os.Remove(pidFile)
	os.Remove(mgmt)
	args := []string{"--daemon", "--pidfile", pidFile, "-M", mgmt,
		"-v", w.Hub() + ":" + w.Switch + "[" + strconv.Itoa(w.Port) + "]"}
	for _, c := range values(w.Shaping, buffer(w.Shaping)) {
		args = append(args, "-"+c.flag, "LR"+c.value)
	}
	p, err := w.start("wirefilter", args, pidFile, func() error { return vdemgmt.Ready(mgmt, vdemgmt.PromptWirefilter, Timeout) })
	if err != nil {
		return fmt.Errorf("starting the wirefilter (%s port %d): %w", w.Switch, w.Port, err)
	}
	if err := daemon.WritePidFile(w.wirePidFile(), p, tag); err != nil {
		p.Stop(0)
		return err
	}
	return nil
}

// start runs a program that puts itself in the background (vde_switch
// -d, wirefilter --daemon): it returns once the program's own pid file
// names a live process and ready says it serves. Errors the program
// reports before it detaches are returned with its output. It is born in
// w's cgroup, and its daemon with it.
func (w Wire) start(prog string, args []string, pidFile string, ready func() error) (daemon.Process, error) {
	path, err := exec.LookPath(prog)
	if err != nil {
		return daemon.Process{}, fmt.Errorf("%s is not installed (Debian package vde2): %w", prog, err)
	}
	return daemon.StartDetached(context.Background(), daemon.Spec{Path: path, Args: args, Dir: "/", Group: w.Group}, pidFile, Timeout, ready)
}

// Stop stops the wirefilter and the hub and removes Dir; it needs no more
// of w than Dir. What is already gone is no error. A process a pid file
// names that is not the one benito started for this wire is left running,
// and named in the error; Dir then stays, so that the next try finds it
// again.
func (w Wire) Stop() error {
	if w.Dir == "" {
		return errors.New("vdewire: a wire needs a directory")
	}
	if err := w.stopWirefilter(); err != nil {
		return err
	}
	if err := w.stopProcess(w.hubPidFile(), w.hubOwnPidFile(), "vde_switch", w.Hub()); err != nil {
		return fmt.Errorf("stopping the hub of the wire: %w", err)
	}
	return os.RemoveAll(w.Dir)
}

func (w Wire) stopWirefilter() error {
	if err := w.stopProcess(w.wirePidFile(), w.wireOwnPidFile(), "wirefilter", w.Mgmt()); err != nil {
		return fmt.Errorf("stopping the wirefilter of the wire: %w", err)
	}
	return nil
}

// stopProcess stops the process benito's pid file file names, when it is
// the program prog benito started for this wire (arg, its socket, among
// its arguments), and removes file. A file that does not read as a pid
// file names nothing to stop. The daemon's own pid file, own, written
// before benito could write file (if benito was stopped in between), is
// looked at too; it has no start time, so the process it names is
// stopped when it passes the check, and left alone (no error) when not:
// its pid may be another's by now.
func (w Wire) stopProcess(file, own, prog, arg string) error {
	p, _, err := daemon.ReadPidFile(file)
	if err == nil {
		if err := startedFor(file, p, prog, arg); err != nil {
			return err
		}
		if err := p.Stop(time.Second); err != nil {
			return err
		}
	}
	if q, err := daemon.FromPidFile(own); err == nil && q != p && startedFor(own, q, prog, arg) == nil {
		if err := q.Stop(time.Second); err != nil {
			return err
		}
	}
	if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// startedFor returns nil when p, named by the pid file file, is not
// running or is the program prog benito started for a wire, with arg (its
// socket) among its arguments and running as benito's user; else an
// error saying what it is and what to do.
func startedFor(file string, p daemon.Process, prog, arg string) error {
	if problem := daemon.NotStarted(p, prog, arg); problem != "" {
		return fmt.Errorf("the pid file %s names %s; benito left it running. "+
			"The file was changed outside benito: remove it, and stop what benito started for the wire in %s by hand if anything is left", file, problem, filepath.Dir(file))
	}
	return nil
}

// Available says whether this host can make wires: an error naming what
// is missing, and where to get it. It looks once per process.
func Available() error { return available() }

var available = sync.OnceValue(func() error {
	for _, prog := range []string{"wirefilter", "vde_switch"} {
		if _, err := exec.LookPath(prog); err != nil {
			return fmt.Errorf("shaping a link on a VDE switch needs %s, which is not installed (Debian package vde2)", prog)
		}
	}
	return nil
})
