package hostnet

import (
	"fmt"

	"github.com/benito-net/benito/contract"
	"github.com/vishvananda/netlink"
)

// Every device the provider makes carries the alias contract.DeviceAlias
// gives it (the experiment's run directory and the resource's address),
// set right after the device is made: the kernel ignores an alias in the
// request that creates a link. A device found under a planned or recorded
// name is used, adopted or deleted only when contract.DeviceIsOurs says it
// is the experiment's; one that is another's is an error naming both
// owners, and a recorded one reads back as gone.

// runDirectory is the experiment's run directory (Configure).
func (p *Provider) runDirectory() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runDir
}

// ours reports whether l is a device of this experiment.
func (p *Provider) ours(l netlink.Link) bool {
	a := l.Attrs()
	return contract.DeviceIsOurs(p.runDirectory(), a.Name, a.Alias)
}

// checkOurs returns an error naming both owners when l, which addr wants,
// is another's device.
func (p *Provider) checkOurs(l netlink.Link, addr string) error {
	if p.ours(l) {
		return nil
	}
	a := l.Attrs()
	return fmt.Errorf("the host device %s belongs to %s, not to %s, which would use it; benito leaves it alone. Remove that device if it is a leftover, or rename the experiment or the resource so that its device gets another name",
		a.Name, contract.DeviceOwner(a.Alias), contract.DeviceOwner(contract.DeviceAlias(p.runDirectory(), addr)))
}

// claim gives l, a device of this experiment, the alias of addr's device.
func (p *Provider) claim(l netlink.Link, addr string) error {
	want := contract.DeviceAlias(p.runDirectory(), addr)
	if l.Attrs().Alias == want {
		return nil
	}
	if err := netlink.LinkSetAlias(l, want); err != nil {
		return fmt.Errorf("setting the alias of %s: %w", l.Attrs().Name, err)
	}
	return nil
}

// adopt makes l, a device `benito import` names, addr's: a device without
// an alias (made by hand) gets addr's; one that another experiment's alias
// names is refused.
func (p *Provider) adopt(l netlink.Link, addr string) error {
	if a := l.Attrs().Alias; a != "" {
		if err := p.checkOurs(l, addr); err != nil {
			return err
		}
	}
	return p.claim(l, addr)
}
