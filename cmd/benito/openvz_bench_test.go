package main

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/testenv"
)

// BenchmarkContainers is issue 15's benchmark of OpenVZ-style containers:
// `benito apply` and `benito destroy` of an experiment of n openvz nodes,
// beside the same experiment of n process nodes, each node with one
// interface on a bridge and one on a VDE switch. Each iteration runs the
// benito binary as a user does, on a new experiment, and checks that
// nothing of it is left on the host. n is 100, or BENITO_BENCH_NODES.
// docs/benchmarks.md has the figures.
//
// Metrics: s-apply, s-destroy (the commands, wall clock) and the same per
// node in ms.
func BenchmarkContainers(b *testing.B) {
	testenv.Root(b)
	testenv.Command(b, "vde_switch", "vde2")
	testenv.Command(b, "mkfs.ext4", "e2fsprogs")
	testenv.CTTemplate(b)
	n := 100
	if v := os.Getenv("BENITO_BENCH_NODES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > 250 {
			b.Fatalf("BENITO_BENCH_NODES=%q: a number of nodes from 1 to 250", v)
		}
	}
	leaveNoRoots(b)
	for _, typ := range []string{"process", "openvz"} {
		b.Run(fmt.Sprintf("%s=%d", typ, n), func(b *testing.B) {
			var apply, destroy time.Duration
			for range b.N {
				a, d := applyNodes(b, typ, n)
				apply += a
				destroy += d
			}
			per := float64(b.N)
			b.ReportMetric(apply.Seconds()/per, "s-apply")
			b.ReportMetric(destroy.Seconds()/per, "s-destroy")
			b.ReportMetric(float64(apply.Milliseconds())/per/float64(n), "ms-apply/node")
			b.ReportMetric(float64(destroy.Milliseconds())/per/float64(n), "ms-destroy/node")
		})
	}
}

// applyNodes applies and destroys an experiment of n nodes of type typ
// with the benito binary, and returns how long each took. The benchmark's
// timer runs for both.
func applyNodes(b *testing.B, typ string, n int) (apply, destroy time.Duration) {
	b.Helper()
	b.StopTimer()
	name := fmt.Sprintf("bench-%s-%04x", typ, rand.Intn(1<<16))
	dir := filepath.Join(b.TempDir(), "exp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	hcl := fmt.Sprintf(`experiment %q {}
site { default_type = %q }
switch "vde" {
  kind   = "vde"
  subnet = "10.1.0.0/16"
}
switch "br" {
  kind   = "bridge"
  subnet = "10.2.0.0/16"
}
vnode "n" {
  count = %d
  interface "eth0" {
    switch      = switch.vde
    ip4_address = cidrhost(switch.vde.subnet, 10 + count.index)
  }
  interface "eth1" {
    switch      = switch.br
    ip4_address = cidrhost(switch.br.subnet, 10 + count.index)
  }
}
`, name, typ, n)
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(hcl), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "benito.state")); err == nil {
			runBin(b, "", "destroy", "-auto-approve", "-sweep", dir)
		}
	})
	b.StartTimer()
	start := time.Now()
	r := runBin(b, "", "apply", "-auto-approve", dir)
	apply = time.Since(start)
	if r.code != 0 {
		b.Fatalf("apply of %d %s nodes:\n%s", n, typ, r)
	}
	start = time.Now()
	r = runBin(b, "", "destroy", "-auto-approve", dir)
	destroy = time.Since(start)
	b.StopTimer()
	if r.code != 0 {
		b.Fatalf("destroy of %d %s nodes:\n%s", n, typ, r)
	}
	if left := leftovers(b, name); len(left) > 0 {
		b.Fatalf("destroy left on the host:\n%s", strings.Join(left, "\n"))
	}
	return apply, destroy
}
