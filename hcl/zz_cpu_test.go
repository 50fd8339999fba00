package hcl

import (
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
