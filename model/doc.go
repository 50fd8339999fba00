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
//
// # Addresses and host names
//
// Every instance of a block has two names. Its address (Addr, an
// addrs.Instance) is how users and benito's records name it: h, h[0],
// h["east"], in plans, the state, -target and messages. Its host name
// (Name, HostName(Addr)) is what it is called on the host: h, h-0, h-east;
// hostnames, the hosts file, route files, TopDL, device names and MAC
// addresses derive from it. The two differ only for instances of blocks
// with count or for_each, and the host name is the one that must never
// change for a running experiment. Fields that refer to another instance
// hold its host name, which is unique per block type.
package model
