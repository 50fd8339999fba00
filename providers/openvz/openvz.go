package openvz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/ostemplate"
	"github.com/benito-net/benito/internal/privatearea"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/process"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/sys/unix"
)

// Name is the provider's name: the node type it serves.
const Name = contract.NodeOpenVZ

// New returns an unconfigured provider of OpenVZ-style containers.
func New() *process.Provider {
	return process.NewContainer(&platform{goPipes: map[string]*os.File{}, lowers: map[lowerKey]string{}})
}

// platform is the container side of the provider (process.Container).
type platform struct {
	mu   sync.Mutex
	site site
	// goPipes are the write ends of the go pipes of containers started
	// and not yet run, by node directory.
	goPipes map[string]*os.File
	// lowers are the templates unpacked, by tarball as it was.
	lowers map[lowerKey]string
}

var _ process.Container = (*platform)(nil)

// lowerKey is a template tarball as stat shows it: a tarball changed in
// place is unpacked again (ostemplate.Cache hashes its content).
type lowerKey struct {
	path       string
	size, mtim int64
	ino        uint64
}

func (p *platform) Type() string { return Name }
func (p *platform) Kind() string { return "OpenVZ" }

func (p *platform) Configure(m map[string]string) error {
	s, err := readSite(m)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.site = s
	p.mu.Unlock()
	return nil
}

func (p *platform) siteNow() site {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.site
}

// Stop timeout, and how long a container may take to be ready.
const readyTimeout = 30 * time.Second

func (p *platform) Computed() map[string]*providers.Attribute {
	return map[string]*providers.Attribute{
		"container":       {Type: containerType, Computed: true, Description: "the container's settings, the node's or the site's where it sets none (ctid, template tarball, diskspace in bytes, init, nameservers); a change replaces the container"},
		"limits":          {Type: limitsType, Computed: true, Description: "the container's cgroup limits, memory in MiB and cpus, 0 for none; changed in place"},
		"private":         {Type: cty.String, Computed: true, Description: "the container's private area: its root file system (root/), its writes, and with a diskspace their file system's image"},
		"root":            {Type: cty.String, Computed: true, Description: "the container's root directory on the host (an overlay of the template and the private area)"},
		"init_pid":        {Type: cty.Number, Computed: true, RunTime: true, Description: "the host's pid of the container's init (its PID 1)"},
		"init_start_time": {Type: cty.Number, Computed: true, RunTime: true, Description: "the start time of that init (clock ticks since boot), which tells it from a later process with its pid"},
	}
}

// ForceNew: the template, and what is fixed when the container starts.
func (p *platform) ForceNew() []string {
	return []string{"image", "ctid", "hostname", "diskspace", "init", "nameservers"}
}

func (p *platform) Fresh() map[string]cty.Value {
	return map[string]cty.Value{"init_pid": cty.UnknownVal(cty.Number), "init_start_time": cty.UnknownVal(cty.Number)}
}

func (p *platform) Validate(cfg cty.Value) providers.Diagnostics {
	if _, err := p.siteNow().decode(cfg); err != nil {
		return providers.Diagnostics{{Summary: "Invalid OpenVZ node", Detail: fmt.Sprintf("Node %q: %v.", providers.AttrString(cfg, "name"), err)}}
	}
	return nil
}

// privateDir is where node's private area is: RUN_DIR/private/NODE, as
// vzctl's /vz/private/CTID, outside the node's directory, which a delete
// removes with its contents.
func privateDir(runDir, name string) string { return filepath.Join(areasDir(runDir), name) }

// areasDir holds the experiment's private areas. It is a shared mount (a
// bind mount of itself), so that the areas' mounts under it are shared
// too: a mount namespace made on the host while an area is mounted (a
// process node's, a slave of the host's) holds copies of its mounts,
// which its unmounting reaches. Under a plain directory, on a host whose
// root is private, such a copy would keep the area's file system, and its
// loop device, busy for as long as that namespace lives. A container's
// own namespace makes its mounts private and lets go of the host's before
// init runs.
func areasDir(runDir string) string { return filepath.Join(runDir, "private") }

// areas serializes the set-up and pruning of areas directories within
// this process.
var areas sync.Mutex

// prepareAreas makes runDir's areas directory, a shared mount. The caller
// holds a providers.MakeDir of the run directory (the engine's, around
// Start), so that no prune removes it meanwhile.
func prepareAreas(runDir string) error {
	dir := areasDir(runDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	areas.Lock()
	defer areas.Unlock()
	return providers.SetPropagation(dir, unix.MS_SHARED)
}

// Prune unmounts and removes the areas directory once empty.
func (p *platform) Prune(runDir string) {
	dir := areasDir(runDir)
	if entries, err := os.ReadDir(dir); err != nil || len(entries) > 0 {
		return
	}
	areas.Lock()
	defer areas.Unlock()
	if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return
	}
	os.Remove(dir)
}

func (p *platform) Plan(v cty.Value) map[string]cty.Value {
	st, err := p.siteNow().decode(v)
	if err != nil {
		return nil
	}
	return plannedAttrs(st, v)
}

// plannedAttrs are the computed attributes of vnode v, of settings st,
// known before it runs.
func plannedAttrs(st settings, v cty.Value) map[string]cty.Value {
	dir := privateDir(providers.AttrString(v, "run_dir"), providers.AttrString(v, "name"))
	return map[string]cty.Value{
		"container": st.containerValue(),
		"limits":    limitsValue(st.MemoryMiB, st.CPUs),
		"private":   cty.StringVal(dir),
		"root":      cty.StringVal(filepath.Join(dir, "root")),
	}
}

func (p *platform) Replace(prior, planned cty.Value) []cty.Path {
	a, b := prior.GetAttr("container"), planned.GetAttr("container")
	if !a.IsNull() && !providers.ValuesEqual(a, b) {
		return []cty.Path{cty.GetAttrPath("container")}
	}
	return nil
}

// initPidFile names a node's init.
func initPidFile(n process.Node) string { return filepath.Join(n.Dir, "init") }

func (p *platform) Start(n process.Node) (daemon.Process, map[string]cty.Value, error) {
	st, err := p.siteNow().decode(n.Config)
	if err != nil {
		return daemon.Process{}, nil, err
	}
	dir := privateDir(n.RunDir, n.Name)
	attrs := plannedAttrs(st, n.Config)
	lower, err := p.lower(st.Template)
	if err != nil {
		return daemon.Process{}, nil, err
	}
	if err := prepareAreas(n.RunDir); err != nil {
		return daemon.Process{}, attrs, fmt.Errorf("private areas: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	area, err := privatearea.Create(ctx, privatearea.Spec{Dir: dir, Lower: lower, Size: uint64(st.Diskspace)})
	if err != nil {
		return daemon.Process{}, attrs, err
	}
	// Limits before the first process: it is born under them.
	if err := n.Group.SetLimits(st.limits()); err != nil {
		return daemon.Process{}, attrs, fmt.Errorf("limits: %w", err)
	}
	proc, goW, err := startShim(n, shimConfig{Root: area.Root(), Hostname: st.Hostname, HostsFile: n.HostsFile, Nameservers: st.Nameservers, Init: st.Init})
	if err != nil {
		return daemon.Process{}, attrs, err
	}
	attrs["init_pid"] = cty.NumberIntVal(int64(proc.Pid))
	attrs["init_start_time"] = cty.NumberUIntVal(proc.StartTime)
	p.mu.Lock()
	p.goPipes[n.Dir] = goW
	p.mu.Unlock()
	return proc, attrs, nil
}

// lower returns the template tarball unpacked (ostemplate.Cache), once per
// tarball as it is.
func (p *platform) lower(tarball string) (string, error) {
	fi, err := os.Stat(tarball)
	if err != nil {
		return "", fmt.Errorf("template: %w", err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	key := lowerKey{tarball, fi.Size(), fi.ModTime().UnixNano(), st.Ino}
	p.mu.Lock()
	dir, ok := p.lowers[key]
	p.mu.Unlock()
	if ok {
		if _, err := os.Stat(dir); err == nil {
			return dir, nil
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir, err = ostemplate.Cache(ctx, tarball, p.siteNow().CacheDir)
	if err != nil {
		return "", err
	}
	p.mu.Lock()
	p.lowers[key] = dir
	p.mu.Unlock()
	return dir, nil
}

// startShim starts the container's first process (shim.go) and waits until
// it is ready: its root file system set up, held before init. It returns
// the process and the write end of its go pipe.
func startShim(n process.Node, cfg shimConfig) (daemon.Process, *os.File, error) {
	arg, err := json.Marshal(cfg)
	if err != nil {
		return daemon.Process{}, nil, err
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return daemon.Process{}, nil, err
	}
	defer readyR.Close()
	goR, goW, err := os.Pipe()
	if err != nil {
		readyW.Close()
		return daemon.Process{}, nil, err
	}
	proc, err := daemon.Start(daemon.Spec{
		Path:       "/proc/self/exe",
		Argv0:      shimName,
		Args:       []string{string(arg)},
		Env:        []string{},
		Dir:        "/",
		Log:        n.Log,
		Cloneflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWUTS | syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWIPC,
		Group:      n.Group,
		ExtraFiles: []*os.File{readyW, goR},
	})
	readyW.Close()
	goR.Close()
	if err != nil {
		goW.Close()
		return daemon.Process{}, nil, fmt.Errorf("starting the container: %w", err)
	}
	if err := daemon.WritePidFile(initPidFile(n), proc, shimName); err != nil {
		goW.Close()
		return proc, nil, err
	}
	msg := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(readyR, 4096))
		msg <- string(b)
	}()
	select {
	case m := <-msg:
		if m == "ok" {
			return proc, goW, nil
		}
		goW.Close()
		if m == "" {
			m = "it ended before it was ready; " + n.Log + " ends with:\n" + providers.LogTail(n.Log, 5)
		}
		return proc, nil, fmt.Errorf("setting the container up: %s", m)
	case <-time.After(readyTimeout):
		goW.Close()
		readyR.Close()
		return proc, nil, fmt.Errorf("the container was not ready after %s; %s ends with:\n%s", readyTimeout, n.Log, providers.LogTail(n.Log, 5))
	}
}

// Run lets the container's init run, and waits until it does: the shim
// has made way for it (execve), and it is still there a moment later.
func (p *platform) Run(n process.Node) error {
	p.mu.Lock()
	goW := p.goPipes[n.Dir]
	delete(p.goPipes, n.Dir)
	p.mu.Unlock()
	if goW == nil {
		return fmt.Errorf("the container was not started by this provider")
	}
	_, err := goW.Write([]byte{1})
	goW.Close()
	if err != nil {
		return fmt.Errorf("starting init: %w", err)
	}
	proc, _, err := daemon.ReadPidFile(initPidFile(n))
	if err != nil {
		return err
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if !proc.Alive() {
			break
		}
		if args := proc.Args(); len(args) > 0 && args[0] != shimName {
			// init runs; one that fails at once fails the create.
			time.Sleep(initSettle)
			if proc.Alive() {
				return nil
			}
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("the container's init ended; %s ends with:\n%s", n.Log, providers.LogTail(n.Log, 5))
}

// initSettle is how long a new init must live for the create to succeed.
const initSettle = 50 * time.Millisecond

func (p *platform) Update(n process.Node, prior cty.Value) (map[string]cty.Value, error) {
	st, err := p.siteNow().decode(n.Config)
	if err != nil {
		return nil, err
	}
	want := limitsValue(st.MemoryMiB, st.CPUs)
	if !providers.ValuesEqual(prior.GetAttr("limits"), want) {
		if err := n.Group.SetLimits(st.limits()); err != nil {
			return nil, fmt.Errorf("limits: %w", err)
		}
	}
	set := plannedAttrs(st, n.Config)
	for _, a := range []string{"init_pid", "init_start_time"} {
		set[a] = prior.GetAttr(a)
	}
	return set, nil
}

// initOf is a node's init as its pid file names it (the provider's own,
// in the run directory): never as a state records it, which is input.
func initOf(n process.Node) daemon.Process {
	proc, _, _ := daemon.ReadPidFile(initPidFile(n))
	return proc
}

func (p *platform) Read(n process.Node) (map[string]cty.Value, bool, error) {
	init := initOf(n)
	if !init.Alive() {
		return nil, false, nil
	}
	if pid := providers.AttrInt(n.Config, "init_pid"); pid > 0 && (int(pid) != init.Pid || uint64(providers.AttrInt(n.Config, "init_start_time")) != init.StartTime) {
		// Another init than the one recorded: not the container the
		// state knows.
		return nil, false, nil
	}
	l, err := n.Group.Limits()
	if err != nil {
		return nil, true, err
	}
	got := limitsValue(int64(l.MemoryBytes>>20), l.CPUs)
	if !providers.ValuesEqual(n.Config.GetAttr("limits"), got) {
		return map[string]cty.Value{"limits": got}, true, nil
	}
	return nil, true, nil
}

// Stop sends SIGTERM to init alone (busybox init and systemd shut down on
// it, running their stop scripts), and waits up to the site's stop
// timeout for it to end: with it, the container's PID namespace ends,
// and the kernel kills what else runs there.
func (p *platform) Stop(n process.Node) {
	proc := initOf(n)
	if !proc.Alive() {
		return
	}
	if err := syscall.Kill(proc.Pid, syscall.SIGTERM); err != nil {
		return
	}
	deadline := time.Now().Add(p.siteNow().StopTimeout)
	for proc.Alive() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *platform) Remove(n process.Node) error {
	p.mu.Lock()
	if goW := p.goPipes[n.Dir]; goW != nil {
		goW.Close()
		delete(p.goPipes, n.Dir)
	}
	p.mu.Unlock()
	// The container's mount namespace, which holds its root's mounts,
	// goes with its last process and pin in the kernel's own time:
	// privatearea.Remove waits a while for the loop device to be let go.
	return privatearea.Remove(privateDir(n.RunDir, n.Name))
}

func (p *platform) Remains(n process.Node) bool {
	_, err := os.Lstat(privateDir(n.RunDir, n.Name))
	return !errors.Is(err, fs.ErrNotExist)
}

func (p *platform) Found(runDir string, found providers.FoundNodes) {
	entries, _ := os.ReadDir(areasDir(runDir))
	for _, e := range entries {
		found.Add(e.Name(), "private area "+privateDir(runDir, e.Name()))
	}
}

func (p *platform) Init(n process.Node) (daemon.Process, error) {
	proc, _, err := daemon.ReadPidFile(initPidFile(n))
	if err != nil {
		return proc, fmt.Errorf("its init is not known: %w", err)
	}
	if !proc.Alive() {
		return proc, fmt.Errorf("its init (process %d) has ended", proc.Pid)
	}
	return proc, nil
}
