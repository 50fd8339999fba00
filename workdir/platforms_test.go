package workdir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
)

// TestUnservedPlatform: a node type no available provider serves (a
// build whose qemu provider is not there) is an error at the node, naming
// the types that can be made.
func TestUnservedPlatform(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "vm.hcl"), []byte(`experiment "vm" {}
switch "lan0" {
  kind = "bridge"
}
vnode "vm" {
  type = "qemu"
  interface "eth0" {
    switch = switch.lan0
  }
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	none := func() (providers.Provider, error) { t.Fatal("no provider is to start"); return nil, nil }
	w, diags := Open(Options{Dir: dir, Factories: map[string]providers.Factory{
		contract.ConfigProvider: none, contract.HostNetProvider: none, contract.NodeProcess: none,
	}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	g, diags := w.Graph(nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got := w.missingPlatforms(g)
	if len(got) != 1 || got[0].Subject == nil || !strings.HasSuffix(got[0].Subject.Filename, "vm.hcl") || got[0].Subject.Start.Line != 5 ||
		got[0].Summary != `No provider serves node type "qemu"` || !strings.Contains(got[0].Detail, `The node types this benito can create are "process".`) {
		t.Errorf("diagnostics: %v", got)
	}
}
