package process

import (
	"os"
	"os/exec"
	"slices"
	"sync"
	"testing"
)

// TestProcScanSeesEarlierProcesses: concurrent scans share work, but each
// sees every process that existed when it was asked for.
func TestProcScanSeesEarlierProcesses(t *testing.T) {
	id, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			cmd := exec.Command("sleep", "infinity")
			if err := cmd.Start(); err != nil {
				t.Error(err)
				return
			}
			defer cmd.Wait()
			defer cmd.Process.Kill()
			if got := (<-procScans.request())[id]; !slices.Contains(got, cmd.Process.Pid) {
				t.Errorf("pid %d, started before the scan was asked for, is not in it", cmd.Process.Pid)
			}
			if slices.Contains((<-procScans.request())[id], os.Getpid()) {
				t.Errorf("the scan lists this process")
			}
		})
	}
	wg.Wait()
}
