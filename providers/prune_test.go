package providers

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/benito-net/benito/model"
)

// TestPruneRoot: benito's own default root goes once empty; a root the
// site names stays, empty or not.
func TestPruneRoot(t *testing.T) {
	mine := t.TempDir()
	PruneRoot(mine)
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("a root the site names was removed: %v", err)
	}

	root := model.SiteDefaults[contract.SiteConfigRoot]
	if _, err := os.Stat(root); err == nil {
		t.Skipf("%s exists: it may be in use", root)
	}
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	other := filepath.Join(root, "other-experiment")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	PruneRoot(root)
	if _, err := os.Stat(other); err != nil {
		t.Fatalf("a root with another experiment in it was removed: %v", err)
	}
	os.Remove(other)
	PruneRoot(root)
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Errorf("the empty default root %s is still there (%v)", root, err)
	}
}
