package hostnet

import (
	"fmt"
	"os/user"
	"path/filepath"
	"strconv"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

const (
	kindVDE    = "vde"
	kindBridge = "bridge"
)

// maxPorts is the most ports a switch may have here: vde_switch's own
// limit is far higher, but a larger number only reserves memory.
const maxPorts = 65535

// validate checks one configuration without touching the host (it reads
// the user and group databases).
func validate(addr, typ string, cfg cty.Value) providers.Diagnostics {
	var diags providers.Diagnostics
	bad := func(attr, summary, detail string, args ...any) {
		diags = append(diags, providers.Diagnostic{
			Severity: providers.Error, Address: addr, Attribute: cty.GetAttrPath(attr),
			Summary: summary, Detail: fmt.Sprintf(detail, args...),
		})
	}
	known := func(name string) bool {
		return cfg.Type().HasAttribute(name) && cfg.GetAttr(name).IsKnown() && !cfg.GetAttr(name).IsNull()
	}
	device := func(attr string) {
		if !known(attr) {
			return
		}
		if err := contract.CheckDeviceName(str(cfg, attr)); err != nil {
			bad(attr, "Invalid device name", "%v.", err)
		}
	}
	switch typ {
	case contract.Switch:
		switch kind := str(cfg, "kind"); {
		case !known("kind"):
		case kind == kindVDE:
			if !known("socket") {
				bad("socket", "VDE switch without a socket", "A switch of kind %q needs the path of its control directory in socket.", kind)
			} else if s := str(cfg, "socket"); !filepath.IsAbs(s) || filepath.Clean(s) != s {
				bad("socket", "Invalid VDE socket path", "The socket %q must be a clean absolute path.", s)
			}
			if known("ports") {
				if n := num(cfg, "ports"); n < 1 || n > maxPorts {
					bad("ports", "Invalid port count", "A VDE switch has between 1 and %d ports, not %d.", maxPorts, n)
				}
			}
			if known("mode") {
				if _, err := parseMode(str(cfg, "mode")); err != nil {
					bad("mode", "Invalid socket mode", "%v.", err)
				}
			}
			if known("group") {
				if _, err := lookupGroup(str(cfg, "group")); err != nil {
					bad("group", "Unknown group", "%v. Create the group or name another one.", err)
				}
			}
		case kind == kindBridge:
			if !known("device") {
				bad("device", "Bridge switch without a device", "A switch of kind %q needs the bridge's device name in device.", kind)
			}
			device("device")
			device("uplink")
		default:
			bad("kind", "Invalid switch kind", "The switch kind is %q; it must be %q or %q.", kind, kindVDE, kindBridge)
		}
	case contract.Port:
		if known("number") {
			if n := num(cfg, "number"); n < 1 || n > maxPorts {
				bad("number", "Invalid port number", "VDE port numbers run from 1 to %d, not %d.", maxPorts, n)
			}
		}
	case contract.Tap:
		device("name")
		device("bridge")
		if known("ip4_address") {
			if _, err := tapAddress(str(cfg, "ip4_address")); err != nil {
				bad("ip4_address", "Invalid TAP address", "%v.", err)
			}
		}
		if known("socket") != known("port") {
			bad("port", "Incomplete VDE attachment", "A tap on a VDE switch needs both socket and port.")
		}
		if known("owner") {
			if _, err := lookupUser(str(cfg, "owner")); err != nil {
				bad("owner", "Unknown user", "%v. Create the user or name another one.", err)
			}
		}
		if known("group") {
			if _, err := lookupGroup(str(cfg, "group")); err != nil {
				bad("group", "Unknown group", "%v. Create the group or name another one.", err)
			}
		}
	case contract.Bridge:
		device("device")
		device("uplink")
		if isExisting(cfg) && !known("device") {
			bad("device", "Existing bridge without a device", "An existing bridge is named by device.")
		}
	}
	if known("uplink") && isExisting(cfg) && str(cfg, "uplink") == joinedDevice(typ, cfg) {
		bad("uplink", "Uplink is the bridge", "The uplink %q is the bridge itself; an uplink is another interface to put in the bridge.", str(cfg, "uplink"))
	}
	return diags
}

// lookupUser resolves a user name or numeric uid.
func lookupUser(s string) (uint32, error) {
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return uint32(n), nil
	}
	u, err := user.Lookup(s)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(u.Uid, 10, 32)
	return uint32(n), err
}

// lookupGroup resolves a group name or numeric gid.
func lookupGroup(s string) (uint32, error) {
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return uint32(n), nil
	}
	g, err := user.LookupGroup(s)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(g.Gid, 10, 32)
	return uint32(n), err
}

// parseMode parses an octal permission mode such as "0660" or "770".
func parseMode(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 0o777 {
		return 0, fmt.Errorf("the mode %q is not an octal permission mode such as 0660", s)
	}
	return uint32(n), nil
}
