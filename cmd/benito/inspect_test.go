package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/model"
)

// inspectJSON runs benito inspect -json on dir and decodes its nodes.
func inspectJSON(t *testing.T, dir string) map[string]inspectNode {
	t.Helper()
	r := benito(t, "", "inspect", "-json", dir)
	if r.code != 0 {
		t.Fatalf("inspect -json:\n%s", r)
	}
	var nodes []inspectNode
	if err := json.Unmarshal([]byte(r.stdout), &nodes); err != nil {
		t.Fatalf("inspect -json prints no JSON array of nodes: %v\n%s", err, r)
	}
	out := map[string]inspectNode{}
	for i, n := range nodes {
		if i > 0 && nodes[i-1].Name >= n.Name {
			t.Errorf("inspect -json: nodes not sorted by name: %q before %q", nodes[i-1].Name, n.Name)
		}
		out[n.Name] = n
	}
	return out
}

// TestInspect applies the quickstart (node a with a startup command, so that
// a process runs in it) and inspects it live: three running nodes with
// their addresses, a's pid that of its startup command, a way to reach
// each that works; then, by hand, a's startup command killed, b's route
// deleted and router's namespaces unpinned show as dead, drifted and dead,
// without inspect writing the state; -all lists the experiment with its
// directory and counts; destroy leaves nothing.
func TestInspect(t *testing.T) {
	requireRoot(t)
	dir, name := realExperiment(t, "quickstart")
	cfg := filepath.Join(dir, "main.hcl")
	src, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	withStartup := strings.Replace(string(src), "vnode \"a\" {\n", "vnode \"a\" {\n  startup = \"sleep 600\"\n", 1)
	if withStartup == string(src) {
		t.Fatal("the quickstart has no vnode \"a\" block to give a startup command")
	}
	if err := os.WriteFile(cfg, []byte(withStartup), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := benito(t, "", "inspect", dir); r.code != 1 || !strings.Contains(r.stderr, "nothing applied here yet") {
		t.Errorf("inspect before apply:\n%s", r)
	}
	if r := benito(t, "", "apply", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}

	r := benito(t, "", "inspect", dir)
	if r.code != 0 {
		t.Fatalf("inspect:\n%s", r)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 4 || strings.Join(strings.Fields(lines[0]), " ") != "NAME TYPE STATE PID ADDRESSES REACH" {
		t.Fatalf("inspect: want a header and 3 nodes:\n%s", r)
	}
	for i, want := range []string{"a process running", "b process running - eth0=10.0.2.10/24", "router process running - eth0=10.0.1.1/24,eth1=10.0.2.1/24"} {
		if got := strings.Join(strings.Fields(lines[i+1]), " "); !strings.HasPrefix(got, want) {
			t.Errorf("inspect line %d: got %q, want it to begin %q", i+1, got, want)
		}
	}
	if again := benito(t, "", "inspect", dir); again.stdout != r.stdout {
		t.Errorf("inspect twice, two outputs:\n%s\n%s", r.stdout, again.stdout)
	}

	nodes := inspectJSON(t, dir)
	if len(nodes) != 3 {
		t.Fatalf("inspect -json: want 3 nodes, got %v", nodes)
	}
	a := nodes["a"]
	if a.State != nodeRunning || a.Type != "process" || a.HostName != "a" || strings.Join(a.Addresses, " ") != "eth0=10.0.1.10/24" || a.Pid == nil {
		t.Fatalf("inspect -json, node a: %+v", a)
	}
	// a's pid is its startup command's: the session it leads runs sleep.
	if out, err := exec.Command("pgrep", "-s", strconv.FormatInt(*a.Pid, 10), "-x", "sleep").Output(); err != nil || len(bytes.TrimSpace(out)) == 0 {
		t.Errorf("node a's pid %d leads no session running sleep: %v", *a.Pid, err)
	}
	if nodes["b"].Pid != nil || nodes["router"].Pid != nil {
		t.Errorf("process nodes without a startup command have no process, but inspect gives pids: %+v %+v", nodes["b"], nodes["router"])
	}
	// The way to reach a node works.
	args := strings.Fields(strings.Replace(strings.TrimPrefix(a.Exec, "benito "), "CMD", "hostname", 1))
	if r := benito(t, "", args...); r.code != 0 || r.stdout != "a\n" {
		t.Errorf("%s:\n%s", a.Exec, r)
	}

	// -all finds the experiment, with its directory.
	r = benito(t, "", "inspect", "-all", "-json")
	var list []inspectExperiment
	if err := json.Unmarshal([]byte(r.stdout), &list); r.code != 0 || err != nil {
		t.Fatalf("inspect -all -json: %v\n%s", err, r)
	}
	var found *inspectExperiment
	for i := range list {
		if list[i].Experiment == name {
			found = &list[i]
		}
	}
	if found == nil || found.Directory != dir || found.Nodes != 3 || found.Running != 3 || found.Error != "" {
		t.Errorf("inspect -all -json: experiment %s in %s with 3 running nodes not listed as such: %+v\n%s", name, dir, found, r)
	}
	r = benito(t, "", "inspect", "-all")
	if !strings.Contains(r.stdout, name) || !strings.Contains(r.stdout, dir) {
		t.Errorf("inspect -all does not list %s in %s:\n%s", name, dir, r)
	}

	// Things die and drift by hand; inspect sees it and writes nothing.
	statePath := filepath.Join(dir, "benito.state")
	before, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(statePath)
	if err := syscall.Kill(int(*a.Pid), syscall.SIGKILL); err != nil {
		t.Fatalf("killing a's startup command: %v", err)
	}
	if r := benito(t, "", "exec", "-C", dir, "b", "--", "ip", "route", "del", "10.0.1.0/24"); r.code != 0 {
		t.Fatalf("deleting b's route:\n%s", r)
	}
	runDir := filepath.Join(model.SiteDefaults[contract.SiteRunRoot], name)
	unpin(t, runDir, "router")
	nodes = inspectJSON(t, dir)
	for node, want := range map[string][2]string{
		"a":      {nodeDead, "its startup command ended"},
		"b":      {nodeDrifted, `route.b["10.0.1.0/24"] is gone`},
		"router": {nodeDead, "the host no longer has it"},
	} {
		if n := nodes[node]; n.State != want[0] || !strings.Contains(n.Reason, want[1]) {
			t.Errorf("inspect -json after the damage, node %s: want %s (%s), got %+v", node, want[0], want[1], n)
		}
	}
	if n := nodes["a"]; n.Pid != nil {
		t.Errorf("node a's startup command is dead, but inspect gives its pid %d", *n.Pid)
	}
	r = benito(t, "", "inspect", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "router is dead: the host no longer has it. benito apply repairs it.") {
		t.Errorf("inspect after the damage:\n%s", r)
	}
	r = benito(t, "", "inspect", "-all")
	if !strings.Contains(strings.Join(strings.Fields(r.stdout), " "), name+" "+dir+" 3 0 2 1") {
		t.Errorf("inspect -all after the damage: want %s with 0 running, 2 dead, 1 drifted:\n%s", name, r)
	}
	after, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	if fi2, _ := os.Stat(statePath); !bytes.Equal(before, after) || !fi2.ModTime().Equal(fi.ModTime()) {
		t.Errorf("inspect wrote the state")
	}

	if r := benito(t, "", "destroy", "-auto-approve", dir); r.code != 0 {
		t.Fatalf("destroy:\n%s", r)
	}
	if left := leftovers(t, name); len(left) > 0 {
		t.Errorf("destroy left on the host: %v", left)
	}
	if r := benito(t, "", "inspect", dir); r.code != 0 || !strings.Contains(r.stdout, "no nodes") {
		t.Errorf("inspect after destroy:\n%s", r)
	}
}

// TestInspectMixed applies examples/mixed (an OpenVZ container, a process
// node and a QEMU machine): inspect gives the container's init and the
// machine's QEMU process as their pids, and the machine's console; the
// QEMU process killed by hand shows the machine dead.
func TestInspectMixed(t *testing.T) {
	needVMs(t)
	needContainers(t)
	dir, _ := realExperiment(t, "mixed")
	if r := benito(t, "", "apply", "-auto-approve", "-var", "users="+usersDir(t), dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	comm := func(pid *int64) string {
		if pid == nil {
			return "(no pid)"
		}
		b, _ := os.ReadFile(filepath.Join("/proc", strconv.FormatInt(*pid, 10), "comm"))
		return strings.TrimSpace(string(b))
	}
	nodes := inspectJSON(t, dir)
	for node, want := range map[string][3]string{
		"ct": {"openvz", "eth0=10.0.8.10/24", "init"},
		"p":  {"process", "eth0=10.0.8.20/24", "(no pid)"},
		"vm": {"qemu", "eth0=10.0.8.30/24", "qemu-system-x86"},
	} {
		n := nodes[node]
		if n.State != nodeRunning || n.Type != want[0] || strings.Join(n.Addresses, " ") != want[1] || !strings.HasPrefix(comm(n.Pid), want[2]) {
			t.Errorf("inspect -json, node %s: want a running %s at %s whose pid runs %s, got %+v (pid runs %s)", node, want[0], want[1], want[2], n, comm(n.Pid))
		}
		if wantConsole := node == "vm"; (n.Console != "") != wantConsole {
			t.Errorf("node %s: console %q", node, n.Console)
		}
	}
	vm := nodes["vm"]
	if want := "benito console -C " + dir + " vm"; vm.Console != want {
		t.Errorf("vm's console: %q, want %q", vm.Console, want)
	}
	if vm.Pid == nil {
		t.FailNow()
	}
	if err := syscall.Kill(int(*vm.Pid), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Read once the process is gone (signal 0 finds it no longer).
	for i := 0; i < 100 && syscall.Kill(int(*vm.Pid), 0) == nil; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	nodes = inspectJSON(t, dir)
	if n := nodes["vm"]; n.State != nodeDead || n.Pid != nil {
		t.Errorf("inspect -json after QEMU was killed: vm %+v", n)
	}
	if n := nodes["ct"]; n.State != nodeRunning {
		t.Errorf("inspect -json after QEMU was killed: ct %+v", n)
	}
}

// TestInspectErrors: what inspect says when it has nothing to show, and
// that it creates nothing where it looks.
func TestInspectErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"inspect", dir}, "nothing applied here yet: there is no state at " + filepath.Join(dir, "benito.state") + ". benito apply " + dir + " builds the experiment"},
		{[]string{"inspect", filepath.Join(dir, "none")}, filepath.Join(dir, "none") + " is not an experiment directory: give the directory benito apply was run on, or -all"},
		{[]string{"inspect", "-all", dir}, "-all lists every experiment on this host: give no directory with it"},
	} {
		r := benito(t, "", c.args...)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) || r.stdout != "" {
			t.Errorf("benito %s: want exit 1 and %q:\n%s", strings.Join(c.args, " "), c.want, r)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("inspect left files in %s: %v", dir, entries)
	}
}
