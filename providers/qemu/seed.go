package qemu

import (
	"context"
	"os"
	"path/filepath"

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
