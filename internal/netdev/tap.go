package netdev

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// CreateTap makes a persistent TAP device (no packet information header,
// as vde_tunctl makes them) in the calling thread's network namespace,
// owned by uid and gid when they are >= 0; one of that name already there
// is an error. It is done by hand rather than with netlink.Tuntap, which
// always sets an owner and cannot leave one unset.
func CreateTap(name string, uid, gid int64) error {
	// No fork while the TAP's file is open: a child forked meanwhile would
	// hold it (until its exec closes it) and keep the TAP attached, and the
	// plug started next would find it busy.
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening /dev/net/tun: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI | unix.IFF_TUN_EXCL)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		return fmt.Errorf("TUNSETIFF: %w", err)
	}
	if uid >= 0 {
		if err := unix.IoctlSetInt(fd, unix.TUNSETOWNER, int(uid)); err != nil {
			return fmt.Errorf("TUNSETOWNER %d: %w", uid, err)
		}
	}
	if gid >= 0 {
		if err := unix.IoctlSetInt(fd, unix.TUNSETGROUP, int(gid)); err != nil {
			return fmt.Errorf("TUNSETGROUP %d: %w", gid, err)
		}
	}
	if err := unix.IoctlSetInt(fd, unix.TUNSETPERSIST, 1); err != nil {
		return fmt.Errorf("TUNSETPERSIST: %w", err)
	}
	return nil
}
