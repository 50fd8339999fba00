// Package qga speaks the QEMU guest agent protocol (QGA): JSON commands and
// responses over a byte stream, on the host a unix socket chardev and in the
// guest the virtio-serial port org.qemu.guest_agent.0. It holds the wire
// types, a Server (what the test guest's agent runs) and a Client (what the
// QEMU provider uses to run commands in a guest).
//
// Only the commands benito's exec needs are served: guest-sync,
// guest-sync-delimited, guest-ping, guest-info, guest-exec,
// guest-exec-status and guest-shutdown. Their arguments, results and errors
// follow QEMU's schema (qga/qapi-schema.json, "QEMU Guest Agent Protocol
// Reference") field for field, so the Client also works with a stock
// qemu-guest-agent and the Server with any QGA client. Any other command
// answers the error class CommandNotFound, as qemu-ga does for a disabled or
// unknown command.
//
// What it promises: the Server answers requests one at a time in order; a
// request that cannot be parsed gets a GenericError and the Server
// resynchronises at the next 0xFF byte or line end, as qemu-ga's lexer does.
// The Client is safe for concurrent use (calls are serialised, as the
// protocol requires), synchronises with guest-sync-delimited before its first
// command and after any failed exchange, and never mistakes a stale answer of
// an earlier client for its own.
package qga
