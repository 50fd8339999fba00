package accel

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/testenv"
)

func prober(t *testing.T) Prober {
	t.Helper()
	return Prober{
		QEMU:     testenv.Command(t, "qemu-system-x86_64", "qemu-system-x86"),
		CacheDir: t.TempDir(),
	}
}

// TestGuestTCG runs the probe guest on TCG, which works everywhere: the
// same path a working KVM takes.
func TestGuestTCG(t *testing.T) {
	p := prober(t)
	took, err := p.Guest(context.Background(), TCG)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("probe guest printed its banner on TCG after %v", took)
	assertNoProbeLeft(t)
}

// TestGuestNoKVM: asking for KVM where there is none fails fast, with
// QEMU's reason.
func TestGuestNoKVM(t *testing.T) {
	p := prober(t)
	withoutKVM(t, &p)
	start := time.Now()
	_, err := p.Guest(context.Background(), KVM)
	if err == nil || !strings.Contains(err.Error(), "kvm") {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	t.Log(err)
	assertNoProbeLeft(t)
}

// TestGuestTimeout: a guest that prints nothing in time (here: too short a
// timeout for TCG to reach the firmware's banner) is a failure, and
// nothing is left behind.
func TestGuestTimeout(t *testing.T) {
	p := prober(t)
	p.Timeout = time.Millisecond
	if _, err := p.Guest(context.Background(), TCG); err == nil || !strings.Contains(err.Error(), "nothing within") {
		t.Fatalf("got %v", err)
	}
	assertNoProbeLeft(t)
}

// withoutKVM makes p's QEMU run where /dev/kvm does not work, when this
// host has one: in a mount namespace of its own, with /dev/null over
// /dev/kvm (QEMU then answers as on a host without KVM).
func withoutKVM(t *testing.T, p *Prober) {
	t.Helper()
	if _, err := os.Stat("/dev/kvm"); err != nil {
		return
	}
	testenv.Root(t)
	testenv.Command(t, "unshare", "util-linux")
	wrapper := filepath.Join(t.TempDir(), "qemu-without-kvm")
	script := "#!/bin/sh\nexec unshare -m sh -c 'mount --bind /dev/null /dev/kvm && exec \"$0\" \"$@\"' " + p.QEMU + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	p.QEMU = wrapper
}

// TestGuestLinuxTCG: with a kernel, the probe waits for the kernel's first
// console line, which TCG reaches everywhere.
func TestGuestLinuxTCG(t *testing.T) {
	p := prober(t)
	p.Kernel, _ = testenv.GuestImage(t)
	p.Timeout = 2 * time.Minute
	took, err := p.Guest(context.Background(), TCG)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the probe guest's kernel printed its first line on TCG after %v", took)
	// Too short for TCG to reach the kernel, long enough for the
	// firmware: the kernel's line is what is waited for.
	p.Timeout = 300 * time.Millisecond
	if _, err := p.Guest(context.Background(), TCG); err == nil || !strings.Contains(err.Error(), "nothing within") {
		t.Errorf("with a timeout the kernel cannot meet: %v", err)
	}
	assertNoProbeLeft(t)
}

// TestDetectLinuxProbe: an answer probed with a kernel serves a prober
// without one; one probed without a kernel does not serve a prober with
// one (it probes again).
func TestDetectLinuxProbe(t *testing.T) {
	p := prober(t)
	p.Kernel, _ = testenv.GuestImage(t)
	p.Device = filepath.Join(t.TempDir(), "no-kvm")
	ctx := context.Background()
	if _, err := p.Detect(ctx); err != nil {
		t.Fatal(err)
	}
	bare := p
	bare.Kernel = ""
	if r, err := bare.Detect(ctx); err != nil || !r.Cached {
		t.Errorf("without a kernel, after a probe with one: %+v, %v; want the cached answer", r, err)
	}
	other := prober(t)
	other.Device = p.Device
	if _, err := other.Detect(ctx); err != nil {
		t.Fatal(err)
	}
	withKernel := other
	withKernel.Kernel = p.Kernel
	if r, err := withKernel.Detect(ctx); err != nil || r.Cached {
		t.Errorf("with a kernel, after a probe without one: %+v, %v; want a new probe", r, err)
	}
}

func assertNoProbeLeft(t *testing.T) {
	t.Helper()
	left, _ := filepath.Glob(filepath.Join(os.TempDir(), "benito-accel-*"))
	if len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestDetectNoKVM: without /dev/kvm the answer is TCG at once, cached, and
// read back from the cache.
func TestDetectNoKVM(t *testing.T) {
	p := prober(t)
	p.Device = filepath.Join(t.TempDir(), "no-kvm")
	ctx := context.Background()
	start := time.Now()
	r, err := p.Detect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	if r.Accel != TCG || r.Cached || r.Refused != "" || !strings.Contains(r.Reason, "does not exist") {
		t.Errorf("first: %+v", r)
	}
	b, err := os.ReadFile(filepath.Join(p.CacheDir, CacheFile))
	if err != nil {
		t.Fatal(err)
	}
	var e entry
	if err := json.Unmarshal(b, &e); err != nil || e.Accel != TCG || e.Key.Device || !strings.HasPrefix(e.Key.Version, "QEMU emulator version") || e.Key.Kernel == "" {
		t.Errorf("cache %s: %v", b, err)
	}
	r, err = p.Detect(ctx)
	if err != nil || r.Accel != TCG || !r.Cached {
		t.Errorf("second: %+v, %v", r, err)
	}
}

// TestCacheRefused: a cache file that is not exactly what Detect writes, or
// is for another key, is refused: the probe runs again and rewrites it.
func TestCacheRefused(t *testing.T) {
	ctx := context.Background()
	p := prober(t)
	p.Device = filepath.Join(t.TempDir(), "no-kvm")
	if _, err := p.Detect(ctx); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(p.CacheDir, CacheFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(e *entry)) []byte {
		var e entry
		if err := json.Unmarshal(good, &e); err != nil {
			t.Fatal(err)
		}
		f(&e)
		b, _ := json.Marshal(e)
		return b
	}
	for _, tc := range []struct {
		name    string
		content []byte
		mode    os.FileMode
		link    bool
		want    string
	}{
		{name: "garbage", content: []byte("\x00\x01garbage"), want: "not a cache"},
		{name: "empty", content: nil, want: "not a cache"},
		{name: "unknown field", content: []byte(strings.Replace(string(good), `"format"`, `"extra": 1, "format"`, 1)), want: "unknown field"},
		{name: "trailing data", content: append(append([]byte{}, good...), "}"...), want: "data after"},
		{name: "two entries", content: append(append([]byte{}, good...), good...), want: "data after"},
		{name: "too large", content: []byte(strings.Repeat(" ", maxCache) + string(good)), want: "larger than"},
		{name: "accel", content: edit(func(e *entry) { e.Accel = "hvf" }), want: "neither kvm nor tcg"},
		{name: "kvm without device", content: edit(func(e *entry) { e.Accel = KVM }), want: "without a KVM device"},
		{name: "format", content: edit(func(e *entry) { e.Format = 1 }), want: "format 1"},
		{name: "other kernel", content: edit(func(e *entry) { e.Key.Kernel = "1.0" }), want: "another host"},
		{name: "other qemu", content: edit(func(e *entry) { e.Key.Version = "QEMU emulator version 1.0" }), want: "another host"},
		{name: "kvm claimed for a device", content: edit(func(e *entry) { e.Key.Device = true; e.Accel = KVM }), want: "another host"},
		{name: "writable by others", content: good, mode: 0o666, want: "writable by others"},
		{name: "symlink", content: good, link: true, want: "symbolic link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(path)
			if tc.link {
				target := filepath.Join(t.TempDir(), "elsewhere")
				if err := os.WriteFile(target, tc.content, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(target, path); err != nil {
					t.Fatal(err)
				}
			} else {
				mode := tc.mode
				if mode == 0 {
					mode = 0o644
				}
				if err := os.WriteFile(path, tc.content, mode); err != nil {
					t.Fatal(err)
				}
				os.Chmod(path, mode)
			}
			r, err := p.Detect(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if r.Cached || r.Accel != TCG || !strings.Contains(r.Refused, tc.want) {
				t.Errorf("got %+v, want refused for %q", r, tc.want)
			}
			b, err := os.ReadFile(path)
			if err != nil || string(b) != string(good) {
				t.Errorf("not rewritten: %q, %v", b, err)
			}
			if r, err := p.Detect(ctx); err != nil || !r.Cached {
				t.Errorf("rewritten cache not used: %+v, %v", r, err)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	p := prober(t)
	p.Device = filepath.Join(t.TempDir(), "no-kvm")
	for _, tc := range []struct {
		setting string
		want    Accel
		err     string
	}{
		{"tcg", TCG, ""},
		{"auto", TCG, ""},
		{"", TCG, ""},
		{"kvm", "", "no-kvm"},
		{"KVM", "", "must be one of auto, kvm, tcg"},
		{"hvf", "", "must be one of"},
	} {
		got, err := Resolve(ctx, tc.setting, p)
		if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("Resolve(%q) = %q, %v; want %q, %q", tc.setting, got, err, tc.want, tc.err)
		}
	}
	dev := filepath.Join(t.TempDir(), "kvm")
	os.WriteFile(dev, nil, 0o600)
	p.Device = dev
	if got, err := Resolve(ctx, "kvm", p); got != KVM || err != nil {
		t.Errorf("kvm with a device: %q, %v", got, err)
	}
}

// TestDetectBrokenKVM: a KVM device that exists but on which the probe
// guest does not run (here: a device path that exists, while QEMU's
// /dev/kvm does not) is answered TCG, with the reason, and cached.
func TestDetectBrokenKVM(t *testing.T) {
	p := prober(t)
	withoutKVM(t, &p)
	p.Device = filepath.Join(t.TempDir(), "kvm")
	if err := os.WriteFile(p.Device, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := p.Detect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Accel != TCG || r.Cached || !strings.Contains(r.Reason, "KVM does not work") {
		t.Errorf("got %+v", r)
	}
	r, err = p.Detect(context.Background())
	if err != nil || !r.Cached || r.Accel != TCG || !strings.Contains(r.Reason, "KVM does not work") {
		t.Errorf("cached: %+v, %v", r, err)
	}
	assertNoProbeLeft(t)
}
