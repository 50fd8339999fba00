package providers

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/syncbuf"
)

func shell(script string) (*exec.Cmd, ExecRequest) {
	return exec.Command("sh", "-c", script), ExecRequest{Address: "vnode.a", Args: []string{"sh"}, Env: []string{"PATH=" + os.Getenv("PATH")}}
}

// A child left in the background with the output open does not hold the
// exec past outputGrace; the command's own output is all there, and so is
// what it read of its input.
func TestExecCommandBackgroundChild(t *testing.T) {
	cmd, req := shell(`sleep 30 & echo $!; read line; echo "read $line"`)
	var out bytes.Buffer
	req.Stdin, req.Stdout = strings.NewReader("input\n"), &out
	t0 := time.Now()
	resp := ExecCommand(context.Background(), cmd, req)
	took := time.Since(t0)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || lines[1] != "read input" || resp.ExitCode != 0 || resp.Diagnostics.HasErrors() {
		t.Fatalf("exit %d %v, output %q", resp.ExitCode, resp.Diagnostics, out.String())
	}
	if pid, err := strconv.Atoi(lines[0]); err == nil {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	if took < outputGrace || took > outputGrace+3*time.Second {
		t.Errorf("took %s with the output held open; want about %s", took, outputGrace)
	}
}

// Without input the command reads end of file at once; its environment is
// the request's, then the provider's; a command that cannot start is a
// diagnostic, not an exit status.
func TestExecCommandEnvAndFailures(t *testing.T) {
	cmd, req := shell(`cat; echo "$A $B"`)
	cmd.Env = []string{"B=provider"}
	req.Env = append(req.Env, "A=user", "B=user")
	var out bytes.Buffer
	req.Stdout = &out
	if resp := ExecCommand(context.Background(), cmd, req); resp.ExitCode != 0 || out.String() != "user provider\n" {
		t.Errorf("exit %d %v, output %q", resp.ExitCode, resp.Diagnostics, out.String())
	}
	resp := ExecCommand(context.Background(), exec.Command("/nonexistent/program"), req)
	if resp.ExitCode != -1 || !resp.Diagnostics.HasErrors() || resp.Diagnostics[0].Address != "vnode.a" {
		t.Errorf("a command that cannot start: exit %d, %v", resp.ExitCode, resp.Diagnostics)
	}
}

// On a terminal, a forwarded signal goes to the foreground job, not to
// the session's leader: a shell with job control outlives the job it runs.
func TestExecCommandTerminalForeground(t *testing.T) {
	cmd, req := shell(`echo $$; set -m; sleep 30; echo "job ended: $?"; exit 3`)
	var out syncbuf.Buffer
	signals := make(chan syscall.Signal, 1)
	req.Stdout, req.Terminal, req.Signals = &out, &WindowSize{Rows: 24, Cols: 80}, signals
	done := make(chan ExecResponse, 1)
	go func() { done <- ExecCommand(context.Background(), cmd, req) }()
	// Wait until sleep runs in a process group of its own, the shell's
	// job.
	for i := 0; ; i++ {
		if sh, err := strconv.Atoi(strings.TrimSpace(out.String())); err == nil && groups(sh) > 1 {
			break
		}
		if i == 500 {
			t.Fatalf("the job did not start: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // the shell hands the job the terminal just after
	signals <- syscall.SIGTERM
	resp := <-done
	if resp.ExitCode != 3 || !strings.Contains(out.String(), "job ended: 143") {
		t.Errorf("exit %d, signal %d, %v, output %q", resp.ExitCode, resp.Signal, resp.Diagnostics, out.String())
	}
}

// groups counts the process groups of process pid and its children.
func groups(pid int) int {
	pids := []int{pid}
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(pid) + "/children"); err == nil {
		for _, f := range strings.Fields(string(b)) {
			if p, err := strconv.Atoi(f); err == nil {
				pids = append(pids, p)
			}
		}
	}
	seen := map[int]bool{}
	for _, p := range pids {
		if g, err := syscall.Getpgid(p); err == nil {
			seen[g] = true
		}
	}
	return len(seen)
}
