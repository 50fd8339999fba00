// Package engine carries plans out: it refreshes recorded state through the
// providers, diffs the resource graph against it to make a plan, and walks
// a plan's changes in dependency order to apply it.
//
// What the engine promises:
//   - Planning never changes the host: it only calls providers' Read, Validate
//     and Plan.
//   - Refresh, validate and plan are batched per provider, not one call per
//     resource: one call for fewer than twice batchSize resources, otherwise
//     about one concurrent batch per core, none smaller than batchSize
//     (inChunks).
//   - Apply creates in dependency order and destroys in reverse, up to
//     Parallelism changes at a time. Every outcome is recorded in the
//     journal the moment it is known, and a create is recorded as pending
//     before the provider is asked to make it, so that a process killed at
//     any instant forgets nothing it made. The next plan replaces a pending
//     resource as tainted, whether or not its provider reads it back: the
//     delete removes whatever the interrupted create left.
//   - A create that fails after making something (the provider returns a
//     value with its error) leaves the resource tainted, replaced by the
//     next plan; one that made nothing leaves no trace in the state.
//     Whatever depends on a failed change is skipped and reported.
package engine
