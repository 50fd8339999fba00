package qemu

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/qga"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// Routes, mounts, the startup command and the changes a running machine
// takes in place (addresses, ip_forward) are done in the guest through its
// agent (guest-exec of the QEMU guest agent protocol), with the guest's
// own ip, mount and sh: what a stock image running qemu-guest-agent has,
// as benito's test guest does.

// guestTimeout bounds one command benito runs in a guest.
const guestTimeout = 30 * time.Second

// guestPath is the PATH commands run with: guest-exec's environment, when
// given, is all the command gets.
const guestPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// errNoMachine says a node's machine does not run.
type errNoMachine struct {
	node  string
	cause error // why its agent could not be reached
}

func (e errNoMachine) Error() string {
	msg := fmt.Sprintf("node %s's machine is not running (benito plan shows it to be made again)", e.node)
	if e.cause != nil && !errors.Is(e.cause, syscall.ENOENT) && !errors.Is(e.cause, syscall.ECONNREFUSED) {
		// Not the plain absence of its socket: say what.
		msg += fmt.Sprintf(", or its guest agent cannot be reached: %v", e.cause)
	}
	return msg
}

// dialAgent connects to node's guest agent; the caller holds the node's
// agent lock.
func (p *Provider) dialAgent(ctx context.Context, node string) (*qga.Client, error) {
	runDir, _, _ := p.config()
	c, err := qga.Dial(ctx, agentSocket(vmDir(runDir, node)))
	if err != nil {
		return nil, errNoMachine{node, err}
	}
	return c, nil
}

// guest runs argv in node's guest and returns its result; the agent's
// channel is held for the call alone.
func (p *Provider) guest(ctx context.Context, node string, argv []string, env []string, stdin []byte) (*qga.Result, error) {
	lock := p.agentLock(node)
	lock.Lock()
	defer lock.Unlock()
	ctx, cancel := context.WithTimeout(ctx, guestTimeout)
	defer cancel()
	c, err := p.dialAgent(ctx, node)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if env == nil {
		env = []string{guestPath}
	}
	return c.Exec(ctx, argv, env, stdin)
}

// sh runs a shell script in node's guest (its arguments $1...) and fails
// unless it exits 0, with its error output.
//
// The scripts benito runs so are idempotent (a route replaced, a share
// mounted unless it is): one whose connection to the agent broke (QEMU
// resets a client it finds gone, an agent starting anew) is run again, a
// few times.
func (p *Provider) sh(ctx context.Context, node, script string, args ...string) (string, error) {
	var (
		r   *qga.Result
		err error
	)
	for try := 1; ; try++ {
		r, err = p.guest(ctx, node, append([]string{"/bin/sh", "-c", script, "sh"}, args...), nil, nil)
		if err == nil || try == 3 || !(errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
			break
		}
		sleep(ctx, 200*time.Millisecond)
	}
	if err != nil {
		return "", err
	}
	if r.ExitCode != 0 {
		return string(r.Stdout), fmt.Errorf("in the guest, %s: exit code %d: %s", firstLine(script), r.ExitCode, strings.TrimSpace(string(r.Stderr)))
	}
	return string(r.Stdout), nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// updateVM changes a running machine in place: its interfaces' addresses
// and shaping, and ip_forward. (Anything else replaces it: PlanResources.)
func (p *Provider) updateVM(ctx context.Context, m vm, prior, planned cty.Value) (cty.Value, error) {
	runDir, _, d := p.config()
	old, err := decodeVM(prior, d)
	if err != nil {
		return prior, err
	}
	if !isMachine(recordedProcess(prior), vmDir(runDir, m.Name)) {
		return prior, errNoMachine{node: m.Name}
	}
	before := map[string]nic{}
	for _, f := range old.Ifaces {
		before[f.Name] = f
	}
	for _, f := range m.Ifaces {
		if wired(f) {
			// Also when the values read back equal the planned ones:
			// read back from a wirefilter that died, they are zero.
			if _, err := wireFor(m, f).Ensure(); err != nil {
				return prior, fmt.Errorf("interface %s: %w", f.Name, err)
			}
		}
		if b, ok := before[f.Name]; !ok || b.Addr != f.Addr {
			script := `ip -4 addr flush dev "$1"`
			args := []string{f.Name}
			if f.Addr.IsValid() {
				script += ` && ip addr add "$2" dev "$1"`
				args = append(args, f.Addr.String())
			}
			if _, err := p.sh(ctx, m.Name, script, args...); err != nil {
				return prior, fmt.Errorf("interface %s: %w", f.Name, err)
			}
		}
	}
	if old.IPForward != m.IPForward {
		v := "0"
		if m.IPForward {
			v = "1"
		}
		if _, err := p.sh(ctx, m.Name, `echo "$1" > /proc/sys/net/ipv4/ip_forward`, v); err != nil {
			return prior, err
		}
	}
	return providers.WithAttrs(planned, map[string]cty.Value{
		"pid": prior.GetAttr("pid"), "start_time": prior.GetAttr("start_time"),
		"accelerator": prior.GetAttr("accelerator"),
	}), nil
}

// route is a decoded route resource.
type route struct {
	Node   string
	Dst    netip.Prefix
	Gw     netip.Addr
	Src    netip.Addr
	Device string
	Metric int
}

func decodeRoute(v cty.Value) (route, error) {
	r := route{Node: str(v, "node"), Device: str(v, "device"), Metric: int(num(v, "metric"))}
	if !providers.ValidNodeName(r.Node) {
		return r, fmt.Errorf("a route needs a node")
	}
	dst, err := netip.ParsePrefix(str(v, "destination"))
	if err != nil || !dst.Addr().Is4() {
		return r, fmt.Errorf("destination %q is not an IPv4 prefix", str(v, "destination"))
	}
	r.Dst = dst.Masked()
	for _, a := range []struct {
		attr string
		into *netip.Addr
	}{{"gateway", &r.Gw}, {"source", &r.Src}} {
		if s := str(v, a.attr); s != "" {
			if *a.into, err = netip.ParseAddr(s); err != nil || !a.into.Is4() {
				return r, fmt.Errorf("%s %q is not an IPv4 address", a.attr, s)
			}
		}
	}
	if r.Device != "" {
		if err := contract.CheckDeviceName(r.Device); err != nil {
			return r, fmt.Errorf("device: %w", err)
		}
	}
	if !r.Gw.IsValid() && r.Device == "" {
		return r, fmt.Errorf("route to %s needs a gateway or a device", r.Dst)
	}
	return r, nil
}

// ipArgs is the route as ip route takes it (after "ip route replace").
func (r route) ipArgs() []string {
	args := []string{r.Dst.String()}
	if r.Gw.IsValid() {
		args = append(args, "via", r.Gw.String())
	}
	if r.Device != "" {
		args = append(args, "dev", r.Device)
	}
	args = append(args, "metric", strconv.Itoa(r.Metric))
	if r.Src.IsValid() {
		args = append(args, "src", r.Src.String())
	}
	return args
}

func (p *Provider) applyRoute(ctx context.Context, prior, planned cty.Value) (cty.Value, error) {
	if !prior.IsNull() {
		old, err := decodeRoute(prior)
		if err == nil && (planned.IsNull() || old.Metric != int(num(planned, "metric"))) {
			// The kernel tells routes apart by destination and metric:
			// a changed metric is a new route, the old one goes.
			if _, err := p.sh(ctx, old.Node, `ip route del "$@" 2>/dev/null || true`, old.Dst.String(), "metric", strconv.Itoa(old.Metric)); err != nil {
				if _, gone := err.(errNoMachine); !gone || !planned.IsNull() {
					return prior, err
				}
			}
		}
	}
	if planned.IsNull() {
		return cty.NilVal, nil
	}
	r, err := decodeRoute(planned)
	if err != nil {
		return prior, err
	}
	if _, err := p.sh(ctx, r.Node, `ip route replace "$@"`, r.ipArgs()...); err != nil {
		return prior, err
	}
	return planned, nil
}

// readRoute finds the route in the guest's main table: gone (null) when
// no route has its destination and metric, or its machine is gone; a
// gateway or device changed by hand reads back changed.
func (p *Provider) readRoute(ctx context.Context, cur cty.Value) (cty.Value, error) {
	r, err := decodeRoute(cur)
	if err != nil {
		return cur, nil
	}
	out, err := p.sh(ctx, r.Node, `ip -4 route show`)
	if _, gone := err.(errNoMachine); gone {
		return cty.NilVal, nil
	}
	if err != nil {
		return cur, err
	}
	for _, got := range parseRoutes(out) {
		if got.Dst != r.Dst || got.Metric != r.Metric {
			continue
		}
		set := map[string]cty.Value{}
		if got.Gw != r.Gw {
			set["gateway"] = optString(got.Gw)
		}
		if r.Device != "" && got.Device != r.Device {
			set["device"] = cty.StringVal(got.Device)
		}
		if len(set) == 0 {
			return cur, nil
		}
		return providers.WithAttrs(cur, set), nil
	}
	return cty.NilVal, nil
}

func optString(a netip.Addr) cty.Value {
	if !a.IsValid() {
		return cty.NullVal(cty.String)
	}
	return cty.StringVal(a.String())
}

// parseRoutes reads the output of ip -4 route show (iproute2's or
// busybox's): one route a line, the destination first, then keywords and
// their values.
func parseRoutes(out string) []route {
	var rs []route
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		var r route
		switch dst := f[0]; {
		case dst == "default":
			r.Dst = netip.MustParsePrefix("0.0.0.0/0")
		case strings.Contains(dst, "/"):
			p, err := netip.ParsePrefix(dst)
			if err != nil {
				continue
			}
			r.Dst = p.Masked()
		default:
			a, err := netip.ParseAddr(dst)
			if err != nil {
				continue
			}
			r.Dst = netip.PrefixFrom(a, a.BitLen())
		}
		for i := 1; i+1 < len(f); i++ {
			switch f[i] {
			case "via":
				r.Gw, _ = netip.ParseAddr(f[i+1])
			case "dev":
				r.Device = f[i+1]
			case "metric":
				r.Metric, _ = strconv.Atoi(f[i+1])
			case "src":
				r.Src, _ = netip.ParseAddr(f[i+1])
			}
		}
		rs = append(rs, r)
	}
	return rs
}

// 9P mounts: the machine exports every mount's source from boot (its
// vnode's mounts); the mount resource mounts the share in the guest, by
// its tag, and reads it back from the guest's /proc/mounts.
const mountScript = `grep -q "^$1 $2 9p " /proc/mounts && exit 0
mkdir -p "$2" && mount -t 9p -o "trans=virtio,version=9p2000.L,msize=262144,$3" "$1" "$2"`

func (p *Provider) applyMount(ctx context.Context, prior, planned cty.Value) (cty.Value, error) {
	if !prior.IsNull() {
		node, target := str(prior, "node"), str(prior, "target")
		_, err := p.sh(ctx, node, `! grep -q " $1 9p " /proc/mounts || umount "$1"`, target)
		if _, gone := err.(errNoMachine); err != nil && !gone {
			return prior, err
		}
	}
	if planned.IsNull() {
		return cty.NilVal, nil
	}
	s := share{Source: str(planned, "source"), Target: str(planned, "target"), ReadOnly: boolean(planned, "read_only")}
	if err := checkShare(s); err != nil {
		return prior, err
	}
	mode := "rw"
	if s.ReadOnly {
		mode = "ro"
	}
	if _, err := p.sh(ctx, str(planned, "node"), mountScript, s.Tag(), s.Target, mode); err != nil {
		return prior, fmt.Errorf("mounting %s at %s: %w (a VM shares the directories its vnode had when it started: a mount added since needs a new machine, which the plan shows)", s.Source, s.Target, err)
	}
	return planned, nil
}

func (p *Provider) readMount(ctx context.Context, cur cty.Value) (cty.Value, error) {
	s := share{Source: str(cur, "source"), Target: str(cur, "target"), ReadOnly: boolean(cur, "read_only")}
	out, err := p.sh(ctx, str(cur, "node"), `cat /proc/mounts`)
	if _, gone := err.(errNoMachine); gone {
		return cty.NilVal, nil
	}
	if err != nil {
		return cur, err
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[0] == s.Tag() && f[1] == s.Target && f[2] == "9p" {
			ro := strings.HasPrefix(f[3], "ro")
			return providers.WithAttrs(cur, map[string]cty.Value{"read_only": cty.BoolVal(ro)}), nil
		}
	}
	return cty.NilVal, nil
}

// The startup command runs in the guest, detached from the agent's call,
// through a shell that records its exit status (statusFile) and appends
// its output to startupLog, in the guest. The command reaches that shell
// in its environment (guest-exec's env), never in its arguments, which
// the guest's ps shows: it may hold a secret. The shell takes it out of
// the environment before it runs it.
const (
	startupEnv  = "BENITO_STARTUP_COMMAND"
	statusFile  = "/run/benito-startup.status"
	startupLog  = "/run/benito-startup.log"
	startupWrap = `rm -f ` + statusFile + `; c=$` + startupEnv + `; unset ` + startupEnv + `
(eval "$c") < /dev/null >> ` + startupLog + ` 2>&1
echo "exited with code $?" > ` + statusFile
)

// Startup statuses, as the process provider has them.
const (
	statusRunning = "running"
	statusDone    = "exited with code 0"
)

// startupSettle is how long a create waits for the command to fail.
const startupSettle = 500 * time.Millisecond

func startupFailed(status string) bool {
	return status != "" && status != statusRunning && status != statusDone
}

func (p *Provider) applyStartup(ctx context.Context, prior, planned cty.Value) (cty.Value, error) {
	if !prior.IsNull() {
		if pid := num(prior, "pid"); pid > 0 {
			// The wrapper and the command: its process group.
			// The wrapper, its process group (benito's agent starts each
			// command in one of its own) and its children.
			_, err := p.sh(ctx, str(prior, "node"), `pkill -TERM -P "$1" 2>/dev/null; kill -TERM -- "-$1" "$1" 2>/dev/null; true`, strconv.FormatInt(pid, 10))
			if _, gone := err.(errNoMachine); err != nil && !gone {
				return prior, err
			}
		}
	}
	if planned.IsNull() {
		return cty.NilVal, nil
	}
	node := str(planned, "node")
	lock := p.agentLock(node)
	pid, err := func() (int64, error) {
		lock.Lock()
		defer lock.Unlock()
		cctx, cancel := context.WithTimeout(ctx, guestTimeout)
		defer cancel()
		c, err := p.dialAgent(cctx, node)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		var e qga.Exec
		args := qga.ExecArgs{Path: "/bin/sh", Arg: []string{"-c", startupWrap}, Env: []string{guestPath, startupEnv + "=" + str(planned, "command")}}
		if err := c.Call(cctx, qga.CmdExec, args, &e); err != nil {
			return 0, err
		}
		return e.PID, nil
	}()
	if err != nil {
		return prior, fmt.Errorf("starting the startup command: %w", err)
	}
	v := providers.WithAttrs(planned, map[string]cty.Value{"pid": cty.NumberIntVal(pid), "status": cty.StringVal(statusRunning)})
	sleep(ctx, startupSettle)
	st, err := p.startupStatus(ctx, node, pid)
	if err != nil {
		return v, err
	}
	v = providers.WithAttrs(v, map[string]cty.Value{"status": cty.StringVal(st)})
	if startupFailed(st) {
		log, _ := p.sh(ctx, node, `tail -n 10 `+startupLog)
		return v, fmt.Errorf("the startup command %s; the end of its output (in the guest, %s):\n%s", st, startupLog, log)
	}
	return v, nil
}

// startupStatus reads the status of the startup command whose wrapper is
// pid in node's guest.
func (p *Provider) startupStatus(ctx context.Context, node string, pid int64) (string, error) {
	out, err := p.sh(ctx, node, `cat `+statusFile+` 2>/dev/null || { kill -0 "$1" 2>/dev/null && echo running || echo "ended without an exit status"; }`, strconv.FormatInt(pid, 10))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(out), nil
}

func (p *Provider) readStartup(ctx context.Context, cur cty.Value) (cty.Value, error) {
	st, err := p.startupStatus(ctx, str(cur, "node"), num(cur, "pid"))
	if _, gone := err.(errNoMachine); gone {
		return cty.NilVal, nil
	}
	if err != nil {
		return cur, err
	}
	return providers.WithAttrs(cur, map[string]cty.Value{"status": cty.StringVal(st)}), nil
}

// maxStdin bounds what benito exec hands a guest command as its input:
// guest-exec takes input whole, in its request.
const maxStdin = 8 << 20

// Exec runs a command in a QEMU node's guest through its agent: the
// input is read whole first (guest-exec takes it in its request), and the
// output comes when the command has ended. There is no terminal (benito
// console NODE attaches to the guest's serial console).
func (p *Provider) Exec(ctx context.Context, req providers.ExecRequest) providers.ExecResponse {
	if req.Type != contract.VNode {
		return providers.ExecNotSupported(Name, req)
	}
	if err := p.checkRecorded(req.Type, req.Value); err != nil {
		return providers.ExecResponse{ExitCode: -1, Diagnostics: providers.RefuseRecorded(req.Address, err)}
	}
	if len(req.Args) == 0 {
		return providers.ExecResponse{ExitCode: -1, Diagnostics: providers.Errorf(req.Address, "No command to run")}
	}
	node := str(req.Value, "name")
	runDir, _, _ := p.config()
	if !isMachine(recordedProcess(req.Value), vmDir(runDir, node)) {
		return providers.ExecResponse{ExitCode: -1, Diagnostics: providers.Errorf(req.Address, "Node not running: %v", errNoMachine{node: node})}
	}
	var stdin []byte
	// On a terminal (benito exec from one), the command runs all the same,
	// without one and without input: what is typed is not a file's end.
	if req.Stdin != nil && req.Terminal == nil {
		var buf bytes.Buffer
		n, err := buf.ReadFrom(io.LimitReader(req.Stdin, maxStdin+1))
		if err != nil {
			return providers.ExecResponse{ExitCode: -1, Diagnostics: providers.Errorf(req.Address, "Reading the command's input: %v", err)}
		}
		if n > maxStdin {
			return providers.ExecResponse{ExitCode: -1, Diagnostics: providers.Errorf(req.Address, "The command's input is more than %d MiB, which a guest agent takes in one request: copy large files through a mount instead", maxStdin>>20)}
		}
		stdin = buf.Bytes()
	}
	// The request's environment, but for PATH: the host's is no
	// guest's.
	env := []string{}
	for _, kv := range req.Env {
		if !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	env = append(env, guestPath)
	lock := p.agentLock(node)
	lock.Lock()
	defer lock.Unlock()
	c, err := p.dialAgent(ctx, node)
	if err != nil {
		return providers.ExecResponse{ExitCode: -1, Diagnostics: providers.Errorf(req.Address, "Node not running: %v", err)}
	}
	defer c.Close()
	r, err := c.Exec(ctx, req.Args, env, stdin)
	if err != nil {
		return providers.ExecResponse{ExitCode: -1, Diagnostics: providers.Errorf(req.Address, "Cannot run %s in the guest: %v", req.Args[0], err)}
	}
	switch {
	case req.Terminal != nil:
		// A terminal in raw mode: both outputs on it, lines ended as a
		// terminal's are.
		if req.Stdout != nil {
			crlf := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }
			req.Stdout.Write(crlf(r.Stdout))
			req.Stdout.Write(crlf(r.Stderr))
		}
	default:
		if req.Stdout != nil {
			req.Stdout.Write(r.Stdout)
		}
		if req.Stderr != nil {
			req.Stderr.Write(r.Stderr)
		}
	}
	if r.Signal != 0 {
		return providers.ExecResponse{ExitCode: -1, Signal: syscall.Signal(r.Signal)}
	}
	return providers.ExecResponse{ExitCode: r.ExitCode}
}
