// Package state owns benito's record of what exists: the State of one
// experiment in memory, and the files that keep it between runs.
//
// An experiment's state lives in one JSON file (mode 0600) next to four
// companions, all named after it:
//
//	PATH            the state, format_version 2; rewritten whole by Write
//	PATH.backup     the version PATH held before the last Write
//	PATH.journal    changes made since PATH was written (one JSON line each)
//	PATH.lock       the flock that stops two runs at once; removed by Unlock
//	PATH.lock.info  who holds the lock, for the error the loser sees
//
// What the package promises:
//
//   - PATH is never missing or half-written once it has been written:
//     Write goes through a temp file, fsync and rename, and keeps the
//     previous version as PATH.backup the same way.
//   - The same State always encodes to the same bytes (resources sorted by
//     address, dependencies sorted, map keys sorted), so files diff cleanly.
//   - Recording one resource costs the same with 100 resources in state as
//     with 100,000: a Journal appends one line per change with one write(2)
//     and no fsync. A process killed at any moment (SIGKILL, OOM, panic)
//     loses none of the changes whose Put or Remove returned, because
//     completed writes sit in the kernel's page cache. A machine crash or
//     power loss may lose the entries written since the last Journal.Sync
//     or Close; that is the price of not syncing per resource.
//   - Load folds a journal left by a crashed run into a fresh PATH before it
//     returns, so callers only ever see a whole State and never have to
//     reason about journals themselves.
//   - Serial grows by one on every Write; Lineage is set once, by New, and
//     ties a journal to the state it extends.
//   - A file of format 1, whose addresses named instances of count and
//     for_each by host name (vnode.h-0), still loads: the State is marked
//     V1Addrs and keeps those addresses, and is written in format 1, until
//     MoveV1Addrs renames them with what the configuration says (package
//     lower computes the renames; a plan or apply does it on every load).
//
// File.Lock takes the lock and returns a Locked, which alone can Load,
// Write and OpenJournal: code that has not locked cannot read or write the
// state, and once Unlock has returned, neither can the code that had.
package state
