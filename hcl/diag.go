package hcl

import "github.com/agext/levenshtein"

// distance is the edit distance between a and b, or max when it is at
// least max: most names are far apart, and their length alone says so.
func distance(a, b string, max int) int {
	if d := len(a) - len(b); d >= max || -d >= max {
		return max
	}
	return levenshtein.Distance(a, b, nil)
}
