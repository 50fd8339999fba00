package qemu

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/netdev"
	"github.com/benito-net/benito/internal/shaping"
	"github.com/benito-net/benito/internal/vdewire"
	"github.com/benito-net/benito/providers"
	"github.com/vishvananda/netlink"
	"github.com/zclconf/go-cty/cty"
)

// A machine's interface is plugged one way per switch kind:
//   - On a VDE switch, by QEMU's own VDE backend: -netdev vde on the
//     interface's port; a shaped interface joins a wire instead (a private
//     hub and a wirefilter to the port, internal/vdewire), whose values
//     change in place.
//   - On a bridge, by a TAP the provider makes (named host_device, with
//     the experiment's alias), enslaved to the bridge, which QEMU opens
//     (-netdev tap,ifname=...). A bridge does not shape a VM's link:
//     decodeNIC refuses shaping there.

// hostAlias is the alias of a machine's TAP (contract.DeviceAlias).
func hostAlias(runDir, node, iface string) string {
	return contract.DeviceAlias(runDir, "qemu node "+node+" interface "+iface)
}

// wireFor is f's wire, in machine m's directory.
func wireFor(m vm, f nic) vdewire.Wire {
	return vdewire.Wire{
		Dir:     wireDir(vmDir(m.RunDir, m.Name), f.Name),
		Switch:  f.VDESocket,
		Port:    f.VDEPort,
		Shaping: f.Shaping,
		Group:   group(m.RunDir, m.Name),
	}
}

// plug makes what f needs before QEMU starts: its TAP or its wire.
func (p *Provider) plug(m vm, f nic) error {
	switch {
	case f.Kind == contract.KindBridge:
		return makeTap(m, f)
	case wired(f):
		if _, err := wireFor(m, f).Ensure(); err != nil {
			return fmt.Errorf("interface %s: %w", f.Name, err)
		}
	}
	return nil
}

// makeTap makes f's TAP, enslaved to its bridge and up. A device of that
// name that is another's is an error naming its owner; one of the
// experiment's (left by an interrupted create) is made anew.
func makeTap(m vm, f nic) error {
	if l, err := netlink.LinkByName(f.HostDevice); err == nil {
		if !contract.DeviceIsOurs(m.RunDir, l.Attrs().Name, l.Attrs().Alias) {
			return fmt.Errorf("interface %s: a device named %s exists and belongs to %s: remove it, or rename the node or interface", f.Name, f.HostDevice, contract.DeviceOwner(l.Attrs().Alias))
		}
		if err := netdev.Delete(l.Attrs().Index); err != nil {
			return fmt.Errorf("interface %s: removing the TAP %s an earlier machine left: %w", f.Name, f.HostDevice, err)
		}
	}
	br, err := netlink.LinkByName(f.Bridge)
	if err != nil {
		return fmt.Errorf("interface %s: bridge %s: %w", f.Name, f.Bridge, err)
	}
	if err := netdev.CreateTap(f.HostDevice, -1, -1); err != nil {
		return fmt.Errorf("interface %s: creating TAP %s: %w", f.Name, f.HostDevice, err)
	}
	l, err := netlink.LinkByName(f.HostDevice)
	if err == nil {
		err = netlink.LinkSetAlias(l, hostAlias(m.RunDir, m.Name, f.Name))
	}
	if err == nil {
		err = netlink.LinkSetMaster(l, br)
	}
	if err == nil {
		err = netlink.LinkSetUp(l)
	}
	if err != nil {
		return fmt.Errorf("interface %s: TAP %s: %w", f.Name, f.HostDevice, err)
	}
	return nil
}

// deleteTaps deletes machine node's TAPs: those of ifaces (recorded) that
// are the experiment's, and any other device whose alias names the node.
func deleteTaps(runDir, node string, ifaces []nic) error {
	links, err := netdev.Links(nil)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, f := range ifaces {
		if f.Kind == contract.KindBridge {
			want[f.HostDevice] = true
		}
	}
	prefix := contract.DeviceAlias(runDir, "qemu node "+node+" interface ")
	var idx []int
	for _, l := range links {
		a := l.Attrs()
		if l.Type() != "tuntap" {
			continue
		}
		if strings.HasPrefix(a.Alias, prefix) || want[a.Name] && contract.DeviceIsOurs(runDir, a.Name, a.Alias) {
			idx = append(idx, a.Index)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	return netdev.Delete(idx...)
}

// stopWires stops every wire in a machine's directory.
func stopWires(dir string) error {
	entries, err := os.ReadDir(wireDir(dir, ""))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	var errs []error
	for _, e := range entries {
		if err := (vdewire.Wire{Dir: wireDir(dir, e.Name())}).Stop(); err != nil {
			errs = append(errs, fmt.Errorf("interface %s's wire: %w", e.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// readNICs reads m's interfaces back: a TAP that is gone, not the
// experiment's or off its bridge, and a wire whose hub is gone, leave the
// interface out (the plan then replaces the machine); a wire whose
// wirefilter is gone reads unshaped, and one changed by hand reads its
// values (the plan sets them again, in place).
func (p *Provider) readNICs(m vm, cur cty.Value) (cty.Value, error) {
	ifs := cur.GetAttr("interfaces")
	if ifs.IsNull() || !ifs.IsKnown() || ifs.LengthInt() == 0 {
		return ifs, nil
	}
	var out []cty.Value
	i := 0
	for it := ifs.ElementIterator(); it.Next(); i++ {
		_, iv := it.Element()
		f := m.Ifaces[i]
		switch {
		case f.Kind == contract.KindBridge:
			l, err := netlink.LinkByName(f.HostDevice)
			if err != nil || !contract.DeviceIsOurs(m.RunDir, l.Attrs().Name, l.Attrs().Alias) {
				continue
			}
			br, err := netlink.LinkByName(f.Bridge)
			if err != nil || l.Attrs().MasterIndex != br.Attrs().Index {
				continue
			}
		case wired(f):
			w := wireFor(m, f)
			if !w.HubAlive() {
				continue
			}
			got := shaping.Shaping{}
			if w.Working() {
				s, err := w.Read()
				if err != nil {
					return cty.NilVal, fmt.Errorf("interface %s: %w", f.Name, err)
				}
				got = s
			}
			if !vdewire.Same(got, f.Shaping) {
				iv = providers.WithAttrs(iv, shapingAttrs(got))
			}
		}
		out = append(out, iv)
	}
	if len(out) == 0 {
		return cty.ListValEmpty(contract.Interface), nil
	}
	return cty.ListVal(out), nil
}

// shapingAttrs are an interface's shaping attributes for s, as lowering
// writes them.
func shapingAttrs(s shaping.Shaping) map[string]cty.Value {
	set := map[string]cty.Value{"capacity": cty.NullVal(cty.Number), "latency": cty.NullVal(cty.String), "loss": cty.NullVal(cty.Number)}
	if s.Capacity > 0 {
		set["capacity"] = cty.NumberUIntVal(s.Capacity)
	}
	if s.Latency > 0 {
		set["latency"] = cty.StringVal(s.Latency.Round(time.Microsecond).String())
	}
	if s.Loss > 0 {
		set["loss"] = cty.NumberFloatVal(s.Loss)
	}
	return set
}
