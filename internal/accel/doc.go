// Package accel chooses the accelerator QEMU machines run on: KVM where it
// really works, TCG (QEMU's own translator) otherwise.
//
// /dev/kvm existing is not enough: on some hosts (nested, sandboxed) it
// exists and a guest started on it hangs. So Probe boots a probe guest with
// -accel kvm: a machine with no disk whose firmware (SeaBIOS) starts and
// prints its banner to the debug port. KVM is chosen only if the banner
// arrives within the probe's timeout and QEMU says (query-kvm) that the
// machine runs on KVM; otherwise TCG, with the reason.
//
// The answer is cached in a file (CacheFile, under /var/cache/benito) and
// keyed by what could change it: the QEMU binary's path and version, the
// kernel release and whether the KVM device exists. The cache is input
// like anything read back: a file that is not a small regular file of
// ours, not the exact format, or for another key is refused (the probe
// runs again and the file is rewritten), never trusted. A probe that failed
// for a passing reason (a host too loaded to boot the probe guest in time)
// is cached too, with its reason: remove the file to probe again.
//
// Resolve turns a node's setting ("kvm", "tcg", "auto") into an
// accelerator, probing only for "auto".
package accel
