package contract

import (
	"fmt"
	"path"
	"strings"
)

// Site keys every provider may read from ConfigureRequest.Site, with their
// defaults. The site block's other keys reach providers untouched.
const (
	// SiteConfigRoot is the root of the per-experiment config directories
	// (DETER's config directory): ROOT/EXPERIMENT/.
	SiteConfigRoot = "config_root"
	// SiteRunRoot is the root of the per-experiment run directories
	// (sockets, pid files, logs, namespace pins): ROOT/EXPERIMENT/.
	SiteRunRoot = "run_root"
	// SiteQEMUAccel is the accelerator of a QEMU node whose accel is null:
	// one of Accels ("auto" when unset).
	SiteQEMUAccel = "qemu_accel"

	DefaultConfigRoot = "/var/lib/benito"
	DefaultRunRoot    = "/run/benito"
)

// systemDirs are directories of the operating system that can be neither
// root: an experiment's directory is ROOT/EXPERIMENT, and benito writes,
// and on destroy removes, files there (config_root "/" and an experiment
// named etc would make /etc/hosts the experiment's hosts file).
var systemDirs = map[string]bool{
	"/": true, "/bin": true, "/boot": true, "/dev": true, "/etc": true, "/home": true,
	"/lib": true, "/lib32": true, "/lib64": true, "/libx32": true, "/lost+found": true,
	"/media": true, "/mnt": true, "/opt": true, "/proc": true, "/root": true, "/run": true,
	"/sbin": true, "/srv": true, "/sys": true, "/tmp": true, "/usr": true, "/var": true,
	"/usr/bin": true, "/usr/sbin": true, "/usr/lib": true, "/usr/lib32": true, "/usr/lib64": true,
	"/usr/libexec": true, "/usr/include": true, "/usr/share": true, "/usr/src": true,
	"/usr/local": true, "/usr/local/bin": true, "/usr/local/sbin": true, "/usr/local/lib": true,
	"/usr/local/share": true, "/var/lib": true, "/var/run": true, "/var/log": true,
	"/var/tmp": true, "/var/cache": true, "/var/spool": true, "/var/mail": true,
	"/var/opt": true, "/var/local": true, "/var/backups": true, "/run/user": true,
	"/run/lock": true, "/run/netns": true, "/dev/shm": true,
}

// kernelDirs hold the kernel's file systems and the boot loader's files:
// no root may be in them.
var kernelDirs = []string{"/proc", "/sys", "/dev", "/boot"}

// sharedMemory is the tmpfs every Linux host has under /dev, where a
// directory of benito's own is fine (as it is under /tmp): benchmarks put
// their run and config roots there.
const sharedMemory = "/dev/shm"

// CheckRoot says why root cannot be the value of site key key
// (SiteConfigRoot, SiteRunRoot), or returns nil: it must be a clean
// absolute path, not "/" nor a directory of the system (/etc, /usr, /var,
// /tmp, /dev/shm, ... themselves), nor inside /proc, /sys, /dev (but
// /dev/shm) or /boot. A directory of its own there (/var/lib/benito,
// /tmp/exp, /dev/shm/exp) is fine. The
// check is on the name; a provider resolves symbolic links and checks
// again.
func CheckRoot(key, root string) error {
	switch {
	case !strings.HasPrefix(root, "/"):
		return fmt.Errorf("%s must be an absolute path, not %q", key, root)
	case path.Clean(root) != root:
		return fmt.Errorf("%s must be a clean path (%q, not %q)", key, path.Clean(root), root)
	case systemDirs[root]:
		return fmt.Errorf("%s cannot be %s, a directory of the system: benito makes ROOT/EXPERIMENT and removes what it made there on destroy, so an experiment's name would pick a system directory to write into; use a directory of benito's own, such as %s", key, root, defaultRoot(key))
	}
	for _, d := range kernelDirs {
		if strings.HasPrefix(root, d+"/") && !strings.HasPrefix(root, sharedMemory+"/") {
			return fmt.Errorf("%s cannot be inside %s, which holds the kernel's or the boot loader's files", key, d)
		}
	}
	return nil
}

// defaultRoot is key's default, or the config root's.
func defaultRoot(key string) string {
	if key == SiteRunRoot {
		return DefaultRunRoot
	}
	return DefaultConfigRoot
}
