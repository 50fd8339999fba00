// Command benchplan measures `benito plan` on the generated 10,000-node
// experiment (about 100,000 resources): from empty state, and, after an
// apply, with a full state. It prints the wall time and peak resident
// memory of each run of the real binary.
//
//	go build -o /tmp/benito ./cmd/benito
//	go run ./internal/tools/benchplan -benito /tmp/benito [-nodes 10000] [-runs 3] [-full] [-pair] [-name NAME] [-results FILE]
//
// -pair plans from empty state twice per run: as benito ships (providers
// in child processes, through the plugin protocol), then with the providers
// inside benito's process (BENITO_PROVIDERS_IN_PROCESS=1), and prints the
// ratio of the medians, what the plugin boundary costs a plan. -results
// appends every figure to FILE (internal/benchresult) for scripts/bench:
// plan/WAY/wall (s) and plan/WAY/rss (MiB), WAY being plugin, inprocess
// (with -pair) or json; with -full also apply/wall, noop/wall, noop/rss and
// destroy/wall.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/benito-net/benito/internal/benchexp"
	"github.com/benito-net/benito/internal/benchresult"
)

func main() {
	bin := flag.String("benito", "benito", "the benito binary to measure")
	nodes := flag.Int("nodes", 10000, "nodes in the generated experiment")
	runs := flag.Int("runs", 3, "runs of each measurement (the median is reported)")
	full := flag.Bool("full", false, "also apply, plan with the full state, and destroy")
	name := flag.String("name", "bench", "the generated experiment's name (one name cannot be applied from two directories at once)")
	pair := flag.Bool("pair", false, "also plan with the providers in process, alternating with the plugin runs")
	flag.StringVar(&results, "results", "", "append the figures to this file (JSON lines, for scripts/bench)")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "benito-bench-")
	check(err)
	dir := filepath.Join(tmp, "exp")
	// Whatever ends the run (done, failed, Ctrl-C, SIGTERM), what it
	// applied is destroyed and its files removed before benchplan exits.
	cleanUp = func() {
		if applied {
			cmd := exec.Command(*bin, "destroy", "-auto-approve", "-no-color", dir)
			cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
			if err := cmd.Run(); err != nil {
				fmt.Fprintf(os.Stderr, "benchplan: destroying what the run applied: %v; the experiment is left in %s\n", err, dir)
				return
			}
		}
		os.RemoveAll(tmp)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		interrupted.Store(true)
	}()
	defer cleanUp()
	check(benchexp.WriteOptions(dir, *nodes, benchexp.Options{Name: *name, ConfigRoot: filepath.Join(tmp, "config"), MountRoot: filepath.Join(dir, "mounts")}))
	fmt.Printf("experiment: %d nodes\n", *nodes)

	plugin := way{name: "plan, empty state (human output)", key: "plan/plugin", args: []string{"plan", "-no-color", dir}}
	if *pair {
		inProcess := way{name: "plan, empty state, providers in process", key: "plan/inprocess", args: plugin.args, env: []string{"BENITO_PROVIDERS_IN_PROCESS=1"}}
		got := measure(*runs, *bin, plugin, inProcess)
		fmt.Printf("%-50s %.2fx\n", "plugin / in process", got[0].wall/got[1].wall)
	} else {
		measure(*runs, *bin, plugin)
	}
	measure(*runs, *bin, way{name: "plan -json, empty state", key: "plan/json", args: []string{"plan", "-json", dir}})
	if !*full {
		return
	}
	applied = true
	measure(1, *bin, way{name: "apply -auto-approve (from empty)", key: "apply", args: []string{"apply", "-auto-approve", "-no-color", dir}})
	measure(*runs, *bin, way{name: "plan, full state (refresh reads every resource)", key: "noop", args: []string{"plan", "-no-color", dir}})
	measure(1, *bin, way{name: "destroy -auto-approve", key: "destroy", args: []string{"destroy", "-auto-approve", "-no-color", dir}})
	applied = false
}

var (
	// results is the -results file ("" for none).
	results string
	// applied says the experiment may hold something on the host.
	applied bool
	// cleanUp destroys what was applied and removes the run's files.
	cleanUp = func() {}
	// interrupted is set by Ctrl-C or SIGTERM: the command running goes
	// on being interrupted (it got the signal too), then benchplan stops.
	interrupted atomic.Bool
)

// way is one command measured: its report line's name, its figures' key,
// benito's arguments and extra environment.
type way struct {
	name, key string
	args, env []string
}

// median is what measure returns of a way: medians, in seconds and MiB.
type medians struct{ wall, rss float64 }

// measure runs each way once per run, in turn (so that all see the same
// load), prints the medians and appends them to the results file.
func measure(runs int, bin string, ways ...way) []medians {
	walls := make([][]float64, len(ways))
	rss := make([][]float64, len(ways))
	for i := 0; i < runs; i++ {
		for w, wy := range ways {
			cmd := exec.Command(bin, wy.args...)
			cmd.Env = append(os.Environ(), wy.env...)
			cmd.Stdout = io.Discard
			cmd.Stderr = os.Stderr
			start := time.Now()
			err := cmd.Run()
			if interrupted.Load() {
				check(fmt.Errorf("%s: interrupted", wy.name))
			}
			if err != nil {
				if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 0 && ee.ExitCode() != 2 {
					check(fmt.Errorf("%s: %w", wy.name, err))
				}
			}
			walls[w] = append(walls[w], time.Since(start).Seconds())
			rss[w] = append(rss[w], float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)/1024)
		}
	}
	out := make([]medians, len(ways))
	for w, wy := range ways {
		out[w] = medians{benchresult.Median(walls[w]), benchresult.Median(rss[w])}
		fmt.Printf("%-50s median %7.3fs   peak RSS %6.0f MiB   (%d runs)\n", wy.name, out[w].wall, out[w].rss, runs)
		check(benchresult.Append(results,
			benchresult.Record{Name: wy.key + "/wall", Unit: "s", Runs: walls[w]},
			benchresult.Record{Name: wy.key + "/rss", Unit: "MiB", Runs: rss[w]}))
	}
	return out
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchplan:", err)
		cleanUp()
		os.Exit(1)
	}
}
