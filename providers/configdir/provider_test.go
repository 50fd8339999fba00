package configdir

import (
	"context"
	"os"
	"path/filepath"
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
