package process

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/sys/unix"
)

// TestMountOverMountPoint binds a directory onto a target that is a mount
// point already (a tmpfs the node has from the host): the bind is made on
// top of it and reads back as there; once unmounted by hand it reads back
// as gone; its delete removes the bind and leaves the node's tmpfs.
func TestMountOverMountPoint(t *testing.T) {
	e := newEnv(t)
	src, dst := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "hello"), []byte("from the source\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", dst, "tmpfs", 0, "size=64k"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(dst, unix.MNT_DETACH) })
	if err := os.WriteFile(filepath.Join(dst, "tmpfs"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e.apply(contract.VNode, "vnode.m", e.nodeConfig("m", true))
	addr := `mount.m["` + dst + `"]`
	e.apply(contract.Mount, addr, mountConfig("m", src, dst, false))
	if out, err := e.run("m", "cat", filepath.Join(dst, "hello")); err != nil || out != "from the source\n" {
		t.Fatalf("the bind onto a mount point was not made: cat in node = %q, %v", out, err)
	}
	if got := e.read(addr); got.IsNull() {
		t.Error("the bind reads back as gone")
	}
	// Unmounted by hand: gone, though the tmpfs is still mounted there;
	// the next apply binds it again.
	if out, err := e.run("m", "umount", dst); err != nil {
		t.Fatalf("umount: %v %s", err, out)
	}
	if got := e.read(addr); !got.IsNull() {
		t.Error("a bind unmounted by hand reads back as there (the tmpfs under it was taken for it)")
	}
	e.apply(contract.Mount, addr, mountConfig("m", src, dst, true))
	if out, err := e.run("m", "cat", filepath.Join(dst, "hello")); err != nil || out != "from the source\n" {
		t.Fatalf("the bind was not made again: %q, %v", out, err)
	}
	if out, err := e.run("m", "touch", filepath.Join(dst, "x")); err == nil {
		t.Errorf("read-only bind is writable: %s", out)
	}
	e.destroy(addr)
	if out, err := e.run("m", "ls", dst); err != nil || strings.TrimSpace(out) != "tmpfs" {
		t.Errorf("after the delete, the node's %s holds %q (%v), want its tmpfs", dst, out, err)
	}
}

// TestMountOnRootRefused: a mount with target "/" fails at plan, and a
// state recording one (an earlier release allowed it) is destroyed
// without touching the node's root.
func TestMountOnRootRefused(t *testing.T) {
	e := newEnv(t)
	src := t.TempDir()
	d := e.p.ValidateResources(t.Context(), providers.ValidateResourcesRequest{Resources: []providers.ValidateResource{
		{Address: `mount.m["/"]`, Type: contract.Mount, Config: conform(e.p.schema.ResourceTypes[contract.Mount], mountConfig("m", src, "/", false))},
	}}).Diagnostics
	if !d.HasErrors() || !strings.Contains(d.Err().Error(), "root directory") {
		t.Errorf("validate: %v", d.Err())
	}
	e.apply(contract.VNode, "vnode.m", e.nodeConfig("m", true))
	rec := mountConfig("m", src, "/", false)
	rec = cty.ObjectVal(conform(e.p.schema.ResourceTypes[contract.Mount], rec).AsValueMap())
	resp := e.p.ApplyResource(t.Context(), applyReq(contract.Mount, `mount.m["/"]`, cty.NullVal(rec.Type()), rec))
	if !resp.Diagnostics.HasErrors() {
		t.Error("a mount over the node's root was made")
	}
	resp = e.p.ApplyResource(t.Context(), applyReq(contract.Mount, `mount.m["/"]`, rec, cty.NullVal(rec.Type())))
	if resp.Diagnostics.HasErrors() {
		t.Errorf("destroying a recorded mount on /: %v", resp.Diagnostics.Err())
	}
	if out, err := e.run("m", "ls", "/proc/self"); err != nil {
		t.Errorf("the node's root is gone: %v %s", err, out)
	}
}
