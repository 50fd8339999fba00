package process

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// stranger starts a process that is not benito's (a sleep on the host,
// like any user's), stopped when the test ends.
func stranger(t *testing.T) daemon.Process {
	t.Helper()
	cmd := exec.Command("sleep", "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return mustProcess(t, cmd.Process.Pid)
}

// refused checks that diags refuse the recorded attribute attr and that
// the refusal says how to recover.
func refused(t *testing.T, diags providers.Diagnostics, attr string) {
	t.Helper()
	if !diags.HasErrors() {
		t.Fatal("the tampered value was acted on without an error")
	}
	msg := diags.Err().Error()
	for _, want := range []string{"Refused the recorded " + attr, "benito state rm"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error %q lacks %q", msg, want)
		}
	}
}

// TestTamperedStateRefused: values in the state that name what another
// experiment (or anyone) owns are refused before the provider, root,
// acts on them. Each of these tampered values made the provider set an
// address in, kill the processes of, or delete a route from another
// experiment's node, kill a stranger's process, or remove a file outside
// the experiment's directories.
func TestTamperedStateRefused(t *testing.T) {
	e := newEnv(t)
	// Another experiment on the host: a node with an address, a route
	// and a process running in it.
	o := newEnv(t)
	br := o.bridge("o")
	o.apply(contract.VNode, "vnode.s", o.nodeConfig("s", false, ifc{name: "eth0", bridge: br, addr: "10.66.0.1/24"}))
	o.apply(contract.Route, "route.s", routeConfig("s", "10.77.0.0/16", "10.66.0.2"))
	ons, err := o.p.findNode("s")
	if err != nil {
		t.Fatal(err)
	}
	inNode := exec.Command("nsenter", append(append(ons.enterArgs(), "--"), "sleep", "600")...)
	if err := inNode.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		inNode.Process.Kill()
		inNode.Wait()
	})
	inNodeProc := mustProcess(t, inNode.Process.Pid)
	// strangerIntact checks that o's node is as o made it.
	strangerIntact := func(t *testing.T) {
		t.Helper()
		if _, err := o.p.findNode("s"); err != nil {
			t.Fatalf("the other experiment's node: %v", err)
		}
		if !inNodeProc.Alive() {
			t.Fatal("the process in the other experiment's node was killed")
		}
		out, err := o.run("s", "sh", "-c", "ip -4 -o addr show eth0; ip route show 10.77.0.0/16")
		if err != nil {
			t.Fatalf("in the other experiment's node: %v: %s", err, out)
		}
		if !strings.Contains(out, "inet 10.66.0.1/24") || strings.Contains(out, "10.99.") || !strings.Contains(out, "10.77.0.0/16 via 10.66.0.2") {
			t.Fatalf("the other experiment's node was changed:\n%s", out)
		}
	}
	strangerIntact(t)

	t.Run("symbolic link in the run directory", func(t *testing.T) {
		// e's pin directories lead to o's: e's node "s" would be o's.
		pins := filepath.Join(e.runDir, "ns")
		if err := os.MkdirAll(pins, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(pins) })
		for _, k := range nsKinds {
			if err := os.Symlink(filepath.Dir(ons.file(k)), filepath.Join(pins, k.name)); err != nil {
				t.Fatal(err)
			}
		}
		// A route of e's node s: deleting it finds no node (nothing is
		// done, as for a node that is gone).
		e.p.ApplyResource(t.Context(), applyReq(contract.Route, "route.s", o.state["route.s"], cty.NullVal(o.state["route.s"].Type())))
		strangerIntact(t)
		// e's node s itself: its delete says what is wrong.
		node := e.nodeConfig("s", false)
		ar := e.p.ApplyResource(t.Context(), applyReq(contract.VNode, "vnode.s", node, cty.NullVal(node.Type())))
		if !ar.Diagnostics.HasErrors() || !strings.Contains(ar.Diagnostics.Err().Error(), "is a symbolic link") {
			t.Errorf("delete of a node whose pins lead elsewhere: %v", ar.Diagnostics.Err())
		}
		strangerIntact(t)
		if err := os.RemoveAll(pins); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("vnode of another run directory", func(t *testing.T) {
		// o's node recorded as e's own: same run_dir, name and inodes.
		tampered := o.state["vnode.s"]
		resp := e.p.ReadResources(t.Context(), providers.ReadResourcesRequest{Resources: []providers.ReadResource{{Address: "vnode.s", Type: contract.VNode, Current: tampered}}})
		refused(t, resp.Diagnostics, "run_dir")

		readdressed := o.nodeConfig("s", false, ifc{name: "eth0", bridge: br, addr: "10.99.0.1/24"})
		planned := setAttrs(tampered, map[string]cty.Value{"interfaces": readdressed.GetAttr("interfaces")})
		ar := e.p.ApplyResource(t.Context(), applyReq(contract.VNode, "vnode.s", tampered, planned))
		refused(t, ar.Diagnostics, "run_dir")
		strangerIntact(t)

		ar = e.p.ApplyResource(t.Context(), applyReq(contract.VNode, "vnode.s", tampered, cty.NullVal(tampered.Type())))
		refused(t, ar.Diagnostics, "run_dir")
		strangerIntact(t)

		er := e.p.Exec(t.Context(), providers.ExecRequest{Address: "vnode.s", Type: contract.VNode, Value: tampered, Args: []string{"ip", "addr", "add", "10.99.0.1/24", "dev", "eth0"}})
		refused(t, er.Diagnostics, "run_dir")
		strangerIntact(t)
	})

	t.Run("node name leading out of the run directory", func(t *testing.T) {
		// RUN_DIR/ns/KIND/NAME is o's network namespace pin, for every
		// KIND.
		name, err := filepath.Rel(filepath.Join(e.runDir, "ns", "net"), ons.file(kindNet))
		if err != nil || !strings.HasPrefix(name, "../") {
			t.Fatalf("no relative path to the other node's pin: %q, %v", name, err)
		}
		route := setAttrs(o.state["route.s"], map[string]cty.Value{"node": cty.StringVal(name)})
		ar := e.p.ApplyResource(t.Context(), applyReq(contract.Route, "route.s", route, cty.NullVal(route.Type())))
		refused(t, ar.Diagnostics, "node")
		strangerIntact(t)

		node := setAttrs(o.state["vnode.s"], map[string]cty.Value{"name": cty.StringVal(name), "run_dir": cty.StringVal(e.runDir)})
		ar = e.p.ApplyResource(t.Context(), applyReq(contract.VNode, "vnode.s", node, cty.NullVal(node.Type())))
		refused(t, ar.Diagnostics, "name")
		strangerIntact(t)
	})

	t.Run("startup naming a stranger's process", func(t *testing.T) {
		e.apply(contract.VNode, "vnode.m", e.nodeConfig("m", false))
		e.apply(contract.Startup, "startup.m", startupConfig("m", "sleep 600", filepath.Join(e.runDir, "log", "m.startup.log")))
		// Another user's process carrying node m's mark, which anyone may
		// put in the environment of what they start.
		marked := exec.Command("sleep", "600")
		marked.Env = []string{nodeNSAt(layout{e.runDir, Name}, "m").mark()}
		marked.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		if err := marked.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			marked.Process.Kill()
			marked.Wait()
		})
		for _, victim := range []daemon.Process{stranger(t), inNodeProc, mustProcess(t, marked.Process.Pid)} {
			tampered := setAttrs(e.state["startup.m"], map[string]cty.Value{
				"pid": cty.NumberIntVal(int64(victim.Pid)), "start_time": cty.NumberUIntVal(victim.StartTime),
			})
			ar := e.p.ApplyResource(t.Context(), applyReq(contract.Startup, "startup.m", tampered, cty.NullVal(tampered.Type())))
			refused(t, ar.Diagnostics, "pid")
			if !victim.Alive() {
				t.Fatalf("process %d, not benito's, was stopped", victim.Pid)
			}
		}
		strangerIntact(t)
		// The startup as recorded is the experiment's own: it goes.
		own := processOf(e.state["startup.m"])
		e.destroy("startup.m")
		if p := own; p.Alive() {
			t.Errorf("the node's own startup command %d still runs after its delete", p.Pid)
		}
	})

	t.Run("interface named ..", func(t *testing.T) {
		// Another node of the experiment, with its startup's pid file in
		// its directory.
		e.apply(contract.VNode, "vnode.w", e.nodeConfig("w", false))
		e.apply(contract.Startup, "startup.w", startupConfig("w", "sleep 600", filepath.Join(e.runDir, "log", "w.startup.log")))
		tampered := e.nodeConfig("k", false, ifc{name: "..", vdeSocket: filepath.Join(e.runDir, "switch", "x.ctl"), vdePort: 1})
		ar := e.p.ApplyResource(t.Context(), applyReq(contract.VNode, "vnode.k", tampered, cty.NullVal(tampered.Type())))
		refused(t, ar.Diagnostics, `interfaces[0].name`)
		if _, err := os.Stat(layout{e.runDir, Name}.startupPidFile("w")); err != nil {
			t.Errorf("node w's files: %v", err)
		}
	})

	t.Run("pid file naming a stranger", func(t *testing.T) {
		e.apply(contract.VNode, "vnode.p", e.nodeConfig("p", false))
		e.apply(contract.Startup, "startup.p", startupConfig("p", "sleep 600", filepath.Join(e.runDir, "log", "p.startup.log")))
		own := processOf(e.state["startup.p"])
		// In the node's directory (a plug's, or a wire's as an older
		// benito kept it), and in a wire's directory.
		wire := wireOf(node{Name: "p", RunDir: e.runDir, Type: Name}, iface{Interface: providers.Interface{Name: "eth9"}}).Dir
		for _, planted := range []string{filepath.Join(layout{e.runDir, Name}.nodeDir("p"), "hub.eth9"), filepath.Join(wire, "hub.benito"), filepath.Join(wire, "wire.benito")} {
			for _, victim := range []daemon.Process{stranger(t), inNodeProc} {
				if err := os.MkdirAll(filepath.Dir(planted), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := daemon.WritePidFile(planted, victim, ""); err != nil {
					t.Fatal(err)
				}
				ar := e.p.ApplyResource(t.Context(), applyReq(contract.VNode, "vnode.p", e.state["vnode.p"], cty.NullVal(e.state["vnode.p"].Type())))
				if !ar.Diagnostics.HasErrors() || !strings.Contains(ar.Diagnostics.Err().Error(), "benito left it running") {
					t.Errorf("delete of a node with a planted pid file %s: %v", planted, ar.Diagnostics.Err())
				}
				if !victim.Alive() {
					t.Fatalf("process %d, not benito's, was stopped", victim.Pid)
				}
				if err := os.Remove(planted); err != nil {
					t.Fatal(err)
				}
			}
		}
		strangerIntact(t)
		// Without the planted file, the node and what benito started in
		// it go.
		e.destroy("vnode.p")
		if own.Alive() {
			t.Errorf("the node's startup command %d still runs after the node's delete", own.Pid)
		}
	})

	t.Run("startup log outside the run directory", func(t *testing.T) {
		victim := filepath.Join(t.TempDir(), "precious")
		if err := os.WriteFile(victim, []byte("keep\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		v := cty.ObjectVal(map[string]cty.Value{
			"node": cty.StringVal("m"), "command": cty.StringVal("true"), "log": cty.StringVal(victim),
			"pid": cty.NumberIntVal(0), "start_time": cty.NumberIntVal(0), "netns_inode": cty.NumberIntVal(0), "status": cty.StringVal(statusDone),
		})
		ar := e.p.ApplyResource(t.Context(), applyReq(contract.Startup, "startup.x", v, cty.NullVal(v.Type())))
		refused(t, ar.Diagnostics, "log")
		if _, err := os.Stat(victim); err != nil {
			t.Fatalf("the file outside the run directory: %v", err)
		}
	})
}

// mustProcess returns the process running with pid, with its start time.
func mustProcess(t *testing.T, pid int) daemon.Process {
	t.Helper()
	p, err := daemon.FromPid(pid)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
