package process

import (
	"os"
	"os/exec"
	"slices"
	"sync"
	"testing"

	"github.com/benito-net/benito/internal/daemon"
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

// TestScanSkipsKnownHolders: a scan does not read the namespace of a
// known holder that runs throughout it, and reads the pid of one that
// exited, which another process may have taken.
func TestScanSkipsKnownHolders(t *testing.T) {
	id, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	start := func() (*exec.Cmd, holder) {
		cmd := exec.Command("sleep", "infinity")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		p, err := daemon.FromPid(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		return cmd, holder{p}
	}
	_, known := start()
	if !knownHolders.alive(known) {
		t.Fatal("a running holder is not alive")
	}
	t.Cleanup(func() { knownHolders.forget(known.Pid) })
	if slices.Contains(scanNetns()[id], known.Pid) {
		t.Errorf("the scan read the known holder %d", known.Pid)
	}

	// other stands for a process that took the pid of a holder that has
	// exited: its pid is known, with the dead holder's pidfd.
	deadCmd, dead := start()
	_, other := start()
	if !knownHolders.alive(dead) {
		t.Fatal("a running holder is not alive")
	}
	knownHolders.mu.Lock()
	knownHolders.m[other.Pid] = knownHolders.m[dead.Pid]
	delete(knownHolders.m, dead.Pid)
	knownHolders.mu.Unlock()
	t.Cleanup(func() { knownHolders.forget(other.Pid) })
	deadCmd.Process.Kill()
	deadCmd.Wait()
	if !slices.Contains(scanNetns()[id], other.Pid) {
		t.Errorf("the scan skipped pid %d, whose known holder had exited", other.Pid)
	}
	if knownHolders.alive(dead) {
		t.Errorf("a holder that exited is alive")
	}
}
