package configdir

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

// TestSweep: the files of the experiment's directory are found from the
// host alone; removing them leaves no directory; a file outside it is
// refused.
func TestSweep(t *testing.T) {
	p, root := configured(t)
	ty := p.schema.ResourceTypes[contract.ConfigFile].ImpliedType()
	for _, f := range []string{"hosts", "route/a"} {
		addr := `config_file.x["` + f + `"]`
		apply(t, p, contract.ConfigFile, addr, cty.NullVal(ty), plan(t, p, contract.ConfigFile, addr, cty.NullVal(ty), fileConfig(f, "x\n")).Planned)
	}
	outside := filepath.Join(root, "other")
	if err := os.WriteFile(outside, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "exp")
	want := []providers.HostObject{
		{Type: contract.ConfigFile, KeyAttribute: "id", Key: filepath.Join(dir, "hosts"), Description: "file " + filepath.Join(dir, "hosts")},
		{Type: contract.ConfigFile, KeyAttribute: "id", Key: filepath.Join(dir, "route", "a"), Description: "file " + filepath.Join(dir, "route", "a")},
	}
	resp := p.Sweep(context.Background(), providers.SweepRequest{})
	if d := cmp.Diff(want, resp.Objects); d != "" || resp.Diagnostics.HasErrors() {
		t.Fatalf("Sweep (-want +got):\n%s%v", d, resp.Diagnostics.Err())
	}
	resp = p.Sweep(context.Background(), providers.SweepRequest{Remove: append(want, providers.HostObject{Type: contract.ConfigFile, KeyAttribute: "id", Key: filepath.Join(dir, "..", "other")})})
	if len(resp.Objects) != 0 || len(resp.Diagnostics) != 1 {
		t.Errorf("Sweep removing: left %+v, diagnostics %+v (want one, refusing the file outside)", resp.Objects, resp.Diagnostics)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("the file outside the experiment's directory: %v", err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("%s is still there", dir)
	}
}
