package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	_ "github.com/benito-net/benito/internal/golden"
)

// TestReport runs go test -json on a package with a test of each outcome
// and reads its output as scripts/test does.
func TestReport(t *testing.T) {
	t.Setenv("CI", "")
	// With a package that has no tests, which go test -json reports
	// as skipped: no test of it is.
	cmd := exec.Command("go", "test", "-count=1", "-json", "./testdata/sample", "./testdata/notests")
	stream, err := cmd.Output()
	if _, failed := err.(*exec.ExitError); err != nil && !failed {
		t.Fatalf("go test: %v", err)
	}
	var out bytes.Buffer
	if report(bytes.NewReader(stream), &out, false) {
		t.Errorf("a run with a failed test passed")
	}
	got := out.String()
	for _, want := range []string{
		"--- FAIL: TestFail", "this one fails", "about to fail",
		"FAIL\tgithub.com/benito-net/benito/internal/tools/testreport/testdata/sample",
		"3 tests skipped:",
		"sample TestMissing: sample_test.go:23: testenv: needs benito-testreport-no-such-program",
		"sample TestSkip: sample_test.go:19: skipped for its own reason",
		"sample TestSub/skipped: sample_test.go:28: a subtest's reason",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the report lacks %q:\n%s", want, got)
		}
	}
	for _, quiet := range []string{"passing quietly", "a line before the reason", "=== RUN", "CI is set"} {
		if strings.Contains(got, quiet) {
			t.Errorf("the report shows %q:\n%s", quiet, got)
		}
	}

	// In CI the same skips fail the run, naming how many lacked something.
	out.Reset()
	report(bytes.NewReader(stream), &out, true)
	if !strings.Contains(out.String(), "CI is set, but 1 tests were skipped") {
		t.Errorf("in CI, the report does not fail on the testenv skip:\n%s", out.String())
	}

	// Without the failing test, a run with only plain skips passes, in CI
	// too; with the testenv skip it fails in CI only.
	var keep, plain []string
	for _, l := range strings.Split(string(stream), "\n") {
		if !strings.Contains(l, `"Test":"TestFail"`) && !strings.Contains(l, "FAIL") && !strings.Contains(l, `"Action":"fail"`) {
			keep = append(keep, l)
			if !strings.Contains(l, `"Test":"TestMissing"`) {
				plain = append(plain, l)
			}
		}
	}
	for _, tc := range []struct {
		lines []string
		ci    bool
		want  bool
	}{{keep, false, true}, {keep, true, false}, {plain, true, true}} {
		out.Reset()
		if got := report(strings.NewReader(strings.Join(tc.lines, "\n")), &out, tc.ci); got != tc.want {
			t.Errorf("ci %v, %d lines: passed %v, want %v:\n%s", tc.ci, len(tc.lines), got, tc.want, out.String())
		}
	}
}
