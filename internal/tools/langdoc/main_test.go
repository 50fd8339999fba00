package main

import (
	"testing"

	"github.com/benito-net/benito/internal/golden"
)

// TestLanguageDoc fails when docs/language.md is not what the language's
// specs say; go test -update rewrites it.
func TestLanguageDoc(t *testing.T) {
	golden.Check(t, "../../../docs/language.md", append(render(), '\n'))
}
