// Command testreport reads `go test -json` on its standard input and prints
// what plain `go test` would (each package's result line, and the whole
// output of every test that failed), then every skipped test with its
// reason. It exits 1 when a test or a build failed, and, in CI
// (testenv.CI), when a test was skipped for what the host lacks (a reason
// starting with testenv.Marker: root, or a package): CI must not pass
// while testing nothing of the host. scripts/test runs the tests through
// it:
//
//	go test -json ./... | go run ./internal/tools/testreport
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/benito-net/benito/internal/testenv"
)

func main() {
	if !report(os.Stdin, os.Stdout, testenv.CI()) {
		os.Exit(1)
	}
}

// event is one line of go test -json (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// skip is a skipped test and the last line it logged: its reason.
type skip struct {
	pkg, test, reason string
}

// report copies the results of the stream r to w as it reads them and
// reports whether the run passed.
func report(r io.Reader, w io.Writer, ci bool) bool {
	outputs := map[[2]string][]string{} // package, test → output lines so far
	var skips []skip
	failed := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			// Not an event (go vet's or the linker's words, say): as is.
			fmt.Fprintf(w, "%s\n", line)
			continue
		}
		key := [2]string{e.Package, e.Test}
		switch {
		case e.Action == "build-output":
			fmt.Fprint(w, e.Output)
		case e.Action == "build-fail":
			failed = true
		case e.Test == "" && e.Action == "output":
			// A package's own lines: ok, FAIL, a panic outside any test.
			if e.Output != "PASS\n" {
				fmt.Fprint(w, e.Output)
			}
		case e.Test == "" && e.Action == "fail":
			failed = true
		case e.Test == "":
			// A package's start, pass, or skip (no test files).
		case e.Action == "output":
			// go test without -v shows no === lines.
			if !strings.HasPrefix(e.Output, "=== ") {
				outputs[key] = append(outputs[key], e.Output)
			}
		case e.Action == "fail":
			failed = true
			fmt.Fprint(w, strings.Join(outputs[key], ""))
			delete(outputs, key)
		case e.Action == "skip":
			skips = append(skips, skip{e.Package, e.Test, reason(outputs[key])})
			delete(outputs, key)
		case e.Action == "pass":
			delete(outputs, key)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(w, "testreport: reading go test's output: %v\n", err)
		return false
	}
	sort.SliceStable(skips, func(i, j int) bool {
		if skips[i].pkg != skips[j].pkg {
			return skips[i].pkg < skips[j].pkg
		}
		return skips[i].test < skips[j].test
	})
	missing := 0
	if len(skips) > 0 {
		fmt.Fprintf(w, "\n%d tests skipped:\n", len(skips))
		for _, s := range skips {
			fmt.Fprintf(w, "  %s %s: %s\n", s.pkg, s.test, s.reason)
			if strings.Contains(s.reason, testenv.Marker) {
				missing++
			}
		}
	}
	if missing > 0 && ci {
		fmt.Fprintf(w, "\nCI is set, but %d tests were skipped for what this host lacks (%s): they must run in CI.\n", missing, testenv.Marker)
		return false
	}
	return !failed
}

// reason is the last line a skipped test logged, which t.Skip wrote.
func reason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "--- ") {
			continue
		}
		return l
	}
	return "(no reason given)"
}
