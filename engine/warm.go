package engine

import (
	"slices"
	"sync"

	"github.com/benito-net/benito/providers"
)

// Warm starts names with g now, in the background, and returns a group
// that hands them out, once, to a Start that needs no others (any other
// Start starts afresh with g), and a release that closes those not handed
// out. A command starts the providers it will surely need this way before
// loading the experiment, so that their start-up runs meanwhile.
func Warm(g Group, names []string) (Group, func()) {
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
	out := Group{Names: g.Names, Start: func(need []string) (map[string]providers.Provider, error) {
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
