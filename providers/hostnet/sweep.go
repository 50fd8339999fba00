package hostnet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/netdev"
	"github.com/benito-net/benito/providers"
	"github.com/vishvananda/netlink"
)

// groupKillTimeout bounds the wait for a cgroup to empty.
const groupKillTimeout = daemon.KillWait

// The processes the provider starts are born in a cgroup per object
// (providers.Group), below the experiment's: a VDE switch's daemon in
// "switch" + its socket's path, a TAP's plug in "tap/" + the TAP's name.
// A group outlives an apply killed before it recorded the process, and
// names the object the process was for.
const (
	switchGroupPrefix = "switch"
	tapGroupPrefix    = "tap/"
)

func (p *Provider) config() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runDir
}

// switchGroup is the cgroup of the vde_switch at socket; the zero Group
// (start unmarked) when the provider was not configured.
func (p *Provider) switchGroup(socket string) daemon.Group {
	if rd := p.config(); rd != "" && filepath.IsAbs(socket) {
		return providers.Group(rd, Name, switchGroupPrefix+socket)
	}
	return daemon.Group{}
}

// tapGroup is the cgroup of the plug of TAP tap.
func (p *Provider) tapGroup(tap string) daemon.Group {
	if rd := p.config(); rd != "" && tap != "" {
		return providers.Group(rd, Name, tapGroupPrefix+tap)
	}
	return daemon.Group{}
}

// pruneGroups removes the experiment's groups of this provider once
// empty.
func (p *Provider) pruneGroups() {
	if rd := p.config(); rd != "" {
		if g, err := providers.ExperimentGroup(rd, Name); err == nil {
			g.Prune()
		}
	}
}

// Sweep lists what the host holds of the experiment for this provider,
// found from the host alone: the processes in its cgroups (switch
// daemons and TAP plugs), the bridges and TAPs that are the experiment's
// by contract.DeviceIsOurs, and the switches' files in RUN_DIR/switch.
// A switch is a switch whose socket is the key; a TAP a tap by name; a
// bridge a switch or bridge by its device. The objects of req.Remove are
// removed first, everything of each.
func (p *Provider) Sweep(_ context.Context, req providers.SweepRequest) providers.SweepResponse {
	var resp providers.SweepResponse
	runDir := p.config()
	if runDir == "" {
		return resp
	}
	fail := func(format string, args ...any) {
		resp.Diagnostics = append(resp.Diagnostics, providers.Errorf("", format, args...)...)
	}
	switchDir := filepath.Join(runDir, "switch")
	for _, o := range req.Remove {
		switch {
		case o.Type == contract.Switch && o.KeyAttribute == "socket":
			socket := o.Key
			if err := p.checkSocket(socket); err != nil {
				fail("not removing switch %s: the socket %v", o.Key, err)
				continue
			}
			if err := p.switchGroup(socket).Kill(groupKillTimeout); err != nil {
				fail("removing switch %s: %v", socket, err)
				continue
			}
			p.dropMgmt(mgmtPath(socket))
			if err := removeSwitchFiles(socket); err != nil {
				fail("removing switch %s: %v", socket, err)
			}
		case (o.Type == contract.Tap && o.KeyAttribute == "name") || o.KeyAttribute == "device":
			if err := contract.CheckDeviceName(o.Key); err != nil {
				fail("not removing %s %s: %v", o.Type, o.Key, err)
				continue
			}
			if o.Type == contract.Tap {
				if err := p.tapGroup(o.Key).Kill(groupKillTimeout); err != nil {
					fail("removing TAP %s: %v", o.Key, err)
					continue
				}
				logs, _ := filepath.Glob(filepath.Join(switchDir, "*.plug-"+o.Key+".log"))
				for _, l := range logs {
					os.Remove(l)
				}
			}
			l, err := netlink.LinkByName(o.Key)
			if err != nil {
				continue
			}
			if !contract.DeviceIsOurs(runDir, o.Key, l.Attrs().Alias) {
				fail("not removing device %s: it belongs to %s", o.Key, contract.DeviceOwner(l.Attrs().Alias))
				continue
			}
			if err := p.deleteLink(o.Key, o.Key); err != nil {
				fail("removing device %s: %v", o.Key, err)
			}
		}
	}
	if len(req.Remove) > 0 {
		p.pruneGroups()
		providers.Prune(func() {
			if os.Remove(switchDir) == nil && os.Remove(runDir) == nil {
				providers.PruneRoot(filepath.Dir(runDir))
			}
		})
	}

	type key struct{ typ, attr, key string }
	found := map[key][]string{}
	add := func(k key, what string) {
		if !slices.Contains(found[k], what) {
			found[k] = append(found[k], what)
		}
	}
	groups, err := providers.GroupNames(runDir, Name)
	if err != nil {
		fail("listing the cgroups of the experiment: %v", err)
	}
	for _, n := range groups {
		var k key
		var g daemon.Group
		switch {
		case strings.HasPrefix(n, tapGroupPrefix):
			k, g = key{contract.Tap, "name", strings.TrimPrefix(n, tapGroupPrefix)}, p.tapGroup(strings.TrimPrefix(n, tapGroupPrefix))
		case strings.HasPrefix(n, switchGroupPrefix+"/"):
			socket := strings.TrimPrefix(n, switchGroupPrefix)
			k, g = key{contract.Switch, "socket", socket}, p.switchGroup(socket)
		default:
			continue
		}
		pids, _ := g.Pids()
		add(k, fmt.Sprintf("%d process(es) in %s", len(pids), g))
	}
	entries, _ := os.ReadDir(switchDir)
	for _, e := range entries {
		name := e.Name()
		if i := strings.Index(name, ".plug-"); i > 0 && strings.HasSuffix(name, ".log") {
			add(key{contract.Tap, "name", strings.TrimSuffix(name[i+len(".plug-"):], ".log")}, "plug log "+filepath.Join(switchDir, name))
			continue
		}
		for _, ext := range []string{".ctl", ".mgmt", ".pid", ".log"} {
			if b, ok := strings.CutSuffix(name, ext); ok {
				add(key{contract.Switch, "socket", filepath.Join(switchDir, b+".ctl")}, "file "+filepath.Join(switchDir, name))
				break
			}
		}
	}
	links, err := netdev.Links(nil)
	if err != nil {
		fail("listing the host's devices: %v", err)
	}
	for _, l := range links {
		a := l.Attrs()
		if !contract.DeviceIsOurs(runDir, a.Name, a.Alias) {
			continue
		}
		switch l.Type() {
		case "tuntap":
			add(key{contract.Tap, "name", a.Name}, "TAP device "+a.Name)
		case "bridge":
			add(key{contract.Bridge, "device", a.Name}, "bridge "+a.Name)
		}
	}
	for k, what := range found {
		resp.Objects = append(resp.Objects, providers.HostObject{Type: k.typ, KeyAttribute: k.attr, Key: k.key, Description: strings.Join(what, ", ")})
	}
	providers.SortHostObjects(resp.Objects)
	return resp
}
