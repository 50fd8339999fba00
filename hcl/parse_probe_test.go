package hcl

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func BenchmarkProbeParse(b *testing.B) {
	dir := write10kVNodes(b)
	src, _ := os.ReadFile(filepath.Join(dir, "main.hcl"))
	b.Logf("size %d", len(src))
	b.ReportAllocs()
	for b.Loop() {
		_, diags := hclsyntax.ParseConfig(src, "main.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}
func BenchmarkProbeLex(b *testing.B) {
	dir := write10kVNodes(b)
	src, _ := os.ReadFile(filepath.Join(dir, "main.hcl"))
	b.ReportAllocs()
	for b.Loop() {
		toks, _ := hclsyntax.LexConfig(src, "main.hcl", hcl.InitialPos)
		_ = toks
	}
}
