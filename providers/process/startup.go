package process

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/sys/unix"
)

// A node's startup command runs inside the node (sh -c), detached, in a
// session of its own, its output appended to its log. A small shell
// wrapper runs it and writes its exit status to RUN_DIR/TYPE/NODE/
// startup.status when it ends, which is how its status is read back after
// the provider that started it has gone:
//
//   - "running": it runs;
//   - "exited with code 0": it ran to completion, as a command that sets
//     something up and ends (`ip link set ...`) does: done, not drift;
//   - "exited with code N", N > 0 (128+S when killed by signal S): it
//     failed; within the create (startupSettle) that fails the create,
//     with the end of its log in the error; later, it reads back as drift,
//     and the next plan replaces the startup (runs it again);
//   - "ended without an exit status": its wrapper was killed; drift too.

// startupSettle is how long a create waits for the startup command to
// fail: one that exits non-zero within it fails the create; one still
// running then is taken as started.
const startupSettle = 500 * time.Millisecond

// Startup statuses.
const (
	statusRunning = "running"
	statusDone    = "exited with code 0"
	statusLost    = "ended without an exit status"
)

// startupFailed reports whether a startup status (as recorded) is a
// failure, which the next plan repairs by running the command again.
func startupFailed(status string) bool {
	return status != "" && status != statusRunning && status != statusDone
}

// wrapper runs the command and writes its exit status to its descriptor
// 3, which the provider opens on the status file (so the wrapper writes it
// from any root, a container's too), and which the command does not
// inherit.
// The command comes in the environment (startupEnv), never in arguments,
// which every user of the host can read (ps, /proc/PID/cmdline): it may
// hold a sensitive value. A shell of its own (so $$, exit and signals are
// as with sh -c COMMAND) takes it out of the environment the command's
// children inherit and runs it with eval; /proc/PID/environ is readable by
// the process's owner alone.
const wrapper = `/bin/sh -c 'c=$` + startupEnv + `; unset ` + startupEnv + `; eval "$c"' 3>&-; echo $? >&3`

// startupEnv is the environment variable that hands the command to the
// wrapper.
const startupEnv = "BENITO_STARTUP_COMMAND"

// applyStartup stops a prior command (a changed command, or a failed one,
// replaces the resource), and starts the planned one.
func (p *Provider) applyStartup(prior, planned cty.Value) (cty.Value, error) {
	l := p.lay()
	if !prior.IsNull() {
		name := str(prior, "node")
		stop := processOf(prior).Stop
		if processOf(prior).Pid == 0 {
			// Recorded before its create ended (pending, now replaced):
			// the command it may have started is the one its pid file
			// names.
			stop = func(time.Duration) error { return stopProcess(l.startupPidFile(name)) }
		}
		if err := stop(time.Second); err != nil {
			return prior, err
		}
		os.Remove(l.startupPidFile(name))
		os.Remove(l.startupStatusFile(name))
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
	name, command, log := str(planned, "node"), str(planned, "command"), str(planned, "log")
	ns, err := p.findNode(name)
	if err != nil {
		return cty.NilVal, err
	}
	if err := makeNodeDir(node{Name: name, RunDir: l.runDir, Type: l.typ}); err != nil {
		return cty.NilVal, err
	}
	statusFile := l.startupStatusFile(name)
	os.Remove(statusFile)
	enter, err := p.enterArgs(ns, name)
	if err != nil {
		return cty.NilVal, fmt.Errorf("node %s: %w", name, err)
	}
	// The wrapper writes the command's exit status to its descriptor 3:
	// the status file, opened here, wherever the node's root is.
	statusOut, err := os.OpenFile(statusFile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return cty.NilVal, err
	}
	defer statusOut.Close()
	args := append(enter, "--", "/bin/sh", "-c", wrapper, "benito-startup")
	// The log directory stays until the log is in it.
	release, err := providers.MakeDir(filepath.Dir(log), 0o755)
	if err != nil {
		return cty.NilVal, err
	}
	proc, err := daemon.Start(daemon.Spec{Path: "nsenter", Args: args, Env: append(ns.env(), startupEnv+"="+command), Log: log, Dir: "/", Group: l.nodeGroup(name), ExtraFiles: []*os.File{statusOut}})
	release()
	if err != nil {
		return cty.NilVal, fmt.Errorf("running the startup command of node %s: %w", name, err)
	}
	// The node's directory names it too, so that a node re-created after
	// it drifted stops it (removeNode).
	if err := daemon.WritePidFile(l.startupPidFile(name), proc, ""); err != nil {
		proc.Stop(0)
		return cty.NilVal, err
	}
	v := setAttrs(planned, map[string]cty.Value{
		"pid":         cty.NumberIntVal(int64(proc.Pid)),
		"start_time":  cty.NumberUIntVal(proc.StartTime),
		"netns_inode": cty.NumberUIntVal(ns.Inodes[indexOf(kindNet)]),
		"status":      cty.StringVal(statusRunning),
	})
	waitExit(proc, startupSettle)
	status := startupStatus(proc, statusFile)
	v = setAttrs(v, map[string]cty.Value{"status": cty.StringVal(status)})
	if startupFailed(status) {
		// Recorded (tainted): the next apply stops what is left and runs
		// the command again.
		return v, fmt.Errorf("the startup command of node %s %s; %s ends with:\n%s", name, status, log, providers.LogTail(log, 5))
	}
	return v, nil
}

// waitExit returns when process p has ended, or after timeout.
func waitExit(p daemon.Process, timeout time.Duration) {
	fd, ok := openPidfd(p)
	if !ok {
		return
	}
	defer unix.Close(fd)
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for deadline := time.Now().Add(timeout); ; {
		left := time.Until(deadline)
		if left <= 0 {
			return
		}
		if n, err := unix.Poll(pfd, int(left/time.Millisecond)+1); n != 0 || (err != nil && !errors.Is(err, unix.EINTR)) {
			return
		}
	}
}

// startupStatus returns the status of the startup command whose wrapper
// is p and writes statusFile. It looks at p first: a wrapper that has
// ended has written its status file whole.
func startupStatus(p daemon.Process, statusFile string) string {
	if p.Alive() {
		return statusRunning
	}
	b, err := os.ReadFile(statusFile)
	if err != nil {
		return statusLost
	}
	code, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return statusLost
	}
	return "exited with code " + strconv.Itoa(code)
}

// readStartup returns null when the node the command ran in is gone or
// was made anew (it runs its startup again), and the command's status.
func (p *Provider) readStartup(cur cty.Value, reads *nodeReads) (cty.Value, error) {
	name := str(cur, "node")
	ns, err := reads.node(name).pins()
	if err != nil || ns.Inodes[indexOf(kindNet)] != uint64(num(cur, "netns_inode")) {
		return cty.NilVal, nil
	}
	status := startupStatus(processOf(cur), p.lay().startupStatusFile(name))
	if status == str(cur, "status") {
		return cur, nil
	}
	return setAttrs(cur, map[string]cty.Value{"status": cty.StringVal(status)}), nil
}

// planStartup plans a startup as DefaultPlan does, and replaces one whose
// command failed or died (its status, as refreshed), so that it runs
// again.
func planStartup(rs *providers.ResourceSchema, c providers.PlanChange) providers.PlannedDefault {
	replace := providers.ForceNewChanges(rs, c.Prior, c.Proposed, nil)
	pd := providers.PlannedDefault{PlannedChange: providers.PlannedChange{PlannedPrivate: c.PriorPrivate, RequiresReplace: replace}, Default: true, Replacing: len(replace) > 0}
	if !c.Prior.IsNull() && len(replace) == 0 && startupFailed(str(c.Prior, "status")) {
		unknown := map[string]cty.Value{}
		for name, a := range rs.Attributes {
			if a.Computed {
				unknown[name] = cty.UnknownVal(a.Type)
			}
		}
		pd.Set = unknown
		pd.Replacing = len(providers.ForceNewChanges(rs, c.Prior, c.Proposed, unknown)) > 0
		pd.RequiresReplace = append(replace, cty.GetAttrPath("status"))
	}
	return pd
}
