package model

import (
	"crypto/sha256"
	"encoding/base32"
	"net"
	"strings"

	"github.com/benito-net/benito/contract"
)

// DeriveMAC returns the MAC address benito gives an interface whose
// configuration does not fix one: a locally administered unicast address
// (02:…) whose other 40 bits are a hash of the experiment, node and
// interface names. It depends on nothing else, so adding or removing other
// nodes never changes it.
func DeriveMAC(experiment, node, iface string) net.HardwareAddr {
	sum := sha256.Sum256([]byte("mac\x00" + experiment + "\x00" + node + "\x00" + iface))
	mac := make(net.HardwareAddr, 6)
	mac[0] = 0x02
	copy(mac[1:], sum[:5])
	return mac
}

// ExperimentTag is a short, stable tag of an experiment's name (4 lowercase
// base32 characters) that prefixes host-side device names, so two
// experiments on one host never collide while names stay within IFNAMSIZ.
func ExperimentTag(experiment string) string {
	sum := sha256.Sum256([]byte("exp\x00" + experiment))
	return strings.ToLower(base32.StdEncoding.EncodeToString(sum[:]))[:4]
}

// DeviceName returns a host-side device name for the parts given, carrying
// the experiment's tag: "b<tag>-<parts joined by ->" when that fits in
// contract.IFNameMax bytes, otherwise "b<tag>-" followed by a hash of the parts. The
// result is deterministic and at most contract.IFNameMax bytes long.
func DeviceName(experiment string, parts ...string) string {
	prefix := "b" + ExperimentTag(experiment) + "-"
	name := prefix + strings.Join(parts, "-")
	if len(name) <= contract.IFNameMax {
		return name
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	h := strings.ToLower(base32.StdEncoding.EncodeToString(sum[:]))
	return prefix + h[:contract.IFNameMax-len(prefix)]
}
