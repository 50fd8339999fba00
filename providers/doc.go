// Package providers defines the boundary between benito's engine and the
// providers that make resources exist on a host.
//
// A Provider is one small interface whose calls take and return plain
// request/response structs carrying cty values and diagnostics. Nothing in it
// assumes the provider runs in the same process: values are self-contained,
// the calls that are made per resource in bulk (validate, plan, read) are
// batched, and every response carries its own diagnostics rather than a Go
// error. That is what lets package providers/plugin serve the same
// interface across a process boundary, over go-plugin, without the engine
// changing.
//
// The promises a provider makes to the engine:
//   - GetSchema is stable for the life of the process.
//   - Plan is pure: it decides, it does not act.
//   - Apply with a null Planned value deletes; with a null Prior value creates.
//   - A value returned by Apply or Read is wholly known and conforms to the
//     resource type's schema; Read returns a null value for a resource that
//     no longer exists.
//   - Responses to batched calls have exactly one entry per request entry, in
//     the same order.
//   - A DefaultPlanner's PlanResources answers what its PlanDefaults
//     answers, built (PlanDefaultsResponse.Built): the plugin builds the
//     planned values PlanDefaults tells by default on benito's side
//     instead of sending them back, so both must agree.
//   - Exec is asked only for a resource whose type's schema declares Exec;
//     it returns once the command has ended, and ends the command when its
//     ctx ends.
//   - Whatever a provider makes on the host carries the experiment's mark
//     (for benito's own providers: mark.go), so that Sweep finds it from
//     the host alone, and so that a delete removes everything of its
//     resource, recorded or not: a create interrupted before its outcome
//     was known is deleted (replaced) from what the engine recorded
//     before asking for it.
package providers
