package qemu

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/benito-net/benito/internal/cloudinit"
	"github.com/benito-net/benito/internal/guestconfig"
)

// writeSeed writes the NoCloud seed of a machine with guest_config =
// "cloud-init" (internal/cloudinit) and its image, seedFile(dir), which
// the machine reads as a disk labelled cidata. The seed's files stay
// beside it, for people to read (0600: the startup command may be
// secret).
func writeSeed(_ context.Context, n guestconfig.Node, dir string) error {
	files := filepath.Join(dir, "seed")
	if err := os.MkdirAll(files, 0o700); err != nil {
		return err
	}
	if err := cloudinit.WriteSeed(&n, files); err != nil {
		return err
	}
	return cloudinit.BuildISO(files, seedFile(dir))
}

// readHosts reads the experiment's hosts file (the config provider's: an
// address and names a line, comments after #) as guestconfig's hosts,
// leaving out localhost's lines, which guestconfig writes itself.
func readHosts(path string) ([]guestconfig.Host, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the experiment's hosts file: %w", err)
	}
	var hosts []guestconfig.Host
	for _, line := range strings.Split(string(b), "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		addr, err := netip.ParseAddr(f[0])
		if err != nil || addr.IsLoopback() {
			continue
		}
		hosts = append(hosts, guestconfig.Host{Addr: addr, Names: f[1:]})
	}
	return hosts, nil
}
