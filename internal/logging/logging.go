package logging

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// Environment variables read by New.
const (
	EnvLevel = "BENITO_LOG"
	EnvPath  = "BENITO_LOG_PATH"
)

var (
	once     sync.Once
	standard hclog.Logger
)

// Default returns the process's logger, made by New from the process's
// environment on first use.
func Default() hclog.Logger {
	once.Do(func() {
		standard = New(os.Getenv, os.Stderr)
	})
	return standard
}

// New makes a logger from the environment read by getenv; it writes to
// stderr unless BENITO_LOG_PATH names a file. Problems with the settings
// are reported on stderr and leave the log off or on stderr.
func New(getenv func(string) string, stderr io.Writer) hclog.Logger {
	level := hclog.Off
	if s := strings.TrimSpace(getenv(EnvLevel)); s != "" {
		level = hclog.LevelFromString(s)
		if level == hclog.NoLevel {
			fmt.Fprintf(stderr, "benito: %s=%q is not a log level (trace, debug, info, warn, error, off); logging is off\n", EnvLevel, s)
			level = hclog.Off
		}
	}
	if level == hclog.Off {
		return hclog.NewNullLogger()
	}
	out := stderr
	if path := getenv(EnvPath); path != "" {
		// 0600: the log may hold what providers print of a node.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			fmt.Fprintf(stderr, "benito: %s: %v; logging to stderr\n", EnvPath, err)
		} else {
			out = f // open for the life of the process
		}
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:   "benito",
		Level:  level,
		Output: out,
	})
}
