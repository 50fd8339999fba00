// Command benito-guest-agent is the QEMU guest agent of benito's test guest:
// it serves the QGA protocol (internal/qga) on the guest's virtio-serial
// port org.qemu.guest_agent.0, so that benito exec runs commands in the
// guest as it would through a stock qemu-guest-agent. It is built static
// (CGO_ENABLED=0) and put in the guest's initrd by scripts/guest-image.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"syscall"
	"time"

	"github.com/benito-net/benito/internal/qga"
)

// version is what guest-info reports.
const version = "benito-guest-agent 1"

func main() {
	device := flag.String("device", "/dev/virtio-ports/org.qemu.guest_agent.0", "the agent's virtio-serial port")
	flag.Parse()
	log.SetPrefix("benito-guest-agent: ")
	log.SetFlags(0)
	srv := qga.NewServer(version)
	srv.Shutdown = shutdown
	for {
		err := serveOnce(srv, *device)
		if err != nil {
			log.Print(err)
		}
		// The port reads as ended while no host is connected: wait for
		// one without spinning.
		time.Sleep(200 * time.Millisecond)
	}
}

func serveOnce(srv *qga.Server, device string) error {
	f, err := os.OpenFile(device, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	err = srv.Serve(context.Background(), f)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}

// shutdown powers the guest off, halts or reboots it, after syncing its
// file systems.
func shutdown(mode string) error {
	cmd := map[string]int{
		"powerdown": syscall.LINUX_REBOOT_CMD_POWER_OFF,
		"halt":      syscall.LINUX_REBOOT_CMD_HALT,
		"reboot":    syscall.LINUX_REBOOT_CMD_RESTART,
	}[mode]
	syscall.Sync()
	if err := syscall.Reboot(cmd); err != nil {
		return fmt.Errorf("guest-shutdown %s: %w", mode, err)
	}
	return nil
}
