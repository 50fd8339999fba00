package lower

import (
	"net/netip"
	"strings"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/model"
	"github.com/benito-net/benito/state"
)

// The addresses of the resources lowering makes, in one place. The rule
// (package addrs) is: a resource made from a block instance is addressed by
// the instance (vnode.h[0], switch.lan["east"]); a resource that belongs to
// one takes its name and key, then its own key (route.h[0]["10.0.1.0/24"],
// mount.h[0]["/mnt"], startup.h[0], port.lan[1]["a.eth0"]); a key that
// names an instance writes its address, never its host name
// (port.lan0["h[0].eth0"], port.lan0["tap.t[0]"], config_file.route["h[0]"]).

func vnodeAddr(n *model.VNode) addrs.Resource { return n.Addr.Resource(contract.VNode) }

func switchAddr(sw *model.Switch) addrs.Resource { return sw.Addr.Resource(contract.Switch) }

func routeAddr(n addrs.Instance, dest netip.Prefix) addrs.Resource {
	return n.Nested(contract.Route, addrs.StringKey(dest.String()))
}

func mountAddr(n addrs.Instance, target string) addrs.Resource {
	return n.Nested(contract.Mount, addrs.StringKey(target))
}

func startupAddr(n addrs.Instance) addrs.Resource { return n.Nested(contract.Startup, nil) }

func portAddr(sw *model.Switch, key string) addrs.Resource {
	return sw.Addr.Nested(contract.Port, addrs.StringKey(key))
}

// nodePortKey is the key of the port a node's interface is plugged into:
// the node's address and the interface, "h[0].eth0".
func nodePortKey(node addrs.Instance, iface string) string { return node.String() + "." + iface }

// tapPortKey is the key of the port a tap is plugged into: "tap.t[0]".
func tapPortKey(tap addrs.Instance) string { return "tap." + tap.String() }

// routeFileAddr is the address of a node's route/<host name> file.
func routeFileAddr(n addrs.Instance) addrs.Resource {
	return addrs.Resource{Type: contract.ConfigFile, Name: "route", Key: addrs.StringKey(n.String())}
}

// V1Addr returns the address state format 1 gave the resource at a, where
// an instance of count or for_each went by its host name: vnode.h[0] was
// vnode.h-0, route.h[0]["10.0.1.0/24"] was route.h-0["10.0.1.0/24"],
// port.lan0["h[0].eth0"] was port.lan0["h-0.eth0"]. Addresses without
// instance keys are their own format-1 address.
func V1Addr(a addrs.Resource) addrs.Resource {
	inst, own := a.Key, addrs.Key(nil)
	switch a.Type {
	case contract.Route, contract.Mount, contract.Port:
		// Their own key comes last; the instance's key, if any, before it.
		if a.Sub != nil {
			own = a.Sub
		} else {
			inst, own = nil, a.Key
		}
	case contract.ConfigFile:
		inst, own = nil, a.Key
	}
	if k, ok := own.(addrs.StringKey); ok {
		switch {
		case a.Type == contract.Port:
			own = addrs.StringKey(v1PortKey(string(k)))
		case a.Type == contract.ConfigFile && a.Name == "route":
			own = addrs.StringKey(v1Instance(string(k)))
		}
	}
	return addrs.Resource{Type: a.Type, Name: model.HostName(addrs.Instance{Name: a.Name, Key: inst}), Key: own}
}

// v1PortKey is a port key as format 1 wrote it: "h[0].eth0" was "h-0.eth0"
// and "tap.t[0]" was "tap.t-0".
func v1PortKey(key string) string {
	if tap, ok := strings.CutPrefix(key, "tap."); ok && !strings.Contains(tap, ".") {
		return "tap." + v1Instance(tap)
	}
	if dot := strings.LastIndexByte(key, '.'); dot >= 0 {
		return v1Instance(key[:dot]) + key[dot:]
	}
	return key
}

// v1Instance is an instance's host name, which format 1 wrote where the
// address now is; s unchanged when it is not an instance.
func v1Instance(s string) string {
	i, err := addrs.ParseInstance(s)
	if err != nil {
		return s
	}
	return model.HostName(i)
}

// UpgradeState renames what a state read from a format-1 file records
// under format 1's addresses to the addresses g gives it, through
// State.MoveV1Addrs; it does nothing to a state that is not so marked. g
// decides which recorded names are instances of count or for_each: a
// record is renamed when g has a resource whose format-1 address it is.
// Records g does not have keep their addresses, which parse as well (a
// plan deletes them). g must have been lowered against st, so that ports
// keep their numbers (Lower reads format-1 addresses for them).
func UpgradeState(g *Graph, st *state.State) {
	if st == nil || !st.V1Addrs {
		return
	}
	renames := map[addrs.Resource]addrs.Resource{}
	for _, r := range g.Resources {
		// A generic resource "x-0" (which format 1 could not tell from
		// x[0]: it refused configurations with both) keeps its record.
		if old := V1Addr(r.Addr); old != r.Addr && g.Get(old) == nil {
			renames[old] = r.Addr
		}
	}
	st.MoveV1Addrs(renames)
}
