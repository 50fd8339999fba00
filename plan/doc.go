// Package plan owns the plan: the set of changes that would bring the
// recorded state of an experiment to its configuration, and its
// representations (human text, versioned JSON — a superset of Terraform's
// JSON plan representation, which Terraform's tools read — Markdown for
// pull requests, and saved plan files).
//
// A Plan is a value: building one (package engine) never touches the host,
// and rendering one is deterministic — the same Plan always renders to
// byte-identical text and JSON, sorted by resource address, so reviewers can
// diff plans. The human text is for review: it leaves out the attributes
// the schema marks run-time (Change.RunTime: a pid, a start time) and
// shows a generated file's content (Change.Generated) as its line count
// and a short diff; the JSON keeps every value. A saved plan records the state lineage and serial and the
// configuration hash it was made against, so that applying it later can
// refuse to act on a world that has moved, and carries a checksum over
// its whole content, checked before anything else of it is read, so that
// a plan changed after it was written is refused rather than carried out.
package plan
