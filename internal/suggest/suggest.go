// Package suggest finds the name a user probably meant: the "Did you
// mean" of benito's diagnostics.
package suggest

import (
	"sort"

	"github.com/agext/levenshtein"
)

// Threshold is the edit distance below which a name counts as a likely
// typo of another (the one HCL itself uses).
const Threshold = 3

// Distance is the edit distance between a and b, or max when it is at
// least max: most names are far apart, and their length alone says so.
func Distance(a, b string, max int) int {
	if d := len(a) - len(b); d >= max || -d >= max {
		return max
	}
	return levenshtein.Distance(a, b, nil)
}

// Nearest returns the name of names closest to given when it is close
// enough to be a likely typo, or "". Ties go to the first in sorted order
// so messages are stable.
func Nearest(given string, names []string) string {
	best, bestDist := "", Threshold
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	for _, n := range sorted {
		if d := Distance(given, n, bestDist); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}
