package shaping

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/benito-net/benito/internal/testenv"
)

// netnsPair makes two fresh network namespaces joined by a veth pair
// (10.77.0.1 in a, 10.77.0.2 in b) and returns a's handle, a's end of the
// pair and the names of the namespaces; all of it goes away with the test.
func netnsPair(t *testing.T) (*netlink.Handle, netlink.Link, string, string) {
	t.Helper()
	testenv.Root(t)
	b := make([]byte, 4)
	rand.Read(b)
	tag := hex.EncodeToString(b)
	var names [2]string
	var handles [2]*netlink.Handle
	var nss [2]netns.NsHandle
	for i, side := range []string{"a", "b"} {
		names[i] = "bnt-shp-" + side + tag
		if out, err := exec.Command("ip", "netns", "add", names[i]).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add: %v: %s", err, out)
		}
		name := names[i]
		t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
		ns, err := netns.GetFromName(names[i])
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ns.Close() })
		nss[i] = ns
		if handles[i], err = netlink.NewHandleAt(ns); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(handles[i].Close)
	}
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: "va"},
		PeerName:      "vb",
		PeerNamespace: netlink.NsFd(nss[1]),
	}
	if err := handles[0].LinkAdd(veth); err != nil {
		t.Fatal(err)
	}
	var links [2]netlink.Link
	for i, n := range []string{"va", "vb"} {
		l, err := handles[i].LinkByName(n)
		if err != nil {
			t.Fatal(err)
		}
		addr := &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4(10, 77, 0, byte(i+1)), Mask: net.CIDRMask(24, 32)}}
		if err := handles[i].AddrAdd(l, addr); err != nil {
			t.Fatal(err)
		}
		if err := handles[i].LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
		links[i] = l
	}
	return handles[0], links[0], names[0], names[1]
}

var rttRe = regexp.MustCompile(`= [0-9.]+/([0-9.]+)/`)

// rtt pings b from a and returns the average round-trip time.
func rtt(t *testing.T, nsA string) time.Duration {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", nsA, "ping", "-c", "3", "-i", "0.05", "-W", "2", "-q", "10.77.0.2").CombinedOutput()
	if err != nil {
		t.Fatalf("ping: %v: %s", err, out)
	}
	m := rttRe.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no rtt in %s", out)
	}
	ms, _ := strconv.ParseFloat(string(m[1]), 64)
	return time.Duration(ms * float64(time.Millisecond))
}

func checker(t *testing.T, h *netlink.Handle, link netlink.Link) func(Shaping) {
	return func(want Shaping) {
		t.Helper()
		got, err := Read(h, link)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("Read = %v, want %v", got, want)
		}
	}
}

func TestApplyCapacity(t *testing.T) {
	h, link, nsA, _ := netnsPair(t)
	check := checker(t, h, link)
	// One 60000-byte ping is 41 fragments: at 1 Mbit/s, past the 16 KiB
	// burst, it takes about 350ms to leave.
	s := Shaping{Capacity: 1_000_000}
	if err := Apply(h, link, s); err != nil {
		t.Fatal(err)
	}
	check(s)
	if d := bigRTT(t, nsA); d < 200*time.Millisecond {
		t.Errorf("rtt of 60000 bytes at 1 Mbit/s = %s", d)
	}
	before, _ := h.QdiscList(link)
	s = Shaping{Capacity: 1_000_000_000}
	if err := Apply(h, link, s); err != nil {
		t.Fatal(err)
	}
	check(s)
	after, _ := h.QdiscList(link)
	if len(before) != 1 || len(after) != 1 || before[0].Attrs().Handle != after[0].Attrs().Handle {
		t.Errorf("qdiscs before %v, after %v: want one, changed in place", before, after)
	}
	if d := bigRTT(t, nsA); d > 100*time.Millisecond {
		t.Errorf("rtt of 60000 bytes at 1 Gbit/s = %s", d)
	}
	if err := Apply(h, link, Shaping{}); err != nil {
		t.Fatal(err)
	}
	check(Shaping{})
}

// bigRTT is the round-trip time of one 60000-byte ping from a to b.
func bigRTT(t *testing.T, nsA string) time.Duration {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", nsA, "ping", "-c", "1", "-s", "60000", "-W", "5", "-q", "10.77.0.2").CombinedOutput()
	if err != nil {
		t.Fatalf("ping: %v: %s", err, out)
	}
	m := rttRe.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no rtt in %s", out)
	}
	ms, _ := strconv.ParseFloat(string(m[1]), 64)
	return time.Duration(ms * float64(time.Millisecond))
}

func TestApplyLatency(t *testing.T) {
	h, link, nsA, _ := netnsPair(t)
	check := checker(t, h, link)
	check(Shaping{})

	s := Shaping{Latency: 50 * time.Millisecond}
	if err := Apply(h, link, s); errors.Is(err, ErrNoNetem) {
		// This kernel has no netem: the refusal names the module, and
		// leaves the link as it was.
		for _, want := range []string{"sch_netem", "CONFIG_NET_SCH_NETEM"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the refusal %q does not name %s", err, want)
			}
		}
		check(Shaping{})
		t.Logf("no netem on this kernel; latency refused: %v", err)
		return
	} else if err != nil {
		t.Fatal(err)
	}
	check(s)
	if d := rtt(t, nsA); d < 50*time.Millisecond || d > 90*time.Millisecond {
		t.Errorf("rtt with 50ms latency = %s", d)
	}
	if err := Apply(h, link, s); err != nil { // idempotent
		t.Fatal(err)
	}

	// In place: the same qdisc, changed.
	before, _ := h.QdiscList(link)
	s = Shaping{Latency: 10 * time.Millisecond, Loss: 1.5, Capacity: 100_000_000}
	if err := Apply(h, link, s); err != nil {
		t.Fatal(err)
	}
	check(s)
	after, _ := h.QdiscList(link)
	if len(before) != 1 || len(after) != 1 || before[0].Attrs().Handle != after[0].Attrs().Handle {
		t.Errorf("qdiscs before %v, after %v: want one, changed in place", before, after)
	}
	if d := rtt(t, nsA); d < 10*time.Millisecond || d > 45*time.Millisecond {
		t.Errorf("rtt with 10ms latency = %s", d)
	}

	// Dropping the rate alone.
	s = Shaping{Latency: 10 * time.Millisecond}
	if err := Apply(h, link, s); err != nil {
		t.Fatal(err)
	}
	check(s)

	if err := Apply(h, link, Shaping{}); err != nil {
		t.Fatal(err)
	}
	check(Shaping{})
	if d := rtt(t, nsA); d > 5*time.Millisecond {
		t.Errorf("rtt unshaped = %s", d)
	}
	if err := Apply(h, link, Shaping{}); err != nil { // idempotent
		t.Fatal(err)
	}
}

func TestValidate(t *testing.T) {
	for _, s := range []Shaping{{Latency: -1}, {Loss: 101}, {Loss: -1}, {Capacity: 7}} {
		if s.Validate() == nil {
			t.Errorf("%v: no error", s)
		}
	}
	if err := (Shaping{Capacity: 1e9, Latency: time.Second, Loss: 100}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestNetemAvailable(t *testing.T) {
	testenv.Root(t)
	// The probe tries netem on the loopback of a namespace of its own:
	// the host's loopback keeps its qdiscs. (The host's list of links is
	// no witness: other tests, run in parallel, add and remove links.)
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	before, err := netlink.QdiscList(lo)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := NetemAvailable()
	if err != nil {
		t.Fatal(err)
	}
	// The answer agrees with what tc on this kernel says.
	h, link, _, _ := netnsPair(t)
	applyErr := Apply(h, link, Shaping{Latency: time.Millisecond})
	if ok != !errors.Is(applyErr, ErrNoNetem) {
		t.Errorf("NetemAvailable = %v, but Apply with latency: %v", ok, applyErr)
	}
	after, err := netlink.QdiscList(lo)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the probe changed the host's loopback qdiscs: %v before, %v after", before, after)
	}
	t.Logf("netem available: %v", ok)
}
