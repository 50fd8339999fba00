package configdir

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

func configured(t *testing.T) (*Provider, string) {
	t.Helper()
	root := t.TempDir()
	p := New()
	if d := p.Configure(context.Background(), providers.ConfigureRequest{Experiment: "exp", Site: map[string]string{contract.SiteConfigRoot: root}}).Diagnostics; d.HasErrors() {
		t.Fatal(d.Err())
	}
	return p, root
}

func fileConfig(path, content string) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{"path": cty.StringVal(path), "content": cty.StringVal(content)})
}

// plan plans one resource and fails the test on error.
func plan(t *testing.T, p *Provider, typ, addr string, prior, proposed cty.Value) providers.PlannedChange {
	t.Helper()
	resp := p.PlanResources(context.Background(), providers.PlanResourcesRequest{Changes: []providers.PlanChange{{Address: addr, Type: typ, Prior: prior, Proposed: proposed}}})
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics.Err())
	}
	return resp.Changes[0]
}

func apply(t *testing.T, p *Provider, typ, addr string, prior, planned cty.Value) cty.Value {
	t.Helper()
	resp := p.ApplyResource(context.Background(), providers.ApplyResourceRequest{Address: addr, Type: typ, Prior: prior, Planned: planned})
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics.Err())
	}
	return resp.New
}

func read(t *testing.T, p *Provider, typ, addr string, cur cty.Value) cty.Value {
	t.Helper()
	resp := p.ReadResources(context.Background(), providers.ReadResourcesRequest{Resources: []providers.ReadResource{{Address: addr, Type: typ, Current: cur}}})
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics.Err())
	}
	return resp.Resources[0].New
}

func TestConfigFileLifecycle(t *testing.T) {
	p, root := configured(t)
	ty := p.schema.ResourceTypes[contract.ConfigFile].ImpliedType()
	addr := `config_file.route["a"]`
	pc := plan(t, p, contract.ConfigFile, addr, cty.NullVal(ty), fileConfig("route/a", "10.0.2.0/24 via 10.0.1.1\n"))
	v := apply(t, p, contract.ConfigFile, addr, cty.NullVal(ty), pc.Planned)
	file := filepath.Join(root, "exp", "route", "a")
	if data, err := os.ReadFile(file); err != nil || string(data) != "10.0.2.0/24 via 10.0.1.1\n" {
		t.Fatalf("file: %q, %v", data, err)
	}
	if got := read(t, p, contract.ConfigFile, addr, v); !got.RawEquals(v) {
		t.Errorf("read back %#v, want %#v", got, v)
	}

	// Edited by hand: the read shows it.
	os.WriteFile(file, []byte("edited\n"), 0o644)
	if got := read(t, p, contract.ConfigFile, addr, v); got.GetAttr("content").AsString() != "edited\n" {
		t.Errorf("an edited file must read back edited, got %#v", got)
	}

	// A content change is an update, a path change a replace.
	if pc := plan(t, p, contract.ConfigFile, addr, v, fileConfig("route/a", "x\n")); len(pc.RequiresReplace) != 0 {
		t.Errorf("content change: replace paths %v", pc.RequiresReplace)
	}
	if pc := plan(t, p, contract.ConfigFile, addr, v, fileConfig("route/b", "x\n")); len(pc.RequiresReplace) != 1 {
		t.Errorf("path change must force replacement, got %v", pc.RequiresReplace)
	}

	// Deleted: gone, and so are the directories it leaves empty.
	apply(t, p, contract.ConfigFile, addr, v, cty.NullVal(ty))
	if got := read(t, p, contract.ConfigFile, addr, v); !got.IsNull() {
		t.Errorf("after delete, read must say gone, got %#v", got)
	}
	if _, err := os.Stat(filepath.Join(root, "exp")); !os.IsNotExist(err) {
		t.Errorf("the experiment directory must be gone after its last file, got %v", err)
	}
}

func TestStaleTemporaryFilesAreCleared(t *testing.T) {
	root := t.TempDir()
	tmp := filepath.Join(root, "exp", tmpDir)
	os.MkdirAll(tmp, 0o700)
	os.WriteFile(filepath.Join(tmp, "write-123"), []byte("half"), 0o600)
	p := New()
	p.Configure(context.Background(), providers.ConfigureRequest{Experiment: "exp", Site: map[string]string{contract.SiteConfigRoot: root}})
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("Configure must clear what a killed write left, got %v", err)
	}
}

func TestValidate(t *testing.T) {
	p, _ := configured(t)
	resp := p.ValidateResources(context.Background(), providers.ValidateResourcesRequest{Resources: []providers.ValidateResource{
		{Address: "config_file.x", Type: contract.ConfigFile, Config: fileConfig("../escape", "")},
		{Address: "config_file.y", Type: contract.ConfigFile, Config: fileConfig(".tmp/x", "")},
		{Address: "config_file.z", Type: contract.ConfigFile, Config: fileConfig("hosts", "")},
	}})
	if len(resp.Diagnostics) != 2 {
		t.Errorf("want two problems, got %v", resp.Diagnostics)
	}
}

// TestHostsRewrittenInPlace: the hosts file keeps its inode across updates
// (nodes see it through a bind mount, which holds the inode), shorter
// content leaves nothing of the longer; other files are replaced.
func TestHostsRewrittenInPlace(t *testing.T) {
	p, root := configured(t)
	ty := p.schema.ResourceTypes[contract.ConfigFile].ImpliedType()
	inode := func(file string) uint64 {
		t.Helper()
		fi, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	for _, tc := range []struct {
		path    string
		inPlace bool
	}{{"hosts", true}, {"route/a", false}} {
		addr := `config_file.x["` + tc.path + `"]`
		file := filepath.Join(root, "exp", filepath.FromSlash(tc.path))
		pc := plan(t, p, contract.ConfigFile, addr, cty.NullVal(ty), fileConfig(tc.path, "10.0.0.1\ta\n10.0.0.2\tb\n"))
		v := apply(t, p, contract.ConfigFile, addr, cty.NullVal(ty), pc.Planned)
		before := inode(file)
		pc = plan(t, p, contract.ConfigFile, addr, v, fileConfig(tc.path, "10.0.0.1\ta\n"))
		v = apply(t, p, contract.ConfigFile, addr, v, pc.Planned)
		if data, err := os.ReadFile(file); err != nil || string(data) != "10.0.0.1\ta\n" {
			t.Errorf("%s after a shorter update: %q, %v", tc.path, data, err)
		}
		if same := inode(file) == before; same != tc.inPlace {
			t.Errorf("%s: inode kept = %v, want %v", tc.path, same, tc.inPlace)
		}
		if got := read(t, p, contract.ConfigFile, addr, v); !got.RawEquals(v) {
			t.Errorf("%s read back %#v, want %#v", tc.path, got, v)
		}
		apply(t, p, contract.ConfigFile, addr, v, cty.NullVal(ty))
	}
}

// TestRecordedPathsOutsideRefused: a state edited to point a config file's
// id or path out of the experiment's directory (with "../", an absolute
// path, or a symbolic link planted in the directory) is refused by Read
// and by a delete, which neither print nor remove the file it names.
func TestRecordedPathsOutsideRefused(t *testing.T) {
	p, root := configured(t)
	dir := filepath.Join(root, "exp")
	ty := p.schema.ResourceTypes[contract.ConfigFile].ImpliedType()
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("not benito's\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A file of the experiment, so that the directory exists.
	addr := "config_file.hosts"
	pc := plan(t, p, contract.ConfigFile, addr, cty.NullVal(ty), fileConfig("hosts", "x\n"))
	apply(t, p, contract.ConfigFile, addr, cty.NullVal(ty), pc.Planned)
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(dir, outside)
	if err != nil {
		t.Fatal(err)
	}
	recorded := func(path, id string) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"path": cty.StringVal(path), "content": cty.StringVal("x\n"), "id": cty.StringVal(id)})
	}
	for _, tc := range []struct {
		name string
		v    cty.Value
		attr string
	}{
		{"id with ../", recorded("hosts", dir+"/"+rel), "id"},
		{"absolute id", recorded("hosts", outside), "id"},
		{"path with ../", cty.ObjectVal(map[string]cty.Value{"path": cty.StringVal(rel), "content": cty.StringVal("x\n"), "id": cty.NullVal(cty.String)}), "path"},
		{"symbolic link", recorded("link", filepath.Join(dir, "link")), "path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := p.ReadResources(context.Background(), providers.ReadResourcesRequest{Resources: []providers.ReadResource{{Address: "config_file.x", Type: contract.ConfigFile, Current: tc.v}}})
			checkRefused(t, resp.Diagnostics, tc.attr)
			if got := resp.Resources[0].New; got.GetAttr("content").AsString() != "x\n" {
				t.Errorf("read returned %#v: the file outside was read", got)
			}
			del := p.ApplyResource(context.Background(), providers.ApplyResourceRequest{Address: "config_file.x", Type: contract.ConfigFile, Prior: tc.v, Planned: cty.NullVal(ty)})
			checkRefused(t, del.Diagnostics, tc.attr)
			if data, err := os.ReadFile(outside); err != nil || string(data) != "not benito's\n" {
				t.Errorf("the file outside after the delete: %q, %v", data, err)
			}
		})
	}
}

func checkRefused(t *testing.T, d providers.Diagnostics, attr string) {
	t.Helper()
	if !d.HasErrors() {
		t.Fatal("not refused")
	}
	if got := providers.PathString(d[0].Attribute); got != attr || d[0].Address != "config_file.x" || !strings.Contains(d[0].Detail, "edited by hand") {
		t.Errorf("refusal names attribute %q of %q: %s: %s", got, d[0].Address, d[0].Summary, d[0].Detail)
	}
}

// TestCreateOverExistingFileRefused: with the experiment's directory on a
// system directory (config_root "/", experiment "etc", here under a
// temporary root), apply overwrote /etc/hosts and destroy deleted it. A
// create finding its file already there is refused and records nothing,
// so that no destroy removes it either.
func TestCreateOverExistingFileRefused(t *testing.T) {
	root := t.TempDir()
	etc := filepath.Join(root, "etc")
	os.MkdirAll(etc, 0o755)
	hosts := filepath.Join(etc, "hosts")
	if err := os.WriteFile(hosts, []byte("127.0.0.1 localhost\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := New()
	if d := p.Configure(context.Background(), providers.ConfigureRequest{Experiment: "etc", Site: map[string]string{contract.SiteConfigRoot: root}}).Diagnostics; d.HasErrors() {
		t.Fatal(d.Err())
	}
	ty := p.schema.ResourceTypes[contract.ConfigFile].ImpliedType()
	for _, path := range []string{"hosts", "route/a"} {
		if path == "route/a" {
			os.MkdirAll(filepath.Join(etc, "route"), 0o755)
			os.WriteFile(filepath.Join(etc, "route", "a"), []byte("host's\n"), 0o644)
		}
		pc := plan(t, p, contract.ConfigFile, "config_file.x", cty.NullVal(ty), fileConfig(path, "10.0.0.1 a\n"))
		resp := p.ApplyResource(context.Background(), providers.ApplyResourceRequest{Address: "config_file.x", Type: contract.ConfigFile, Prior: cty.NullVal(ty), Planned: pc.Planned})
		if !resp.Diagnostics.HasErrors() || !strings.Contains(resp.Diagnostics.Err().Error(), "benito did not make it") {
			t.Errorf("%s: create over an existing file: %v", path, resp.Diagnostics.Err())
		}
		if !resp.New.IsNull() {
			t.Errorf("%s: a refused create records %#v", path, resp.New)
		}
	}
	if data, _ := os.ReadFile(hosts); string(data) != "127.0.0.1 localhost\n" {
		t.Errorf("hosts overwritten: %q", data)
	}
	if data, _ := os.ReadFile(filepath.Join(etc, "route", "a")); string(data) != "host's\n" {
		t.Errorf("route/a overwritten: %q", data)
	}
	if entries, _ := os.ReadDir(filepath.Join(etc, tmpDir)); len(entries) != 0 {
		t.Errorf("temporary files left: %v", entries)
	}
}

// A file whose content holds a sensitive value is readable by root alone,
// written so from the start and when an update makes it so; the others
// stay readable by all, as DETER's tools in the nodes read them.
func TestSensitiveFileMode(t *testing.T) {
	p, root := configured(t)
	ty := p.schema.ResourceTypes[contract.ConfigFile].ImpliedType()
	cfg := func(path, content string, sensitive bool) cty.Value {
		s := cty.NullVal(cty.Bool)
		if sensitive {
			s = cty.True
		}
		return cty.ObjectVal(map[string]cty.Value{"path": cty.StringVal(path), "content": cty.StringVal(content), "sensitive": s})
	}
	mode := func(rel string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(filepath.Join(root, "exp", rel))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	for _, tc := range []struct {
		path string
		addr string
	}{{"topology.xml", "config_file.topology"}, {"hosts", "config_file.hosts"}} {
		t.Run(tc.path, func(t *testing.T) {
			pc := plan(t, p, contract.ConfigFile, tc.addr, cty.NullVal(ty), cfg(tc.path, "plain\n", false))
			v := apply(t, p, contract.ConfigFile, tc.addr, cty.NullVal(ty), pc.Planned)
			if got := mode(tc.path); got != 0o644 {
				t.Errorf("plain file: mode %o, want 644", got)
			}
			pc = plan(t, p, contract.ConfigFile, tc.addr, v, cfg(tc.path, "s3cret\n", true))
			v = apply(t, p, contract.ConfigFile, tc.addr, v, pc.Planned)
			if got := mode(tc.path); got != 0o600 {
				t.Errorf("file holding a sensitive value: mode %o, want 600", got)
			}
			pc = plan(t, p, contract.ConfigFile, tc.addr, v, cfg(tc.path, "plain again\n", false))
			apply(t, p, contract.ConfigFile, tc.addr, v, pc.Planned)
			if got := mode(tc.path); got != 0o644 {
				t.Errorf("plain again: mode %o, want 644", got)
			}
		})
	}
	ty2 := cty.NullVal(ty)
	pc := plan(t, p, contract.ConfigFile, `config_file.route["a"]`, ty2, cfg("route/a", "s3cret\n", true))
	apply(t, p, contract.ConfigFile, `config_file.route["a"]`, ty2, pc.Planned)
	if got := mode("route/a"); got != 0o600 {
		t.Errorf("new file holding a sensitive value: mode %o, want 600", got)
	}
}
