package openvz

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/benito-net/benito/providers"
	"golang.org/x/sys/unix"
)

// A container's first process is this program itself, run again under
// the name shimName (the pattern of moby's reexec): the provider starts
// /proc/self/exe with argv[0] shimName and the container's settings
// (shimConfig, JSON) as argv[1], born in new network, UTS, mount, PID and
// IPC namespaces (clone flags) and in the node's cgroup. Any program that
// links this package (benito, its tests) runs the shim from the package's
// init, before main, when started under that name.
//
// The shim is the container's PID 1 until it becomes its init (exec):
//
//  1. It makes every mount of its namespace private (nothing it mounts
//     reaches the host), takes the experiment's hosts file as a detached
//     mount (open_tree) while the host's paths are still seen, and moves
//     the root to the container's root file system (pivot_root), letting
//     go of the host's mounts (the old root, detached).
//  2. Inside its root alone, where the container's own paths resolve: it
//     mounts /proc (its /proc/sys read-only but for /proc/sys/net, the
//     container's own network stack), /sys (read-only), a /dev of its
//     own (a tmpfs with null, zero, full, random, urandom and tty, its
//     own devpts and a /dev/shm), binds the hosts file over /etc/hosts
//     (read-only), writes /etc/hostname, and /etc/resolv.conf when
//     nameservers are set, and sets its hostname.
//  3. It writes "ok" to descriptor 3 (the provider's ready pipe) or, on a
//     failure, the reason, and ends.
//  4. It waits on descriptor 4 (the go pipe): a byte, and it runs the
//     container's init in its place (execve), with a clean environment;
//     the pipe closed without one (the provider gave up, or died), and it
//     ends, and the container with it.
//
// The provider sets the container's network up between 3 and 4, so that
// init finds its interfaces, addresses and routes in place, as vzctl
// start does.
const shimName = "benito-openvz-init"

// shimConfig is what the shim is told: the container's root file system
// and what it sets up in it.
type shimConfig struct {
	Root        string   `json:"root"`
	Hostname    string   `json:"hostname"`
	HostsFile   string   `json:"hosts_file,omitempty"`
	Nameservers []string `json:"nameservers,omitempty"`
	Init        []string `json:"init"`
}

// initEnv is the environment a container's init starts with: nothing of
// the provider's. "container" tells init (systemd reads it) that it runs
// in a container.
var initEnv = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/",
	"TERM=linux",
	"container=benito-openvz",
}

func init() {
	if len(os.Args) < 2 || os.Args[0] != shimName {
		return
	}
	ready := os.NewFile(3, "ready")
	if err := runShim(os.Args[1], ready); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", shimName, err)
		fmt.Fprintf(ready, "%v", err)
		os.Exit(1)
	}
	os.Exit(0) // not reached: runShim execs init or fails
}

// runShim sets the container up and runs its init; it returns only on a
// failure, or when told not to go on.
func runShim(arg string, ready *os.File) error {
	var cfg shimConfig
	if err := json.Unmarshal([]byte(arg), &cfg); err != nil {
		return fmt.Errorf("reading the container's settings: %w", err)
	}
	if len(cfg.Init) == 0 || !filepath.IsAbs(cfg.Root) {
		return fmt.Errorf("incomplete settings: root %q, init %q", cfg.Root, cfg.Init)
	}
	if err := setupRoot(cfg); err != nil {
		return err
	}
	if _, err := ready.WriteString("ok"); err != nil {
		return fmt.Errorf("telling the provider the container is ready: %w", err)
	}
	ready.Close()
	goPipe := os.NewFile(4, "go")
	var b [1]byte
	if n, _ := io.ReadFull(goPipe, b[:]); n != 1 {
		// Not told to go on: the provider gave up, or died. Nothing is
		// written to a pipe no one reads.
		os.Exit(1)
	}
	goPipe.Close()
	err := unix.Exec(cfg.Init[0], cfg.Init, initEnv)
	return fmt.Errorf("running init %s: %w", cfg.Init[0], err)
}

// setupRoot does steps 1 and 2.
func setupRoot(cfg shimConfig) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making the container's mounts private: %w", err)
	}
	hosts := -1
	if cfg.HostsFile != "" {
		fd, err := unix.OpenTree(unix.AT_FDCWD, cfg.HostsFile, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
		if err != nil {
			return fmt.Errorf("taking the experiment's hosts file %s: %w", cfg.HostsFile, err)
		}
		hosts = fd
		defer unix.Close(fd)
	}
	if err := unix.Chdir(cfg.Root); err != nil {
		return fmt.Errorf("entering the root file system: %w", err)
	}
	// pivot_root(".", "."): the old root ends up under the new one, at
	// the same place, and is detached at once (runc's way, which needs
	// no directory for it).
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("moving to the root file system %s: %w", cfg.Root, err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("letting go of the host's file tree: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	if err := mountSystem(); err != nil {
		return err
	}
	if hosts >= 0 {
		if err := mountPoint("/etc/hosts", false); err != nil {
			return fmt.Errorf("/etc/hosts: %w", err)
		}
		if err := unix.MoveMount(hosts, "", unix.AT_FDCWD, "/etc/hosts", unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
			return fmt.Errorf("binding the experiment's hosts file over /etc/hosts: %w", err)
		}
		if err := unix.Mount("", "/etc/hosts", "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			return fmt.Errorf("making /etc/hosts read-only: %w", err)
		}
	}
	if err := writeFile("/etc/hostname", cfg.Hostname+"\n"); err != nil {
		return err
	}
	if len(cfg.Nameservers) > 0 {
		var b strings.Builder
		b.WriteString("# written by benito: the node's nameserver setting\n")
		for _, ns := range cfg.Nameservers {
			fmt.Fprintf(&b, "nameserver %s\n", ns)
		}
		if err := writeFile("/etc/resolv.conf", b.String()); err != nil {
			return err
		}
	}
	if err := unix.Sethostname([]byte(cfg.Hostname)); err != nil {
		return fmt.Errorf("setting the hostname: %w", err)
	}
	return nil
}

// mountSystem mounts /proc, /sys and /dev in the container's root, the
// calling process's.
func mountSystem() error {
	const nsd = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	type mnt struct {
		source, target, fstype string
		flags                  uintptr
		data                   string
	}
	steps := []mnt{
		{"proc", "/proc", "proc", nsd, ""},
		{"sysfs", "/sys", "sysfs", nsd | unix.MS_RDONLY, ""},
		{"tmpfs", "/dev", "tmpfs", unix.MS_NOSUID | unix.MS_NOEXEC, "mode=755,size=65536k"},
	}
	for _, m := range steps {
		if err := mountPoint(m.target, true); err != nil {
			return fmt.Errorf("%s: %w", m.target, err)
		}
		if err := unix.Mount(m.source, m.target, m.fstype, m.flags, m.data); err != nil {
			return fmt.Errorf("mounting %s on %s: %w", m.fstype, m.target, err)
		}
	}
	// /proc/sys read-only, but for the container's own network stack.
	if err := unix.Mount("/proc/sys", "/proc/sys", "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("binding /proc/sys: %w", err)
	}
	if err := unix.Mount("", "/proc/sys", "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|nsd, ""); err != nil {
		return fmt.Errorf("making /proc/sys read-only: %w", err)
	}
	if err := unix.Mount("/proc/sys/net", "/proc/sys/net", "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("binding /proc/sys/net: %w", err)
	}
	if err := unix.Mount("", "/proc/sys/net", "", unix.MS_BIND|unix.MS_REMOUNT|nsd, ""); err != nil {
		return fmt.Errorf("making /proc/sys/net writable: %w", err)
	}
	for _, d := range []struct {
		name         string
		major, minor uint32
	}{{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}} {
		if err := unix.Mknod("/dev/"+d.name, unix.S_IFCHR|0o666, int(unix.Mkdev(d.major, d.minor))); err != nil {
			return fmt.Errorf("making /dev/%s: %w", d.name, err)
		}
		// The umask took bits off.
		if err := os.Chmod("/dev/"+d.name, 0o666); err != nil {
			return err
		}
	}
	for link, to := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx"} {
		if err := os.Symlink(to, "/dev/"+link); err != nil {
			return err
		}
	}
	for _, d := range []string{"/dev/pts", "/dev/shm"} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	if err := unix.Mount("devpts", "/dev/pts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"); err != nil {
		return fmt.Errorf("mounting devpts on /dev/pts: %w", err)
	}
	if err := unix.Mount("shm", "/dev/shm", "tmpfs", nsd, "mode=1777,size=65536k"); err != nil {
		return fmt.Errorf("mounting tmpfs on /dev/shm: %w", err)
	}
	return nil
}

// mountPoint makes path, a directory (dir) or an empty file, when it is
// missing, in the calling process's root (the container's).
func mountPoint(path string, dir bool) error {
	fi, err := os.Lstat(path)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("is a symbolic link in the template, where a mount point is needed")
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	return providers.MakeMountPoint(path, dir)
}

// writeFile writes a file of the container's, replacing what is there (a
// symbolic link included: it is not followed).
func writeFile(path, content string) error {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if err := os.Remove(path); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|unix.O_NOFOLLOW, 0o644)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}
