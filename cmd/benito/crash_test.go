package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// bigExperiment writes an experiment of n nodes (4n+3 resources) and
// returns its directory and config root.
func bigExperiment(t *testing.T, n int) (dir, root string) {
	t.Helper()
	tmp := t.TempDir()
	dir, root = filepath.Join(tmp, "exp"), filepath.Join(tmp, "config")
	os.MkdirAll(dir, 0o755)
	src := fmt.Sprintf(`experiment "crash" {}
site {
  config_root  = %q
  default_type = "process"
}
switch "lan" {
  subnet = "10.1.0.0/16"
}
vnode "n" {
  count = %d
  interface "eth0" {
    switch      = switch.lan
    ip4_address = cidrhost("10.1.0.0/16", count.index + 10)
  }
  route {
    destination = "10.2.0.0/16"
    gateway     = "10.1.0.1"
  }
}
`, root, n)
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, root
}

// run runs the benito binary and returns its exit code and output.
func runBin(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(benitoBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

// onDisk lists the addresses of the resources whose files exist under the
// experiment's config directory.
func onDisk(t *testing.T, expDir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	entries, _ := os.ReadDir(filepath.Join(expDir, "resources"))
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue // a temporary file of a write in flight: not a resource yet
		}
		addr, err := url.PathUnescape(name)
		if err != nil {
			t.Fatalf("record file %s: %v", e.Name(), err)
		}
		out[addr] = true
	}
	if _, err := os.Stat(filepath.Join(expDir, "hosts")); err == nil {
		out["config_file.hosts"] = true
	}
	if _, err := os.Stat(filepath.Join(expDir, "topology.xml")); err == nil {
		out["config_file.topology"] = true
	}
	routes, _ := os.ReadDir(filepath.Join(expDir, "route"))
	for _, e := range routes {
		if !strings.HasPrefix(e.Name(), ".") {
			out[fmt.Sprintf("config_file.route[%q]", e.Name())] = true
		}
	}
	return out
}

// TestKillDuringApply kills `benito apply` with SIGKILL at many points and
// checks, after each kill, that nothing created is missing from the state
// and that the next plan shows exactly the remaining work; then that a
// final apply converges.
func TestKillDuringApply(t *testing.T) {
	const nodes = 150
	total := 4*nodes + 3
	dir, root := bigExperiment(t, nodes)
	expDir := filepath.Join(root, "crash")
	rng := rand.New(rand.NewSource(1))
	delays := []time.Duration{0, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}
	for i := 0; i < 6; i++ {
		delays = append(delays, time.Duration(rng.Intn(80))*time.Millisecond)
	}
	converged := false
	midway := 0 // kills that left some but not all resources made
	for i, d := range delays {
		cmd := exec.Command(benitoBin, "apply", "-auto-approve", "-parallelism", "4", dir)
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(d)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()

		// Nothing forgotten: every resource that exists is in the state.
		list := runBin(t, "", "state", "list", "-C", dir)
		if list.code != 0 && !strings.Contains(list.stderr, "no state") {
			t.Fatalf("kill %d (after %v): state list:\n%s", i, d, list)
		}
		inState := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(list.stdout), "\n") {
			if line != "" {
				inState[strings.Fields(line)[0]] = true
			}
		}
		for addr := range onDisk(t, expDir) {
			if !inState[addr] {
				t.Errorf("kill %d (after %v): %s exists on disk but the state forgot it", i, d, addr)
			}
		}

		// The plan shows exactly the work that remains.
		p := runBin(t, "", "plan", "-json", "-detailed-exitcode", dir)
		if p.code != 0 && p.code != 2 {
			t.Fatalf("kill %d (after %v): plan failed:\n%s", i, d, p)
		}
		var pj struct {
			ResourceChanges []struct {
				Address string
				Change  struct{ Actions []string }
			} `json:"resource_changes"`
		}
		if err := json.Unmarshal([]byte(p.stdout), &pj); err != nil {
			t.Fatalf("kill %d: plan -json: %v", i, err)
		}
		existing := onDisk(t, expDir)
		if len(pj.ResourceChanges) != total {
			t.Errorf("kill %d: plan covers %d resources, want %d", i, len(pj.ResourceChanges), total)
		}
		for _, rc := range pj.ResourceChanges {
			acts := strings.Join(rc.Change.Actions, ",")
			switch {
			case acts == "create" && existing[rc.Address]:
				t.Errorf("kill %d: %s exists but the plan creates it again without replacing it", i, rc.Address)
			case acts == "no-op" && !existing[rc.Address]:
				t.Errorf("kill %d: %s does not exist but the plan does nothing about it", i, rc.Address)
			case acts == "delete":
				t.Errorf("kill %d: %s: nothing should be deleted", i, rc.Address)
			}
		}
		if p.code == 0 {
			converged = true
		}
		if n := len(existing); n > 0 && n < total {
			midway++
		}
	}
	// The test means something only if kills land while apply works.
	if midway < 3 {
		t.Fatalf("only %d of %d kills landed part-way through the apply; make the experiment larger", midway, len(delays))
	}
	if r := runBin(t, "", "apply", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("final apply:\n%s", r)
	}
	if r := runBin(t, "", "plan", "-detailed-exitcode", dir); r.code != 0 {
		t.Fatalf("after the final apply the plan must be empty:\n%s", r)
	}
	if got := len(onDisk(t, expDir)); got != total {
		t.Errorf("%d resources on disk, want %d", got, total)
	}
	if r := runBin(t, "", "destroy", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	if _, err := os.Stat(expDir); err == nil {
		left, _ := exec.Command("find", expDir).CombinedOutput()
		t.Errorf("destroy left %s:\n%s", expDir, left)
	}
	t.Logf("%d of %d kills landed part-way; some landed after apply finished: %v", midway, len(delays), converged)
}

// TestConcurrentApplyIsRefused holds the state lock with one apply waiting
// at its prompt and checks that a second apply fails at once naming the
// holder, and that -lock-timeout waits for it.
func TestConcurrentApplyIsRefused(t *testing.T) {
	dir, v, _ := experiment(t, "demo")
	first := exec.Command(benitoBin, "apply", "-var", v, dir)
	first.Env = append(os.Environ(), "NO_COLOR=1")
	stdin, err := first.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := first.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { first.Process.Kill(); first.Wait() })
	waitFor(t, stdout, "Enter a value:")

	r := benito(t, "", "apply", "-auto-approve", "-var", v, dir)
	want := fmt.Sprintf("(pid %d), running \"apply\"", first.Process.Pid)
	if r.code != 1 || !strings.Contains(r.stderr, "locked") || !strings.Contains(r.stderr, want) {
		t.Fatalf("second apply: want a lock error naming %q\n%s", want, r)
	}

	done := make(chan result, 1)
	go func() { done <- runBin(t, "", "apply", "-auto-approve", "-lock-timeout", "20s", "-var", v, dir) }()
	time.Sleep(300 * time.Millisecond)
	stdin.Write([]byte("no\n"))
	stdin.Close()
	if err := first.Wait(); err == nil {
		t.Error("the first apply was answered no and must exit non-zero")
	}
	if r := <-done; r.code != 0 || !strings.Contains(r.stdout, "Apply complete!") {
		t.Fatalf("apply with -lock-timeout after the holder left:\n%s", r)
	}
	benito(t, "", "destroy", "-auto-approve", "-var", v, dir)
}

// waitFor reads r until it has seen s.
func waitFor(t *testing.T, r io.Reader, s string) {
	t.Helper()
	found := make(chan bool, 1)
	go func() {
		br := bufio.NewReader(r)
		var seen strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := br.Read(buf)
			seen.Write(buf[:n])
			if strings.Contains(seen.String(), s) {
				found <- true
				io.Copy(io.Discard, br)
				return
			}
			if err != nil {
				found <- false
				return
			}
		}
	}()
	select {
	case ok := <-found:
		if !ok {
			t.Fatalf("the process ended before printing %q", s)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %q", s)
	}
}

// TestInterruptDuringApply sends Ctrl-C (SIGINT) to an apply in flight: it
// must stop starting changes, save the state, say what happened and exit
// non-zero; nothing made may be missing from the state.
func TestInterruptDuringApply(t *testing.T) {
	dir, root := bigExperiment(t, 400)
	for _, signals := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d interrupts", signals), func(t *testing.T) {
			cmd := exec.Command(benitoBin, "apply", "-auto-approve", "-parallelism", "2", dir)
			cmd.Env = append(os.Environ(), "NO_COLOR=1")
			var out, errb syncBuffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Interrupt once creating has begun.
			deadline := time.Now().Add(20 * time.Second)
			for !strings.Contains(out.String(), "Creating...") && time.Now().Before(deadline) {
				time.Sleep(2 * time.Millisecond)
			}
			for i := 0; i < signals; i++ {
				cmd.Process.Signal(syscall.SIGINT)
				time.Sleep(5 * time.Millisecond)
			}
			err := cmd.Wait()
			r := result{cmd.ProcessState.ExitCode(), out.String(), errb.String()}
			if strings.Contains(out.String(), "Apply complete!") {
				t.Skipf("the apply finished before the interrupt landed:\n%s", r)
			}
			if err == nil || !strings.Contains(r.stderr, "Interrupt received") || !strings.Contains(r.stderr, "Apply incomplete") {
				t.Fatalf("an interrupted apply must say so and exit non-zero:\n%s", r)
			}
			if _, err := os.Stat(filepath.Join(dir, "benito.state.journal")); err == nil {
				t.Error("an interrupted apply must fold its journal into the state before exiting")
			}
			list := runBin(t, "", "state", "list", "-C", dir)
			inState := map[string]bool{}
			for _, line := range strings.Split(strings.TrimSpace(list.stdout), "\n") {
				inState[strings.Fields(line)[0]] = true
			}
			for addr := range onDisk(t, filepath.Join(root, "crash")) {
				if !inState[addr] {
					t.Errorf("%s exists but the state forgot it", addr)
				}
			}
			if p := runBin(t, "", "plan", "-detailed-exitcode", dir); p.code != 2 {
				t.Errorf("after an interrupted apply the plan must show the rest:\n%s", p)
			}
		})
	}
	if r := runBin(t, "", "destroy", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
}

// syncBuffer is a bytes.Buffer that a process's output can be written to
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
