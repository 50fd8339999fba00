package process

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/zclconf/go-cty/cty"
)

func startupConfig(node, command, log string) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"node":    cty.StringVal(node),
		"command": cty.StringVal(command),
		"log":     cty.StringVal(log),
	})
}

// TestStartupStatus: a startup command that fails at once fails the
// create, with the end of its log; one that runs to completion is done,
// and stays done; one that dies later reads back as such, and the next
// plan replaces it, which runs it again.
func TestStartupStatus(t *testing.T) {
	e := newEnv(t)
	e.apply(contract.VNode, "vnode.s", e.nodeConfig("s", false))
	log := filepath.Join(e.runDir, "log", "s.startup.log")
	const addr = "startup.s"

	// Fails at once.
	pc := e.plan(contract.Startup, addr, startupConfig("s", "echo starting; echo no such thing >&2; exit 3", log))
	resp := e.p.ApplyResource(t.Context(), applyReq(contract.Startup, addr, cty.NullVal(pc.Planned.Type()), pc.Planned))
	if !resp.Diagnostics.HasErrors() {
		t.Fatal("a startup command that exits 3 at once: the create succeeded")
	}
	for _, want := range []string{"exited with code 3", "starting\nno such thing"} {
		if !strings.Contains(resp.Diagnostics.Err().Error(), want) {
			t.Errorf("the error %q lacks %q", resp.Diagnostics.Err(), want)
		}
	}
	if got := str(resp.New, "status"); got != "exited with code 3" {
		t.Errorf("status of the failed create: %q", got)
	}
	e.state[addr], e.types[addr] = resp.New, contract.Startup
	e.order = append(e.order, addr)
	e.destroy(addr)

	// Runs to completion within the create: done, and not run again.
	e.apply(contract.Startup, addr, startupConfig("s", "ip link set lo mtu 1400", log))
	if got := str(e.state[addr], "status"); got != "exited with code 0" {
		t.Fatalf("status of a command that ran to completion: %q", got)
	}
	if out, _ := e.run("s", "ip", "-o", "link", "show", "lo"); !strings.Contains(out, " mtu 1400 ") {
		t.Errorf("lo after the startup: %q", out)
	}
	if got := e.read(addr); !got.RawEquals(e.state[addr]) {
		t.Errorf("a completed startup reads back as %#v", got)
	}
	if pc := e.plan(contract.Startup, addr, startupConfig("s", "ip link set lo mtu 1400", log)); len(pc.RequiresReplace) != 0 || !pc.Planned.RawEquals(e.state[addr]) {
		t.Errorf("a completed startup is planned again: replace %v", pc.RequiresReplace)
	}
	e.destroy(addr)

	// Runs on, then ends well later: done too.
	e.apply(contract.Startup, addr, startupConfig("s", "sleep 1", log))
	if got := str(e.state[addr], "status"); got != "running" {
		t.Fatalf("status of a running command: %q", got)
	}
	waitDead(t, processOf(e.state[addr]))
	if got := str(e.read(addr), "status"); got != "exited with code 0" {
		t.Errorf("status once it has ended well: %q", got)
	}
	e.destroy(addr)

	// Runs on, then dies: drift, and the next apply runs it again.
	cmd := "echo $$ >" + filepath.Join(e.runDir, "inner.pid") + "; exec sleep 60"
	e.apply(contract.Startup, addr, startupConfig("s", cmd, log))
	first := processOf(e.state[addr])
	var inner int
	for i := 0; inner == 0 && i < 200; i++ {
		b, _ := os.ReadFile(filepath.Join(e.runDir, "inner.pid"))
		inner, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		time.Sleep(5 * time.Millisecond)
	}
	if err := syscall.Kill(inner, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitDead(t, first)
	if got := str(e.read(addr), "status"); got != "exited with code 137" {
		t.Errorf("status of a command killed: %q", got)
	}
	pc = e.plan(contract.Startup, addr, startupConfig("s", cmd, log))
	if len(pc.RequiresReplace) != 1 || !pc.RequiresReplace[0].Equals(cty.GetAttrPath("status")) {
		t.Errorf("a dead startup must be replaced for its status, got %v", pc.RequiresReplace)
	}
	if st := pc.Planned.GetAttr("status"); st.IsKnown() {
		t.Errorf("the status of a startup to run again is planned as %#v, want unknown", st)
	}
	e.apply(contract.Startup, addr, startupConfig("s", cmd, log))
	if got := processOf(e.state[addr]); got == first || !got.Alive() || str(e.state[addr], "status") != "running" {
		t.Errorf("after the repair: %v (was %v), status %q", got, first, str(e.state[addr], "status"))
	}

	// Its wrapper killed too: no exit status, drift as well.
	syscall.Kill(-processOf(e.state[addr]).Pid, syscall.SIGKILL)
	waitDead(t, processOf(e.state[addr]))
	if got := str(e.read(addr), "status"); got != "ended without an exit status" {
		t.Errorf("status of a command killed with its wrapper: %q", got)
	}
	if pc := e.plan(contract.Startup, addr, startupConfig("s", cmd, log)); len(pc.RequiresReplace) != 1 {
		t.Errorf("a startup without an exit status must be replaced, got %v", pc.RequiresReplace)
	}
}

// TestStartupSecretNotInArguments: a startup command (which may hold a
// sensitive value) reaches the node through the wrapper's environment,
// never through arguments, which every user of the host reads with ps: no
// process of the node has it in /proc/PID/cmdline, none of the command's
// children inherits it in its environment, yet the command sees its
// value; and its log is readable by root alone.
func TestStartupSecretNotInArguments(t *testing.T) {
	e := newEnv(t)
	e.apply(contract.VNode, "vnode.s", e.nodeConfig("s", false))
	log := filepath.Join(e.runDir, "log", "s.startup.log")
	const secret = "s3cret-7f1c9e"
	out := filepath.Join(e.runDir, "seen")
	e.apply(contract.Startup, "startup.s", startupConfig("s", "echo token="+secret+" >"+out+"; sleep 60", log))
	if got := str(e.state["startup.s"], "status"); got != "running" {
		t.Fatalf("status: %q", got)
	}
	if b, err := os.ReadFile(out); err != nil || strings.TrimSpace(string(b)) != "token="+secret {
		t.Errorf("the command did not see its value: %q, %v", b, err)
	}
	netns := uint64(num(e.state["startup.s"], "netns_inode"))
	procs := 0
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat(filepath.Join("/proc", d.Name(), "ns", "net"), &st) != nil || st.Ino != netns {
			continue
		}
		procs++
		cmdline, _ := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if strings.Contains(string(cmdline), secret) {
			t.Errorf("process %d of the node shows the secret in its arguments: %q", pid, cmdline)
		}
		comm, _ := os.ReadFile(filepath.Join("/proc", d.Name(), "comm"))
		if strings.TrimSpace(string(comm)) == "sleep" {
			if env, _ := os.ReadFile(filepath.Join("/proc", d.Name(), "environ")); strings.Contains(string(env), secret) {
				t.Errorf("the command's child %d inherited the secret in its environment", pid)
			}
		}
	}
	if procs < 2 {
		t.Errorf("found %d processes in the node's network namespace, want the wrapper and sleep at least", procs)
	}
	fi, err := os.Stat(log)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("startup log mode %o, want 600", fi.Mode().Perm())
	}
	e.destroy("startup.s")
}
