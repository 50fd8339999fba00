package providers

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/netmask"
	"github.com/benito-net/benito/internal/shaping"
	"github.com/zclconf/go-cty/cty"
)

// Interface is one entry of a vnode's "interfaces" (contract.Interface),
// decoded: what every platform plugs in.
type Interface struct {
	Name       string
	Kind       string // contract.KindVDE or contract.KindBridge
	VDESocket  string
	VDEPort    int
	Bridge     string
	HostDevice string
	MAC        net.HardwareAddr // nil when none is given
	Addr       netip.Prefix     // invalid when the interface has no address
	MTU        int              // 0: the platform's default
	Shaping    shaping.Shaping
}

// DecodeInterface decodes iv, an element of a vnode's interfaces, and
// checks what a platform acts on: the names are device names (a recorded
// node is decoded for its delete too: its name is checked as a device
// name only, so that a node recorded with an interface called "lo" can
// still be destroyed; ValidateResources checks it as an interface name,
// contract.CheckInterfaceName), the attachment its switch kind needs, the
// MAC, address and netmask parse, and the shaping is valid.
func DecodeInterface(iv cty.Value) (Interface, error) {
	f := Interface{
		Name:       AttrString(iv, "name"),
		Kind:       AttrString(iv, "switch_kind"),
		VDESocket:  AttrString(iv, "vde_socket"),
		VDEPort:    int(AttrInt(iv, "vde_port")),
		Bridge:     AttrString(iv, "bridge"),
		HostDevice: AttrString(iv, "host_device"),
		MTU:        int(AttrInt(iv, "mtu")),
	}
	if err := contract.CheckDeviceName(f.Name); err != nil {
		return f, fmt.Errorf("interface name: %w", err)
	}
	switch f.Kind {
	case contract.KindBridge:
		if f.Bridge == "" || f.HostDevice == "" {
			return f, fmt.Errorf("interface %q on a bridge needs the bridge and a host_device", f.Name)
		}
		if err := contract.CheckDeviceName(f.HostDevice); err != nil {
			return f, fmt.Errorf("interface %q: host_device: %w", f.Name, err)
		}
		if err := contract.CheckDeviceName(f.Bridge); err != nil {
			return f, fmt.Errorf("interface %q: bridge: %w", f.Name, err)
		}
	case contract.KindVDE:
		if f.VDESocket == "" || f.VDEPort <= 0 {
			return f, fmt.Errorf("interface %q on a VDE switch needs vde_socket and vde_port", f.Name)
		}
	default:
		return f, fmt.Errorf("interface %q: unknown switch kind %q", f.Name, f.Kind)
	}
	if m := AttrString(iv, "mac_address"); m != "" {
		mac, err := net.ParseMAC(m)
		if err != nil || len(mac) != 6 {
			return f, fmt.Errorf("interface %q: MAC address %q is not valid", f.Name, m)
		}
		f.MAC = mac
	}
	if a := AttrString(iv, "ip4_address"); a != "" {
		ip, err := netip.ParseAddr(a)
		if err != nil || !ip.Is4() {
			return f, fmt.Errorf("interface %q: address %q is not IPv4", f.Name, a)
		}
		bits := 32
		if m := AttrString(iv, "ip4_netmask"); m != "" {
			if bits, err = netmask.Parse(m); err != nil {
				return f, fmt.Errorf("interface %q: ip4_netmask: %v", f.Name, err)
			}
		}
		f.Addr = netip.PrefixFrom(ip, bits)
	}
	var lat time.Duration
	if s := AttrString(iv, "latency"); s != "" {
		var err error
		if lat, err = time.ParseDuration(s); err != nil {
			return f, fmt.Errorf("interface %q: latency: %v", f.Name, err)
		}
	}
	f.Shaping = shaping.Shaping{Capacity: uint64(AttrInt(iv, "capacity")), Latency: lat}
	if lv := attr(iv, "loss"); lv != cty.NilVal {
		f.Shaping.Loss, _ = lv.AsBigFloat().Float64()
	}
	if err := f.Shaping.Validate(); err != nil {
		return f, fmt.Errorf("interface %q: %v", f.Name, err)
	}
	return f, nil
}
