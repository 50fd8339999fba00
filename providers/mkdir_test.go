package providers

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestMakeDirAgainstPruning: making a directory and a file in it while a
// delete prunes the empty parents once (as deletes do) fails now and then
// with os.MkdirAll alone, never with MakeDir and Prune.
func TestMakeDirAgainstPruning(t *testing.T) {
	const rounds = 1000
	race := func(ordered bool) (failures int) {
		root := t.TempDir()
		parent := filepath.Join(root, "exp", "log")
		dir := filepath.Join(parent, "n")
		prune := func() {
			os.Remove(dir)
			os.Remove(parent)
			os.Remove(filepath.Dir(parent))
		}
		for i := range rounds {
			if err := os.MkdirAll(parent, 0o755); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			wg.Go(func() { // one delete's prune of the empty directories
				<-start
				if ordered {
					Prune(prune)
				} else {
					prune()
				}
			})
			close(start)
			release := func() {}
			var err error
			if ordered {
				release, err = MakeDir(dir, 0o755)
			} else {
				err = os.MkdirAll(dir, 0o755)
			}
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, "f"), nil, 0o644)
			}
			release()
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("round %d: %v", i, err)
				}
				failures++
			}
			wg.Wait()
			os.RemoveAll(filepath.Dir(parent))
		}
		return failures
	}
	if n := race(false); n == 0 {
		t.Skipf("os.MkdirAll never lost the race in %d rounds here: nothing to show", rounds)
	} else {
		t.Logf("without MakeDir, %d of %d rounds failed", n, rounds)
	}
	if n := race(true); n != 0 {
		t.Errorf("with MakeDir and Prune, %d of %d rounds failed", n, rounds)
	}
}
