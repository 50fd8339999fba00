package main

import (
	"github.com/benito-net/benito/engine"
	"github.com/benito-net/benito/workdir"
)

// openWarm is openWith for the commands that will plan or apply: the
// process of the built-in providers starts at once, in the background, so
// that its start-up (a Go runtime, a TLS handshake) runs on another core
// while this one loads the experiment, its lock and its state, instead of
// after them. release closes the providers no engine took (all of them if
// the configuration has errors); call it when done.
func (c *cli) openWarm(opts workdir.Options) (w *workdir.Workdir, release func(), err error) {
	release = func() {}
	// No group when the providers run in this process
	// (BENITO_PROVIDERS_IN_PROCESS=1: builtinGroup returns none).
	if len(opts.Groups) == 1 {
		var g engine.Group
		g, release = engine.Warm(opts.Groups[0], opts.Groups[0].Names)
		opts.Groups = []engine.Group{g}
	}
	w, err = c.openWith(opts)
	if err != nil {
		release()
		return nil, func() {}, err
	}
	return w, release, nil
}
