// Command benchplan measures `benito plan` on the generated 10,000-node
// experiment (about 100,000 resources): from empty state, and, after an
// apply, with a full state. It prints the wall time and peak resident
// memory of each run of the real binary.
//
//	go build -o /tmp/benito ./cmd/benito
//	go run ./internal/tools/benchplan -benito /tmp/benito [-nodes 10000] [-runs 3] [-full]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/benito-net/benito/internal/benchexp"
)

func main() {
	bin := flag.String("benito", "benito", "the benito binary to measure")
	nodes := flag.Int("nodes", 10000, "nodes in the generated experiment")
	runs := flag.Int("runs", 3, "runs of each measurement (the median is reported)")
	full := flag.Bool("full", false, "also apply, plan with the full state, and destroy")
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
	check(benchexp.Write(dir, *nodes, filepath.Join(tmp, "config")))
	fmt.Printf("experiment: %d nodes\n", *nodes)

	measure("plan, empty state (human output)", *runs, *bin, "plan", "-no-color", dir)
	measure("plan -json, empty state", *runs, *bin, "plan", "-json", dir)
	if !*full {
		return
	}
	applied = true
	measure("apply -auto-approve (from empty)", 1, *bin, "apply", "-auto-approve", "-no-color", dir)
	measure("plan, full state (refresh reads every resource)", *runs, *bin, "plan", "-no-color", dir)
	measure("destroy -auto-approve", 1, *bin, "destroy", "-auto-approve", "-no-color", dir)
	applied = false
}

var (
	// applied says the experiment may hold something on the host.
	applied bool
	// cleanUp destroys what was applied and removes the run's files.
	cleanUp = func() {}
	// interrupted is set by Ctrl-C or SIGTERM: the command running goes
	// on being interrupted (it got the signal too), then benchplan stops.
	interrupted atomic.Bool
)

func measure(name string, runs int, bin string, args ...string) {
	var walls []time.Duration
	var rss []int64
	for i := 0; i < runs; i++ {
		cmd := exec.Command(bin, args...)
		cmd.Stdout = io.Discard
		cmd.Stderr = os.Stderr
		start := time.Now()
		err := cmd.Run()
		if interrupted.Load() {
			check(fmt.Errorf("%s: interrupted", name))
		}
		if err != nil {
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 0 && ee.ExitCode() != 2 {
				check(fmt.Errorf("%s: %w", name, err))
			}
		}
		walls = append(walls, time.Since(start))
		rss = append(rss, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	sort.Slice(rss, func(i, j int) bool { return rss[i] < rss[j] })
	fmt.Printf("%-50s median %7.3fs   peak RSS %6.0f MiB   (%d runs)\n", name, walls[len(walls)/2].Seconds(), float64(rss[len(rss)/2])/1024, runs)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchplan:", err)
		cleanUp()
		os.Exit(1)
	}
}
