package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/syncbuf"
)

// bigExperiment writes an experiment of n greeting files served by the
// example third-party provider (built, installed on a plugin path of the
// test's own and locked with benito init), so that the kills below land
// while a real provider process works through many resources. It returns
// the experiment directory and the directory the files go to; runBin runs
// with the plugin path set.
func bigExperiment(t *testing.T, n int) (dir, files string) {
	t.Helper()
	tmp := t.TempDir()
	dir, files = filepath.Join(tmp, "exp"), filepath.Join(tmp, "files")
	config := filepath.Join(tmp, "config")
	plugins := filepath.Join(tmp, "plugins")
	os.MkdirAll(dir, 0o755)
	os.MkdirAll(files, 0o755)
	install(t, buildHello(t, "0.1.0"), plugins, "hello")
	t.Setenv("BENITO_PLUGIN_PATH", plugins)
	src := fmt.Sprintf(`experiment "crash" {
  required_providers {
    hello = { source = "example.org/benito/hello", version = ">= 0.1" }
  }
}
site {
  config_root = %q
  run_root    = %q
}
resource "hello_greeting" "g" {
  count = %d
  path  = "%s/g-${count.index}.txt"
  name  = "node ${count.index}"
}
`, config, filepath.Join(tmp, "run"), n, files)
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runBin(t, "", "init", dir); r.code != 0 {
		t.Fatalf("init:\n%s", r)
	}
	return dir, files
}

// run runs the benito binary and returns its exit code and output.
func runBin(t testing.TB, stdin string, args ...string) result {
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

// onDisk lists the addresses of the greetings whose files exist, and of
// the config directory's files.
func onDisk(t *testing.T, files string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	config := filepath.Join(filepath.Dir(files), "config", "crash")
	if _, err := os.Stat(filepath.Join(config, "hosts")); err == nil {
		out["config_file.hosts"] = true
	}
	if _, err := os.Stat(filepath.Join(config, "topology.xml")); err == nil {
		out["config_file.topology"] = true
	}
	entries, _ := os.ReadDir(files)
	for _, e := range entries {
		if i, ok := strings.CutSuffix(strings.TrimPrefix(e.Name(), "g-"), ".txt"); ok {
			out["hello_greeting.g["+i+"]"] = true
		}
	}
	return out
}

// TestKillDuringApply kills `benito apply` with SIGKILL at many points and
// checks, after each kill, that nothing created is missing from the state
// and that the next plan shows exactly the remaining work; then that a
// final apply converges.
func TestKillDuringApply(t *testing.T) {
	const total = 1002 // 1000 greetings, hosts and topology.xml
	dir, expDir := bigExperiment(t, 1000)
	// The runs' temporary files (providers' socket directories) go here:
	// none may outlive a run, killed or not.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	rng := rand.New(rand.NewSource(1))
	// Two kills land before anything is made (at once, and while the
	// apply loads and plans); the others once the walk has made a few more
	// greetings than the last apply left, a different number each time,
	// so they land at different points of the walk and of its journal.
	type kill struct {
		delay time.Duration
		more  int // greetings made by this apply before the kill
	}
	kills := []kill{{delay: 0}, {delay: 20 * time.Millisecond}}
	for i := 0; i < 10; i++ {
		kills = append(kills, kill{more: 1 + rng.Intn(60)})
	}
	converged := false
	midway := 0 // kills that left some but not all resources made
	for i, k := range kills {
		before := len(onDisk(t, expDir))
		cmd := exec.Command(benitoBin, "apply", "-auto-approve", "-parallelism", "4", dir)
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		time.Sleep(k.delay)
		for deadline := time.Now().Add(20 * time.Second); k.more > 0 && time.Now().Before(deadline); {
			if len(onDisk(t, expDir)) >= before+k.more {
				break
			}
			select {
			case <-exited:
				deadline = time.Time{}
			case <-time.After(time.Millisecond):
			}
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		t.Logf("kill %d: %d on disk before, %d after", i, before, len(onDisk(t, expDir)))
		d := k.delay

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
		t.Fatalf("only %d of %d kills landed part-way through the apply; make the experiment larger", midway, len(kills))
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
	if left := onDisk(t, expDir); len(left) > 0 {
		t.Errorf("destroy left %d files", len(left))
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		var names []string
		for _, e := range left {
			names = append(names, e.Name())
		}
		t.Errorf("the runs left temporary files: %v", names)
	}
	t.Logf("%d of %d kills landed part-way; some landed after apply finished: %v", midway, len(kills), converged)
}

// TestConcurrentApplyIsRefused holds the state lock with one apply waiting
// at its prompt and checks that a second apply fails at once naming the
// holder, and that -lock-timeout waits for it.
func TestConcurrentApplyIsRefused(t *testing.T) {
	dir, v, _, _ := experiment(t, "demo")
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
			var out, errb syncbuf.Buffer
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
