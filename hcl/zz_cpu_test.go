package hcl

import (
	"path/filepath"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"syscall"
	"testing"
	"time"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestZZCPU(t *testing.T) {
	dir := write10kVNodes(t)
	for i := 0; i < 5; i++ {
		c0, w0 := cpuTime(), time.Now()
		_, diags := Load(dir, Options{})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		t.Logf("cpu %v wall %v", cpuTime()-c0, time.Since(w0))
	}
}

func TestZZPhases(t *testing.T) {
	dir := write10kVNodes(t)
	for i := 0; i < 4; i++ {
		t0 := time.Now()
		parser := hclparse.NewParser()
		f, _ := parseFile(parser, filepath.Join(dir, "main.hcl"))
		t1 := time.Now()
		d := &decls{}
		d.collect(f.Body.(*hclsyntax.Body))
		d.finish(dir)
		t2 := time.Now()
		variableValues(parser, d, Options{})
		_, diags := evaluate(d)
		t3 := time.Now()
		t.Logf("parse %v collect %v eval %v (%d diags)", t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), len(diags))
	}
}
