package accel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/benito-net/benito/contract"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/benito-net/benito/internal/atomicfile"
)

// Accel is an accelerator, as QEMU's -accel names it.
type Accel string

const (
	KVM Accel = "kvm"
	TCG Accel = "tcg"
)

// Settings are the values a configuration may give ("auto" probes): the
// contract's.
var Settings = contract.Accels

// Resolve turns setting into an accelerator: "kvm" and "tcg" are obeyed
// ("kvm" needs the KVM device to exist), "auto" (or "") asks probe.
func Resolve(ctx context.Context, setting string, p Prober) (Accel, error) {
	switch setting {
	case string(TCG):
		return TCG, nil
	case string(KVM):
		if _, err := os.Stat(p.device()); err != nil {
			return "", fmt.Errorf("accel = %q, but %w: load the kvm module, or use accel = \"auto\" or \"tcg\"", setting, err)
		}
		return KVM, nil
	case "", "auto":
		r, err := p.Detect(ctx)
		return r.Accel, err
	}
	return "", fmt.Errorf("accel = %q: must be one of %s", setting, strings.Join(Settings, ", "))
}

// DefaultCacheDir holds the cached answer.
const DefaultCacheDir = "/var/cache/benito"

// CacheFile is the cache's name in its directory.
const CacheFile = "accel.json"

// DefaultTimeout bounds a probe: KVM boots the probe guest's firmware in
// milliseconds; a KVM that needs seconds is not one to run machines on.
const DefaultTimeout = 5 * time.Second

// Prober probes and caches the accelerator of one QEMU binary.
type Prober struct {
	// QEMU is the qemu-system-x86_64 binary; a bare name is looked up in
	// PATH.
	QEMU string
	// CacheDir holds CacheFile; "" is DefaultCacheDir.
	CacheDir string
	// Timeout bounds one probe; 0 is DefaultTimeout.
	Timeout time.Duration
	// Device is the KVM device; "" is /dev/kvm.
	Device string
	// Kernel, when set, is a Linux kernel the probe guest boots after its
	// firmware: KVM must run it to its first console line. Some hosts run
	// the firmware on KVM and then hang the guest, spinning, as soon as it
	// leaves real mode; only a kernel shows it.
	Kernel string
}

func (p Prober) device() string {
	if p.Device == "" {
		return "/dev/kvm"
	}
	return p.Device
}

// Result is the outcome of Detect.
type Result struct {
	Accel  Accel
	Reason string // why: "probe guest ran on KVM in 40ms", "/dev/kvm does not exist", ...
	// Cached tells an answer read from the cache.
	Cached bool
	// Refused says why a cache file found was not used, or "".
	Refused string
}

// key is what the cached answer depends on.
type key struct {
	QEMU    string `json:"qemu"`
	Version string `json:"qemu_version"`
	Kernel  string `json:"kernel"`
	Device  bool   `json:"kvm_device"`
	// LinuxProbe says the probe booted a Linux kernel (Prober.Kernel):
	// such an answer serves a prober without a kernel too, not the
	// reverse.
	LinuxProbe bool `json:"linux_probe"`
}

// entry is the cache file's content.
type entry struct {
	Format int    `json:"format"`
	Key    key    `json:"key"`
	Accel  Accel  `json:"accel"`
	Reason string `json:"reason"`
}

const format = 2

// maxCache bounds the cache file read: a valid one is a few hundred bytes.
const maxCache = 4096

// Detect returns the cached answer for this host, or probes and caches it.
// An error means the QEMU binary could not be asked its version or the
// cache could not be written; a KVM that does not work is no error but
// TCG, with the reason.
func (p Prober) Detect(ctx context.Context) (Result, error) {
	k, err := p.key(ctx)
	if err != nil {
		return Result{}, err
	}
	dir := p.CacheDir
	if dir == "" {
		dir = DefaultCacheDir
	}
	path := filepath.Join(dir, CacheFile)
	var refused string
	e, err := readCache(path)
	switch {
	case err == nil && (e.Key == k || e.Key.LinuxProbe && !k.LinuxProbe && e.Key == key{k.QEMU, k.Version, k.Kernel, k.Device, true}):
		return Result{Accel: e.Accel, Reason: e.Reason, Cached: true}, nil
	case err == nil:
		refused = fmt.Sprintf("%s is for another host or QEMU (%+v)", path, e.Key)
	case !errors.Is(err, os.ErrNotExist):
		refused = err.Error()
	}
	r := Result{Accel: TCG, Refused: refused}
	if !k.Device {
		r.Reason = p.device() + " does not exist"
	} else if took, err := p.Guest(ctx, KVM); err != nil {
		r.Reason = "KVM does not work: " + err.Error()
	} else {
		r.Accel, r.Reason = KVM, fmt.Sprintf("probe guest ran on KVM in %s", took.Round(time.Millisecond))
	}
	if ctx.Err() != nil {
		// A probe cut short by the caller says nothing of the host.
		return Result{}, fmt.Errorf("accel: probe: %w", ctx.Err())
	}
	b, err := json.MarshalIndent(entry{format, k, r.Accel, r.Reason}, "", "  ")
	if err != nil {
		return Result{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{}, fmt.Errorf("accel: cache: %w", err)
	}
	if err := atomicfile.Replace(path, append(b, '\n'), 0o644); err != nil {
		return Result{}, fmt.Errorf("accel: cache: %w", err)
	}
	return r, nil
}

// key finds what the answer depends on now.
func (p Prober) key(ctx context.Context) (key, error) {
	bin, err := exec.LookPath(p.QEMU)
	if err != nil {
		return key{}, fmt.Errorf("accel: %w", err)
	}
	bin, err = filepath.Abs(bin)
	if err != nil {
		return key{}, fmt.Errorf("accel: %w", err)
	}
	vctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()
	out, err := exec.CommandContext(vctx, bin, "-version").Output()
	if err != nil {
		return key{}, fmt.Errorf("accel: %s -version: %w", bin, err)
	}
	version, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if !strings.HasPrefix(version, "QEMU emulator version ") {
		return key{}, fmt.Errorf("accel: %s -version: not QEMU: %q", bin, version)
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return key{}, fmt.Errorf("accel: uname: %w", err)
	}
	_, err = os.Stat(p.device())
	return key{
		QEMU:       bin,
		Version:    version,
		Kernel:     unix.ByteSliceToString(u.Release[:]),
		Device:     err == nil,
		LinuxProbe: p.Kernel != "",
	}, nil
}

func (p Prober) timeout() time.Duration {
	if p.Timeout <= 0 {
		return DefaultTimeout
	}
	return p.Timeout
}

// readCache reads and checks a cache file. A missing file is
// os.ErrNotExist; anything else wrong is an error saying what.
func readCache(path string) (entry, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return entry{}, err
		}
		if errors.Is(err, syscall.ELOOP) {
			return entry{}, fmt.Errorf("%s is a symbolic link", path)
		}
		return entry{}, fmt.Errorf("accel: cache: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return entry{}, fmt.Errorf("accel: cache: %w", err)
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.Mode().IsRegular():
		return entry{}, fmt.Errorf("%s is not a regular file", path)
	case fi.Mode().Perm()&0o022 != 0:
		return entry{}, fmt.Errorf("%s is writable by others than its owner (%v)", path, fi.Mode().Perm())
	case st == nil || int(st.Uid) != os.Geteuid():
		return entry{}, fmt.Errorf("%s is not owned by uid %d", path, os.Geteuid())
	}
	b, err := io.ReadAll(io.LimitReader(f, maxCache+1))
	if err != nil {
		return entry{}, fmt.Errorf("accel: cache: %w", err)
	}
	if len(b) > maxCache {
		return entry{}, fmt.Errorf("%s is larger than %d bytes", path, maxCache)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var e entry
	if err := dec.Decode(&e); err != nil {
		return entry{}, fmt.Errorf("%s is not a cache of benito's: %v", path, err)
	}
	if len(bytes.TrimSpace(b[dec.InputOffset():])) > 0 {
		return entry{}, fmt.Errorf("%s has data after its entry", path)
	}
	switch {
	case e.Format != format:
		return entry{}, fmt.Errorf("%s: format %d, want %d", path, e.Format, format)
	case e.Accel != KVM && e.Accel != TCG:
		return entry{}, fmt.Errorf("%s: accelerator %q is neither kvm nor tcg", path, e.Accel)
	case e.Accel == KVM && !e.Key.Device:
		return entry{}, fmt.Errorf("%s: kvm without a KVM device", path)
	}
	return e, nil
}
