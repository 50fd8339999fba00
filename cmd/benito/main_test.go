package main

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/benito-net/benito/internal/golden"
)

// benitoBin is a benito binary built once for the tests that need a real
// process (to kill it, or to hold a lock while another runs).
var benitoBin string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "benito-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	benitoBin = filepath.Join(dir, "benito")
	build := exec.Command("go", "build", "-o", benitoBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building benito:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one in-process run of benito printed.
type result struct {
	code           int
	stdout, stderr string
}

// benito runs the CLI in process with the given stdin.
func benito(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb, []string{"NO_COLOR=1"})
	return result{code, out.String(), errb.String()}
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// experiment copies an example into a temporary directory under a unique
// experiment name (so its devices, processes and run directory are its
// own), with its config root inside the test's own temporary directory. It
// returns the experiment directory, the -var flag that sets the config
// root, the config root and the experiment's name. When the test ends with
// something still applied (it failed half-way), the experiment is
// destroyed.
func experiment(t *testing.T, example string) (dir, rootVar, root, name string) {
	t.Helper()
	name = fmt.Sprintf("%s-%04x", example, rand.Intn(1<<16))
	dir, rootVar, root = experimentNamed(t, example, name)
	leaveNoRoots(t)
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "benito.state")); err != nil {
			return
		}
		if r := benito(t, "", "destroy", "-auto-approve", "-var", rootVar, dir); r.code != 0 {
			t.Errorf("cleaning up %s:\n%s", name, r)
		}
	})
	return dir, rootVar, root, name
}

// experimentNamed copies an example as experiment does, naming the
// experiment name.
func experimentNamed(t *testing.T, example, name string) (dir, rootVar, root string) {
	t.Helper()
	tmp := t.TempDir()
	dir = filepath.Join(tmp, "exp")
	root = filepath.Join(tmp, "config")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(repoRoot(t), "examples", example)
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".hcl") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		data = []byte(strings.Replace(string(data), fmt.Sprintf("experiment %q", example), fmt.Sprintf("experiment %q", name), 1))
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, "config_root=" + root, root
}

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join(repoRoot(t), "testdata", name), []byte(got))
}

// TestDemoPlanGolden checks the human and JSON plans of the demo against
// golden files, and that planning twice gives byte-identical output.
func TestDemoPlanGolden(t *testing.T) {
	// A copy: planning takes the state lock, which would leave a lock
	// file in the source tree.
	dir, _, _ := experimentNamed(t, "demo", "demo")
	// The config root is never written by a plan; a fixed path keeps the
	// golden files stable.
	v := "config_root=/nonexistent/benito-golden"
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"demo/plan.txt", []string{"plan", "-no-color", "-refresh=false", "-var", v, dir}},
		{"demo/plan.json", []string{"plan", "-json", "-refresh=false", "-var", v, dir}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := benito(t, "", tc.args...)
			if first.code != 0 {
				t.Fatal(first)
			}
			second := benito(t, "", tc.args...)
			if first.stdout != second.stdout {
				t.Fatal("two plans of the same input differ")
			}
			checkGolden(t, tc.name, first.stdout)
		})
	}
}

func TestApplyLifecycle(t *testing.T) {
	dir, v, root, name := experiment(t, "demo")
	if r := benito(t, "", "plan", "-detailed-exitcode", "-var", v, dir); r.code != 2 {
		t.Fatalf("plan before apply: want exit 2\n%s", r)
	}
	r := benito(t, "", "apply", "-auto-approve", "-var", v, dir)
	if r.code != 0 || !strings.Contains(r.stdout, "Apply complete! Resources: 21 added, 0 changed, 0 destroyed.") {
		t.Fatalf("apply:\n%s", r)
	}
	hosts, err := os.ReadFile(filepath.Join(root, name, "hosts"))
	if err != nil || !strings.Contains(string(hosts), "10.0.1.10\ta-eth0 a\n") {
		t.Fatalf("hosts file: %q, %v", hosts, err)
	}
	if r := benito(t, "", "plan", "-detailed-exitcode", "-var", v, dir); r.code != 0 {
		t.Fatalf("plan after apply: want exit 0\n%s", r)
	}

	// Drift: a file deleted and one edited by hand show up, and apply
	// repairs them.
	os.Remove(filepath.Join(root, name, "route", "a"))
	os.WriteFile(filepath.Join(root, name, "hosts"), []byte("edited\n"), 0o644)
	r = benito(t, "", "plan", "-no-color", "-var", v, dir)
	for _, want := range []string{`# config_file.route["a"] has been deleted`, "# config_file.hosts has changed", "Plan: 1 to add, 1 to change, 0 to destroy."} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("drift plan lacks %q:\n%s", want, r)
		}
	}
	if r := benito(t, "", "apply", "-auto-approve", "-var", v, dir); r.code != 0 {
		t.Fatalf("repairing apply:\n%s", r)
	}
	if r := benito(t, "", "plan", "-detailed-exitcode", "-var", v, dir); r.code != 0 {
		t.Fatalf("plan after repair: want exit 0\n%s", r)
	}

	// An in-place change: latency on lan2.
	r = benito(t, "", "plan", "-no-color", "-var", v, "-var", "latency=50ms", dir)
	if !strings.Contains(r.stdout, "will be updated in-place") || !strings.Contains(r.stdout, "0 to destroy") {
		t.Errorf("latency change should be an in-place update:\n%s", r)
	}

	// Destroy leaves nothing, and the next plan adds everything again.
	if r := benito(t, "", "destroy", "-auto-approve", "-var", v, dir); r.code != 0 || !strings.Contains(r.stdout, "Destroy complete! Resources: 21 destroyed.") {
		t.Fatalf("destroy:\n%s", r)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("destroy left %d entries under the config root", len(entries))
	}
	if r := benito(t, "", "plan", "-no-color", "-var", v, dir); !strings.Contains(r.stdout, "Plan: 21 to add, 0 to change, 0 to destroy.") {
		t.Errorf("plan after destroy:\n%s", r)
	}
}

func TestApplyAsksForYes(t *testing.T) {
	dir, v, root, name := experiment(t, "demo")
	r := benito(t, "no\n", "apply", "-var", v, dir)
	if r.code != 1 || !strings.Contains(r.stderr, "apply cancelled") {
		t.Fatalf("answering no:\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(root, name)); err == nil {
		t.Fatal("a cancelled apply created files")
	}
	if r := benito(t, "yes\n", "apply", "-var", v, dir); r.code != 0 {
		t.Fatalf("answering yes:\n%s", r)
	}
}

func TestSavedPlan(t *testing.T) {
	dir, v, _, _ := experiment(t, "demo")
	planFile := filepath.Join(t.TempDir(), "demo.plan")
	if r := benito(t, "", "plan", "-out", planFile, "-var", v, dir); r.code != 0 {
		t.Fatal(r)
	}
	if r := benito(t, "", "show", "-json", planFile); r.code != 0 || !strings.Contains(r.stdout, `"format_version"`) {
		t.Fatalf("show -json:\n%s", r)
	}
	r := benito(t, "", "apply", planFile)
	if r.code != 0 || !strings.Contains(r.stdout, "21 added") {
		t.Fatalf("apply of a saved plan:\n%s", r)
	}
	// The same plan again: the state has moved on.
	r = benito(t, "", "apply", planFile)
	if r.code != 1 || !strings.Contains(r.stderr, "the state has changed since the plan was made") {
		t.Fatalf("re-applying a stale plan must be refused:\n%s", r)
	}
	// A plan whose configuration changed afterwards.
	if r := benito(t, "", "plan", "-out", planFile, "-var", v, "-var", "latency=20ms", dir); r.code != 0 {
		t.Fatal(r)
	}
	// That plan with a no-op turned into a delete, its checksum left as
	// it was: refused before anything is done.
	data, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(data, []byte(`"action":"no-op"`), []byte(`"action":"delete"`), 1)
	if bytes.Equal(tampered, data) {
		t.Fatal("the saved plan has no no-op to tamper with")
	}
	tamperedFile := filepath.Join(t.TempDir(), "tampered.plan")
	if err := os.WriteFile(tamperedFile, tampered, 0o600); err != nil {
		t.Fatal(err)
	}
	r = benito(t, "", "apply", tamperedFile)
	if r.code != 1 || !strings.Contains(r.stderr, "changed after benito wrote it") || !strings.Contains(r.stderr, "benito plan -out") {
		t.Fatalf("a tampered saved plan must be refused:\n%s", r)
	}
	if r := benito(t, "", "plan", "-detailed-exitcode", "-var", v, dir); r.code != 0 {
		t.Fatalf("the tampered plan changed something:\n%s", r)
	}
	if err := os.WriteFile(filepath.Join(dir, "extra.hcl"), []byte("switch \"lan9\" {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = benito(t, "", "apply", planFile)
	if r.code != 1 || !strings.Contains(r.stderr, "configuration has changed") {
		t.Fatalf("a plan of an old configuration must be refused:\n%s", r)
	}
	os.Remove(filepath.Join(dir, "extra.hcl"))
	// apply -destroy is destroy.
	if r := benito(t, "", "apply", "-destroy", "-auto-approve", "-var", v, dir); r.code != 0 || !strings.Contains(r.stdout, "Destroy complete! Resources: 21 destroyed.") {
		t.Fatalf("apply -destroy:\n%s", r)
	}
}

func TestStateCommands(t *testing.T) {
	dir, v, _, _ := experiment(t, "demo")
	if r := benito(t, "", "apply", "-auto-approve", "-var", v, dir); r.code != 0 {
		t.Fatal(r)
	}
	r := benito(t, "", "state", "list", "-C", dir, "vnode")
	if d := r.stdout; d != "vnode.a\nvnode.host[\"b\"]\nvnode.host[\"c\"]\nvnode.router\n" {
		t.Errorf("state list vnode:\n%s", r)
	}
	r = benito(t, "", "state", "show", "-C", dir, `port.lan1["a.eth0"]`)
	if r.code != 0 || !strings.Contains(r.stdout, "number    = 1") {
		t.Errorf("state show:\n%s", r)
	}
	if r := benito(t, "", "state", "mv", "-C", dir, "vnode.a", "vnode.z"); r.code != 0 {
		t.Fatal(r)
	}
	r = benito(t, "", "plan", "-no-color", "-var", v, dir)
	if !strings.Contains(r.stdout, "# vnode.z will be destroyed") || !strings.Contains(r.stdout, "# vnode.a will be created") || strings.Contains(r.stdout, "changed outside of benito") {
		t.Errorf("after state mv:\n%s", r)
	}
	// Back where it was: nothing to do. (state rm of a node would leave its
	// process running, forgotten: benito only forgets what it removes.)
	if r := benito(t, "", "state", "mv", "-C", dir, "vnode.z", "vnode.a"); r.code != 0 {
		t.Fatal(r)
	}
	if r := benito(t, "", "plan", "-detailed-exitcode", "-var", v, dir); r.code != 0 {
		t.Errorf("after moving it back the plan must be empty:\n%s", r)
	}
	if r := benito(t, "", "state", "rm", "-C", dir, "config_file.hosts"); r.code != 0 {
		t.Fatal(r)
	}
	if r := benito(t, "", "state", "rm", "-C", dir, "config_file.hosts"); r.code != 1 || !strings.Contains(r.stderr, "no resource config_file.hosts") {
		t.Errorf("removing what is not there:\n%s", r)
	}
	benito(t, "", "destroy", "-auto-approve", "-var", v, dir)
}

func TestValidateErrorsPointAtSource(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.hcl"), []byte(`experiment "x" {}
switch "lan0" {}
vnode "a" {
  interface "eth0" {
    switch      = switch.lan9
    ip4_address = "10.0.0.1/24"
  }
}
`), 0o644)
	r := benito(t, "", "validate", dir)
	if r.code != 1 || !strings.Contains(r.stderr, "bad.hcl:5:19") || !strings.Contains(r.stderr, "switch.lan9") {
		t.Errorf("validate of a bad reference:\n%s", r)
	}
}

func TestFmt(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "x.hcl")
	os.WriteFile(file, []byte("experiment \"x\" {}\nswitch \"lan0\" {\nkind=\"vde\"\n}\n"), 0o644)
	r := benito(t, "", "fmt", "-check", "-diff", dir)
	if r.code != 3 || !strings.Contains(r.stdout, "+  kind = \"vde\"") {
		t.Fatalf("fmt -check -diff:\n%s", r)
	}
	if r := benito(t, "", "fmt", dir); r.code != 0 {
		t.Fatal(r)
	}
	if r := benito(t, "", "fmt", "-check", dir); r.code != 0 {
		t.Errorf("after fmt, -check must pass:\n%s", r)
	}
}

func TestGraphAndVersion(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "examples", "demo")
	r := benito(t, "", "graph", dir)
	if r.code != 0 || !strings.Contains(r.stdout, `"vnode.a" -> "port.lan1[\"a.eth0\"]";`) {
		t.Errorf("graph:\n%s", r)
	}
	// An instance of for_each, and what belongs to it, by address.
	for _, want := range []string{
		`"vnode.host[\"b\"]" -> "port.lan2[\"host[\\\"b\\\"].eth0\"]";`,
		`"route.host[\"b\"][\"10.0.1.0/24\"]" -> "vnode.host[\"b\"]";`,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("graph lacks %s:\n%s", want, r)
		}
	}
	if r := benito(t, "", "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "benito v") {
		t.Errorf("version:\n%s", r)
	}
	if r := benito(t, "", "completion", "bash"); r.code != 0 || !strings.Contains(r.stdout, "benito") {
		t.Errorf("completion bash: exit %d", r.code)
	}
}

// TestFailedCreateSkipsDependents makes one create fail for real (a file
// stands where the config directory needs a folder) and checks that what
// depends on it is skipped and named, that the run fails, and that once the
// cause is gone the next apply finishes the work.
func TestFailedCreateSkipsDependents(t *testing.T) {
	dir, v, root, name := experiment(t, "demo")
	if err := os.MkdirAll(filepath.Join(root, name), 0o755); err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(root, name, "route")
	if err := os.WriteFile(blocker, []byte("not a directory\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := benito(t, "", "apply", "-auto-approve", "-var", v, dir)
	if r.code != 1 {
		t.Fatalf("apply with a failing create must exit 1:\n%s", r)
	}
	for _, want := range []string{
		`Failed to create config_file.route["a"]`,
		`vnode.a (because config_file.route["a"] failed)`,
		`route.a["10.0.2.0/24"] (because config_file.route["a"] failed)`,
		"Apply incomplete:",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r)
		}
	}
	if r := benito(t, "", "plan", "-no-color", "-var", v, dir); !strings.Contains(r.stdout, "# vnode.a will be created") {
		t.Errorf("the skipped node must still be planned:\n%s", r)
	}
	os.Remove(blocker)
	if r := benito(t, "", "apply", "-auto-approve", "-var", v, dir); r.code != 0 {
		t.Fatalf("apply after the cause is gone:\n%s", r)
	}
	if r := benito(t, "", "plan", "-detailed-exitcode", "-var", v, dir); r.code != 0 {
		t.Errorf("plan after the repair must be empty:\n%s", r)
	}
	benito(t, "", "destroy", "-auto-approve", "-var", v, dir)
}

func TestRenamedExperimentIsRefused(t *testing.T) {
	dir, v, _, name := experiment(t, "demo")
	if r := benito(t, "", "apply", "-auto-approve", "-var", v, dir); r.code != 0 {
		t.Fatal(r)
	}
	file := filepath.Join(dir, "demo.hcl")
	src, _ := os.ReadFile(file)
	os.WriteFile(file, []byte(strings.Replace(string(src), fmt.Sprintf("experiment %q", name), `experiment "demo2"`, 1)), 0o644)
	r := benito(t, "", "plan", "-var", v, dir)
	if r.code != 1 || !strings.Contains(r.stderr, fmt.Sprintf(`belongs to experiment %q, but the configuration names experiment "demo2"`, name)) {
		t.Fatalf("plan after renaming the experiment:\n%s", r)
	}
	os.WriteFile(file, src, 0o644)
	benito(t, "", "destroy", "-auto-approve", "-var", v, dir)
}

// TestBuiltinProvidersInAChild checks that plan runs benito's own
// providers out of process: one child of benito, running benito's binary
// in provider mode for all of them, is there while it plans and gone
// after.
func TestBuiltinProvidersInAChild(t *testing.T) {
	dir, rootVar, _, _ := experiment(t, "demo")
	// Each provider process marks itself (envChildMark): watching /proc
	// for it instead would miss it now and then on a busy machine, its
	// life being a plan's few tens of milliseconds.
	marks := t.TempDir()
	t.Setenv(envChildMark, marks)
	r := benito(t, "", "plan", "-var", rootVar, dir)
	if r.code != 0 {
		t.Fatalf("plan:\n%s", r)
	}
	entries, err := os.ReadDir(marks)
	if err != nil {
		t.Fatal(err)
	}
	var ran []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(marks, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		ran = append(ran, string(b))
	}
	want := fmt.Sprintf("%d\nprovider config hostnet openvz process qemu", os.Getpid())
	if len(ran) != 1 || ran[0] != want {
		t.Errorf("provider processes during the plan (parent pid, arguments): %q, want one: %q", ran, want)
	}
	if left := childArgs(t); len(left) != 0 {
		t.Errorf("children left after the plan: %v", left)
	}
}

// childArgs returns the arguments (without the program) of this process's
// children.
func childArgs(t *testing.T) [][]string {
	t.Helper()
	var out [][]string
	entries, _ := os.ReadDir("/proc")
	self := strconv.Itoa(os.Getpid())
	for _, e := range entries {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The parent pid is the second field after the command in parentheses.
		s := string(stat)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 2 || f[1] != self {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		if len(args) > 1 {
			out = append(out, args[1:])
		}
	}
	return out
}
