package qemu

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/netdev"
	"github.com/benito-net/benito/providers"
)

// Sweep lists the machines of the experiment the host holds, found from the
// host alone: their directories (RUN_DIR/qemu/NODE), logs
// (RUN_DIR/log/qemu/NODE.log, NODE.console.log), cgroups (QEMU and its
// wires are born in them) and TAPs (by their alias). A machine in
// req.Remove is removed first, as a delete removes it.
func (p *Provider) Sweep(ctx context.Context, req providers.SweepRequest) providers.SweepResponse {
	runDir, _, _ := p.config()
	var resp providers.SweepResponse
	if runDir == "" {
		return resp
	}
	for _, o := range req.Remove {
		if o.Type != contract.VNode || o.KeyAttribute != "name" {
			continue
		}
		if !providers.ValidNodeName(o.Key) {
			resp.Diagnostics = append(resp.Diagnostics, providers.Errorf("", "not removing node %q: not a node name", o.Key)...)
			continue
		}
		if err := p.removeVM(ctx, o.Key, nil, daemon.Process{}); err != nil {
			resp.Diagnostics = append(resp.Diagnostics, providers.Errorf("", "removing machine %s: %v", o.Key, err)...)
		}
	}
	found := providers.FoundNodes{}
	if entries, err := os.ReadDir(filepath.Join(runDir, "qemu")); err == nil {
		for _, e := range entries {
			found.Add(e.Name(), "directory "+vmDir(runDir, e.Name()))
		}
	}
	if entries, err := os.ReadDir(logDir(runDir)); err == nil {
		for _, e := range entries {
			if n, ok := strings.CutSuffix(e.Name(), ".console.log"); ok {
				found.Add(n, "log "+consoleLog(runDir, n))
			} else if n, ok := strings.CutSuffix(e.Name(), ".log"); ok {
				found.Add(n, "log "+qemuLog(runDir, n))
			}
		}
	}
	resp.Diagnostics = append(resp.Diagnostics, found.AddGroups(runDir, Name)...)
	if links, err := netdev.Links(nil); err == nil {
		prefix := contract.DeviceAlias(runDir, "qemu node ")
		for _, l := range links {
			rest, ok := strings.CutPrefix(l.Attrs().Alias, prefix)
			if !ok || l.Type() != "tuntap" {
				continue
			}
			if n, _, ok := strings.Cut(rest, " interface "); ok {
				found.Add(n, "TAP "+l.Attrs().Name)
			}
		}
	}
	resp.Objects = found.Objects("QEMU")
	return resp
}
