package providers

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestMkdirAllAgainstPruning: making a directory while a delete prunes
// its empty parents once (as deletes do) fails now and then with
// os.MkdirAll, never with MkdirAll.
func TestMkdirAllAgainstPruning(t *testing.T) {
	const rounds = 5000
	race := func(mkdir func(string, os.FileMode) error) (failures int) {
		root := t.TempDir()
		parent := filepath.Join(root, "exp", "process")
		dir := filepath.Join(parent, "n")
		for i := range rounds {
			if err := os.MkdirAll(parent, 0o755); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			wg.Go(func() { // one delete's prune of the empty parents
				<-start
				os.Remove(parent)
				os.Remove(filepath.Dir(parent))
			})
			close(start)
			if err := mkdir(dir, 0o755); err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("round %d: %v", i, err)
				}
				failures++
			}
			wg.Wait()
			os.Remove(dir)
		}
		return failures
	}
	if n := race(os.MkdirAll); n == 0 {
		t.Skipf("os.MkdirAll never lost the race in %d rounds here: nothing to show", rounds)
	} else {
		t.Logf("os.MkdirAll failed %d times in %d rounds", n, rounds)
	}
	if n := race(MkdirAll); n != 0 {
		t.Errorf("MkdirAll failed %d times in %d rounds", n, rounds)
	}
}
