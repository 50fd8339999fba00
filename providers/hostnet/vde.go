package hostnet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/vdemgmt"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// The files of a VDE switch whose control directory is socket (…/NAME.ctl).
func base(socket string) string         { return strings.TrimSuffix(socket, ".ctl") }
func mgmtPath(socket string) string     { return base(socket) + ".mgmt" }
func pidPath(socket string) string      { return base(socket) + ".pid" }
func logPath(socket string) string      { return base(socket) + ".log" }
func plugLog(socket, tap string) string { return base(socket) + ".plug-" + tap + ".log" }

// startTimeout bounds how long a new vde_switch may take to answer on its
// management socket.
const startTimeout = 5 * time.Second

// mgmtSession is one kept-open management connection, used by one call at
// a time.
type mgmtSession struct {
	mu   sync.Mutex
	conn *vdemgmt.Conn
}

func (s *mgmtSession) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// withMgmt runs fn on a session of the switch whose management socket is
// path, reconnecting once if a kept connection has gone stale (the switch
// was restarted).
func (p *Provider) withMgmt(path string, fn func(*vdemgmt.Conn) error) error {
	p.mu.Lock()
	s := p.mgmt[path]
	if s == nil {
		s = &mgmtSession{}
		p.mgmt[path] = s
	}
	p.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	for attempt := 0; ; attempt++ {
		fresh := s.conn == nil
		if fresh {
			c, err := dialMgmt(path)
			if err != nil {
				return err
			}
			s.conn = c
		}
		err := fn(s.conn)
		var me *vdemgmt.Error
		if err == nil || errors.As(err, &me) {
			return err
		}
		s.conn.Close()
		s.conn = nil
		if fresh || attempt > 0 {
			return err
		}
	}
}

func (p *Provider) dropMgmt(path string) {
	p.mu.Lock()
	s := p.mgmt[path]
	delete(p.mgmt, path)
	p.mu.Unlock()
	if s != nil {
		s.close()
	}
}

// allPorts returns the ports of the switch behind management socket path.
func (p *Provider) allPorts(path string) (map[int]*vdePort, error) {
	var ports map[int]*vdePort
	err := p.withMgmt(path, func(c *vdemgmt.Conn) error {
		lines, err := c.Do("port/allprint")
		ports = parsePorts(lines)
		return err
	})
	return ports, err
}

// switchProcess is the vde_switch of a switch: the one recorded in private
// data, or else the one named by its pid file.
func switchProcess(socket string, priv []byte) (daemon.Process, bool) {
	if proc, ok := decodePrivate(priv); ok {
		return proc, true
	}
	proc, err := daemon.FromPidFile(pidPath(socket))
	return proc, err == nil
}

func (p *Provider) createVDE(ctx context.Context, planned cty.Value) (cty.Value, []byte, error) {
	socket := str(planned, "socket")
	mgmt := mgmtPath(socket)
	// A switch already serving this socket (left by an interrupted apply)
	// is adopted; the remains of a dead one are cleared.
	if proc, err := daemon.FromPidFile(pidPath(socket)); err == nil && proc.Alive() && p.withMgmt(mgmt, showinfo) == nil {
		if v, priv, err := p.updateVDE(planned, planned, encodePrivate(proc)); err == nil {
			return v, priv, nil
		}
		p.deleteVDE(planned, encodePrivate(proc))
	}
	p.dropMgmt(mgmt)
	removeSwitchFiles(socket)
	// The switch directory stays until the switch's socket is in it (after
	// the adoption above, whose failure may delete: no Prune under MakeDir).
	release, err := providers.MakeDir(filepath.Dir(socket), 0o755)
	if err != nil {
		return cty.NilVal, nil, fmt.Errorf("creating the switch's run directory: %w", err)
	}
	defer release()

	args := []string{"-d", "-s", socket, "-M", mgmt, "-p", pidPath(socket), "-n", strconv.FormatInt(num(planned, "ports")+1, 10)}
	if g := str(planned, "group"); g != "" {
		args = append(args, "-g", g)
	}
	if m := str(planned, "mode"); m != "" {
		args = append(args, "-m", m)
	}
	// Ready when the switch answers on its management socket.
	proc, err := daemon.StartDetached(ctx, daemon.Spec{Path: "vde_switch", Args: args, Log: logPath(socket), Group: p.switchGroup(socket)}, pidPath(socket), startTimeout, func() error {
		return p.withMgmt(mgmt, showinfo)
	})
	if err != nil {
		if msg := readLog(logPath(socket)); msg != "" {
			err = fmt.Errorf("%w; vde_switch said: %s", err, msg)
		}
		removeSwitchFiles(socket)
		return cty.NilVal, nil, fmt.Errorf("starting vde_switch: %w", err)
	}
	v := setAttrs(planned, map[string]cty.Value{
		"pid":        cty.NumberIntVal(int64(proc.Pid)),
		"management": cty.StringVal(mgmt),
	})
	return v, encodePrivate(proc), nil
}

// updateVDE changes a running switch in place: its number of ports, and
// the group and mode of its control directory.
func (p *Provider) updateVDE(prior, planned cty.Value, priv []byte) (cty.Value, []byte, error) {
	socket := str(planned, "socket")
	proc, ok := switchProcess(socket, priv)
	if !ok || !proc.Alive() {
		return cty.NilVal, nil, fmt.Errorf("the vde_switch of %s is not running", socket)
	}
	if n := num(planned, "ports"); n != num(prior, "ports") || prior.RawEquals(planned) {
		err := p.withMgmt(mgmtPath(socket), func(c *vdemgmt.Conn) error {
			_, err := c.Do("port/setnumports " + strconv.FormatInt(n+1, 10))
			return err
		})
		if err != nil {
			return cty.NilVal, nil, err
		}
	}
	if err := setSocketAccess(socket, str(planned, "group"), str(planned, "mode")); err != nil {
		return cty.NilVal, nil, err
	}
	v := setAttrs(planned, map[string]cty.Value{
		"pid":        cty.NumberIntVal(int64(proc.Pid)),
		"management": cty.StringVal(mgmtPath(socket)),
	})
	return v, encodePrivate(proc), nil
}

// setSocketAccess gives the control directory and its socket the group and
// mode vde_switch -g and -m would have given them.
func setSocketAccess(socket, group, mode string) error {
	files := []string{socket, filepath.Join(socket, "ctl")}
	if group != "" {
		gid, err := lookupGroup(group)
		if err != nil {
			return err
		}
		for _, f := range files {
			if err := os.Chown(f, -1, int(gid)); err != nil {
				return fmt.Errorf("setting the group of %s: %w", f, err)
			}
		}
	}
	if mode != "" {
		m, err := parseMode(mode)
		if err != nil {
			return err
		}
		// The directory is searchable wherever the socket is readable, as
		// vde_switch makes it, and keeps its setgid bit.
		dirMode := fs.FileMode(m|(m&0o444)>>2) | fs.ModeSetgid
		if err := os.Chmod(socket, dirMode); err != nil {
			return fmt.Errorf("setting the mode of %s: %w", socket, err)
		}
		if err := os.Chmod(files[1], fs.FileMode(m)); err != nil {
			return fmt.Errorf("setting the mode of %s: %w", files[1], err)
		}
	}
	return nil
}

// deleteVDE shuts the switch down, stops its process and removes its
// files. A switch already gone is no error.
func (p *Provider) deleteVDE(prior cty.Value, priv []byte) error {
	socket := str(prior, "socket")
	mgmt := mgmtPath(socket)
	proc, ok := switchProcess(socket, priv)
	if ok && proc.Alive() {
		p.withMgmt(mgmt, func(c *vdemgmt.Conn) error { _, err := c.Do("shutdown"); return err })
		if err := proc.Stop(2 * time.Second); err != nil {
			return err
		}
	}
	// Whatever else was born in the switch's group (a daemon started by
	// an apply that was killed before it recorded it).
	if err := p.switchGroup(socket).Kill(groupKillTimeout); err != nil {
		return err
	}
	p.dropMgmt(mgmt)
	if err := removeSwitchFiles(socket); err != nil {
		return err
	}
	p.pruneGroups()
	// The run directory's switch/ folder, and the run directory itself,
	// once nothing else is in them.
	providers.Prune(func() {
		if os.Remove(filepath.Dir(socket)) == nil {
			if run := filepath.Dir(filepath.Dir(socket)); os.Remove(run) == nil {
				providers.PruneRoot(filepath.Dir(run))
			}
		}
	})
	return nil
}

// removeSwitchFiles removes the control directory, management socket, pid
// file and log of a switch.
func removeSwitchFiles(socket string) error {
	var errs []error
	if err := os.RemoveAll(socket); err != nil {
		errs = append(errs, err)
	}
	for _, f := range []string{mgmtPath(socket), pidPath(socket), logPath(socket)} {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// readVDE reports the switch gone unless the very process it started
// still runs and answers on its management socket.
func (p *Provider) readVDE(cur cty.Value, priv []byte) (cty.Value, []byte, error) {
	return p.readVDEAnswering(cur, priv, func() bool { return p.withMgmt(mgmtPath(str(cur, "socket")), showinfo) == nil })
}

// readVDEAnswering is readVDE, with answers saying whether the switch
// answers on its management socket (a read of its ports that has just
// asked it tells as well as a showinfo).
func (p *Provider) readVDEAnswering(cur cty.Value, priv []byte, answers func() bool) (cty.Value, []byte, error) {
	socket := str(cur, "socket")
	proc, ok := switchProcess(socket, priv)
	if !ok || !proc.Alive() || (num(cur, "pid") != 0 && num(cur, "pid") != int64(proc.Pid)) {
		return cty.NullVal(cur.Type()), nil, nil
	}
	if !answers() {
		return cty.NullVal(cur.Type()), nil, nil
	}
	return cur, encodePrivate(proc), nil
}

// createPort creates the numbered port; one that exists already is kept.
func (p *Provider) createPort(planned cty.Value) error {
	n := num(planned, "number")
	return p.withMgmt(mgmtPath(str(planned, "socket")), func(c *vdemgmt.Conn) error {
		_, err := c.Do("port/create " + strconv.FormatInt(n, 10))
		if vdemgmt.IsCode(err, vdemgmt.EEXIST) {
			return nil
		}
		return err
	})
}

// closeEndpoints closes every endpoint connected to port n.
func closeEndpoints(c *vdemgmt.Conn, n string) {
	lines, err := c.Do("port/allprint " + n)
	if err != nil {
		return
	}
	for _, ports := range parsePorts(lines) {
		for _, ep := range ports.Endpoints {
			// "-- endpoint ID 0025 module unix ...": the switch reads the
			// ID back with %i, so it must lose its leading zeros (0025
			// would be octal 21).
			if f := strings.Fields(ep); len(f) >= 4 && f[1] == "endpoint" && f[2] == "ID" {
				if id, err := strconv.Atoi(f[3]); err == nil {
					c.Do("port/epclose " + n + " " + strconv.Itoa(id))
				}
			}
		}
	}
}

// portFreeWait bounds the last pause before deletePort gives up on a
// port whose endpoint the switch has not let go of (all pauses together:
// about twice as long).
const portFreeWait = time.Second

// deletePort removes the numbered port, closing whatever is still plugged
// into it. A port or switch already gone is no error. Between attempts
// it waits without the switch's management session, which the other
// ports' creates and deletes use meanwhile.
func (p *Provider) deletePort(prior cty.Value) error {
	socket := str(prior, "socket")
	n := strconv.FormatInt(num(prior, "number"), 10)
	if _, err := os.Stat(mgmtPath(socket)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var err error
	for wait := time.Millisecond; ; wait *= 2 {
		err = p.withMgmt(mgmtPath(socket), func(c *vdemgmt.Conn) error {
			_, err := c.Do("port/remove " + n)
			if vdemgmt.IsCode(err, vdemgmt.EADDRINUSE) {
				// Still in use. The node's plug was killed just
				// before, but the switch notices a closed endpoint in
				// its own time (and does not always notice one whose
				// other end was in a node's namespace that is gone):
				// close its endpoints, and try once more at once.
				closeEndpoints(c, n)
				_, err = c.Do("port/remove " + n)
			}
			return err
		})
		// Only "in use" is worth waiting out: any other answer (or
		// none) will not change in two seconds.
		if err == nil || vdemgmt.IsCode(err, vdemgmt.ENXIO) {
			return nil
		}
		if !vdemgmt.IsCode(err, vdemgmt.EADDRINUSE) || wait > portFreeWait {
			break
		}
		time.Sleep(wait)
	}
	var nerr *vdemgmt.Error
	if err != nil && !errors.As(err, &nerr) {
		// The switch does not answer: a switch that is gone has no ports.
		if proc, ok := switchProcess(socket, nil); !ok || !proc.Alive() {
			return nil
		}
	}
	return err
}

// readLog returns the last lines of a log, for error messages.
func readLog(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 500 {
		s = "…" + s[len(s)-500:]
	}
	return strings.ReplaceAll(s, "\n", "; ")
}
