// Package notests has no tests: go test -json reports it as skipped.
package notests
