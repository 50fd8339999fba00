// Package qmp is a client of the QEMU Machine Protocol over a unix socket:
// the control channel of a running qemu-system-* (-qmp unix:PATH,server=on).
//
// Dial reads QEMU's greeting and negotiates capabilities (qmp_capabilities),
// after which the connection is in command mode. Execute sends one command
// and waits for its answer: the raw JSON of "return", or an *Error carrying
// QEMU's class and description. Commands may be sent from many goroutines at
// once; each carries an id of its own and its answer is matched by it.
// Asynchronous events (SHUTDOWN, POWERDOWN, STOP, RESUME, ...) arrive on the
// Events channel.
//
// What it promises:
//   - The peer is not trusted to be well-formed: a line longer than
//     MaxLine, a line that is not a JSON object, or an answer with an id
//     that was never sent ends the connection with an error; nothing read
//     from the peer makes the client allocate more than about MaxLine.
//   - Every call is bounded by its context: a peer that stops answering
//     costs the caller its deadline, not a goroutine stuck forever.
//   - Once the connection ends (Close, the peer closing, a protocol error),
//     every waiting and later Execute fails with an error that wraps
//     ErrClosed and says why, and Events is closed.
//   - Events are never allowed to stall answers: when nobody reads them and
//     the channel's buffer is full, further events are dropped (and
//     counted by Dropped).
package qmp
