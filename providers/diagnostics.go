package providers

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"
)

// Severity of a diagnostic.
type Severity int

const (
	Error Severity = iota
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Diagnostic is a problem a provider reports. Address and Attribute, when
// set, let the engine point at the configuration that caused it.
type Diagnostic struct {
	Severity  Severity
	Summary   string
	Detail    string
	Address   string   // resource address, when the problem belongs to one resource
	Attribute cty.Path // attribute within that resource, when known

	// Ended, when set, says the call failed because the provider's
	// process ended (crashed, hung, was closed), not because of what it
	// was asked: every call that end failed points to the same Ended, so
	// that it is reported once. NotSent says this call was never sent
	// (the provider had already ended), so nothing of it was done.
	Ended   *Ended
	NotSent bool
}

// Ended is the end of a provider's process, as the host side of the
// protocol saw it: one value per end, shared by the diagnostics of every
// call it failed.
type Ended struct {
	// Summary says which provider (or providers, when one process
	// served several) ended, and how: `Provider "process" crashed`.
	Summary string
	// Detail says what was in flight when it ended, what to do, and the
	// provider's last output.
	Detail string
}

// Diagnostics is a list of provider diagnostics.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (d Diagnostics) HasErrors() bool {
	for _, x := range d {
		if x.Severity == Error {
			return true
		}
	}
	return false
}

// Err returns the diagnostics' errors as one Go error, or nil. It leaves
// out the addresses: the caller, who knows which resource it asked about,
// names it.
func (d Diagnostics) Err() error {
	var msgs []string
	for _, x := range d {
		if x.Severity != Error {
			continue
		}
		m := x.Summary
		if x.Detail != "" {
			m += ": " + x.Detail
		}
		msgs = append(msgs, m)
	}
	switch len(msgs) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%s", msgs[0])
	default:
		return fmt.Errorf("%s (and %d more errors)", msgs[0], len(msgs)-1)
	}
}

// Errorf returns a one-element Diagnostics holding an error.
func Errorf(address, summary string, args ...any) Diagnostics {
	return Diagnostics{{Severity: Error, Address: address, Summary: fmt.Sprintf(summary, args...)}}
}
