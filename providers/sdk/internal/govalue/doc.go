// Package govalue converts between cty values and the plain Go values
// provider authors use (string, bool, int64, float64, []any,
// map[string]any), for package sdk and its test harness.
package govalue
