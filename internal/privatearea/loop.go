package privatearea

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// loopDevice is the name of a loop device node, as mountinfo shows the
// source of a file system mounted from one.
var loopDevice = regexp.MustCompile(`^/dev/loop([0-9]+)$`)

// attachLoop attaches a free loop device to image, with autoclear, and
// returns it open: the caller must keep it open until the file system on it
// is mounted, since closing the last reference to an autoclear device
// detaches it.
func attachLoop(image string) (*os.File, error) {
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("loop devices: %w (is the loop driver available? modprobe loop)", err)
	}
	defer ctl.Close()
	img, err := os.OpenFile(image, os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	// The loop device takes its own reference to the file.
	defer img.Close()
	cfg := unix.LoopConfig{Fd: uint32(img.Fd())}
	cfg.Info.Flags = unix.LO_FLAGS_AUTOCLEAR
	copy(cfg.Info.File_name[:unix.LO_NAME_SIZE-1], image)
	// Another process may take the device GET_FREE named before this one
	// configures it; the loser gets EBUSY and asks again.
	const attempts = 100
	for i := 0; i < attempts; i++ {
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return nil, fmt.Errorf("loop devices: no free device: %w", err)
		}
		dev, err := os.OpenFile(fmt.Sprintf("/dev/loop%d", n), os.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				// devtmpfs has not made the node yet.
				time.Sleep(time.Millisecond)
				continue
			}
			return nil, err
		}
		err = unix.IoctlLoopConfigure(int(dev.Fd()), &cfg)
		if err == nil {
			return dev, nil
		}
		dev.Close()
		switch {
		case errors.Is(err, unix.EBUSY):
			continue
		case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOTTY):
			return nil, fmt.Errorf("%s: LOOP_CONFIGURE: %w (needs Linux 5.8 or later)", dev.Name(), err)
		default:
			return nil, fmt.Errorf("%s: LOOP_CONFIGURE: %w", dev.Name(), err)
		}
	}
	return nil, fmt.Errorf("loop devices: every free device was taken by another process %d times in a row", attempts)
}

// loopsOf returns the loop devices (/dev/loopN) whose backing file is
// image, deleted or not, as sysfs shows them.
func loopsOf(image string) ([]string, error) {
	paths, err := filepath.Glob("/sys/block/loop*/loop/backing_file")
	if err != nil {
		return nil, err
	}
	var devs []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			// Detached between the glob and the read.
			continue
		}
		f := strings.TrimSuffix(string(b), "\n")
		if f == image || f == image+" (deleted)" {
			devs = append(devs, "/dev/"+filepath.Base(filepath.Dir(filepath.Dir(p))))
		}
	}
	return devs, nil
}

// backingFile is the file loop device dev (/dev/loopN) is attached to, or
// "" when it is not attached.
func backingFile(dev string) string {
	b, err := os.ReadFile(filepath.Join("/sys/block", filepath.Base(dev), "loop", "backing_file"))
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}

// detachLoops detaches the loop devices backed by image and waits until
// sysfs shows none. A device still open (a lazily unmounted file system
// still in use) is only marked autoclear by the kernel and stays until its
// last user goes: that is an error after the wait.
func detachLoops(image string) error {
	devs, err := loopsOf(image)
	if err != nil {
		return err
	}
	for _, d := range devs {
		f, err := os.OpenFile(d, os.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return err
		}
		err = unix.IoctlSetInt(int(f.Fd()), unix.LOOP_CLR_FD, 0)
		f.Close()
		// ENXIO: detached meanwhile.
		if err != nil && !errors.Is(err, unix.ENXIO) {
			return fmt.Errorf("%s: LOOP_CLR_FD: %w", d, err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		devs, err := loopsOf(image)
		if err != nil {
			return err
		}
		if len(devs) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("loop device %s is still attached to %s: its file system is still in use (lazily unmounted); stop what uses it and remove the area again", strings.Join(devs, ", "), image)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
