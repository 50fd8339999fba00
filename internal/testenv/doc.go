// Package testenv is how a test says what it needs of the host: root
// (namespaces, devices, qdiscs) or a program from a Debian package
// (vde_switch from vde2, ...).
//
// What it promises: a test that cannot run here never passes in silence.
// Outside CI the test is skipped, with a reason that starts with Marker and
// says what is missing and how to get it; with CI set (CI=true, as CI
// services set it) the same reason fails the test, so a CI run cannot turn
// green while testing nothing of the host. scripts/test lists every skip
// with its reason at the end of a run, and fails under CI on any that
// carries Marker.
//
// Skips for other reasons (a benchmark run only on request, a helper
// process, a race that did not happen this time) are no business of this
// package: they stay t.Skip, and scripts/test lists them too.
package testenv
