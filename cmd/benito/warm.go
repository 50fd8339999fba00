package main

import (
	"github.com/benito-net/benito/engine"
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
	// No group when the providers run in this process
	// (BENITO_PROVIDERS_IN_PROCESS=1: builtinGroup returns none).
	if len(opts.Groups) == 1 {
		var g engine.Group
		g, release = engine.Warm(opts.Groups[0], warmProviders)
		opts.Groups = []engine.Group{g}
	}
	w, err = c.openWith(opts)
	if err != nil {
		release()
		return nil, func() {}, err
	}
	return w, release, nil
}
