package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/syncbuf"
	"github.com/benito-net/benito/internal/testenv"
	"github.com/benito-net/benito/state"
)

// consoleState writes, in a new experiment directory, a state recording
// one QEMU node, vm, with the given console attributes, under a run root
// of the test's own; it returns the directory and the experiment's run
// directory (made).
func consoleState(t *testing.T, socket, log func(runDir string) string) (dir, runDir string) {
	t.Helper()
	tmp := t.TempDir()
	dir = filepath.Join(tmp, "exp")
	name := fmt.Sprintf("console-%04x", rand.Intn(1<<16))
	runRoot := filepath.Join(tmp, "run")
	runDir = filepath.Join(runRoot, name)
	for _, d := range []string{dir, filepath.Join(runDir, "qemu", "vm"), filepath.Join(runDir, "log")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	attrs := map[string]any{"name": "vm", "type": contract.NodeQEMU, "run_dir": runDir, "console": nil, "console_log": nil}
	if socket != nil {
		attrs["console"] = socket(runDir)
	}
	if log != nil {
		attrs["console_log"] = log(runDir)
	}
	writeNodeState(t, dir, name, map[string]string{contract.SiteRunRoot: runRoot}, "vm", contract.NodeQEMU, attrs)
	return dir, runDir
}

// writeNodeState writes dir/benito.state recording one vnode.
func writeNodeState(t *testing.T, dir, experiment string, site map[string]string, node, provider string, attrs map[string]any) {
	t.Helper()
	raw, err := json.Marshal(attrs)
	if err != nil {
		t.Fatal(err)
	}
	st := state.New(experiment)
	st.Site = site
	a := addrs.Resource{Type: contract.VNode, Name: node}
	st.Resources[a] = &state.Resource{Addr: a, Provider: provider, Attributes: raw}
	data, err := state.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "benito.state"), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// listen makes a unix socket at path standing for QEMU's console: with
// accept it answers every line it reads with "got LINE\r\n", else it
// takes no connection (as QEMU while another client is attached). It
// returns the number of connections accepted so far.
func listen(t *testing.T, path string, accept bool) func() int {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan struct{}, 16)
	if accept {
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				accepted <- struct{}{}
				go func() {
					defer c.Close()
					b := make([]byte, 4096)
					for {
						n, err := c.Read(b)
						for _, line := range strings.SplitAfter(string(b[:n]), "\n") {
							if strings.HasSuffix(line, "\n") {
								fmt.Fprintf(c, "got %s\r\n", strings.TrimSuffix(line, "\n"))
							}
						}
						if err != nil {
							return
						}
					}
				}()
			}
		}()
	}
	return func() int { return len(accepted) }
}

// TestConsoleProcessNode: a process node, applied for real, has no serial
// console; the message says to use benito exec.
func TestConsoleProcessNode(t *testing.T) {
	dir, _ := execExperiment(t)
	r := benito(t, "", "console", "-C", dir, "a")
	if r.code != 1 || !strings.Contains(r.stderr, "Node a is a process node and has no serial console; use `benito exec a -- sh`") {
		t.Errorf("console of a process node:\n%s", r)
	}
	if r := benito(t, "", "console", "-C", dir, "b"); r.code != 1 || !strings.Contains(r.stderr, `There is no node "b" in the state`) {
		t.Errorf("console of an unknown node:\n%s", r)
	}
}

// TestConsoleRecordedPaths: a recorded console or log path is used only
// inside the experiment's run directory, and the console only when it is
// a socket; nothing outside is connected to or printed.
func TestConsoleRecordedPaths(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "other.sock")
	connections := listen(t, outside, true)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("not benito's\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		socket, log func(runDir string) string
		setup       func(t *testing.T, runDir string)
		args        []string
		wants       []string
	}{
		{
			name:   "socket outside",
			socket: func(string) string { return outside },
			wants:  []string{"Refused the recorded console of vnode.vm", outside, "is not inside", "benito state rm"},
		},
		{
			name:   "socket out through ..",
			socket: func(rd string) string { return rd + "/../../" + filepath.Base(outside) },
			wants:  []string{"Refused the recorded console of vnode.vm", "is not a clean absolute path"},
		},
		{
			name:   "socket out through a link",
			socket: func(rd string) string { return filepath.Join(rd, "qemu", "vm", "console.sock") },
			setup: func(t *testing.T, rd string) {
				if err := os.Symlink(outside, filepath.Join(rd, "qemu", "vm", "console.sock")); err != nil {
					t.Fatal(err)
				}
			},
			wants: []string{"Refused the recorded console of vnode.vm", "leads out of"},
		},
		{
			name:   "not a socket",
			socket: func(rd string) string { return filepath.Join(rd, "qemu", "vm", "console.sock") },
			setup: func(t *testing.T, rd string) {
				if err := os.WriteFile(filepath.Join(rd, "qemu", "vm", "console.sock"), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			wants: []string{"Refused the recorded console of vnode.vm", "is not a socket"},
		},
		{
			name:   "log outside",
			socket: func(rd string) string { return filepath.Join(rd, "qemu", "vm", "console.sock") },
			log:    func(string) string { return secret },
			args:   []string{"--log"},
			wants:  []string{"Refused the recorded console_log of vnode.vm", secret, "is not inside"},
		},
		{
			name:   "no socket: the VM is not running",
			socket: func(rd string) string { return filepath.Join(rd, "qemu", "vm", "console.sock") },
			wants:  []string{"console socket", "does not exist: the VM is not running"},
		},
		{
			name:  "a QEMU node without a console",
			wants: []string{"Node vm is a QEMU node, but its record has no serial console"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, runDir := consoleState(t, tc.socket, tc.log)
			if tc.setup != nil {
				tc.setup(t, runDir)
			}
			r := benito(t, "echo hi\n", append(append([]string{"console", "-C", dir}, tc.args...), "vm")...)
			if r.code != 1 {
				t.Errorf("exit %d, want 1", r.code)
			}
			for _, want := range tc.wants {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("the output lacks %q:\n%s", want, r)
				}
			}
			if r.stdout != "" || strings.Contains(r.stderr, "Connected") {
				t.Errorf("it printed or connected:\n%s", r)
			}
		})
	}
	if n := connections(); n != 0 {
		t.Errorf("%d connections to the socket outside the run directory", n)
	}
}

// TestConsoleAttach: benito console attaches to the recorded socket
// through pipes (no terminal), says how to detach, sends input up to
// Ctrl-] (not beyond), and says it detached; --log prints the log file;
// a console that another client holds is a clear error.
func TestConsoleAttach(t *testing.T) {
	sock := func(rd string) string { return filepath.Join(rd, "qemu", "vm", "console.sock") }
	logf := func(rd string) string { return filepath.Join(rd, "log", "vm.console.log") }
	dir, runDir := consoleState(t, sock, logf)
	connections := listen(t, sock(runDir), true)

	r := benito(t, "echo one\n\x1decho two\n", "console", "-C", dir, "vm")
	if r.code != 0 {
		t.Fatalf("console:\n%s", r)
	}
	if !strings.HasPrefix(r.stderr, "Connected to the console of vm; detach with Ctrl-]\n") ||
		!strings.Contains(r.stderr, "Detached from the console of vm; the VM goes on running.") {
		t.Errorf("messages:\n%s", r)
	}
	// The answer to the line before Ctrl-] may or may not arrive before
	// the detach; nothing after Ctrl-] is sent.
	if r.stdout != "" && r.stdout != "got echo one\r\n" {
		t.Errorf("output %q", r.stdout)
	}
	if connections() != 1 {
		t.Errorf("%d connections, want 1", connections())
	}

	// Input that ends detaches as well; the log is the console's.
	if err := os.WriteFile(logf(runDir), []byte("[    0.000000] Linux version 6.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := benito(t, "", "console", "-log", "-C", dir, "vm"); r.code != 0 || r.stdout != "[    0.000000] Linux version 6.1\n" {
		t.Errorf("--log:\n%s", r)
	}
	// --log -f follows the log until interrupted.
	follow := exec.Command(benitoBin, "console", "--log", "-f", "-C", dir, "vm")
	var followed syncbuf.Buffer
	follow.Stdout, follow.Stderr = &followed, &followed
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	defer follow.Process.Kill()
	lf, err := os.OpenFile(logf(runDir), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	for deadline := time.Now().Add(10 * time.Second); followed.String() != "[    0.000000] Linux version 6.1\n"; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("--log -f printed %q", followed.String())
		}
	}
	lf.WriteString("benito-guest: ready\n")
	for deadline := time.Now().Add(10 * time.Second); !strings.HasSuffix(followed.String(), "benito-guest: ready\n"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("--log -f did not follow: %q", followed.String())
		}
	}
	follow.Process.Signal(os.Interrupt)
	if err := follow.Wait(); err != nil || followed.String() != "[    0.000000] Linux version 6.1\nbenito-guest: ready\n" {
		t.Errorf("--log -f after an interrupt: %v, %q", err, followed.String())
	}

	// The log outlives the VM: it is printed without the socket.
	stopped, stoppedRun := consoleState(t, sock, logf)
	if err := os.WriteFile(logf(stoppedRun), []byte("reboot: Power down\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := benito(t, "", "console", "-log", "-C", stopped, "vm"); r.code != 0 || r.stdout != "reboot: Power down\n" {
		t.Errorf("--log of a stopped VM:\n%s", r)
	}
	if err := os.Remove(logf(stoppedRun)); err != nil {
		t.Fatal(err)
	}
	if r := benito(t, "", "console", "-log", "-C", stopped, "vm"); r.code != 1 || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("--log of a missing log:\n%s", r)
	}
	if r := benito(t, "", "console", "-f", "-C", dir, "vm"); r.code != 1 || !strings.Contains(r.stderr, "use it with --log") {
		t.Errorf("-f without --log:\n%s", r)
	}

	// Another client holds the console.
	busyDir, busyRun := consoleState(t, sock, logf)
	listen(t, sock(busyRun), false)
	start := time.Now()
	r = benito(t, "echo hi\n", "console", "-C", busyDir, "vm")
	if r.code != 1 || !strings.Contains(r.stderr, "another client is attached to the console of vm, and QEMU serves one at a time") {
		t.Errorf("a busy console:\n%s", r)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("a busy console took %v to report", took)
	}
}

// TestConsoleQEMU: benito console on a real VM (the test guest under
// TCG, started with the QEMU provider's console options), its paths read
// from the state: the guest's shell answers what is typed, Ctrl-]
// detaches and leaves the VM running, and --log prints the boot.
func TestConsoleQEMU(t *testing.T) {
	qemu := testenv.Command(t, "qemu-system-x86_64", "qemu-system-x86")
	kernel, initrd := testenv.GuestImage(t)
	sock := func(rd string) string { return filepath.Join(rd, "qemu", "vm", "console.sock") }
	logf := func(rd string) string { return filepath.Join(rd, "log", "vm.console.log") }
	dir, runDir := consoleState(t, sock, logf)
	vm := exec.Command(qemu, "-accel", "tcg", "-m", "256", "-display", "none", "-no-reboot", "-nodefaults",
		"-chardev", "socket,id=console,path="+sock(runDir)+",server=on,wait=off,logfile="+logf(runDir)+",logappend=on",
		"-serial", "chardev:console",
		"-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0 panic=-1")
	var qemuOut syncbuf.Buffer
	vm.Stdout, vm.Stderr = &qemuOut, &qemuOut
	if err := vm.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { vm.Wait(); close(exited) }()
	t.Cleanup(func() { vm.Process.Kill(); <-exited })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(sock(runDir)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no console socket after 30 s; qemu said: %s", qemuOut.String())
		}
	}

	inR, inW := io.Pipe()
	defer inW.Close()
	var stdout, stderr syncbuf.Buffer
	code := make(chan int, 1)
	go func() {
		code <- run([]string{"console", "-C", dir, "vm"}, inR, &stdout, &stderr, []string{"NO_COLOR=1"})
	}()
	n := rand.Intn(1 << 30)
	want := fmt.Sprintf("hi-%d\r\n", n+1)
	// The shell starts late in the boot, and what is typed before is lost:
	// type until it answers (the answer is computed, never the echo).
	for deadline := time.Now().Add(2 * time.Minute); !strings.Contains(stdout.String(), want); {
		if time.Now().After(deadline) {
			t.Fatalf("the guest's shell did not answer in 2 minutes:\n--- stdout\n%s--- stderr\n%s", stdout.String(), stderr.String())
		}
		fmt.Fprintf(inW, "echo hi-$((%d+1))\n", n)
		for wait := time.Now().Add(3 * time.Second); time.Now().Before(wait) && !strings.Contains(stdout.String(), want); {
			time.Sleep(20 * time.Millisecond)
		}
	}
	inW.Write([]byte{0x1d})
	select {
	case c := <-code:
		if c != 0 || !strings.HasPrefix(stderr.String(), "Connected to the console of vm; detach with Ctrl-]\n") ||
			!strings.HasSuffix(stderr.String(), "\nDetached from the console of vm; the VM goes on running.\n") {
			t.Errorf("exit %d, stderr:\n%s", c, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("benito console did not end 10 s after Ctrl-]")
	}
	select {
	case <-exited:
		t.Fatalf("the VM ended after the detach; qemu said: %s", qemuOut.String())
	case <-time.After(500 * time.Millisecond):
	}
	r := benito(t, "", "console", "--log", "-C", dir, "vm")
	if r.code != 0 || !strings.Contains(r.stdout, "Linux version") || !strings.Contains(r.stdout, want) {
		t.Errorf("--log:\n%s", r)
	}
}
