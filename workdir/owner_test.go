package workdir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExperimentFromTwoDirectories applies one experiment (same name, same
// run root) from two directories: the second plan, apply and destroy are
// refused naming the first directory, and change nothing; once the first
// destroyed it, the second may apply it.
func TestExperimentFromTwoDirectories(t *testing.T) {
	run := t.TempDir()
	optsA, fakeA := experiment(t)
	optsB, fakeB := experiment(t)
	for _, dir := range []string{optsA.Dir, optsB.Dir} {
		// One run root for both, as two directories on one host have by
		// default.
		src, err := os.ReadFile(filepath.Join(dir, "main.hcl"))
		if err != nil {
			t.Fatal(err)
		}
		src = []byte(strings.Replace(string(src), filepath.Join(dir, "run"), run, 1))
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, b := open(t, optsA), open(t, optsB)
	owner := filepath.Join(run, "wd", OwnerFileName)
	apply := Operation{Name: "apply", Apply: true, AutoApprove: true}
	destroy := Operation{Name: "destroy", Plan: PlanOptions{Destroy: true}, Apply: true, AutoApprove: true}
	if _, err := a.Run(t.Context(), apply, &recorder{}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(owner); err != nil || !strings.Contains(string(b), optsA.Dir) {
		t.Fatalf("owner file after A's apply: %q, %v", b, err)
	}
	for _, op := range []Operation{{Name: "plan"}, apply, destroy} {
		fakeB.Applied = nil
		ui := &recorder{}
		_, err := b.Run(t.Context(), op, ui)
		if err == nil || !strings.Contains(err.Error(), "applied from the directory "+optsA.Dir) {
			t.Errorf("%s from B: %v", op.Name, err)
		}
		if len(ui.plans) != 0 || len(fakeB.Applied) != 0 {
			t.Errorf("%s from B planned or changed something: %v %v", op.Name, ui.events, fakeB.Applied)
		}
	}
	if n := stateSerial(t, b); n != -1 {
		t.Errorf("B's state was written (serial %d)", n)
	}
	// A still owns it, plans no change, and destroys it: the owner file
	// and the run directory go.
	fakeA.Applied = nil
	if _, err := a.Run(t.Context(), apply, &recorder{}); err != nil || len(fakeA.Applied) != 0 {
		t.Fatalf("A again: %v %v", err, fakeA.Applied)
	}
	if _, err := a.Run(t.Context(), destroy, &recorder{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(owner)); !os.IsNotExist(err) {
		t.Errorf("the run directory is left after A's destroy: %v", err)
	}
	if _, err := b.Run(t.Context(), apply, &recorder{}); err != nil {
		t.Fatalf("B once A destroyed it: %v", err)
	}
	if _, err := b.Run(t.Context(), destroy, &recorder{}); err != nil {
		t.Fatal(err)
	}
}
