// Package sample is run by testreport's test: one test of each outcome.
package sample

import (
	"testing"

	"github.com/benito-net/benito/internal/testenv"
)

func TestPass(t *testing.T) { t.Log("passing quietly") }

func TestFail(t *testing.T) {
	t.Log("about to fail")
	t.Error("this one fails")
}

func TestSkip(t *testing.T) {
	t.Log("a line before the reason")
	t.Skip("skipped for its own reason")
}

func TestMissing(t *testing.T) {
	testenv.Command(t, "benito-testreport-no-such-program", "no-such-package")
	t.Error("ran without its program")
}

func TestSub(t *testing.T) {
	t.Run("skipped", func(t *testing.T) { t.Skip("a subtest's reason") })
	t.Run("passed", func(t *testing.T) {})
}
