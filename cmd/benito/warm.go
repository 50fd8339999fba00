package main

import (
	"os"
	"slices"
	"sync"

	"github.com/benito-net/benito/engine"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/configdir"
	"github.com/benito-net/benito/providers/hostnet"
	"github.com/benito-net/benito/providers/process"
	"github.com/benito-net/benito/workdir"
)

// warmProviders are the built-in providers nearly every experiment uses:
// plan, apply and destroy start their process before anything else.
var warmProviders = []string{configdir.Name, hostnet.Name, process.Name}

// openWarm is open for the commands that will plan: the process of the
// built-in providers starts at once, in the background, so that its
// start-up (a Go runtime, a TLS handshake) runs on another core while
// this one loads the experiment, its lock and its state, instead of after
// them. release closes the providers no engine took (all of them if the
// configuration has errors); call it when done.
func (c *cli) openWarm(dir string, f *expFlags) (w *workdir.Workdir, release func(), err error) {
	opts := c.options(dir, f)
	release = func() {}
	if os.Getenv(envInProcess) != "1" && len(opts.Groups) == 1 {
		var g engine.Group
		g, release = warm(opts.Groups[0], warmProviders)
		opts.Groups = []engine.Group{g}
	}
	w, err = c.openWith(opts)
	if err != nil {
		release()
		return nil, func() {}, err
	}
	return w, release, nil
}

// warm starts names with g now and returns a group that hands them out,
// once, to a Start that needs no others (any other Start starts afresh
// with g), and a release that closes those not handed out.
func warm(g engine.Group, names []string) (engine.Group, func()) {
	var (
		mu    sync.Mutex
		taken bool
		ps    map[string]providers.Provider
		err   error
	)
	done := make(chan struct{})
	go func() {
		ps, err = g.Start(names)
		close(done)
	}()
	give := func(need []string) (map[string]providers.Provider, bool) {
		mu.Lock()
		defer mu.Unlock()
		if taken {
			return nil, false
		}
		for _, n := range need {
			if !slices.Contains(names, n) {
				return nil, false
			}
		}
		taken = true
		return ps, true
	}
	out := engine.Group{Names: g.Names, Start: func(need []string) (map[string]providers.Provider, error) {
		<-done
		all, ok := give(need)
		if !ok {
			return g.Start(need)
		}
		if err != nil {
			return nil, err
		}
		mine := make(map[string]providers.Provider, len(need))
		for _, n := range need {
			mine[n] = all[n]
		}
		for n, p := range all {
			if mine[n] == nil {
				p.Close() // not needed: the process ends when the needed ones close
			}
		}
		return mine, nil
	}}
	release := func() {
		<-done
		mu.Lock()
		first := !taken
		taken = true
		mu.Unlock()
		if first && err == nil {
			for _, p := range ps {
				p.Close()
			}
		}
	}
	return out, release
}
