// Package pty opens pseudo-terminals and sizes them, with
// golang.org/x/sys/unix.
//
// The master side is non-blocking, so that Go's poller serves it: a Read
// in progress ends when the file is closed or its read deadline passes,
// which is how an exec session stops reading the output of a command
// whose background children keep the terminal open.
package pty

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Open returns a new pseudo-terminal: its master side, and its terminal
// side (/dev/pts/N) for the command to run on. Neither is inherited by
// commands started later unless handed to them.
func Open() (master, tty *os.File, err error) {
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("opening /dev/ptmx: %w", err)
	}
	fail := func(what string, err error) (*os.File, *os.File, error) {
		unix.Close(m)
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		return fail("unlocking the pseudo-terminal", err)
	}
	n, err := unix.IoctlGetUint32(m, unix.TIOCGPTN)
	if err != nil {
		return fail("numbering the pseudo-terminal", err)
	}
	name := "/dev/pts/" + strconv.FormatUint(uint64(n), 10)
	t, err := unix.Open(name, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail("opening "+name, err)
	}
	return os.NewFile(uintptr(m), "/dev/ptmx"), os.NewFile(uintptr(t), name), nil
}

// SetSize sets the size of the terminal f (either side).
func SetSize(f *os.File, rows, cols uint16) error {
	return control(f, func(fd int) error {
		return unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols})
	})
}

// ForegroundGroup returns the foreground process group of the terminal
// whose master side is f: the job a typed Ctrl-C would interrupt (0 when
// no session controls the terminal).
func ForegroundGroup(f *os.File) (int, error) {
	var pgrp int
	err := control(f, func(fd int) error {
		var err error
		pgrp, err = unix.IoctlGetInt(fd, unix.TIOCGPGRP)
		return err
	})
	return pgrp, err
}

// control runs fn on f's descriptor without taking it out of
// non-blocking mode, as f.Fd() would.
func control(f *os.File, fn func(fd int) error) error {
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := sc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}
