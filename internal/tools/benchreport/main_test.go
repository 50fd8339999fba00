package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseBench(t *testing.T) {
	out := `goos: linux
pkg: github.com/benito-net/benito/dag
BenchmarkBuild100k-2   	      10	 104000000 ns/op	 5000000 B/op	   20000 allocs/op
BenchmarkBuild100k-2   	      12	 100000000 ns/op	 5000000 B/op	   20000 allocs/op
PASS
pkg: github.com/benito-net/benito/cmd/benito
BenchmarkContainers/openvz-2         	       1	5.31 s-apply	3.57 s-destroy
    openvz_bench_test.go:40: a log line
ok  	github.com/benito-net/benito/cmd/benito	20.1s
`
	got := parseBench(out)
	if len(got) != 2 {
		t.Fatalf("parsed %d benchmarks, want 2: %+v", len(got), got)
	}
	b := got[0]
	if b.pkg != "dag" || b.name != "BenchmarkBuild100k" || strings.Join(b.units, ",") != "ns/op,B/op,allocs/op" || len(b.values["ns/op"]) != 2 || b.values["ns/op"][1] != 1e8 {
		t.Errorf("first: %+v", b)
	}
	c := got[1]
	if c.pkg != "cmd/benito" || c.name != "BenchmarkContainers/openvz" || c.values["s-destroy"][0] != 3.57 {
		t.Errorf("second: %+v", c)
	}
}

func TestReplaceBlock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.md")
	doc := "# B\n\n" + beginMark("plan") + "\nold plan\n" + endMark("plan") + "\n\n" + beginMark("nodes") + "\nold nodes\n" + endMark("nodes") + "\n\n## History\n"
	os.WriteFile(path, []byte(doc), 0o644)
	if err := replaceBlock(path, "nodes", "new nodes\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if want := strings.Replace(doc, "old nodes", "new nodes", 1); string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
	if err := replaceBlock(path, "vms", "x"); err == nil || !strings.Contains(err.Error(), "no table of section vms") {
		t.Errorf("no markers: %v", err)
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		v    float64
		unit string
		want string
	}{{0.2123, "s", "212 ms"}, {1.234, "s", "1.23 s"}, {599.6, "MiB", "600 MiB"}, {3.2e9, "ns/op", "3.20 s"}, {1.5e6, "ns/op", "1.5 ms"}, {1640 << 20, "B/op", "1.60 GiB"}, {10750000, "allocs/op", "10,750,000"}, {5.31, "s-apply", "5.31 s-apply"}} {
		if got := format(c.v, c.unit); got != c.want {
			t.Errorf("format(%v, %q) = %q, want %q", c.v, c.unit, got, c.want)
		}
	}
}
