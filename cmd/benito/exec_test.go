package main

import (
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/pty"
	"github.com/benito-net/benito/internal/syncbuf"
	"github.com/benito-net/benito/providers/discovery"
	"golang.org/x/sys/unix"
)

// execExperiment writes and applies an experiment of one process node, a,
// under a unique name, destroyed when the test ends.
func execExperiment(t *testing.T) (dir, name string) {
	t.Helper()
	requireRoot(t)
	name = fmt.Sprintf("exec-%04x", rand.Intn(1<<16))
	tmp := t.TempDir()
	dir = filepath.Join(tmp, "exp")
	src := fmt.Sprintf(`experiment %q {}
site {
  default_type = "process"
  config_root  = %q
}
vnode "a" {}
`, name, filepath.Join(tmp, "config"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	leaveNoRoots(t)
	t.Cleanup(func() {
		if r := benito(t, "", "destroy", "-auto-approve", dir); r.code != 0 {
			t.Errorf("cleaning up %s:\n%s", name, r)
		}
	})
	if r := benito(t, "", "apply", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	return dir, name
}

// TestExecProcessNode runs commands in a real process node, through the
// process provider in its plugin process (and in benito's own process):
// the node's namespaces, the three streams apart, exit statuses, a signal
// death, an unknown node.
func TestExecProcessNode(t *testing.T) {
	dir, name := execExperiment(t)
	hostNet, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	for _, inProcess := range []bool{false, true} {
		t.Run(fmt.Sprintf("in process %v", inProcess), func(t *testing.T) {
			if inProcess {
				t.Setenv(envInProcess, "1")
			}
			if r := benito(t, "", "exec", "-C", dir, "a", "--", "hostname"); r.code != 0 || r.stdout != "a\n" {
				t.Errorf("hostname inside a:\n%s", r)
			}
			r := benito(t, "", "exec", "-C", dir, "a", "--", "readlink", "/proc/self/ns/net")
			if r.code != 0 || !strings.HasPrefix(r.stdout, "net:") || strings.TrimSpace(r.stdout) == hostNet {
				t.Errorf("the node's network namespace (the host's is %s):\n%s", hostNet, r)
			}
			r = benito(t, "line one\nline two\n", "exec", "-C", dir, "a", "--", "sh", "-c", `cat; echo "to stderr $BENITO_NODE" >&2; exit 5`)
			if r.code != 5 || r.stdout != "line one\nline two\n" || r.stderr != "to stderr /run/benito/"+name+"/ns/net/a\n" {
				t.Errorf("streams and exit status:\n%s", r)
			}
			if r := benito(t, "", "exec", "-C", dir, "a", "--", "sh", "-c", "kill -TERM $$"); r.code != 128+15 {
				t.Errorf("a command killed by SIGTERM: exit %d, want 143\n%s", r.code, r)
			}
			// --tty without a terminal here: one of the usual size there.
			r = benito(t, "", "exec", "--tty", "-C", dir, "a", "--", "sh", "-c", "tty; stty size")
			if r.code != 0 || !regexp.MustCompile(`^/dev/pts/[0-9]+\r\n24 80\r\n$`).MatchString(r.stdout) {
				t.Errorf("--tty without a terminal:\n%s", r)
			}
			if r := benito(t, "", "exec", "-C", dir, "a", "--", "no-such-command-here"); r.code != 127 {
				t.Errorf("a command not found: exit %d, want 127\n%s", r.code, r)
			}
		})
	}
	r := benito(t, "", "exec", "-C", dir, "aa", "--", "true")
	if r.code != 1 || !strings.Contains(r.stderr, `There is no node "aa" in the state (did you mean "a"?); the nodes are: a.`) {
		t.Errorf("an unknown node:\n%s", r)
	}
}

// TestExecTerminal runs an interactive session with a pseudo-terminal as
// benito's standard input and output: the command has a /dev/pts
// terminal of the same size, benito's terminal is in raw mode while it
// runs, and as it was afterwards.
func TestExecTerminal(t *testing.T) {
	dir, _ := execExperiment(t)
	master, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer tty.Close()
	if err := pty.SetSize(tty, 33, 99); err != nil {
		t.Fatal(err)
	}
	fd := int(tty.Fd())
	before, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	var out syncbuf.Buffer
	go io.Copy(&out, master)
	var stderr syncbuf.Buffer
	code := make(chan int, 1)
	go func() {
		code <- run([]string{"exec", "-C", dir, "a", "--", "sh", "-c", `tty; stty size; echo ready; read x; echo "got $x"`}, tty, tty, &stderr, []string{"NO_COLOR=1"})
	}()
	for i := 0; !strings.Contains(out.String(), "ready"); i++ {
		if i == 1000 {
			t.Fatalf("no session after 10s: %q %q", out.String(), stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	during, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if during.Lflag&(unix.ECHO|unix.ICANON) != 0 {
		t.Errorf("benito's terminal is not in raw mode during the session: lflag %#x", during.Lflag)
	}
	if _, err := master.Write([]byte("hi\r")); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("exit %d: %q", c, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the session did not end: %q", out.String())
	}
	after, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if *after != *before {
		t.Errorf("the terminal was not restored:\nbefore %+v\nafter  %+v", *before, *after)
	}
	time.Sleep(50 * time.Millisecond) // the last output on its way through the terminal
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(out.String(), "\r\n", "\n")), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "/dev/pts/") || lines[1] != "33 99" || lines[3] != "hi" || lines[4] != "got hi" {
		t.Errorf("the session's output: %q", lines)
	}
}

// installPlatform puts a script on dir's plugin path that runs this test
// binary as provider name, a third-party provider to benito.
func installPlatform(t *testing.T, dir, name string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	plugins := filepath.Join(dir, ".benito", "plugins")
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\nexec '" + exe + "' provider " + name + "\n"
	if err := os.WriteFile(filepath.Join(plugins, discovery.BinaryPrefix+name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestExecPlatforms: benito exec serves a third-party platform's nodes
// through its provider, and refuses a platform whose schema does not
// declare exec, naming the type and the provider.
func TestExecPlatforms(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "exp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf(`experiment "platforms" {
  required_providers {
    %[1]s = { source = "benito.test/%[1]s", version = ">= 0" }
    %[2]s = { source = "benito.test/%[2]s", version = ">= 0" }
  }
}
site {
  config_root = %[3]q
}
vnode "vm" {
  type = %[1]q
}
vnode "box" {
  type = %[2]q
}
`, execNodeProvider, noExecNodeProvider, filepath.Join(tmp, "config"))
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	installPlatform(t, dir, execNodeProvider)
	installPlatform(t, dir, noExecNodeProvider)
	if r := benito(t, "", "init", dir); r.code != 0 {
		t.Fatal(r)
	}
	if r := benito(t, "", "apply", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	r := benito(t, "in", "exec", "-C", dir, "vm", "--", "sh", "-c", `cat; echo " $TEST_NODE"; echo err >&2; exit 4`)
	if r.code != 4 || r.stdout != "in vm\n" || r.stderr != "err\n" {
		t.Errorf("exec in a third-party platform's node:\n%s", r)
	}
	r = benito(t, "", "exec", "-C", dir, "box", "--", "true")
	if r.code != 1 || !strings.Contains(r.stderr, `vnode.box is a resource of type "vnode" of provider "noexecnode", which does not run commands inside resources of that type`) {
		t.Errorf("exec in a node whose platform does not declare exec:\n%s", r)
	}
	if r := benito(t, "", "destroy", "-auto-approve", dir); r.code != 0 {
		t.Errorf("destroy:\n%s", r)
	}
}
