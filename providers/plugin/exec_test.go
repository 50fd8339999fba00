package plugin_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/syncbuf"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/plugin"
	"github.com/zclconf/go-cty/cty"
)

// execThing is an Exec request for echo's thing.a, whose command echo runs
// on this host.
func execThing(args ...string) providers.ExecRequest {
	return providers.ExecRequest{
		Address: "thing.a", Type: "thing", Value: thingVal(), Private: []byte("priv"),
		Args: args, Env: []string{"PATH=" + os.Getenv("PATH"), "USERVAR=u", "THING=the user's"},
	}
}

// waitFor waits until buf holds want.
func waitFor(t *testing.T, buf *syncbuf.Buffer, want string) {
	t.Helper()
	for i := 0; !strings.Contains(buf.String(), want); i++ {
		if i == 1000 {
			t.Fatalf("no %q in the output after 10s: %q", want, buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The input, output and error streams cross apart, with the value, the
// private data, the environment (the provider's own variables last) and
// the exit status.
func TestExecStreams(t *testing.T) {
	p := start(t, "echo", "echo", 0)
	var stdout, stderr syncbuf.Buffer
	req := execThing("sh", "-c", `cat; echo "$THING $PRIVATE" >&2; echo "$USERVAR"; exit 3`)
	req.Stdin, req.Stdout, req.Stderr = strings.NewReader("input\nmore"), &stdout, &stderr
	resp := p.Exec(context.Background(), req)
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics.Err())
	}
	if resp.ExitCode != 3 || resp.Signal != 0 {
		t.Errorf("exit %d, signal %d; want 3, 0", resp.ExitCode, resp.Signal)
	}
	if got, want := stdout.String(), "input\nmoreu\n"; got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
	if got, want := stderr.String(), "a priv\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
}

// On a terminal: the command has a /dev/pts terminal of the size asked,
// sees the size changes, and its output all comes as stdout.
func TestExecTerminal(t *testing.T) {
	p := start(t, "echo", "echo", 0)
	var stdout, stderr syncbuf.Buffer
	req := execThing("sh", "-c", `tty; stty size; echo oops >&2; trap 'stty size; exit 7' WINCH; echo ready; while :; do sleep 0.02; done`)
	resize := make(chan providers.WindowSize, 1)
	req.Stdout, req.Stderr, req.Terminal, req.Resize = &stdout, &stderr, &providers.WindowSize{Rows: 30, Cols: 100}, resize
	done := make(chan providers.ExecResponse, 1)
	go func() { done <- p.Exec(context.Background(), req) }()
	waitFor(t, &stdout, "ready")
	resize <- providers.WindowSize{Rows: 40, Cols: 120}
	resp := <-done
	if resp.Diagnostics.HasErrors() || resp.ExitCode != 7 {
		t.Fatalf("exit %d: %v\n%s", resp.ExitCode, resp.Diagnostics.Err(), stdout.String())
	}
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(stdout.String(), "\r\n", "\n")), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "/dev/pts/") || lines[1] != "30 100" || lines[2] != "oops" || lines[4] != "40 120" {
		t.Errorf("output on the terminal: %q", lines)
	}
	if stderr.String() != "" {
		t.Errorf("stderr %q: on a terminal, everything is stdout", stderr.String())
	}
}

// The signals benito passes on reach the command, which reports dying of
// one as such.
func TestExecSignal(t *testing.T) {
	p := start(t, "echo", "echo", 0)
	for _, terminal := range []bool{false, true} {
		var stdout syncbuf.Buffer
		req := execThing("sh", "-c", `echo ready; exec sleep 30`)
		signals := make(chan syscall.Signal, 1)
		req.Stdout, req.Signals = &stdout, signals
		if terminal {
			req.Terminal = &providers.WindowSize{Rows: 24, Cols: 80}
		}
		done := make(chan providers.ExecResponse, 1)
		go func() { done <- p.Exec(context.Background(), req) }()
		waitFor(t, &stdout, "ready")
		signals <- syscall.SIGTERM
		resp := <-done
		if resp.Diagnostics.HasErrors() || resp.Signal != syscall.SIGTERM || resp.ExitCode != -1 {
			t.Errorf("terminal %v: exit %d, signal %d, %v; want killed by SIGTERM", terminal, resp.ExitCode, resp.Signal, resp.Diagnostics.Err())
		}
	}
}

// Ending the call ends the command.
func TestExecCancelled(t *testing.T) {
	p := start(t, "echo", "echo", 0)
	var stdout syncbuf.Buffer
	req := execThing("sh", "-c", `echo $$; exec sleep 30`)
	req.Stdout = &stdout
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan providers.ExecResponse, 1)
	go func() { done <- p.Exec(ctx, req) }()
	waitFor(t, &stdout, "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(stdout.String()))
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	resp := <-done
	if !resp.Diagnostics.HasErrors() || !strings.Contains(resp.Diagnostics.Err().Error(), "cancelled") {
		t.Errorf("a cancelled exec: %v", resp.Diagnostics)
	}
	for i := 0; syscall.Kill(pid, 0) == nil; i++ {
		if i == 500 {
			t.Fatalf("the command (pid %d) still runs 5s after its exec was cancelled", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The provider is still there for the next call.
	if resp := p.Exec(context.Background(), execThing("true")); resp.ExitCode != 0 || resp.Diagnostics.HasErrors() {
		t.Errorf("exec after a cancelled one: %d %v", resp.ExitCode, resp.Diagnostics)
	}
}

// A type without exec is refused by the provider's side too, and a
// process serving several providers routes Exec by name.
func TestExecRefusedAndRouted(t *testing.T) {
	p := start(t, "echo", "echo", 0)
	other := cty.ObjectVal(map[string]cty.Value{"x": cty.StringVal("x")})
	resp := p.Exec(context.Background(), providers.ExecRequest{Address: "other.a", Type: "other", Value: other, Args: []string{"true"}})
	if !resp.Diagnostics.HasErrors() || !strings.Contains(resp.Diagnostics.Err().Error(), `does not run commands in resources of type "other"`) || resp.ExitCode != -1 {
		t.Errorf("exec in a type without exec: %d %v", resp.ExitCode, resp.Diagnostics)
	}

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ps, err := plugin.StartSet(context.Background(), plugin.Config{Name: "set", Path: exe, Env: []string{envServe + "=set"}}, []string{"echo", "config"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, p := range ps {
			p.Close()
		}
	})
	var stdout syncbuf.Buffer
	req := execThing("sh", "-c", `echo "$THING"`)
	req.Stdout = &stdout
	if resp := ps["echo"].Exec(context.Background(), req); resp.ExitCode != 0 || stdout.String() != "a\n" {
		t.Errorf("exec through a set: %d %v %q", resp.ExitCode, resp.Diagnostics, stdout.String())
	}
}
