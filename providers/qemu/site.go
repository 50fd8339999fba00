package qemu

import (
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/benito-net/benito/internal/accel"
)

// The site keys the provider reads (a site block's keys reach providers
// untouched), after DETER's site.conf: what a QEMU node that sets none of
// these boots.
const (
	SiteBinary      = "qemu_binary"       // the QEMU program (default qemu-system-x86_64)
	SiteAccel       = "qemu_accel"        // "kvm", "tcg" or "auto" (default)
	SiteMachine     = "qemu_machine"      // the machine type (default "pc")
	SiteMemory      = "qemu_memory"       // MiB (default 256)
	SiteCPUs        = "qemu_cpus"         // default 1
	SiteImage       = "qemu_image"        // a disk image to boot
	SiteKernel      = "qemu_kernel"       // a kernel to boot (default: the test guest's, when built)
	SiteInitrd      = "qemu_initrd"       // its initrd
	SiteKernelArgs  = "qemu_kernel_args"  // more of its command line
	SiteBootTimeout = "qemu_boot_timeout" // how long a guest may take to answer its agent (default 3m)
	SiteStopTimeout = "qemu_stop_timeout" // how long a guest may take to power down (default 10s)
)

// defaultGuest is the test guest scripts/guest-image builds, in its
// default cache: the kernel a node boots when nothing says otherwise.
const defaultGuest = "/var/cache/benito/guest/current"

// defaults are the site's values, or benito's.
type defaults struct {
	Binary                   string
	Accel, Machine           string
	Memory, CPUs             int
	Image, Kernel, Initrd    string
	KernelArgs               string
	BootTimeout, StopTimeout time.Duration
}

// Limits of what the provider starts.
const (
	minMemory = 64
	maxCPUs   = 64
)

var accelSettings = accel.Settings

// siteDefaults reads the site's keys, refusing a value that is not one.
func siteDefaults(site map[string]string, guestBuilt func() bool) (defaults, error) {
	d := defaults{
		Binary:      "qemu-system-x86_64",
		Accel:       "auto",
		Machine:     "pc",
		Memory:      256,
		CPUs:        1,
		BootTimeout: 3 * time.Minute,
		StopTimeout: 10 * time.Second,
	}
	str := func(key string, into *string) {
		if v, ok := site[key]; ok && v != "" {
			*into = v
		}
	}
	str(SiteBinary, &d.Binary)
	str(SiteAccel, &d.Accel)
	str(SiteMachine, &d.Machine)
	str(SiteImage, &d.Image)
	str(SiteKernel, &d.Kernel)
	str(SiteInitrd, &d.Initrd)
	str(SiteKernelArgs, &d.KernelArgs)
	for _, n := range []struct {
		key  string
		into *int
		min  int
	}{{SiteMemory, &d.Memory, minMemory}, {SiteCPUs, &d.CPUs, 1}} {
		if v, ok := site[n.key]; ok && v != "" {
			i, err := strconv.Atoi(v)
			if err != nil || i < n.min {
				return d, fmt.Errorf("site %s = %q: want a whole number of at least %d", n.key, v, n.min)
			}
			*n.into = i
		}
	}
	for _, t := range []struct {
		key  string
		into *time.Duration
	}{{SiteBootTimeout, &d.BootTimeout}, {SiteStopTimeout, &d.StopTimeout}} {
		if v, ok := site[t.key]; ok && v != "" {
			dur, err := time.ParseDuration(v)
			if err != nil || dur <= 0 {
				return d, fmt.Errorf("site %s = %q: want a duration such as \"90s\"", t.key, v)
			}
			*t.into = dur
		}
	}
	for _, p := range []struct{ key, path string }{{SiteImage, d.Image}, {SiteKernel, d.Kernel}, {SiteInitrd, d.Initrd}} {
		if p.path != "" && (!filepath.IsAbs(p.path) || filepath.Clean(p.path) != p.path) {
			return d, fmt.Errorf("site %s = %q: want a clean absolute path", p.key, p.path)
		}
	}
	if d.Image == "" && d.Kernel == "" && guestBuilt() {
		d.Kernel = filepath.Join(defaultGuest, "vmlinuz")
		d.Initrd = filepath.Join(defaultGuest, "initrd.img")
	}
	return d, nil
}
