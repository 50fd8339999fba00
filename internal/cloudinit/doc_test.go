package cloudinit

import (
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/benito-net/benito/internal/guestconfig"
)

// TestDocExample: the user-data shown in docs/cloud-init.md is what Files
// renders for the node it describes.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/cloud-init.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	shown, _, ok2 := strings.Cut(rest, "```\n")
	if !ok || !ok2 {
		t.Fatal("docs/cloud-init.md has no ```yaml block")
	}
	n := example(t)
	n.Hosts = []guestconfig.Host{{Addr: netip.MustParseAddr("10.0.1.2"), Names: []string{"h-0", "gw"}}}
	n.Mounts = n.Mounts[:1]
	n.Startup = "echo 'started' > /tmp/started\n"
	files, err := Files(&n)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(files[UserDataFile]); got != shown {
		t.Errorf("docs/cloud-init.md shows:\n%s\nFiles renders:\n%s", shown, got)
	}
}
