package shaping

import (
	"errors"
	"fmt"
	"math"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
)

// Shaping is what a link does to the packets leaving through it.
type Shaping struct {
	// Capacity is the rate in bit/s; 0 means unlimited.
	Capacity uint64
	// Latency is the delay added to every packet.
	Latency time.Duration
	// Loss is the share of packets dropped, in percent (0 to 100).
	Loss float64
}

// IsZero reports whether s shapes nothing.
func (s Shaping) IsZero() bool { return s == Shaping{} }

// String renders s for messages, e.g. "capacity 10000000 bit/s, latency 50ms, loss 1%".
func (s Shaping) String() string {
	if s.IsZero() {
		return "none"
	}
	return fmt.Sprintf("capacity %d bit/s, latency %s, loss %g%%", s.Capacity, s.Latency, s.Loss)
}

// Validate reports values the kernel cannot represent.
func (s Shaping) Validate() error {
	switch {
	case s.Latency < 0:
		return fmt.Errorf("latency %s is negative", s.Latency)
	case s.Latency > time.Duration(math.MaxUint32)*time.Microsecond/2:
		return fmt.Errorf("latency %s is too long", s.Latency)
	case s.Loss < 0 || s.Loss > 100 || math.IsNaN(s.Loss):
		return fmt.Errorf("loss %g%% is not between 0 and 100", s.Loss)
	case s.Capacity != 0 && s.Capacity < 8:
		return fmt.Errorf("capacity %d bit/s is below one byte per second", s.Capacity)
	}
	return nil
}

// normal returns s as Read would return it after Apply.
func (s Shaping) normal() Shaping {
	s.Latency = s.Latency.Round(time.Microsecond)
	s.Loss = lossPercent(lossU32(s.Loss))
	s.Capacity = s.Capacity / 8 * 8
	return s
}

// ErrNoNetem is returned (wrapped) when latency or loss is asked of a
// kernel without the netem qdisc: built without CONFIG_NET_SCH_NETEM, or
// whose module sch_netem could not be loaded.
var ErrNoNetem = errors.New("this kernel has no netem qdisc (kernel module sch_netem, CONFIG_NET_SCH_NETEM), so it cannot add latency or loss; " +
	"load the module (modprobe sch_netem) or use a kernel built with it. Only capacity (tbf) can be shaped without it")

// Apply makes link's shaping s: a root netem qdisc for latency and loss
// (with netem's rate for capacity), or a root tbf qdisc for capacity alone.
// It changes an installed qdisc of the same kind in place; a zero s removes
// it (leaving the kernel's default qdisc). Applying what is already
// installed does nothing.
func Apply(h *netlink.Handle, link netlink.Link, s Shaping) error {
	name := link.Attrs().Name
	if err := s.Validate(); err != nil {
		return fmt.Errorf("shaping %s: %w", name, err)
	}
	root, cur, err := read(h, link)
	if err != nil {
		return err
	}
	want := s.normal()
	if cur == want && (root != nil || want.IsZero()) {
		return nil
	}
	_, isNetem := root.(*netlink.Netem)
	if want.IsZero() || (isNetem && cur.Capacity != 0 && want.Capacity == 0) {
		// netem keeps its rate when a change leaves the rate out, so
		// dropping the rate takes a new qdisc.
		if root != nil {
			if err := h.QdiscDel(root); err != nil && !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.EINVAL) {
				return fmt.Errorf("shaping %s: remove %s: %w", name, root.Type(), err)
			}
		}
		if want.IsZero() {
			return nil
		}
	}
	attrs := netlink.QdiscAttrs{
		LinkIndex: link.Attrs().Index,
		Handle:    netlink.MakeHandle(1, 0),
		Parent:    netlink.HANDLE_ROOT,
	}
	var q netlink.Qdisc
	if want.Latency == 0 && want.Loss == 0 {
		q = tbf(attrs, want.Capacity/8)
	} else {
		q = &netlink.Netem{
			QdiscAttrs: attrs,
			Latency:    uint32(math.Round(float64(want.Latency/time.Microsecond) * netlink.TickInUsec())),
			Limit:      1000,
			Loss:       lossU32(want.Loss),
			Rate64:     want.Capacity / 8,
		}
	}
	if err := h.QdiscReplace(q); err != nil {
		if q.Type() == "netem" && errors.Is(err, syscall.ENOENT) {
			return fmt.Errorf("shaping %s (%s): %w", name, want, ErrNoNetem)
		}
		return fmt.Errorf("shaping %s: set %s (%s): %w", name, q.Type(), want, err)
	}
	return nil
}

// tbf is a token bucket for rate bytes/s with a burst of 10ms of traffic
// (at least 16 KiB) and a queue of QueueLimit bytes.
func tbf(attrs netlink.QdiscAttrs, rate uint64) *netlink.Tbf {
	burst := tbfBurst(rate)
	limit := QueueLimit(rate)
	return &netlink.Tbf{
		QdiscAttrs: attrs,
		Rate:       rate,
		Limit:      uint32(limit),
		Buffer:     netlink.Xmittime(rate, uint32(min(burst, math.MaxUint32))),
	}
}

func tbfBurst(rate uint64) uint64 { return max(rate/100, 16<<10) }

// QueueLimit is how many bytes a link of rate bytes/s holds back before
// it drops: the token bucket's burst and 200ms more (at least 64 KiB, so
// that a fragmented 64 KiB datagram fits on slow links). The VDE link
// emulator's queue on a shaped interface gets the same bound.
func QueueLimit(rate uint64) uint64 {
	return min(tbfBurst(rate)+max(rate/5, 64<<10), math.MaxUint32)
}

// Read returns the shaping installed on link now: the zero Shaping when
// its root qdisc is neither netem nor tbf.
func Read(h *netlink.Handle, link netlink.Link) (Shaping, error) {
	_, s, err := read(h, link)
	return s, err
}

func read(h *netlink.Handle, link netlink.Link) (netlink.Qdisc, Shaping, error) {
	qs, err := h.QdiscList(link)
	if err != nil {
		return nil, Shaping{}, fmt.Errorf("shaping %s: list qdiscs: %w", link.Attrs().Name, err)
	}
	for _, q := range qs {
		if q.Attrs().Parent != netlink.HANDLE_ROOT {
			continue
		}
		switch q := q.(type) {
		case *netlink.Netem:
			us := math.Round(float64(q.Latency) / netlink.TickInUsec())
			return q, Shaping{
				Capacity: q.Rate64 * 8,
				Latency:  time.Duration(us) * time.Microsecond,
				Loss:     lossPercent(q.Loss),
			}, nil
		case *netlink.Tbf:
			return q, Shaping{Capacity: q.Rate * 8}, nil
		}
	}
	return nil, Shaping{}, nil
}

// lossU32 is netem's encoding of a percentage: a fraction of 2^32-1.
func lossU32(p float64) uint32 {
	return uint32(math.Round(p / 100 * math.MaxUint32))
}

// lossPercent decodes lossU32, rounded to 1e-6 percent so that a value
// read back equals the value applied.
func lossPercent(u uint32) float64 {
	return math.Round(float64(u)/math.MaxUint32*100*1e6) / 1e6
}
