// Command benchplugin measures what running the providers out of process
// costs a real experiment (issue 3): `benito plan`, `benito apply
// -auto-approve` and `benito destroy -auto-approve` of the generated
// benchmark experiment (internal/benchexp: n process nodes on 110 VDE
// switches, each node ten resources: the node, two ports, four routes, two
// mounts and its route file), run on this host by benito's own providers,
// once as benito always runs them (child processes, through the plugin
// protocol) and once inside benito's process (BENITO_PROVIDERS_IN_PROCESS=1),
// the two interleaved run after run.
//
// It prints the median of each and the ratio plugin / in process. `benito
// apply` plans and applies: the target of issue 3 is its time through the
// plugin under 1.2× the time in process. BenchmarkPlugin in providers/plugin measures the same
// boundary against stand-in providers that do nothing, the worst case.
//
// Run as root (the nodes are network namespaces, their links veths):
//
//	go build -o /tmp/benito ./cmd/benito
//	go run ./internal/tools/benchplugin -benito /tmp/benito [-n 1000] [-runs 3] [-name NAME] [-results FILE]
//
// Everything goes in a temporary directory on tmpfs (/dev/shm) where there
// is one: the experiment, its state, the nodes' run directories and the
// mounts' sources. Every apply is destroyed before the next; if a run
// fails or benchplugin is interrupted (Ctrl-C, SIGTERM: the running benito
// is interrupted in turn and stops as it does for a user), what it made is
// destroyed before benchplugin exits.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/benito-net/benito/internal/benchexp"
	"github.com/benito-net/benito/internal/benchresult"
)

func main() {
	bin := flag.String("benito", "benito", "the benito binary to measure")
	n := flag.Int("n", 1000, "nodes in the experiment (about ten resources each)")
	runs := flag.Int("runs", 3, "runs of each way (the median is reported)")
	flag.StringVar(&name, "name", "bench", "the generated experiment's name (one name cannot be applied from two directories at once)")
	flag.StringVar(&results, "results", "", "append the figures to this file (JSON lines, for scripts/bench): plugin/{plugin,inprocess}/{plan,apply,destroy}")
	flag.Parse()
	if *n < 1 || *runs < 1 {
		fmt.Fprintln(os.Stderr, "benchplugin: -n and -runs must be at least 1")
		os.Exit(2)
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "benchplugin: it makes network namespaces and devices: run it as root")
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := measure(ctx, *bin, *n, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "benchplugin:", err)
		os.Exit(1)
	}
}

// measure runs the benchmark and prints its results.
func measure(ctx context.Context, bin string, n, runs int) error {
	path, err := exec.LookPath(bin)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(tmpfs(), "benito-benchplugin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	exp := filepath.Join(tmp, "exp")
	for _, d := range []string{"src/users", "src/proj", "run"} {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
			return err
		}
	}
	err = benchexp.WriteOptions(exp, n, benchexp.Options{
		Name:       name,
		ConfigRoot: filepath.Join(exp, "config"),
		RunRoot:    filepath.Join(tmp, "run"),
		MountRoot:  filepath.Join(tmp, "src"),
	})
	if err != nil {
		return err
	}
	b := &bench{bin: path, dir: exp}
	if err := b.run(ctx, nil, "init"); err != nil {
		return err
	}
	ways := []way{{name: "plugin", key: "plugin"}, {name: "in process", key: "inprocess", env: []string{"BENITO_PROVIDERS_IN_PROCESS=1"}}}
	times := map[string]map[string][]time.Duration{}
	for _, w := range ways {
		times[w.name] = map[string][]time.Duration{}
	}
	for r := 0; r < runs; r++ {
		order := ways
		if r%2 == 1 {
			order = []way{ways[1], ways[0]}
		}
		for _, w := range order {
			for _, cmd := range [][]string{{"plan"}, {"apply", "-auto-approve"}, {"destroy", "-auto-approve"}} {
				t := time.Now()
				err := b.run(ctx, w.env, cmd...)
				if ctx.Err() != nil {
					err = fmt.Errorf("interrupted")
				}
				if err != nil {
					b.cleanUp()
					return fmt.Errorf("%s, %s: %w", w.name, cmd[0], err)
				}
				times[w.name][cmd[0]] = append(times[w.name][cmd[0]], time.Since(t))
			}
		}
	}

	fmt.Printf("%d nodes, %d runs each way (medians)\n", n, runs)
	fmt.Printf("%-12s %10s %10s %10s\n", "", "plan", "apply", "destroy")
	med := map[string]map[string]time.Duration{}
	for _, w := range ways {
		m := map[string]time.Duration{}
		for cmd, ts := range times[w.name] {
			m[cmd] = median(ts)
		}
		med[w.name] = m
		for _, cmd := range []string{"plan", "apply", "destroy"} {
			if err := benchresult.Append(results, benchresult.Record{Name: "plugin/" + w.key + "/" + cmd, Unit: "s", Runs: benchresult.Seconds(times[w.name][cmd])}); err != nil {
				return err
			}
		}
		fmt.Printf("%-12s %10s %10s %10s\n", w.name, ms(m["plan"]), ms(m["apply"]), ms(m["destroy"]))
	}
	p, i := med["plugin"], med["in process"]
	ratio := func(a, b time.Duration) string { return fmt.Sprintf("%.2fx", a.Seconds()/b.Seconds()) }
	fmt.Printf("%-12s %10s %10s %10s\n", "ratio", ratio(p["plan"], i["plan"]), ratio(p["apply"], i["apply"]), ratio(p["destroy"], i["destroy"]))
	return nil
}

// way is one way of running the providers.
type way struct {
	name, key string
	env       []string
}

var (
	// name is the generated experiment's name.
	name string
	// results is the -results file ("" for none).
	results string
)

// bench runs benito commands in the experiment's directory.
type bench struct {
	bin, dir string
}

// run runs benito with args, its output kept for the error only. When ctx
// ends, benito is interrupted as Ctrl-C would, and stops in its own way:
// once (it runs in a process group of its own, so that a Ctrl-C at the
// terminal reaches it through benchplugin alone; a second would make it
// abandon the work in flight).
func (b *bench) run(ctx context.Context, env []string, args ...string) error {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, b.bin, append(args, "-no-color")...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Dir = b.dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("benito %v: %w\n%s", args, err, tail(out.Bytes()))
	}
	return nil
}

// cleanUp destroys whatever a failed or interrupted run left applied.
func (b *bench) cleanUp() {
	if err := b.run(context.Background(), nil, "destroy", "-auto-approve"); err != nil {
		fmt.Fprintln(os.Stderr, "benchplugin: cleaning up:", err)
	}
}

// tmpfs returns /dev/shm when it is a tmpfs, else "" (the default
// temporary directory).
func tmpfs() string {
	var fs unix.Statfs_t
	if unix.Statfs("/dev/shm", &fs) == nil && fs.Type == unix.TMPFS_MAGIC {
		return "/dev/shm"
	}
	return ""
}

func median(ts []time.Duration) time.Duration {
	s := slices.Clone(ts)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

// tail returns the last lines of a command's output.
func tail(b []byte) []byte {
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return bytes.Join(lines, []byte("\n"))
}
