package qemu

import (
	"fmt"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// What the state records of a machine is input (providers.RecordedError):
// the provider acts as root, and a recorded run_dir, node name, pid or
// path names what it signals, connects to and removes. So:
//
//   - a vnode's run_dir is the experiment's (the provider's own), its name
//     one path element, and the files it records (sockets, logs, overlay)
//     the ones that follow from those two: the provider never uses a
//     recorded path, it derives them, and refuses a state that says
//     otherwise;
//   - a recorded QEMU process (pid, start_time) is signalled only while it
//     is the one started for that machine: of that start time and given
//     that machine's QMP socket (isMachine); another is taken for gone;
//   - a route's, mount's or startup's node is one path element.
func (p *Provider) checkRecorded(typ string, v cty.Value) error {
	if v == cty.NilVal || v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() {
		return nil
	}
	runDir, _, _ := p.config()
	switch typ {
	case contract.VNode:
		name, nameKnown := known(v, "name")
		if nameKnown && !providers.ValidNodeName(name) {
			return providers.Recorded("name", name, "is not a node name (one path element)")
		}
		if rd, ok := known(v, "run_dir"); ok && rd != runDir {
			return providers.Recorded("run_dir", rd, "is not the experiment's run directory (%s)", runDir)
		}
		if !nameKnown {
			return nil
		}
		for attr, want := range files(runDir, name, true) {
			got, ok := known(v, attr)
			if !ok || attr == "overlay" && got == "" {
				continue
			}
			if got != want.AsString() {
				return providers.Recorded(attr, got, "is not the machine's (%s)", want.AsString())
			}
		}
		if ifs := v.GetAttr("interfaces"); ifs.IsKnown() && !ifs.IsNull() {
			for it := ifs.ElementIterator(); it.Next(); {
				_, iv := it.Element()
				if n, ok := known(iv, "name"); ok {
					if err := contract.CheckDeviceName(n); err != nil {
						return providers.Recorded("interfaces", n, "is not an interface name: %v", err)
					}
				}
			}
		}
	case contract.Route, contract.Mount, contract.Startup:
		if n, ok := known(v, "node"); ok && !providers.ValidNodeName(n) {
			return providers.Recorded("node", n, "is not a node name (one path element)")
		}
	}
	return nil
}

// known returns v's string attribute name when it is there and known (a
// null one is "", true).
func known(v cty.Value, name string) (string, bool) {
	if !v.Type().HasAttribute(name) {
		return "", false
	}
	a := v.GetAttr(name)
	if !a.IsKnown() {
		return "", false
	}
	if a.IsNull() {
		return "", true
	}
	if a.Type() != cty.String {
		return fmt.Sprint(a), true
	}
	return a.AsString(), true
}
