package model

import (
	"crypto/sha256"
	"net"
)

// DeriveMAC returns the MAC address benito gives an interface whose
// configuration does not fix one: a locally administered unicast address
// (02:…) whose other 40 bits are a hash of the experiment, node and
// interface names. It depends on nothing else, so adding or removing other
// nodes never changes it.
//
// Host device names are derived in package contract (contract.DeviceName),
// where the providers that check them can read the rule too.
func DeriveMAC(experiment, node, iface string) net.HardwareAddr {
	sum := sha256.Sum256([]byte("mac\x00" + experiment + "\x00" + node + "\x00" + iface))
	mac := make(net.HardwareAddr, 6)
	mac[0] = 0x02
	copy(mac[1:], sum[:5])
	return mac
}
