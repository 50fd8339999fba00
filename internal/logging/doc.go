// Package logging makes benito's log: one hclog.Logger configured from the
// environment, where benito's own debug lines and its providers' log lines
// and stderr go, each provider's tagged with its name.
//
//	BENITO_LOG       trace, debug, info, warn, error or off (default: off)
//	BENITO_LOG_PATH  a file to append the log to (default: stderr)
//
// It promises that with BENITO_LOG unset nothing is logged and no file is
// opened, and that a bad setting is reported once on stderr, not fatal.
package logging
