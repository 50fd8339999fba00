// Package workdir runs benito's operations on one experiment directory: it
// loads the configuration, takes the state lock, loads (and recovers) the
// state, starts the providers the experiment needs, and drives the engine
// for plan and apply, saving the state as it goes.
//
// It is the layer between the commands, which only parse flags and render,
// and the packages that do the work (hcl, lower, engine, state). Every
// operation that reads the state holds the lock while it does, so that a
// second benito on the same experiment fails at once (or waits, with
// -lock-timeout) instead of interleaving with the first.
package workdir
