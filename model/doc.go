// Package model is the experiment as its author thinks of it: virtual nodes
// with interfaces on switches, routes, mounts, site defaults, and a few
// low-level resources for hand plumbing.
//
// A model.Experiment is what the language (package hcl) and the TopDL
// importer produce, and what lowering turns into the resource graph. Every
// value in it is already evaluated and validated: names are valid, addresses
// parse, references resolve. Slices are sorted by name, so walking a model is
// deterministic. Source ranges are kept so that later stages can point back
// at the configuration.
package model
