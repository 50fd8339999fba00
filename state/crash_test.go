package state

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/addrs"
)

// helperEnv makes the test binary act as a benito run instead of running
// tests; see TestHelperProcess.
const helperEnv = "BENITO_STATE_HELPER"

// TestHelperProcess is not a test: run as a child with helperEnv set to
// "PATH WRITE_EVERY", it does what the engine does during apply (Lock,
// Load, OpenJournal, Put per resource) forever, and prints the number of
// completed Puts after each one. Every WRITE_EVERY Puts it writes the state
// and opens a new journal, as a long apply with checkpoints would, so kills
// also land inside Write. It exits only when killed.
func TestHelperProcess(t *testing.T) {
	arg := os.Getenv(helperEnv)
	if arg == "" {
		t.Skip("helper process for TestCrash")
	}
	if err := helperMain(arg); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(3)
	}
	os.Exit(0)
}

func helperMain(arg string) error {
	path, everyText, _ := strings.Cut(arg, " ")
	writeEvery, err := strconv.Atoi(everyText)
	if err != nil {
		return err
	}
	f, err := NewFile(path).Lock(context.Background(), "apply", 0)
	if err != nil {
		return err
	}
	s, err := f.Load()
	if err != nil {
		return err
	}
	if s == nil {
		s = New("crash")
	}
	j, err := f.OpenJournal(s)
	if err != nil {
		return err
	}
	for i := 0; ; i++ {
		r := crashResource(i)
		if err := j.Put(r); err != nil {
			return err
		}
		s.Resources[r.Addr] = r
		// os.Stdout is unbuffered: once this returns, the parent can read it.
		if _, err := fmt.Println(i + 1); err != nil {
			return err
		}
		if writeEvery > 0 && (i+1)%writeEvery == 0 {
			if err := f.Write(s); err != nil {
				return err
			}
			if j, err = f.OpenJournal(s); err != nil {
				return err
			}
		}
	}
}

func crashResource(i int) *Resource {
	r := &Resource{
		Addr:       addrs.Resource{Type: "vnode", Name: "n", Key: addrs.IntKey(i)},
		Provider:   "config",
		Attributes: json.RawMessage(fmt.Sprintf(`{"i":%d,"pad":%q}`, i, strings.Repeat("x", i%500))),
	}
	if i > 0 {
		r.Dependencies = []addrs.Resource{{Type: "vnode", Name: "n", Key: addrs.IntKey(i - 1)}}
	}
	return r
}

// TestCrash kills a child in the middle of recording resources, at several
// moments, and checks that every Put the child saw return is in the state
// the next Load returns.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	type killCase struct {
		name       string
		writeEvery int
		killAfter  int           // Puts reported; -1: kill as soon as started
		delay      time.Duration // extra time before the kill
	}
	cases := []killCase{
		{name: "before anything", killAfter: -1},
		{name: "after the first put", killAfter: 1},
		{name: "after 37 puts", killAfter: 37},
		{name: "after 3000 puts", killAfter: 3000},
		{name: "after 1000 puts, a little later", killAfter: 1000, delay: 3 * time.Millisecond},
		{name: "checkpoints, after 10 puts", writeEvery: 7, killAfter: 10},
		{name: "checkpoints, after 500 puts", writeEvery: 50, killAfter: 500},
		{name: "checkpoints, after 1500 puts, a little later", writeEvery: 100, killAfter: 1500, delay: 2 * time.Millisecond},
		{name: "checkpoints, after 2000 puts, later", writeEvery: 250, killAfter: 2000, delay: 10 * time.Millisecond},
	}
	// Kills at moments nobody picked, mostly inside or just around a Write.
	for i := range 8 {
		cases = append(cases, killCase{
			name:       fmt.Sprintf("checkpoints, random %d", i),
			writeEvery: 20 + rand.IntN(40),
			killAfter:  rand.IntN(400),
			delay:      time.Duration(rand.IntN(3000)) * time.Microsecond,
		})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := tempFile(t)
			reported := runAndKill(t, f.Path(), tc.writeEvery, tc.killAfter, tc.delay)

			// The kernel dropped the child's flock when it died.
			l, err := f.Lock(t.Context(), "test", 0)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Unlock()
			s, err := l.Load()
			if err != nil {
				t.Fatalf("Load after the child wrote %d resources: %v", reported, err)
			}
			if s == nil {
				if reported > 0 {
					t.Fatalf("Load found no state after the child wrote %d resources", reported)
				}
				return
			}
			for i := range reported {
				want := crashResource(i)
				got, ok := s.Resources[want.Addr]
				if !ok {
					t.Fatalf("%s missing (the child had written %d resources; state has %d)", want.Addr, reported, len(s.Resources))
				}
				if string(got.Attributes) != string(want.Attributes) {
					t.Fatalf("%s: attributes %s, want %s", want.Addr, got.Attributes, want.Attributes)
				}
			}
			// At most the Put in flight when the kill came may add one more.
			if n := len(s.Resources); n != reported && n != reported+1 {
				t.Errorf("state has %d resources; the child wrote %d", n, reported)
			}
			if exists(t, f.JournalPath()) {
				t.Error("Load left the journal")
			}
			t.Logf("killed after %d reported puts; state at serial %d with %d resources", reported, s.Serial, len(s.Resources))
		})
	}
}

// runAndKill starts the helper, SIGKILLs it once it has reported killAfter
// Puts (and delay has passed), and returns the last count it reported.
func runAndKill(t *testing.T, path string, writeEvery, killAfter int, delay time.Duration) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d", helperEnv, path, writeEvery))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(stdout)
	reported := 0
	readCount := func() bool {
		line, err := r.ReadString('\n')
		if err != nil {
			// EOF, possibly with a number the child was killed in the
			// middle of printing: not a completed report.
			return false
		}
		n, err := strconv.Atoi(strings.TrimSpace(line))
		if err != nil {
			t.Fatalf("helper printed %q", line)
		}
		reported = n
		return true
	}
	for reported < killAfter && readCount() {
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for readCount() {
	}
	io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("helper did not die by SIGKILL (%v); stderr:\n%s", err, stderr.String())
	}
	if reported < killAfter {
		t.Fatalf("helper reported only %d puts; stderr:\n%s", reported, stderr.String())
	}
	return reported
}
