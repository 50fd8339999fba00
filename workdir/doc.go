// Package workdir runs benito's operations on one experiment directory: it
// loads the configuration, takes the state lock, loads (and recovers) the
// state, starts the providers the experiment needs, and drives the engine
// for plan and apply, saving the state as it goes.
//
// It is the layer between the commands, which only parse flags and render,
// and the packages that do the work (hcl, lower, engine, state). Run is the
// one sequence of plan, apply and destroy: lock, load, plan (or check a
// saved plan), show, ask, apply, save, unlock; the command supplies a UI
// that shows diagnostics and the plan and asks for "yes". ReadState and
// EditState serve the commands that only look at or edit the state.
//
// What it promises:
//
//   - The state is read and written only under the lock: every path to it
//     goes through the state.Locked the lock returns, held from the load to
//     the last write, so that a second benito on the same experiment fails
//     at once (or waits, with Options.LockTimeout) instead of interleaving
//     with the first.
//   - Everything that can be known before anything changes is checked
//     before the question is asked: the configuration, the providers, the
//     plan, and the order of the apply (a dependency cycle among the
//     changes). A saved plan is checked against the state and the
//     configuration it was made from.
//   - A second interrupt (the context cancelled) asks every provider to
//     stop; what was done until then is saved.
package workdir
