package process

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/shaping"
	"github.com/benito-net/benito/internal/vdemgmt"
)

// A shaped interface on a VDE switch is plugged through a wire: a private
// hub (vde_switch -x) that the node's vde_plug2tap joins, and a wirefilter
// between the hub (its left side, L) and the node's port on the switch
// (right, R). Wirefilter delays, drops and rate-limits the packets going
// L->R, the node's egress, like a qdisc on the node's side of the link;
// R->L is left alone. Values change in place through wirefilter's
// management socket.
//
// Files, per interface: RUN_DIR/process/NODE/IFACE/ holds the hub's
// control directory (wire.ctl), wirefilter's management socket
// (wire.mgmt) and the pid files the two daemons write (hub.pid,
// wire.pid); RUN_DIR/process/NODE/hub.IFACE and wire.IFACE are benito's
// own pid files (pid and start time), which cleanupStale finds like the
// plugs'.

// wireTimeout bounds starting a hub or a wirefilter, and one exchange on
// wirefilter's management socket. It catches a program that hangs, not a
// slow one: on a loaded host of two cores, a hundred nodes starting their
// wires at once took more than 5 s for some (the process was killed at the
// deadline and the apply failed).
const wireTimeout = 15 * time.Second

// wired reports whether f is plugged through a wire.
func wired(f iface) bool { return f.Kind == contract.KindVDE && !f.Shaping.IsZero() }

func wireDir(n node, f iface) string   { return filepath.Join(nodeDir(n.RunDir, n.Name), f.Name) }
func hubSocket(n node, f iface) string { return filepath.Join(wireDir(n, f), "wire.ctl") }
func wireMgmt(n node, f iface) string  { return filepath.Join(wireDir(n, f), "wire.mgmt") }
func hubPidFile(n node, f iface) string {
	return filepath.Join(nodeDir(n.RunDir, n.Name), "hub."+f.Name)
}
func wirePidFile(n node, f iface) string {
	return filepath.Join(nodeDir(n.RunDir, n.Name), "wire."+f.Name)
}

func hubAlive(n node, f iface) bool { return pidFileAlive(hubPidFile(n, f)) }

// wireWorking reports whether f's wirefilter runs and is still joined to
// the switch it was started on. A wirefilter outlives a switch that dies
// (and spins): the switch must still answer on its control socket, and
// be the same one, told by its control socket's inode and time of
// creation (inode numbers are reused), which a restarted switch makes
// anew.
func wireWorking(n node, f iface) bool {
	p, id, err := readPidFile(wirePidFile(n, f))
	if err != nil || id == "" || id != switchID(f) || !p.Alive() {
		return false
	}
	return listening(filepath.Join(f.VDESocket, "ctl")) == nil
}

// listening reports whether a daemon accepts connections on the unix
// socket at path. The socket file alone does not say it: a starting
// daemon makes it before it listens. A full backlog (EAGAIN: the reads of
// a batch of nodes all asking one vde_switch at once) is waited out, as
// it says nothing of the daemon: taken for an answer, it showed a dozen
// working wires of a 200-node experiment as gone.
func listening(path string) error {
	deadline := time.Now().Add(wireTimeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		c, err := net.DialTimeout("unix", path, wireTimeout)
		if err == nil {
			return c.Close()
		}
		if !errors.Is(err, syscall.EAGAIN) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
	}
}

// switchID identifies the switch serving f's port: the device, inode and
// modification time (set when the socket is made, kept by chmod and
// chown) of its control socket, or "" when there is none.
func switchID(f iface) string {
	fi, err := os.Stat(filepath.Join(f.VDESocket, "ctl"))
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d:%d:%d.%09d", st.Dev, st.Ino, st.Mtim.Sec, st.Mtim.Nsec)
}

// vdePlumbed reports whether f's plugs are all running: the plug into the
// port, or the plug into the hub, the hub and the wirefilter.
func vdePlumbed(n node, f iface) bool {
	alive, target := plugState(n, f)
	if !wired(f) {
		return alive && target == f.VDESocket
	}
	return alive && target == hubSocket(n, f) && hubAlive(n, f) && wireWorking(n, f)
}

// ensurePlugs makes f's plugs run and its wire's values match, repairing
// only what is missing: a latency change on a working wire is a few
// commands on the management socket; the TAP, its plug and the switch
// port are untouched. Going from unshaped to shaped (or back) re-plugs
// the TAP, and so does newTap: the TAP was just made, and a plug still
// running holds the one it replaced.
func ensurePlugs(ns nodeNS, n node, f iface, newTap bool) error {
	// The node's directory holds the pid files; made, it keeps its parents
	// from a prune: it is in them, and no delete removes another node's
	// directory.
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
	hub := hubSocket(n, f)
	if !hubAlive(n, f) {
		if err := stopPlug(n, f); err != nil {
			return err
		}
		if err := stopWire(n, f); err != nil {
			return err
		}
		if err := startHub(n, f); err != nil {
			return err
		}
	}
	if wireWorking(n, f) {
		if err := setWire(n, f); err != nil {
			return err
		}
	} else if err := startWire(n, f); err != nil {
		return err
	}
	if alive, target := plugState(n, f); newTap || !alive || target != hub {
		return startPlug(ns, n, f, hub, 0)
	}
	return nil
}

// startHub starts f's private hub: three ports (port 0 is never given
// out), one for the wirefilter and one for the node's plug.
func startHub(n node, f iface) error {
	dir := wireDir(n, f)
	// Inside the node's directory, which no delete prunes while the node
	// is there: no need for providers.MakeDir's hold.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	sock, pidFile := hubSocket(n, f), filepath.Join(dir, "hub.pid")
	os.RemoveAll(sock)
	os.Remove(pidFile)
	args := []string{"-x", "-d", "-s", sock, "-p", pidFile, "-n", "3"}
	p, err := startDaemonizing(n, "vde_switch", args, pidFile, func() error { return listening(filepath.Join(sock, "ctl")) })
	if err != nil {
		return fmt.Errorf("starting the hub of %s's wire: %w", f.Name, err)
	}
	if err := writePidFile(hubPidFile(n, f), p, ""); err != nil {
		p.Stop(0)
		return err
	}
	return nil
}

// startWire starts the wirefilter joining f's hub to f's port, with f's
// shaping from its first packet on.
func startWire(n node, f iface) error {
	if err := stopProcess(wirePidFile(n, f)); err != nil {
		return fmt.Errorf("stopping the wirefilter of %s: %w", f.Name, err)
	}
	pidFile, mgmt := filepath.Join(wireDir(n, f), "wire.pid"), wireMgmt(n, f)
	id := switchID(f)
	os.Remove(pidFile)
	os.Remove(mgmt)
	args := []string{"--daemon", "--pidfile", pidFile, "-M", mgmt,
		"-v", hubSocket(n, f) + ":" + f.VDESocket + "[" + strconv.Itoa(f.VDEPort) + "]"}
	for _, c := range wireValues(f.Shaping, wireBuffer(f.Shaping)) {
		args = append(args, "-"+c.flag, "LR"+c.value)
	}
	p, err := startDaemonizing(n, "wirefilter", args, pidFile, func() error { return vdemgmt.Ready(mgmt, vdemgmt.PromptWirefilter, wireTimeout) })
	if err != nil {
		return fmt.Errorf("starting the wirefilter of %s (%s port %d): %w", f.Name, f.VDESocket, f.VDEPort, err)
	}
	if err := writePidFile(wirePidFile(n, f), p, id); err != nil {
		p.Stop(0)
		return err
	}
	return nil
}

// stopWire stops f's wirefilter and hub and removes their files. What is
// already gone is no error.
func stopWire(n node, f iface) error {
	for _, file := range []string{wirePidFile(n, f), hubPidFile(n, f)} {
		if err := stopProcess(file); err != nil {
			return fmt.Errorf("stopping the wire of %s: %w", f.Name, err)
		}
	}
	return os.RemoveAll(wireDir(n, f))
}

// stopProcess stops the process named by one of benito's pid files and
// removes the file.
func stopProcess(file string) error {
	p, _, err := readPidFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil {
		if err := pidFileProcess(file, p); err != nil {
			return err
		}
		if err := p.Stop(time.Second); err != nil {
			return err
		}
	}
	if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// startDaemonizing runs a program that puts itself in the background
// (vde_switch -d, wirefilter --daemon): it returns once the program's own
// pid file names a live process and ready says it serves. Errors the
// program reports before it detaches are returned with its output. It is
// born in node n's cgroup, and its daemon with it.
func startDaemonizing(n node, prog string, args []string, pidFile string, ready func() error) (daemon.Process, error) {
	path, err := exec.LookPath(prog)
	if err != nil {
		return daemon.Process{}, fmt.Errorf("%s is not installed (Debian package vde2): %w", prog, err)
	}
	return daemon.StartDetached(context.Background(), daemon.Spec{Path: path, Args: args, Dir: "/", Group: nodeGroup(n.RunDir, n.Name)}, pidFile, wireTimeout, ready)
}

// wireValue is one wirefilter setting: its command-line flag, its
// management command and its value for the L->R direction.
type wireValue struct{ flag, command, value string }

// wireValues renders s in wirefilter's units: delay in milliseconds, loss
// in percent, bandwidth in bytes per second, and buf, the channel's
// buffer, in bytes (0: unbounded).
func wireValues(s shaping.Shaping, buf uint64) []wireValue {
	ms := float64(s.Latency.Round(time.Microsecond)) / float64(time.Millisecond)
	return []wireValue{
		{"d", "delay", strconv.FormatFloat(ms, 'f', -1, 64)},
		{"l", "loss", strconv.FormatFloat(s.Loss, 'f', -1, 64)},
		{"b", "bandwidth", strconv.FormatUint(s.Capacity/8, 10)},
		{"c", "chanbufsize", strconv.FormatUint(buf, 10)},
	}
}

// wireBuffer is the channel's buffer for s. With a bandwidth it is
// bounded as a bridge's token bucket is (shaping.QueueLimit): without a
// bound wirefilter queues whatever a node sends faster than its capacity,
// growing its delay and memory without end. Without a bandwidth nothing
// waits but for the delay, and the buffer stays unbounded (0), as
// wirefilter has it.
func wireBuffer(s shaping.Shaping) uint64 {
	if s.Capacity == 0 {
		return 0
	}
	return shaping.QueueLimit(s.Capacity / 8)
}

// setWire changes the values of f's running wirefilter to f's shaping,
// sending only those that differ.
func setWire(n node, f iface) error {
	c, err := dialWire(wireMgmt(n, f))
	if err != nil {
		return fmt.Errorf("interface %s: %w", f.Name, err)
	}
	defer c.Close()
	cur, buf, err := c.read()
	if err != nil {
		return fmt.Errorf("interface %s: %w", f.Name, err)
	}
	have := wireValues(cur, buf)
	for i, v := range wireValues(f.Shaping, wireBuffer(f.Shaping)) {
		if sameWireValue(have[i].value, v.value) {
			continue
		}
		if _, err := c.Do(v.command + " LR" + v.value); err != nil {
			return fmt.Errorf("interface %s: %w", f.Name, err)
		}
	}
	return nil
}

// readWire returns the shaping f's wirefilter applies now (L->R).
func readWire(n node, f iface) (shaping.Shaping, error) {
	c, err := dialWire(wireMgmt(n, f))
	if err != nil {
		return shaping.Shaping{}, err
	}
	defer c.Close()
	s, _, err := c.read()
	return s, err
}

// sameWire compares what readWire returned with what was asked, allowing
// for wirefilter printing its values with six significant digits.
func sameWire(got, want shaping.Shaping) bool {
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-5*math.Max(math.Abs(a), math.Abs(b)) }
	return near(float64(got.Latency), float64(want.Latency.Round(time.Microsecond))) &&
		near(got.Loss, want.Loss) && near(float64(got.Capacity), float64(want.Capacity/8*8))
}

func sameWireValue(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && math.Abs(x-y) <= 1e-5*math.Max(math.Abs(x), math.Abs(y))
}

// wireConn is a session on a wirefilter management socket (-M).
type wireConn struct{ *vdemgmt.Conn }

func dialWire(path string) (*wireConn, error) {
	c, err := vdemgmt.Dial(path, vdemgmt.PromptWirefilter, wireTimeout)
	if err != nil {
		return nil, err
	}
	return &wireConn{c}, nil
}

// read asks showinfo for the L->R values: the shaping, and the channel's
// buffer in bytes (0: unbounded).
//
//	Loss   L->R 1.5+0U   R->L 0+0U
//	Delay  L->R 50+0U   R->L 0+0U
//	Bandw  L->R 1.25e+06+0U   R->L 0+0U
//	Cap.   L->R 81920+0U   R->L 0+0U
func (w *wireConn) read() (shaping.Shaping, uint64, error) {
	lines, err := w.Do("showinfo")
	if err != nil {
		return shaping.Shaping{}, 0, err
	}
	var s shaping.Shaping
	var buf uint64
	found := 0
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 3 || f[1] != "L->R" {
			continue
		}
		v, ok := wireNumber(f[2])
		if !ok {
			return s, 0, fmt.Errorf("wirefilter showinfo: cannot read %q", l)
		}
		switch f[0] {
		case "Loss":
			s.Loss = v
		case "Delay":
			s.Latency = time.Duration(math.Round(v*1000)) * time.Microsecond
		case "Bandw":
			s.Capacity = uint64(math.Round(v)) * 8
		case "Cap.":
			buf = uint64(math.Round(v))
			continue
		default:
			continue
		}
		found++
	}
	if found != 3 {
		return s, 0, fmt.Errorf("wirefilter showinfo: no loss, delay and bandwidth in %q", lines)
	}
	return s, buf, nil
}

// wireNumber reads the mean of a wirefilter value "MEAN+VARIATION[UN]",
// where MEAN may itself hold a '+' in its exponent ("1.25e+06+0U").
func wireNumber(s string) (float64, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] != '+' || (i > 0 && (s[i-1] == 'e' || s[i-1] == 'E')) {
			continue
		}
		v, err := strconv.ParseFloat(s[:i], 64)
		return v, err == nil
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
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
		if _, err := haveWirefilter(); err != nil {
			return "shaping a link on a VDE switch needs wirefilter, which is not installed (Debian package vde2)"
		}
	}
	return ""
}

// haveWirefilter looks wirefilter up in PATH once per process.
var haveWirefilter = sync.OnceValues(func() (string, error) { return exec.LookPath("wirefilter") })
