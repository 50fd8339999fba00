package hcl

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benito-net/benito/internal/benchexp"
	"github.com/benito-net/benito/topdl"
)

// write10kVNodes writes an experiment of 10,000 vnode blocks, each with two
// interfaces on two switches and one route, to a new directory.
func write10kVNodes(tb testing.TB) string {
	tb.Helper()
	var b strings.Builder
	b.WriteString(`experiment "big" {}

switch "lan0" { subnet = "10.0.0.0/16" }
switch "lan1" { subnet = "10.1.0.0/16" }
`)
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&b, `
vnode "n%d" {
  type = "process"
  interface "eth0" {
    switch      = switch.lan0
    ip4_address = "10.0.%d.%d"
  }
  interface "eth1" {
    switch      = switch.lan1
    ip4_address = "10.1.%d.%d/16"
  }
  route {
    destination = "10.2.0.0/16"
    gateway     = "10.1.255.254"
  }
}
`, i, i/200, i%200+1, i/200, i%200+1)
	}
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// benchLoad measures loading the experiment in dir, which has nodes vnodes.
func benchLoad(b *testing.B, dir string, nodes int) {
	b.ReportAllocs()
	for b.Loop() {
		cfg, diags := Load(dir, Options{})
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		if n := len(cfg.Experiment.VNodes); n != nodes {
			b.Fatalf("got %d vnodes, want %d", n, nodes)
		}
	}
}

func BenchmarkLoad10kVNodes(b *testing.B) {
	dir := write10kVNodes(b)
	benchLoad(b, dir, 10000)
}

func BenchmarkLoadCount10k(b *testing.B) {
	dir := b.TempDir()
	src := `experiment "big" {}
switch "lan0" { subnet = "10.0.0.0/16" }
switch "lan1" { subnet = "10.1.0.0/16" }
vnode "n" {
  count = 10000
  interface "eth0" {
    switch      = switch.lan0
    ip4_address = cidrhost("10.0.0.0/16", count.index + 1)
  }
  interface "eth1" {
    switch      = switch.lan1
    ip4_address = cidrhost("10.1.0.0/16", count.index + 1)
  }
  route {
    destination = "10.2.0.0/16"
    gateway     = "10.1.255.254"
  }
}
output "last" { value = vnode.n[9999].interface["eth0"].ip4_address }
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		b.Fatal(err)
	}
	benchLoad(b, dir, 10000)
}

// BenchmarkLoad10kTopDL loads benchexp's 10,000-node experiment exported
// to TopDL and placed in a directory as its only file: every plan of such
// a directory reads the XML, maps it to HCL and parses that.
func BenchmarkLoad10kTopDL(b *testing.B) {
	gen := b.TempDir()
	if err := benchexp.Write(gen, 10000, "/nonexistent"); err != nil {
		b.Fatal(err)
	}
	cfg, diags := Load(gen, Options{})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	dir := b.TempDir()
	xml := topdl.Marshal(topdl.FromExperiment(cfg.Experiment, topdl.Assigned{}, topdl.FromOptions{Export: true}))
	if err := os.WriteFile(filepath.Join(dir, "bench.xml"), xml, 0o644); err != nil {
		b.Fatal(err)
	}
	benchLoad(b, dir, 10000)
}
