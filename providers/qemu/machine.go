package qemu

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/accel"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/guestconfig"
	"github.com/benito-net/benito/internal/qemuimg"
	"github.com/benito-net/benito/internal/qga"
	"github.com/benito-net/benito/internal/qmp"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/sys/unix"
)

// qmpTimeout bounds reaching a machine's QMP socket and one command on it.
const qmpTimeout = 10 * time.Second

// agentTry bounds one attempt to reach a booting guest's agent.
const agentTry = 2 * time.Second

// group is the cgroup a machine's QEMU is born in, with its wires.
func group(runDir, name string) daemon.Group { return providers.Group(runDir, Name, name) }

func (p *Provider) applyVM(ctx context.Context, prior, planned cty.Value) (cty.Value, error) {
	runDir, _, d := p.config()
	switch {
	case planned.IsNull():
		return cty.NilVal, p.deleteVM(ctx, prior)
	case prior.IsNull():
		m, err := decodeVM(planned, d)
		if err != nil {
			return cty.NilVal, err
		}
		return p.createVM(ctx, m, planned, runDir, d)
	default:
		m, err := decodeVM(planned, d)
		if err != nil {
			return prior, err
		}
		return p.updateVM(ctx, m, prior, planned)
	}
}

// createVM starts machine m and returns once its guest's agent answers:
// the guest has applied its config (init does that before starting the
// agent) and benito can run commands in it.
func (p *Provider) createVM(ctx context.Context, m vm, planned cty.Value, runDir string, d defaults) (cty.Value, error) {
	// What an earlier incarnation left (one that died, or whose create
	// was interrupted) goes first.
	if err := p.removeVM(ctx, m.Name, nil, daemon.Process{}); err != nil {
		return cty.NilVal, fmt.Errorf("removing what an earlier machine %s left: %w", m.Name, err)
	}
	dir := vmDir(runDir, m.Name)
	// Made and filled under one MakeDir hold (no Prune removes them before
	// something is in them), released before anything can fail.
	node := m.guestNode()
	if err := func() error {
		release, err := providers.MakeDir(filepath.Dir(dir), 0o755)
		defer release()
		if err != nil {
			return err
		}
		if err := os.MkdirAll(shareDir(dir), 0o755); err != nil {
			return err
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return err
		}
		if err := node.Write(shareDir(dir)); err != nil {
			return err
		}
		// Under the same hold: a second MakeDir would take the read lock
		// twice, and a Prune waiting between the two (another machine's
		// create or delete) would deadlock both and every MakeDir after.
		if err := os.MkdirAll(logDir(runDir), 0o755); err != nil {
			return err
		}
		// QEMU's and the console's logs, made now (0600: what a guest
		// prints may be secret, and QEMU would make the console's 0644),
		// so that the directory holds a file.
		for _, log := range []string{qemuLog(runDir, m.Name), consoleLog(runDir, m.Name)} {
			f, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
			if err != nil {
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
		}
		return shareHosts(m, dir)
	}(); err != nil {
		return cty.NilVal, errors.Join(err, p.removeVM(context.WithoutCancel(ctx), m.Name, nil, daemon.Process{}))
	}
	fail := func(err error) (cty.Value, error) {
		// A machine that did not come up is not left half made.
		if rerr := p.removeVM(context.WithoutCancel(ctx), m.Name, m.Ifaces, daemon.Process{}); rerr != nil {
			err = fmt.Errorf("%w (and removing what was made: %v)", err, rerr)
		}
		return cty.NilVal, err
	}

	if m.Guest == guestCloudInit {
		// cloud-init writes /etc/hosts once: the experiment's as it is now.
		hosts, err := readHosts(m.HostsFile)
		if err != nil {
			return fail(err)
		}
		node.Hosts = hosts
		if err := writeSeed(ctx, node, dir); err != nil {
			return fail(fmt.Errorf("cloud-init seed: %w", err))
		}
	}
	if m.Boot.Image != "" {
		if _, err := qemuimg.Overlay(ctx, m.Boot.Image, overlayFile(dir)); err != nil {
			return fail(err)
		}
	}
	acc, err := p.accelerator(ctx, m.Boot.Accel, d.Binary, m.Boot.Kernel)
	if err != nil {
		return fail(err)
	}
	for _, f := range m.Ifaces {
		if err := p.plug(m, f); err != nil {
			return fail(err)
		}
	}
	args, err := commandLine(m, dir, runDir, acc)
	if err != nil {
		return fail(err)
	}
	path, err := exec.LookPath(d.Binary)
	if err != nil {
		return fail(fmt.Errorf("%s is not installed (Debian package qemu-system-x86): %w", d.Binary, err))
	}
	proc, err := daemon.Start(daemon.Spec{Path: path, Args: args, Dir: "/", Log: qemuLog(runDir, m.Name), Group: group(runDir, m.Name)})
	if err != nil {
		return fail(fmt.Errorf("starting QEMU: %w", err))
	}
	if err := p.waitBooted(ctx, m, dir, proc, d.BootTimeout); err != nil {
		return fail(err)
	}
	if m.IPForward {
		if _, err := p.sh(ctx, m.Name, `echo 1 > /proc/sys/net/ipv4/ip_forward`); err != nil {
			return fail(fmt.Errorf("ip_forward: %w", err))
		}
	}
	set := files(runDir, m.Name, m.Boot.Image != "")
	set["boot"] = m.Boot.value()
	set["accelerator"] = cty.StringVal(string(acc))
	set["pid"] = cty.NumberIntVal(int64(proc.Pid))
	set["start_time"] = cty.NumberUIntVal(proc.StartTime)
	return providers.WithAttrs(planned, set), nil
}

// accelerator resolves the setting "kvm", "tcg" or "auto" on this host.
// The probe boots a Linux kernel (the machine's, or the test guest's when
// built) on KVM: some hosts run firmware on KVM and hang a kernel.
func (p *Provider) accelerator(ctx context.Context, setting, binary, kernel string) (accel.Accel, error) {
	if kernel == "" && testGuestBuilt() {
		kernel = filepath.Join(defaultGuest, "vmlinuz")
	}
	a, err := accel.Resolve(ctx, setting, accel.Prober{QEMU: binary, Kernel: kernel})
	if err != nil {
		return "", fmt.Errorf("accelerator: %w", err)
	}
	return a, nil
}

// commandLine is QEMU's command line for m. Everything the guest sees is
// on it: the machine has no default device, no display, no monitor but
// QMP, and does not reboot (a guest that reboots ends, and the next plan
// makes it anew).
func commandLine(m vm, dir, runDir string, acc accel.Accel) ([]string, error) {
	args := []string{
		"-name", m.Name,
		"-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
		"-machine", m.Boot.Machine, "-accel", string(acc),
		"-m", strconv.Itoa(m.Boot.Memory), "-smp", strconv.Itoa(m.Boot.CPUs),
		"-qmp", "unix:" + qmpSocket(dir) + ",server=on,wait=off",
		"-chardev", "socket,id=console,path=" + consoleSocket(dir) + ",server=on,wait=off,logfile=" + consoleLog(runDir, m.Name) + ",logappend=on",
		"-serial", "chardev:console",
		"-device", "virtio-serial",
		"-chardev", "socket,id=agent,path=" + agentSocket(dir) + ",server=on,wait=off",
		"-device", "virtserialport,chardev=agent,name=org.qemu.guest_agent.0",
		"-virtfs", "local,path=" + shareDir(dir) + ",mount_tag=" + guestconfig.Tag + ",security_model=none,readonly=on",
	}
	if m.HostsFile != "" {
		args = append(args, "-virtfs", "local,path="+experimentDir(dir)+",mount_tag="+guestconfig.ExperimentTag+",security_model=none,readonly=on")
	}
	for _, s := range m.Mounts {
		opt := "local,path=" + s.Source + ",mount_tag=" + s.Tag() + ",security_model=none"
		if s.ReadOnly {
			opt += ",readonly=on"
		}
		args = append(args, "-virtfs", opt)
	}
	if m.Boot.Kernel != "" {
		args = append(args, "-kernel", m.Boot.Kernel)
		if m.Boot.Initrd != "" {
			args = append(args, "-initrd", m.Boot.Initrd)
		}
		args = append(args, "-append", strings.TrimSpace("console=ttyS0 panic=-1 "+m.Boot.KernelArgs))
	}
	if m.Boot.Image != "" {
		args = append(args, "-drive", "file="+overlayFile(dir)+",if=virtio,format=qcow2")
	}
	if m.Guest == guestCloudInit {
		args = append(args, "-drive", "file="+seedFile(dir)+",if=virtio,format=raw,readonly=on")
	}
	for i, f := range m.Ifaces {
		id := "n" + strconv.Itoa(i)
		switch {
		case f.Kind == contract.KindBridge:
			args = append(args, "-netdev", "tap,id="+id+",ifname="+f.HostDevice+",script=no,downscript=no")
		case wired(f):
			args = append(args, "-netdev", "vde,id="+id+",sock="+wireFor(m, f).Hub())
		default:
			args = append(args, "-netdev", "vde,id="+id+",sock="+f.VDESocket+",port="+strconv.Itoa(f.VDEPort))
		}
		dev := "virtio-net-pci,netdev=" + id + ",mac=" + f.MAC.String()
		if f.MTU > 0 {
			dev += ",host_mtu=" + strconv.Itoa(f.MTU)
		}
		args = append(args, "-device", dev)
	}
	if len(m.Forwards) > 0 {
		user := "user,id=fwd,restrict=on,net=" + slirpNet.String()
		for _, f := range m.Forwards {
			user += fmt.Sprintf(",hostfwd=%s:%s:%d-:%d", f.Protocol, f.HostAddr, f.HostPort, f.GuestPort)
		}
		args = append(args, "-netdev", user, "-device", "virtio-net-pci,netdev=fwd,mac="+m.forwardMAC().String())
	}
	return args, nil
}

// waitBooted waits for the machine's QMP to say it runs and for its
// guest's agent to answer, within timeout; a QEMU that ends meanwhile is
// an error with what it and the console said last.
func (p *Provider) waitBooted(ctx context.Context, m vm, dir string, proc daemon.Process, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	runDir := filepath.Dir(filepath.Dir(dir))
	died := func() error {
		return fmt.Errorf("QEMU ended while the machine booted; it said:\n%s\nThe console said last:\n%s", tail(qemuLog(runDir, m.Name), 10), tail(consoleLog(runDir, m.Name), 10))
	}
	for {
		st, err := status(ctx, dir)
		if err == nil && st.Status != "running" {
			return fmt.Errorf("the machine is %s, not running", st.Status)
		}
		if err == nil {
			break
		}
		if !proc.Alive() {
			return died()
		}
		if ctx.Err() != nil {
			return fmt.Errorf("QEMU's control socket did not answer within %v: %v", timeout, err)
		}
		sleep(ctx, 50*time.Millisecond)
	}
	lock := p.agentLock(m.Name)
	lock.Lock()
	defer lock.Unlock()
	var last error
	for {
		if !proc.Alive() {
			return died()
		}
		if ctx.Err() != nil {
			return fmt.Errorf("the guest's agent did not answer within %v (site %s sets the time; a guest must run an agent of the QEMU guest agent protocol on the port org.qemu.guest_agent.0, as qemu-guest-agent does): %v; the console said last:\n%s", timeout, SiteBootTimeout, last, tail(consoleLog(runDir, m.Name), 10))
		}
		if last = pingAgent(ctx, agentSocket(dir)); last == nil {
			return nil
		}
		sleep(ctx, 100*time.Millisecond)
	}
}

func pingAgent(ctx context.Context, sock string) error {
	ctx, cancel := context.WithTimeout(ctx, agentTry)
	defer cancel()
	c, err := qga.Dial(ctx, sock)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Ping(ctx)
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// status asks the machine whose directory is dir its run state.
func status(ctx context.Context, dir string) (qmp.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, qmpTimeout)
	defer cancel()
	c, err := qmp.Dial(ctx, qmpSocket(dir))
	if err != nil {
		return qmp.Status{}, err
	}
	defer c.Close()
	return c.QueryStatus(ctx)
}

// tail returns the last lines of a log file, or a note that it has none.
func tail(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return "  (nothing)"
	}
	ls := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return "  " + strings.Join(ls, "\n  ")
}

// recordedProcess is the QEMU process a vnode records.
func recordedProcess(v cty.Value) daemon.Process {
	return daemon.Process{Pid: int(num(v, "pid")), StartTime: uint64(num(v, "start_time"))}
}

// isMachine reports whether proc runs, and is the QEMU benito started for
// the machine whose directory is dir: of the recorded start time, and
// given that machine's QMP socket.
func isMachine(proc daemon.Process, dir string) bool {
	if proc.Pid <= 0 || !proc.Alive() {
		return false
	}
	return slices.Contains(proc.Args(), "unix:"+qmpSocket(dir)+",server=on,wait=off")
}

// readVM reads a machine back: gone (null) when its QEMU is not running,
// or its guest is shut down, panicked or stopped on an error; an
// interface whose TAP or wire is gone, or whose shaping was changed by
// hand, reads back so.
func (p *Provider) readVM(ctx context.Context, cur cty.Value) (cty.Value, error) {
	runDir, _, d := p.config()
	name := str(cur, "name")
	dir := vmDir(runDir, name)
	if !isMachine(recordedProcess(cur), dir) {
		return cty.NilVal, nil
	}
	st, err := status(ctx, dir)
	if err != nil {
		return cty.NilVal, fmt.Errorf("the machine's QEMU runs, but its control socket does not answer: %v", err)
	}
	switch st.Status {
	case "shutdown", "internal-error", "guest-panicked", "io-error":
		return cty.NilVal, nil
	}
	m, err := decodeVM(cur, d)
	if err != nil {
		// Recorded values that do not decode: read back as recorded, and
		// the plan compares them with the configuration.
		return cur, nil
	}
	ifs, err := p.readNICs(m, cur)
	if err != nil {
		return cty.NilVal, err
	}
	return providers.WithAttrs(cur, map[string]cty.Value{"interfaces": ifs}), nil
}

// vmRemains reports whether anything of a machine is on the host: its
// process, directory, logs or cgroup.
func (p *Provider) vmRemains(cur cty.Value) bool {
	runDir, _, _ := p.config()
	name := str(cur, "name")
	if isMachine(recordedProcess(cur), vmDir(runDir, name)) || group(runDir, name).Exists() {
		return true
	}
	for _, f := range []string{vmDir(runDir, name), qemuLog(runDir, name), consoleLog(runDir, name)} {
		if _, err := os.Lstat(f); err == nil {
			return true
		}
	}
	return false
}

func (p *Provider) deleteVM(ctx context.Context, prior cty.Value) error {
	_, _, d := p.config()
	m, _ := decodeVM(prior, d) // what decodes: a bad recorded value is still removed
	return p.removeVM(ctx, str(prior, "name"), m.Ifaces, recordedProcess(prior))
}

// removeVM removes machine name: asks the guest to power down (through its
// agent, and ACPI through QMP) and waits for QEMU to end, up to the
// site's stop timeout, then kills what is left in its cgroup (QEMU, its
// wires); removes its TAPs, directory and logs. What is gone already is
// no error. ifaces are the interfaces recorded (their TAPs and wires);
// the host is searched for others by the experiment's marks.
func (p *Provider) removeVM(ctx context.Context, name string, ifaces []nic, proc daemon.Process) error {
	runDir, _, d := p.config()
	if !providers.ValidNodeName(name) {
		return fmt.Errorf("node name %q cannot name a directory", name)
	}
	dir := vmDir(runDir, name)
	g := group(runDir, name)
	if isMachine(proc, dir) {
		p.powerDown(ctx, name, dir, proc, d.StopTimeout)
	}
	var errs []error
	if err := g.Kill(daemon.KillWait); err != nil {
		errs = append(errs, err)
	}
	if g.IsZero() && isMachine(proc, dir) {
		// No cgroup on this host: the recorded process alone.
		if err := proc.Stop(time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	if err := stopWires(dir); err != nil {
		errs = append(errs, err)
	}
	if err := deleteTaps(runDir, name, ifaces); err != nil {
		errs = append(errs, err)
	}
	for _, f := range []string{qemuLog(runDir, name), consoleLog(runDir, name)} {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := unshareHosts(dir); err != nil {
		errs = append(errs, err)
	} else if err := os.RemoveAll(dir); err != nil {
		errs = append(errs, err)
	}
	providers.Prune(func() {
		for _, sub := range []string{filepath.Join(runDir, "qemu"), logDir(runDir), filepath.Dir(logDir(runDir))} {
			_ = os.Remove(sub) // only when empty
		}
		if eg, err := providers.ExperimentGroup(runDir, Name); err == nil {
			eg.Prune() // only when empty
		}
	})
	return errors.Join(errs...)
}

// powerDown asks the guest to power down, through its agent and by ACPI,
// and waits up to timeout for QEMU to end.
func (p *Provider) powerDown(ctx context.Context, name, dir string, proc daemon.Process, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	func() {
		lock := p.agentLock(name)
		lock.Lock()
		defer lock.Unlock()
		actx, acancel := context.WithTimeout(ctx, agentTry)
		defer acancel()
		if c, err := qga.Dial(actx, agentSocket(dir)); err == nil {
			_ = c.Shutdown(actx, "powerdown")
			c.Close()
		}
	}()
	if c, err := qmp.Dial(ctx, qmpSocket(dir)); err == nil {
		_ = c.SystemPowerdown(ctx)
		c.Close()
	}
	for proc.Alive() && ctx.Err() == nil {
		sleep(ctx, 50*time.Millisecond)
	}
}

// shareHosts makes the directory the guest sees as the experiment's
// (guestconfig.ExperimentTag): the experiment's hosts file alone, bound
// into it, which the guest binds over its /etc/hosts; the config provider
// rewrites the file in place, and the bind follows. Not the whole config
// directory: its other files (topology.xml) may be readable by root
// alone, and every guest's root would read them.
func shareHosts(m vm, dir string) error {
	if m.HostsFile == "" {
		return nil
	}
	target := filepath.Join(experimentDir(dir), "hosts")
	if err := os.MkdirAll(experimentDir(dir), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(target, nil, 0o644); err != nil {
		return err
	}
	if err := unix.Mount(m.HostsFile, target, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("binding the experiment's hosts file %s into the machine's share: %w", m.HostsFile, err)
	}
	return nil
}

// unshareHosts undoes shareHosts (every bind there, should a crash have
// left several); nothing there is no error.
func unshareHosts(dir string) error {
	target := filepath.Join(experimentDir(dir), "hosts")
	for {
		err := unix.Unmount(target, unix.MNT_DETACH)
		switch {
		case err == nil:
			continue
		case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOENT):
			return nil
		default:
			return fmt.Errorf("unbinding %s: %w", target, err)
		}
	}
}
