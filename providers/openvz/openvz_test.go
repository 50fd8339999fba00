package openvz

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/syncbuf"
	"github.com/benito-net/benito/internal/testenv"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

func TestReadSite(t *testing.T) {
	s, err := readSite(nil)
	if err != nil || s.CacheDir != defaultCacheDir || s.StopTimeout != 10*time.Second || s.MemoryMiB != 0 || s.CPUs != 0 || s.Diskspace != 0 {
		t.Errorf("defaults: %+v, %v", s, err)
	}
	s, err = readSite(map[string]string{
		SiteTemplateDir: "/a, /b", SiteMemory: "128", SiteCPUs: "0.5", SiteDiskspace: "1G", SiteStopTimeout: "3s",
		SiteGuestURL: "file:///srv/t.tar.gz",
	})
	if err != nil || strings.Join(s.TemplateDirs, " ") != "/a /b" || s.MemoryMiB != 128 || s.CPUs != 0.5 || s.Diskspace != 1<<30 ||
		s.StopTimeout != 3*time.Second || s.Template != "/srv/t.tar.gz" {
		t.Errorf("set: %+v, %v", s, err)
	}
	for key, bad := range map[string]string{
		SiteTemplate:    "t.tar.gz",
		SiteTemplateDir: "/a,b",
		SiteCacheDir:    "cache",
		SiteMemory:      "8",
		SiteCPUs:        "0",
		SiteDiskspace:   "1m",
		SiteStopTimeout: "soon",
	} {
		if _, err := readSite(map[string]string{key: bad}); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s = %q: %v", key, bad, err)
		}
	}
}

func TestTemplate(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, f := range []string{filepath.Join(a, "debian.tar.gz"), filepath.Join(b, "alpine.tar"), filepath.Join(b, "debian.tar.gz")} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := site{TemplateDirs: []string{a, b}}
	for image, want := range map[string]string{
		"debian":                          filepath.Join(a, "debian.tar.gz"),
		"alpine":                          filepath.Join(b, "alpine.tar"),
		filepath.Join(b, "debian.tar.gz"): filepath.Join(b, "debian.tar.gz"),
	} {
		if got, err := s.template(image); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", image, got, err, want)
		}
	}
	for image, want := range map[string]string{
		"ubuntu":                        "no ubuntu.tar.gz",
		"x/y":                           "an absolute path, or a template's name",
		filepath.Join(a, "none.tar.gz"): "no such file",
		a:                               "is not a file",
	} {
		if _, err := s.template(image); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", image, err, want)
		}
	}
	if _, err := (site{}).template("debian"); err == nil || !strings.Contains(err.Error(), SiteTemplateDir) {
		t.Errorf("a name without a template directory: %v", err)
	}
	if _, err := (site{GuestURL: "http://example.org/t.tar.gz"}).template(""); err == nil || !strings.Contains(err.Error(), "does not download") {
		t.Errorf("a guest URL: %v", err)
	}
}

// vnode returns a vnode configuration of the contract's type named name
// in runDir, with set's attributes.
func vnode(name, runDir string, set map[string]cty.Value) cty.Value {
	m := map[string]cty.Value{}
	for n, ty := range contract.ObjectType(contract.VNode).AttributeTypes() {
		m[n] = cty.NullVal(ty)
	}
	m["name"], m["type"], m["run_dir"], m["config_dir"] = cty.StringVal(name), cty.StringVal(Name), cty.StringVal(runDir), cty.StringVal("/nonexistent")
	m["ghost"], m["ip_forward"], m["mount_namespace"] = cty.False, cty.False, cty.True
	m["attributes"] = cty.MapValEmpty(cty.String)
	m["interfaces"] = cty.ListValEmpty(contract.Interface)
	for k, v := range set {
		m[k] = v
	}
	return cty.ObjectVal(m)
}

func TestDecode(t *testing.T) {
	tpl := filepath.Join(t.TempDir(), "t.tar.gz")
	if err := os.WriteFile(tpl, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := site{Template: tpl, MemoryMiB: 64, CPUs: 1}
	st, err := s.decode(vnode("web", "/run/x", nil))
	if err != nil {
		t.Fatal(err)
	}
	if st.CTID != derivedCTID("web") || st.CTID < contract.MinCTID || st.CTID > contract.MaxCTID || st.Hostname != "web" ||
		st.Template != tpl || strings.Join(st.Init, " ") != "/sbin/init" || st.MemoryMiB != 64 || st.CPUs != 1 || st.Diskspace != 0 {
		t.Errorf("defaults: %+v", st)
	}
	if derivedCTID("web") == derivedCTID("web2") {
		t.Errorf("two names, one derived ctid")
	}
	st, err = s.decode(vnode("web", "/run/x", map[string]cty.Value{
		"ctid": cty.NumberIntVal(4242), "hostname": cty.StringVal("web1.example.org"), "memory": cty.NumberIntVal(128),
		"cpus": cty.NumberFloatVal(0.5), "diskspace": cty.NumberIntVal(16 << 20),
		"init":        cty.ListVal([]cty.Value{cty.StringVal("/bin/busybox"), cty.StringVal("init")}),
		"nameservers": cty.ListVal([]cty.Value{cty.StringVal("192.0.2.53")}),
	}))
	if err != nil || st.CTID != 4242 || st.Hostname != "web1.example.org" || st.MemoryMiB != 128 || st.CPUs != 0.5 ||
		st.Diskspace != 16<<20 || strings.Join(st.Init, " ") != "/bin/busybox init" || strings.Join(st.Nameservers, " ") != "192.0.2.53" {
		t.Errorf("set: %+v, %v", st, err)
	}
	for attr, v := range map[string]cty.Value{
		"memory":    cty.NumberIntVal(8),
		"cpus":      cty.NumberFloatVal(0.001),
		"diskspace": cty.NumberIntVal(1 << 20),
		"hostname":  cty.StringVal("a_b"),
		"init":      cty.ListVal([]cty.Value{cty.StringVal("init")}),
	} {
		if _, err := s.decode(vnode("web", "/run/x", map[string]cty.Value{attr: v})); err == nil {
			t.Errorf("%s = %#v decoded", attr, v)
		}
	}
}

// ctEnv is a configured provider of containers in a run directory of
// the test's.
type ctEnv struct {
	t      *testing.T
	p      providers.Provider
	runDir string
}

func newCTEnv(t *testing.T) *ctEnv {
	t.Helper()
	testenv.Root(t)
	testenv.Command(t, "nsenter", "util-linux")
	testenv.Command(t, "mkfs.ext4", "e2fsprogs")
	tpl := testenv.CTTemplate(t)
	root := t.TempDir()
	p := New()
	site := map[string]string{contract.SiteRunRoot: root, SiteTemplate: tpl, SiteCacheDir: filepath.Join(root, "cache"), SiteStopTimeout: "3s"}
	if d := p.Configure(context.Background(), providers.ConfigureRequest{Experiment: "ct", Site: site}).Diagnostics; d.HasErrors() {
		t.Fatal(d.Err())
	}
	return &ctEnv{t: t, p: p, runDir: filepath.Join(root, "ct")}
}

// plan plans cfg from prior (null for a create).
func (e *ctEnv) plan(prior, cfg cty.Value) providers.PlannedChange {
	e.t.Helper()
	if prior == cty.NilVal {
		prior = cty.NullVal(cfg.Type())
	}
	resp := e.p.PlanResources(context.Background(), providers.PlanResourcesRequest{Changes: []providers.PlanChange{{Address: "vnode.c", Type: contract.VNode, Prior: prior, Proposed: cfg}}})
	if resp.Diagnostics.HasErrors() {
		e.t.Fatal(resp.Diagnostics.Err())
	}
	return resp.Changes[0]
}

// apply applies the change from prior to planned and returns the new
// value.
func (e *ctEnv) apply(prior, planned cty.Value) (cty.Value, providers.Diagnostics) {
	e.t.Helper()
	if prior == cty.NilVal {
		prior = cty.NullVal(planned.Type())
	}
	resp := e.p.ApplyResource(context.Background(), providers.ApplyResourceRequest{Address: "vnode.c", Type: contract.VNode, Prior: prior, Planned: planned})
	return resp.New, resp.Diagnostics
}

// read reads v back.
func (e *ctEnv) read(v cty.Value) cty.Value {
	e.t.Helper()
	resp := e.p.ReadResources(context.Background(), providers.ReadResourcesRequest{Resources: []providers.ReadResource{{Address: "vnode.c", Type: contract.VNode, Current: v}}})
	if resp.Diagnostics.HasErrors() {
		e.t.Fatal(resp.Diagnostics.Err())
	}
	return resp.Resources[0].New
}

// exec runs args in the container of v and returns its output.
func (e *ctEnv) exec(v cty.Value, args ...string) (string, int) {
	e.t.Helper()
	// One buffer for both streams, written from two goroutines.
	var out syncbuf.Buffer
	resp := e.p.Exec(context.Background(), providers.ExecRequest{Address: "vnode.c", Type: contract.VNode, Value: v, Args: args, Stdout: &out, Stderr: &out})
	if resp.Diagnostics.HasErrors() {
		e.t.Fatal(resp.Diagnostics.Err())
	}
	return out.String(), resp.ExitCode
}

// TestContainer makes a container and looks at it from inside: its init
// is PID 1, its hostname, resolv.conf, hosts, /dev, /proc/sys and
// diskspace are as set; a limit changed by hand reads back as drift and
// is set again in place; a killed init reads as gone; a delete leaves
// nothing of it.
func TestContainer(t *testing.T) {
	e := newCTEnv(t)
	hosts := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(hosts, []byte("10.0.0.1\tpeer\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := vnode("c", e.runDir, map[string]cty.Value{
		"hostname": cty.StringVal("web1"), "memory": cty.NumberIntVal(32), "diskspace": cty.NumberIntVal(16 << 20),
		"nameservers": cty.ListVal([]cty.Value{cty.StringVal("192.0.2.53")}), "hosts_file": cty.StringVal(hosts),
	})
	v, d := e.apply(cty.NilVal, e.plan(cty.NilVal, cfg).Planned)
	t.Cleanup(func() {
		if !v.IsNull() {
			e.apply(v, cty.NullVal(v.Type()))
		}
	})
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"cat", "/proc/1/comm"}, "init\n"},
		{[]string{"hostname"}, "web1\n"},
		{[]string{"cat", "/etc/resolv.conf"}, "# written by benito: the node's nameserver setting\nnameserver 192.0.2.53\n"},
		{[]string{"cat", "/etc/hosts"}, "10.0.0.1\tpeer\n"},
		{[]string{"sh", "-c", "ls /dev | tr '\\n' ' '"}, "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero "},
		{[]string{"sh", "-c", "echo 1 > /proc/sys/net/ipv4/icmp_echo_ignore_broadcasts && cat /proc/sys/net/ipv4/icmp_echo_ignore_broadcasts"}, "1\n"},
	} {
		if got, code := e.exec(v, c.args...); got != c.want || code != 0 {
			t.Errorf("%q: %q (exit %d), want %q", c.args, got, code, c.want)
		}
	}
	if got, code := e.exec(v, "sh", "-c", "echo x > /proc/sys/kernel/domainname"); code == 0 || !strings.Contains(got, "Read-only file system") {
		t.Errorf("/proc/sys/kernel is writable in a container: %q (exit %d)", got, code)
	}
	if got, code := e.exec(v, "dd", "if=/dev/zero", "of=/big", "bs=1M", "count=32"); code == 0 || !strings.Contains(got, "No space left on device") {
		t.Errorf("32 MiB written into 16: %q (exit %d)", got, code)
	}
	if got := e.read(v); !got.RawEquals(v) {
		t.Errorf("read back otherwise than recorded:\n%#v\n%#v", got, v)
	}

	// A limit changed by hand: drift, put back in place.
	limits := limitFile(t, e.runDir, "c")
	if err := os.WriteFile(limits, []byte("67108864"), 0o644); err != nil {
		t.Fatal(err)
	}
	drifted := e.read(v)
	if m, _ := decodeLimits(drifted.GetAttr("limits")); m != 64 {
		t.Fatalf("a memory limit of 64 MiB set by hand reads back as %d", m)
	}
	pc := e.plan(drifted, cfg)
	if len(pc.RequiresReplace) != 0 {
		t.Errorf("a memory change replaces the container: %#v", pc.RequiresReplace)
	}
	v2, d := e.apply(drifted, pc.Planned)
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	v = v2
	if b, _ := os.ReadFile(limits); strings.TrimSpace(string(b)) != "33554432" {
		t.Errorf("memory limit after the apply: %s", b)
	}
	if got, _ := e.exec(v, "cat", "/proc/1/comm"); got != "init\n" {
		t.Errorf("the container did not survive its update: %q", got)
	}
	// A diskspace change: a new container.
	if pc := e.plan(v, vnode("c", e.runDir, map[string]cty.Value{"diskspace": cty.NumberIntVal(32 << 20), "hostname": cty.StringVal("web1"),
		"memory": cty.NumberIntVal(32), "nameservers": cty.ListVal([]cty.Value{cty.StringVal("192.0.2.53")}), "hosts_file": cty.StringVal(hosts)})); len(pc.RequiresReplace) == 0 {
		t.Errorf("a diskspace change is planned in place")
	}

	// Its init killed: gone.
	init := int(providers.AttrInt(v, "init_pid"))
	if err := syscall.Kill(init, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if got := e.read(v); got.IsNull() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a container whose init was killed still reads as there")
		}
	}
	if _, d := e.apply(v, cty.NullVal(v.Type())); d.HasErrors() {
		t.Fatal(d.Err())
	}
	v = cty.NullVal(v.Type())
	for _, p := range []string{filepath.Join(e.runDir, "private"), filepath.Join(e.runDir, "openvz"), filepath.Join(e.runDir, "ns-openvz")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s is left after the delete", p)
		}
	}
	if out, _ := exec.Command("losetup", "-a").Output(); strings.Contains(string(out), e.runDir) {
		t.Errorf("a loop device is left:\n%s", out)
	}
}

// limitFile is the file of a container's memory limit, in its cgroup
// (memory.max, cgroup v2) or the v1 memory group beside it
// (memory.limit_in_bytes), where daemon.Group says they are.
func limitFile(t *testing.T, runDir, node string) string {
	t.Helper()
	g := providers.Group(runDir, Name, node)
	groups, err := g.LimitGroups()
	if err != nil {
		t.Fatal(err)
	}
	for _, lg := range append(groups, g) {
		for _, f := range []string{"memory.limit_in_bytes", "memory.max"} {
			if _, err := os.Stat(filepath.Join(lg.Dir(), f)); err == nil {
				return filepath.Join(lg.Dir(), f)
			}
		}
	}
	t.Fatalf("no memory limit file of %s's cgroup", node)
	return ""
}

// TestBadInit: a container whose init cannot run fails its create with
// the reason from its log, and its delete leaves nothing.
func TestBadInit(t *testing.T) {
	e := newCTEnv(t)
	cfg := vnode("c", e.runDir, map[string]cty.Value{"init": cty.ListVal([]cty.Value{cty.StringVal("/sbin/nothere")})})
	v, d := e.apply(cty.NilVal, e.plan(cty.NilVal, cfg).Planned)
	if !d.HasErrors() || !strings.Contains(d.Err().Error(), "running init /sbin/nothere: no such file or directory") {
		t.Errorf("create with a missing init: %v", d.Err())
	}
	if v.IsNull() {
		t.Fatal("the failed create recorded nothing: its delete would not find it")
	}
	if _, d := e.apply(v, cty.NullVal(v.Type())); d.HasErrors() {
		t.Fatal(d.Err())
	}
	if _, err := os.Stat(filepath.Join(e.runDir, "private")); err == nil {
		t.Errorf("the private area is left")
	}
}

// TestSweep: a container the state does not know (an apply killed before
// it recorded one) is found by its private area, and removed.
func TestSweep(t *testing.T) {
	e := newCTEnv(t)
	cfg := vnode("lost", e.runDir, nil)
	if _, d := e.apply(cty.NilVal, e.plan(cty.NilVal, cfg).Planned); d.HasErrors() {
		t.Fatal(d.Err())
	}
	resp := e.p.Sweep(context.Background(), providers.SweepRequest{})
	if len(resp.Objects) != 1 || resp.Objects[0].Key != "lost" || !strings.Contains(resp.Objects[0].Description, "private area") {
		t.Fatalf("sweep found %+v", resp.Objects)
	}
	resp = e.p.Sweep(context.Background(), providers.SweepRequest{Remove: resp.Objects})
	if resp.Diagnostics.HasErrors() || len(resp.Objects) != 0 {
		t.Fatalf("sweep after the removal: %+v %v", resp.Objects, resp.Diagnostics.Err())
	}
	if _, err := os.Stat(e.runDir); err == nil {
		t.Errorf("the run directory is left")
	}
}

// TestValidate: at plan, an OpenVZ node with a QEMU machine's setting, a
// template that is not there, or a container setting out of range is
// refused, naming the node and what to do.
func TestValidate(t *testing.T) {
	tpl := filepath.Join(t.TempDir(), "t.tar.gz")
	if err := os.WriteFile(tpl, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p := New()
	if d := p.Configure(context.Background(), providers.ConfigureRequest{Experiment: "v", Site: map[string]string{SiteTemplate: tpl}}).Diagnostics; d.HasErrors() {
		t.Fatal(d.Err())
	}
	if got := p.GetSchema(context.Background()).Info.Name; got != Name {
		t.Errorf("the provider calls itself %q", got)
	}
	validate := func(set map[string]cty.Value) providers.Diagnostics {
		return p.ValidateResources(context.Background(), providers.ValidateResourcesRequest{Resources: []providers.ValidateResource{
			{Address: "vnode.c", Type: contract.VNode, Config: vnode("c", "/run/benito/v", set)},
		}}).Diagnostics
	}
	if d := validate(nil); d.HasErrors() {
		t.Fatalf("a plain container: %v", d.Err())
	}
	for what, tc := range map[string]struct {
		set  map[string]cty.Value
		want string
	}{
		"kernel":   {map[string]cty.Value{"kernel": cty.StringVal("/boot/vmlinuz")}, `Not for an OpenVZ node: kernel configures a QEMU machine, and node "c" is of type "openvz"`},
		"template": {map[string]cty.Value{"image": cty.StringVal("/nonexistent/t.tar.gz")}, `Invalid OpenVZ node: Node "c": template /nonexistent/t.tar.gz: no such file or directory.`},
		"memory":   {map[string]cty.Value{"memory": cty.NumberIntVal(4)}, `Node "c": memory 4: a whole number of MiB, at least 16.`},
	} {
		d := validate(tc.set)
		if !d.HasErrors() || !strings.Contains(d.Err().Error(), tc.want) || d[0].Address != "vnode.c" {
			t.Errorf("%s: %v, want %q", what, d.Err(), tc.want)
		}
	}
}

// TestCopiedMounts: a mount namespace made on the host while a container
// runs (as a process node's is: a slave of the host's mounts, on a host
// whose root may be private) holds copies of the container's private area
// mounts; the container's delete still unmounts its area and detaches its
// loop device, and the copies go with it.
func TestCopiedMounts(t *testing.T) {
	e := newCTEnv(t)
	unshare := testenv.Command(t, "unshare", "util-linux")
	v, d := e.apply(cty.NilVal, e.plan(cty.NilVal, vnode("c", e.runDir, map[string]cty.Value{"diskspace": cty.NumberIntVal(16 << 20)})).Planned)
	t.Cleanup(func() {
		if !v.IsNull() {
			e.apply(v, cty.NullVal(v.Type()))
		}
	})
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	holder := exec.Command(unshare, "--mount", "--propagation", "slave", "sleep", "600")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	root := providers.AttrString(v, "root")
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", holder.Process.Pid))
		if strings.Contains(string(b), " "+root+" ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new mount namespace holds no copy of %s", root)
		}
	}
	if _, d := e.apply(v, cty.NullVal(v.Type())); d.HasErrors() {
		t.Fatalf("delete while another namespace holds copies of the area's mounts: %v", d.Err())
	}
	v = cty.NullVal(v.Type())
	if out, _ := exec.Command("losetup", "-a").Output(); strings.Contains(string(out), e.runDir) {
		t.Errorf("a loop device is left:\n%s", out)
	}
	if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", holder.Process.Pid)); strings.Contains(string(b), e.runDir+"/private/") {
		t.Errorf("the other namespace still holds the area's mounts:\n%s", b)
	}
}
