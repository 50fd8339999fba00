// Command benchnodes measures building and tearing down a star of process
// nodes on the host (issue 4), three ways:
//
//   - benito: `benito apply -auto-approve` then `benito destroy
//     -auto-approve` of a generated experiment of n process nodes on one
//     bridge switch (or, with -vde, one VDE switch);
//   - the floor: this program doing only the same kernel work in a loop
//     (the bridge; per host a network namespace and a veth pair created
//     with its peer directly in the namespace, an address, links up; then
//     everything deleted), with the calls benito makes: one queue per
//     veth end, and all veths in one device group, deleted by one request
//     (`ip link del group G`). floor/1 makes the plain calls (the kernel's
//     default queues, one delete per host), for reference;
//   - Mininet: `mn --topo single,n --switch lxbr --controller none --test
//     none`, followed by `mn -c`.
//
// It prints the three times and the ratios. Run as root:
//
//	go build -o /tmp/benito ./cmd/benito
//	go run ./internal/tools/benchnodes -benito /tmp/benito [-n 100] [-runs 3] [-vde] [-mininet=false] [-floor=false] [-runroot auto|exp|DIR] [-results FILE]
//
// benito's run directories (a directory and a pid file per node) go on
// tmpfs by default, as benito's default run_root, /run/benito, is on a
// usual host: on a disk file system without a journal (ext4 here), every
// file created within half a minute of as many being deleted costs a scan
// of the recently deleted inodes, which a loop of applies and destroys
// multiplies (-runroot exp shows it).
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/benito-net/benito/internal/benchresult"
	"github.com/benito-net/benito/internal/netdev"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func main() {
	bin := flag.String("benito", "benito", `the benito binary to measure ("" measures only the floor and Mininet)`)
	n := flag.Int("n", 100, "hosts in the star")
	runs := flag.Int("runs", 3, "runs of each measurement (the median is reported)")
	vde := flag.Bool("vde", false, "benito only: the nodes on one VDE switch instead of a bridge")
	mininet := flag.Bool("mininet", true, "also measure Mininet")
	floorToo := flag.Bool("floor", true, "also measure the floor and Mininet (-floor=false: benito alone, for A/B runs of two builds)")
	results := flag.String("results", "", "append the figures to this file (JSON lines, for scripts/bench): nodes/KIND/N/{benito,floor,mininet}/...")
	keep := flag.Bool("keep", false, "keep the generated experiment directory")
	runRoot := flag.String("runroot", "auto", `where benito's run directories go (pid files, per-node directories): "auto" is a temporary directory on tmpfs (/dev/shm), as benito's default /run/benito is on a usual host, or beside the experiment if there is none; "exp" is beside the experiment; or a directory`)
	flag.Parse()
	if os.Geteuid() != 0 {
		fatal(fmt.Errorf("benchnodes makes namespaces and devices: run it as root"))
	}

	tmp, err := os.MkdirTemp("", "benito-benchnodes-")
	check(err)
	if !*keep {
		removeOnExit = tmp
		defer os.RemoveAll(tmp)
	} else {
		fmt.Printf("experiments in %s\n", tmp)
	}
	runs0 := tmp // parent of the per-run run directories
	switch *runRoot {
	case "auto":
		var fs unix.Statfs_t
		if unix.Statfs("/dev/shm", &fs) == nil && fs.Type == unix.TMPFS_MAGIC {
			d, err := os.MkdirTemp("/dev/shm", "benito-benchnodes-")
			check(err)
			runs0 = d
			if !*keep {
				defer os.RemoveAll(d)
				removeAlso = d
			}
		}
	case "exp":
	default:
		runs0 = *runRoot
	}
	fmt.Printf("run directories under %s\n", runs0)
	kind := "bridge"
	if *vde {
		kind = "vde"
	}
	fmt.Printf("%d process nodes on one %s switch; median of %d runs\n", *n, kind, *runs)
	fmt.Printf("(each run measures every contender once, in turn, so that all see the same load;\n")
	fmt.Printf("before each, the kernel's clean-up of the namespaces of the one before is waited for)\n\n")

	// Per contender, two phases (build or apply; tear down or destroy) per run.
	var ba, bd, bac, bdc, gc, gd, fc, fd, mt []time.Duration
	baseline := netnsCount()
	for r := 0; r < *runs; r++ {
		var line []string
		if *bin != "" {
			settle(baseline)
			a, d, err := benito(*bin, filepath.Join(tmp, fmt.Sprint("run", r)), filepath.Join(runs0, fmt.Sprint("run", r), "run"), *n, kind, r)
			check(err)
			ba, bd = append(ba, a.wall), append(bd, d.wall)
			bac, bdc = append(bac, a.cpu), append(bdc, d.cpu)
			line = append(line, "benito "+ms(a.wall)+"+"+ms(d.wall)+" (cpu "+ms(a.cpu)+"+"+ms(d.cpu)+")")
		}
		if !*vde && *floorToo {
			settle(baseline)
			c, d, err := floor(*n, r, true)
			check(err)
			gc, gd = append(gc, c), append(gd, d)
			settle(baseline)
			c1, d1, err := floor(*n, r, false)
			check(err)
			fc, fd = append(fc, c1), append(fd, d1)
			line = append(line, "floor "+ms(c)+"+"+ms(d), "floor/1 "+ms(c1)+"+"+ms(d1))
			if *mininet {
				settle(baseline)
				m, err := mn(*n)
				check(err)
				mt = append(mt, m)
				line = append(line, "mininet "+ms(m))
			}
		}
		fmt.Printf("run %d: %s\n", r+1, strings.Join(line, ", "))
	}
	fmt.Println()

	key := fmt.Sprintf("nodes/%s/%d/", kind, *n)
	rec := func(name string, ds ...[]time.Duration) {
		runs := make([]time.Duration, len(ds[0]))
		for _, d := range ds {
			for i := range d {
				runs[i] += d[i]
			}
		}
		check(benchresult.Append(*results, benchresult.Record{Name: key + name, Unit: "s", Runs: benchresult.Seconds(runs)}))
	}
	var b time.Duration
	if *bin != "" {
		rec("benito/apply", ba)
		rec("benito/destroy", bd)
		rec("benito/total", ba, bd)
		rec("benito/cpu", bac, bdc)
		b = median(ba) + median(bd)
		fmt.Printf("benito   apply %8s  destroy %8s  total %8s\n", ms(median(ba)), ms(median(bd)), ms(b))
		fmt.Printf("  CPU    apply %8s  destroy %8s  total %8s  (user+system of benito and its provider child)\n", ms(median(bac)), ms(median(bdc)), ms(median(bac)+median(bdc)))
	}
	if *vde || !*floorToo {
		return
	}
	rec("floor/build", gc)
	rec("floor/delete", gd)
	rec("floor/total", gc, gd)
	if *mininet {
		rec("mininet/total", mt)
	}
	fg := median(gc) + median(gd)
	fmt.Printf("floor    build %8s  delete  %8s  total %8s  (benito's calls: one queue per veth end, all deleted by one request)\n", ms(median(gc)), ms(median(gd)), ms(fg))
	f1 := median(fc) + median(fd)
	fmt.Printf("floor/1  build %8s  delete  %8s  total %8s  (the plain calls: a queue per CPU, one delete per link; for reference)\n", ms(median(fc)), ms(median(fd)), ms(f1))
	var m time.Duration
	if *mininet {
		m = median(mt)
		fmt.Printf("mininet  build+stop                    total %8s\n", ms(m))
	}
	if b == 0 {
		return
	}
	fmt.Printf("\nbenito / floor   = %.2fx (target: at most 2x); benito / floor/1 = %.2fx\n", float64(b)/float64(fg), float64(b)/float64(f1))
	if *mininet {
		fmt.Printf("mininet / benito = %.1fx (target: at least 10x)\n", float64(m)/float64(b))
	}
}

// netnsCount returns the network namespaces the kernel holds (live or
// being torn down), from /proc/slabinfo, or -1.
func netnsCount() int {
	b, err := os.ReadFile("/proc/slabinfo")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "net_namespace" {
			var n int
			fmt.Sscan(f[1], &n)
			return n
		}
	}
	return -1
}

// settle waits, before a contender starts, until the kernel has finished
// tearing down the namespaces of the one before (it does so in the
// background, after the contender's clock stopped), so that no contender
// pays for another's clean-up: until the count of network namespaces is
// back to baseline (at most 5 s), then 100 ms more.
func settle(baseline int) {
	for deadline := time.Now().Add(5 * time.Second); baseline >= 0 && netnsCount() > baseline+2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
}

// spent is what a command took: wall time, and the CPU time (user and
// system) of its process and the children it waited for (benito's
// provider child).
type spent struct{ wall, cpu time.Duration }

// timed runs cmd and returns what it took, and its output.
func timed(cmd *exec.Cmd) (spent, []byte, error) {
	t := time.Now()
	out, err := cmd.CombinedOutput()
	s := spent{wall: time.Since(t)}
	if cmd.ProcessState != nil {
		s.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	return s, out, err
}

// benito generates the experiment in dir and times apply and destroy.
// run directories go in runDir.
func benito(bin, dir, runDir string, n int, kind string, run int) (apply, destroy spent, err error) {
	name := fmt.Sprintf("bn%d%d", os.Getpid()%10000, run)
	if err := writeExperiment(dir, runDir, name, n, kind); err != nil {
		return spent{}, spent{}, err
	}
	if out, err := exec.Command(bin, "init", dir).CombinedOutput(); err != nil {
		return spent{}, spent{}, fmt.Errorf("benito init: %v\n%s", err, out)
	}
	apply, out, err := timed(exec.Command(bin, "apply", "-auto-approve", "-no-color", dir))
	if err != nil {
		// Take down whatever was made before reporting.
		exec.Command(bin, "destroy", "-auto-approve", "-no-color", dir).Run()
		return spent{}, spent{}, fmt.Errorf("benito apply: %v\n%s", err, tail(out))
	}
	destroy, out, err = timed(exec.Command(bin, "destroy", "-auto-approve", "-no-color", dir))
	if err != nil {
		return spent{}, spent{}, fmt.Errorf("benito destroy: %v\n%s", err, tail(out))
	}
	return apply, destroy, nil
}

// writeExperiment writes n process nodes on one switch of kind, with
// their config directory inside dir and their run directory runDir.
func writeExperiment(dir, runDir, name string, n int, kind string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "experiment %q {}\n\nsite {\n  default_type = \"process\"\n  config_root  = %q\n  run_root     = %q\n}\n\n",
		name, filepath.Join(dir, "config"), runDir)
	fmt.Fprintf(&b, "switch \"lan\" {\n  kind   = %q\n  subnet = \"10.0.0.0/16\"\n  ports  = %d\n}\n\n", kind, n+1)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "vnode \"h%d\" {\n  interface \"eth0\" {\n    switch      = switch.lan\n    ip4_address = \"10.0.%d.%d/16\"\n  }\n}\n\n", i, i/256, i%256)
	}
	return os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(b.String()), 0o644)
}

// floor does the kernel work of the star and nothing else, in a loop: the
// bridge, then per host a network namespace, a veth pair made with its
// peer in the namespace (on the bridge, addressed, up, loopback up); then
// it deletes the veths, the namespaces and the bridge. With best, it
// makes the calls benito makes: each veth end gets one queue (otherwise
// the kernel makes one per CPU and cuts them back, waiting for an RCU
// grace period with the RTNL lock held), and the veths are made in one
// device group and deleted by one request (the kernel then waits for one
// grace period instead of one per link, about 30ms each here). Without,
// it makes the plain calls.
func floor(n, run int, best bool) (build, teardown time.Duration, err error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	origin, err := netns.Get()
	if err != nil {
		return 0, 0, err
	}
	defer origin.Close()
	tag := fmt.Sprintf("%04x%d", os.Getpid()%0xffff, run)
	if best {
		tag += "g"
	}
	devGroup := uint32(0x4e000000 + os.Getpid()%0xffff*16 + run)
	brName := "bnf" + tag
	hosts := make([]netns.NsHandle, 0, n)
	defer func() { // on failure, take down what was made
		for i, h := range hosts {
			if l, err := netlink.LinkByName(fmt.Sprintf("bnf%s-%d", tag, i)); err == nil {
				netlink.LinkDel(l)
			}
			h.Close()
		}
		if l, err := netlink.LinkByName(brName); err == nil {
			netlink.LinkDel(l)
		}
	}()

	start := time.Now()
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: brName}}
	if err := netlink.LinkAdd(br); err != nil {
		return 0, 0, fmt.Errorf("bridge: %w", err)
	}
	if err := netlink.LinkSetUp(br); err != nil {
		return 0, 0, err
	}
	for i := 0; i < n; i++ {
		ns, err := netns.New() // unshares this thread into a new namespace
		if err != nil {
			return 0, 0, fmt.Errorf("netns: %w", err)
		}
		if err := netns.Set(origin); err != nil {
			return 0, 0, err
		}
		hosts = append(hosts, ns)
		h, err := netlink.NewHandleAt(ns)
		if err != nil {
			return 0, 0, err
		}
		host := fmt.Sprintf("bnf%s-%d", tag, i)
		veth := &netlink.Veth{
			LinkAttrs:        netlink.LinkAttrs{Name: host, MasterIndex: br.Attrs().Index, Flags: net.FlagUp},
			PeerName:         "eth0",
			PeerHardwareAddr: net.HardwareAddr{0x02, 0x42, 0, byte(run), byte(i >> 8), byte(i)},
			PeerNamespace:    netlink.NsFd(ns),
		}
		if best {
			veth.Group = devGroup
			veth.NumTxQueues, veth.NumRxQueues = 1, 1
		}
		if err := netlink.LinkAdd(veth); err != nil {
			h.Close()
			return 0, 0, fmt.Errorf("veth %s: %w", host, err)
		}
		for _, dev := range []string{"lo", "eth0"} {
			l, err := h.LinkByName(dev)
			if err == nil && dev == "eth0" {
				ip := net.IPv4(10, 0, byte((i+1)/256), byte((i+1)%256))
				err = h.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: net.CIDRMask(16, 32)}})
			}
			if err == nil {
				err = h.LinkSetUp(l)
			}
			if err != nil {
				h.Close()
				return 0, 0, fmt.Errorf("%s in host %d: %w", dev, i, err)
			}
		}
		h.Close()
	}
	build = time.Since(start)

	start = time.Now()
	if best {
		if err := netdev.DeleteGroup(devGroup); err != nil {
			return 0, 0, err
		}
		for _, h := range hosts {
			h.Close()
		}
		hosts = nil
	}
	for i, h := range hosts {
		l, err := netlink.LinkByName(fmt.Sprintf("bnf%s-%d", tag, i))
		if err != nil {
			return 0, 0, err
		}
		if err := netlink.LinkDel(l); err != nil {
			return 0, 0, err
		}
		h.Close()
	}
	hosts = nil
	l, err := netlink.LinkByName(brName)
	if err != nil {
		return 0, 0, err
	}
	if err := netlink.LinkDel(l); err != nil {
		return 0, 0, err
	}
	return build, time.Since(start), nil
}

// mn times Mininet building and stopping the star, then cleans up after it.
func mn(n int) (time.Duration, error) {
	defer exec.Command("mn", "-c").Run()
	start := time.Now()
	out, err := exec.Command("mn", "--topo", fmt.Sprintf("single,%d", n), "--switch", "lxbr", "--controller", "none", "--test", "none").CombinedOutput()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("mn: %v\n%s", err, tail(out))
	}
	return d, nil
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond)) }

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 3000 {
		s = "…" + s[len(s)-3000:]
	}
	return s
}

func check(err error) {
	if err != nil {
		fatal(err)
	}
}

// removeOnExit is the generated experiments' directory, unless -keep.
var removeOnExit string

// removeAlso is the run directories' temporary directory on tmpfs.
var removeAlso string

func fatal(err error) {
	if removeOnExit != "" {
		os.RemoveAll(removeOnExit)
	}
	if removeAlso != "" {
		os.RemoveAll(removeAlso)
	}
	fmt.Fprintln(os.Stderr, "benchnodes:", err)
	os.Exit(1)
}
