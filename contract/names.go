package contract

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// ExperimentTag is a short, stable tag of an experiment's name (4 lowercase
// base32 characters) that prefixes the host-side device names of the
// experiment (DevicePrefix), so that names stay within IFNameMax. Lowering
// names devices with it (model.DeviceName); providers check with OwnsDevice
// that a device they are told to act on is the experiment's.
func ExperimentTag(experiment string) string {
	sum := sha256.Sum256([]byte("exp\x00" + experiment))
	return strings.ToLower(base32.StdEncoding.EncodeToString(sum[:]))[:4]
}

// DevicePrefix is how every host-side device name of experiment begins:
// "b", its tag, "-".
func DevicePrefix(experiment string) string {
	return "b" + ExperimentTag(experiment) + "-"
}

// OwnsDevice reports whether name can be one of experiment's host-side
// devices: it carries the experiment's prefix and fits in IFNameMax. A
// provider acting on a device name it did not get from this experiment's
// lowering (one read back from a state edited by hand) checks it first, so
// that it never deletes or takes over the host's own devices (eth0, a
// container runtime's bridge) or another experiment's.
func OwnsDevice(experiment, name string) bool {
	p := DevicePrefix(experiment)
	return len(name) > len(p) && len(name) <= IFNameMax && strings.HasPrefix(name, p) &&
		!strings.ContainsAny(name, "/: \t\n\x00")
}
