package process

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/testenv"
)

// TestStaticHolder checks that the holder is the static program where it
// can be (amd64), named for ps, in new namespaces, and that it ends on
// SIGTERM as sleep(1) did.
func TestStaticHolder(t *testing.T) {
	needRoot(t)
	h, err := startHolder("t", node{Name: "static"})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Stop(0)
	_, _, static := holders.program()
	// In CI, where memfd exec is allowed, a static holder given up is a
	// failure; elsewhere a host may forbid it, and sleep stands in.
	if holderProgram(runtime.GOARCH) != nil && !static && os.Getenv("CI") != "" {
		t.Fatalf("the static holder was given up on this host")
	}
	want := "sleep"
	if static {
		want = holderName
	}
	// The static holder names itself right after exec: wait for it.
	var comm string
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(h.Pid) + "/comm")
		if comm = strings.TrimSpace(string(b)); comm == want {
			break
		}
	}
	if comm != want {
		t.Errorf("comm %q, want %q", comm, want)
	}
	cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(h.Pid) + "/cmdline")
	if !strings.HasPrefix(string(cmdline), "benito-node:t/static\x00") {
		t.Errorf("cmdline %q", cmdline)
	}
	self, _ := os.Readlink("/proc/self/ns/net")
	if id, _ := h.netnsID(); id == "" || id == self {
		t.Errorf("holder network namespace %q, this process's %q", id, self)
	}
	if err := syscall.Kill(h.Pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Second); h.Alive(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the holder outlived SIGTERM")
		}
	}
}

func BenchmarkHolderStart(b *testing.B) {
	testenv.Root(b)
	for _, tc := range []struct {
		name   string
		static bool
	}{{"static", true}, {"sleep", false}} {
		b.Run(tc.name, func(b *testing.B) {
			defer holders.failed.Store(holders.failed.Load())
			holders.program()
			holders.failed.Store(!tc.static)
			var hs []holder
			defer func() {
				for _, h := range hs {
					h.Stop(0)
				}
			}()
			for b.Loop() {
				h, err := startHolder("b", node{Name: "b"})
				if err != nil {
					b.Fatal(err)
				}
				hs = append(hs, h)
			}
		})
	}
}

// TestForwarding checks that forwarding reads what startHolder and
// setForwarding wrote. The holder starts with the opposite of the value
// set, so that a write that does nothing fails.
func TestForwarding(t *testing.T) {
	needRoot(t)
	for _, on := range []bool{true, false} {
		h, err := startHolder("t", node{Name: "fwd", IPForward: !on})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Stop(0)
		if got, err := h.forwarding(); err != nil || got != !on {
			t.Errorf("forwarding started as %v reads %v, %v", !on, got, err)
		}
		if err := h.setForwarding(on); err != nil {
			t.Fatal(err)
		}
		got, err := h.forwarding()
		if err != nil || got != on {
			t.Errorf("forwarding set to %v reads %v, %v", on, got, err)
		}
	}
	if _, err := parseForwarding("Ip: Forwarding\nIcmp: 1\n"); err == nil {
		t.Error("a MIB without values parsed")
	}
}
