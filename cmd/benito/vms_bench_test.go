package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/accel"
	"github.com/benito-net/benito/internal/testenv"
	"github.com/benito-net/benito/model"
	"github.com/benito-net/benito/state"
)

// vmBootMemory is the memory of every benchmarked VM, in MiB.
const vmBootMemory = 192

// BenchmarkVMBoot is issue 14's benchmark of QEMU nodes: the time from
// the start of `benito apply` to every VM answering a ping from a process
// node on the same VDE switch, for 1, 4 and 8 VMs of the test guest
// (accel "auto": TCG on a host without a working KVM), and the resident
// memory of each QEMU process once they all answer. The goal is 8 VMs in
// at most twice the time of one. Each iteration applies a new experiment
// with the benito binary, as a user runs it, and destroys it (untimed),
// checking that nothing of it is left on the host. docs/benchmarks.md has
// the figures.
//
// Metrics: s-to-ping (apply to the last VM answering; also ns/op), s-apply
// (the apply alone), MiB-RSS/VM (VmRSS of the QEMU processes, averaged)
// and cpu-s/VM (the CPU time each QEMU process had used by then,
// averaged: under TCG a boot is CPU-bound, so n VMs on c cores take at
// least n×cpu-s/VM÷c).
// The accelerator that ran and the vnodes' creation times from apply's
// output are logged.
func BenchmarkVMBoot(b *testing.B) {
	testenv.Root(b)
	qemu := testenv.Command(b, "qemu-system-x86_64", "qemu-system-x86")
	testenv.Command(b, "vde_switch", "vde2")
	testenv.Command(b, "ping", "iputils-ping")
	kernel, initrd := testenv.GuestImage(b)
	// The first apply on a host probes KVM (a probe guest with a timeout
	// on a host whose KVM hangs) and caches the answer. The benchmark
	// measures machines booting, not that probe: the provider's own probe
	// is run here first, answered from the cache when it is warm.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	probe, err := accel.Prober{QEMU: qemu, Kernel: kernel}.Detect(ctx)
	cancel()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("accel auto: %s (%s; cached before the benchmark: %v)", probe.Accel, probe.Reason, probe.Cached)
	leaveNoRoots(b)
	for _, n := range []int{1, 4, 8} {
		b.Run(fmt.Sprintf("vms=%d", n), func(b *testing.B) {
			var toPing, apply time.Duration
			var rss, cpu float64
			accels := map[string]int{}
			for range b.N {
				r := bootVMs(b, n, kernel, initrd)
				toPing += r.toPing
				apply += r.apply
				rss += r.rss
				cpu += r.cpu
				for _, a := range r.accels {
					accels[a]++
				}
			}
			per := float64(b.N)
			b.ReportMetric(toPing.Seconds()/per, "s-to-ping")
			b.ReportMetric(apply.Seconds()/per, "s-apply")
			b.ReportMetric(rss/per, "MiB-RSS/VM")
			b.ReportMetric(cpu/per, "cpu-s/VM")
			var ran []string
			for _, a := range slices.Sorted(maps.Keys(accels)) {
				ran = append(ran, fmt.Sprintf("%s ×%d", a, accels[a]))
			}
			b.Logf("accelerator: %s", strings.Join(ran, ", "))
		})
	}
}

// vmBoot is what one iteration of BenchmarkVMBoot measured.
type vmBoot struct {
	toPing, apply time.Duration
	rss           float64  // MiB, the mean over the VMs
	cpu           float64  // seconds, the mean over the VMs
	accels        []string // the accelerator of each VM, as recorded
}

// bootVMs applies an experiment of n QEMU nodes and a process node,
// "probe", on one VDE switch, times it from apply to every VM answering a
// ping from probe, reads the QEMU processes' memory, and destroys it.
// The benchmark's timer runs from apply to the last answer only.
func bootVMs(b *testing.B, n int, kernel, initrd string) vmBoot {
	b.Helper()
	b.StopTimer()
	name := fmt.Sprintf("vmboot-%d-%04x", n, rand.Intn(1<<16))
	dir := filepath.Join(b.TempDir(), "exp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	var hcl strings.Builder
	fmt.Fprintf(&hcl, "experiment %q {}\n\nsite {\n  qemu_memory = \"%d\"\n  qemu_kernel = %q\n  qemu_initrd = %q\n}\n\n", name, vmBootMemory, kernel, initrd)
	hcl.WriteString("switch \"lan\" {\n  kind   = \"vde\"\n  subnet = \"10.0.9.0/24\"\n}\n\n")
	hcl.WriteString("vnode \"probe\" {\n  type = \"process\"\n  interface \"eth0\" {\n    switch      = switch.lan\n    ip4_address = cidrhost(switch.lan.subnet, 2)\n  }\n}\n")
	var addrs []string
	for i := range n {
		addrs = append(addrs, fmt.Sprintf("10.0.9.%d", 11+i))
		fmt.Fprintf(&hcl, "\nvnode \"vm%d\" {\n  type = \"qemu\"\n  interface \"eth0\" {\n    switch      = switch.lan\n    ip4_address = cidrhost(switch.lan.subnet, %d)\n  }\n}\n", i+1, 11+i)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(hcl.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "benito.state")); err != nil {
			return
		}
		if r := runBin(b, "", "destroy", "-auto-approve", dir); r.code != 0 {
			b.Errorf("cleaning up %s:\n%s", name, r)
		}
	})

	b.StartTimer()
	start := time.Now()
	r := runBin(b, "", "apply", "-auto-approve", dir)
	applied := time.Since(start)
	if r.code != 0 {
		b.Fatalf("apply of %d VMs:\n%s", n, r)
	}
	// Every VM is pinged from probe at once, each until it answers: the
	// last answer ends the measurement.
	last, err := pingAll(dir, addrs, start.Add(2*time.Minute))
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	got := vmBoot{toPing: last.Sub(start), apply: applied}
	b.Logf("%d VMs: apply %.2f s, last ping %.2f s; vnodes created after %s", n, applied.Seconds(), got.toPing.Seconds(), creationTimes(r.stdout))

	got.rss, got.cpu, got.accels, err = qemuUsage(dir, filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name), n)
	if err != nil {
		b.Fatal(err)
	}

	if r := runBin(b, "", "destroy", "-auto-approve", dir); r.code != 0 {
		b.Fatalf("destroy of %d VMs:\n%s", n, r)
	}
	if left := leftovers(b, name); len(left) > 0 {
		b.Fatalf("destroy of %d VMs left on the host:\n%s", n, strings.Join(left, "\n"))
	}
	return got
}

// pingAll pings each of addrs from the node probe of the experiment in
// dir (benito exec, one echo request waiting a second), again until it
// answers or deadline passes, all at once, and returns when the last
// answered.
func pingAll(dir string, addrs []string, deadline time.Time) (time.Time, error) {
	var wg sync.WaitGroup
	answered := make([]time.Time, len(addrs))
	errs := make([]error, len(addrs))
	for i, addr := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				// The execs run at once: each waits its turn at the state
				// lock, which exec holds only to read the node.
				cmd := exec.Command(benitoBin, "exec", "-C", dir, "--lock-timeout", "30s", "probe", "--", "ping", "-n", "-c1", "-W1", addr)
				cmd.Env = append(os.Environ(), "NO_COLOR=1")
				out, err := cmd.CombinedOutput()
				if err == nil {
					answered[i] = time.Now()
					return
				}
				if time.Now().After(deadline) {
					errs[i] = fmt.Errorf("%s did not answer a ping from probe by the deadline; the last try: %v\n%s", addr, err, out)
					return
				}
			}
		}()
	}
	wg.Wait()
	var last time.Time
	for i := range addrs {
		if errs[i] != nil {
			return last, errs[i]
		}
		if answered[i].After(last) {
			last = answered[i]
		}
	}
	return last, nil
}

// creationTimes lists the vnodes' creation times in apply's output
// (shortest first), to show where an apply's time went.
func creationTimes(applyOut string) string {
	re := regexp.MustCompile(`(?m)^vnode\.(\S+): Creation complete after (\S+)$`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(applyOut, -1) {
		out = append(out, m[1]+" "+m[2])
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// qemuUsage reads the experiment's state (benito show -json) and returns
// the mean VmRSS, in MiB, and CPU time, in seconds, of the n QEMU
// processes its qemu vnodes record, and the accelerator each recorded. A
// recorded pid is input: it must be a process whose command line names
// the experiment's run directory.
func qemuUsage(dir, runDir string, n int) (rss, cpu float64, accels []string, err error) {
	out, err := exec.Command(benitoBin, "show", "-json", dir).Output()
	if err != nil {
		return 0, 0, nil, fmt.Errorf("benito show -json: %w", err)
	}
	st, err := state.Unmarshal(out)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("benito show -json: %w", err)
	}
	for _, addr := range st.SortedAddrs() {
		res := st.Resources[addr]
		if addr.Type != "vnode" || res.Provider != "qemu" {
			continue
		}
		var attrs struct {
			Pid         int    `json:"pid"`
			Accelerator string `json:"accelerator"`
		}
		if err := json.Unmarshal(res.Attributes, &attrs); err != nil {
			return 0, 0, nil, fmt.Errorf("%s: %w", addr, err)
		}
		if attrs.Accelerator != string(accel.KVM) && attrs.Accelerator != string(accel.TCG) {
			return 0, 0, nil, fmt.Errorf("%s: accelerator %q recorded, want kvm or tcg", addr, attrs.Accelerator)
		}
		if attrs.Pid <= 0 {
			return 0, 0, nil, fmt.Errorf("%s: pid %d recorded", addr, attrs.Pid)
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", attrs.Pid))
		if err != nil {
			return 0, 0, nil, fmt.Errorf("%s: pid %d: %w", addr, attrs.Pid, err)
		}
		if !bytes.Contains(cmdline, []byte(runDir+"/")) {
			return 0, 0, nil, fmt.Errorf("%s: pid %d is not a QEMU of %s: %q", addr, attrs.Pid, runDir, cmdline)
		}
		kib, err := vmRSS(attrs.Pid)
		if err != nil {
			return 0, 0, nil, fmt.Errorf("%s: %w", addr, err)
		}
		secs, err := cpuSeconds(attrs.Pid)
		if err != nil {
			return 0, 0, nil, fmt.Errorf("%s: %w", addr, err)
		}
		rss += float64(kib) / 1024
		cpu += secs
		accels = append(accels, attrs.Accelerator)
	}
	if len(accels) != n {
		return 0, 0, nil, fmt.Errorf("the state records %d QEMU vnodes, want %d", len(accels), n)
	}
	return rss / float64(n), cpu / float64(n), accels, nil
}

// vmRSS is the VmRSS line of /proc/PID/status, in KiB.
func vmRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		if err != nil || kib <= 0 {
			return 0, fmt.Errorf("pid %d: VmRSS %q", pid, v)
		}
		return kib, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("pid %d: no VmRSS in /proc/%d/status", pid, pid)
}

// userHZ is the unit of the times in /proc/PID/stat: USER_HZ, 100 on
// every Linux architecture benito runs on (it is ABI, whatever the
// kernel's HZ).
const userHZ = 100

// cpuSeconds is the CPU time, user and system, process pid has used.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: the fields
	// counted are those after its closing parenthesis, from the state
	// (field 3); utime and stime are fields 14 and 15.
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("pid %d: /proc/%d/stat: %q", pid, pid, b)
	}
	var ticks uint64
	for _, v := range f[11:13] {
		t, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("pid %d: /proc/%d/stat: %q", pid, pid, b)
		}
		ticks += t
	}
	return float64(ticks) / userHZ, nil
}
