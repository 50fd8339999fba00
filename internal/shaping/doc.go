// Package shaping sets link shaping (capacity, latency, loss) with kernel
// queueing disciplines over netlink.
//
// A shaped link gets one root qdisc: netem carrying the delay, the loss and
// the rate (netem's own rate limiter), or tbf when only the capacity is
// limited. A change that keeps the kind is one in-place change of that
// qdisc: packets already queued are kept and the link never runs unshaped
// in between. Kernels built without netem (CONFIG_NET_SCH_NETEM) can shape
// capacity only; asking them for latency or loss fails with ErrNoNetem, and
// NetemAvailable tells beforehand (probed once, in a throwaway namespace).
// Apply is idempotent and Read returns exactly
// what Apply installed (latency to the microsecond, loss to 1e-6 percent),
// so comparing the two detects drift. The package touches only the root
// qdisc of the links it is given, through the netlink handle it is given
// (which may belong to another network namespace).
package shaping
