// Package hcl is benito's configuration language: it loads the *.hcl files
// of a directory, evaluates variables, locals, count, for_each, references
// and functions with go-cty, validates the result, and hands back a
// model.Experiment. Problems come back as hcl.Diagnostics with source
// ranges, many at once, for hcl.NewDiagnosticTextWriter to print.
//
// # What Load promises
//
//   - Config.Experiment is set exactly when the diagnostics hold no error.
//     Everything in it is evaluated and checked: names are valid
//     ([A-Za-z0-9_-]), addresses are IPv4 and usable, every switch, bridge
//     and node a field names exists, and slices are sorted as package model
//     documents.
//   - Config.Files holds every file a diagnostic can point into, even when
//     loading failed.
//   - The same files and variable values give the same Experiment, the same
//     diagnostics in the same (source) order, and the same Config.Hash.
//     Expressions cannot read files, the clock or the environment, so the
//     hash covers everything the result depends on.
//   - Load is linear in the size of the configuration: each block is
//     evaluated in a context holding only what it refers to.
//
// # Names
//
// A block without count or for_each makes one instance, addressed and named
// by its label: vnode.a, host name a. With count = N it makes the instances
// LABEL[0] … LABEL[N-1]; with for_each (a map, an object or a set of
// strings) LABEL["KEY"] per key. Each instance's model Addr is that
// address; its Name is its host name, model.HostName: LABEL-0 …, LABEL-KEY.
// Host names must be unique per block type (vnode "a" with count = 2 and
// vnode "a-1" clash), and for_each keys must be valid names, since they
// become part of one. Model fields that refer to another instance
// (Interface.Switch, Route.Node, Tap.Switch, ...) hold its host name;
// DependsOn holds addresses. In expressions, switch.lan is the instance
// object, a tuple of them with count (switch.lan[0]), an object of them
// with for_each (switch.lan["east"]); an attribute that names an instance
// takes such an object or the instance's host name as a string.
//
// # The language's specs
//
// Every block and attribute is specified once, in language.go (Language,
// BlockSpec): the schemas the decoder checks bodies against are compiled
// from the specs, and docs/language.md is generated from them, with each
// attribute's type, default, meaning and example (internal/tools/langdoc).
// A block or attribute added to the language is added there.
//
// # Defaults and units
//
//   - experiment routing: "none" (stored as "") or "static".
//   - site: any keys, stored as strings, model.SiteDefaults filling the
//     gaps; config_root and run_root must be absolute, and neither "/"
//     nor a system directory (contract.CheckRoot).
//   - vnode type: site default_type; switch kind: site switch_kind.
//     Switch.Ports is 0 unless set (lowering applies site vde_ports).
//   - Interface.Address carries its prefix length: from "a.b.c.d/len",
//     from ip4_netmask ("255.255.255.0", "/24" or 24), or else from the
//     switch's subnet. Interface.MAC is nil unless mac_address sets it;
//     lowering derives the rest with model.DeriveMAC, which is also what
//     vnode.X.interface["eth0"].mac_address shows.
//   - Interface.Shaping is effective: each of capacity, latency and loss
//     the interface leaves unset comes from its switch (an explicit zero
//     stays zero). Switch.Shaping is what the switch block says.
//   - capacity: bits per second, a number or a string with a decimal,
//     case-insensitive prefix and the unit bit, bps or bit/s: "100Mbit",
//     "100mbit" and "100Mbps" are all 100,000,000. Unlike tc, bps means
//     bits, not bytes. A prefix without a unit ("100M") is refused.
//   - latency: a Go duration string ("10ms", "1.5s"); bare numbers are
//     refused. loss: percent, "0.5%", "0.5" or 0.5, from 0 to 100.
//   - route destination "default" is 0.0.0.0/0; a bare address is a /32.
//     A route needs a gateway, a device, or both; its gateway must lie in
//     the subnet of one of the node's interfaces.
//   - mount target defaults to source; both are absolute and cleaned.
//
// # Variables
//
// A variable's value is, from lowest to highest precedence: its default,
// BENITO_VAR_NAME from the environment, each -var-file in order, each -var
// in order. Text values (environment, -var) are taken literally for
// variables of type string or with no type, and parsed as HCL expressions
// otherwise, as Terraform does. Variable files are HCL files of
// NAME = VALUE lines; keep them out of the configuration directory or give
// them another extension, since every *.hcl file there is configuration.
//
// A variable declared sensitive = true has its value marked
// (model.Sensitive, a cty mark), and cty carries the mark into every value
// computed from it. The attributes that may hold one (a vnode's startup,
// os, image, partition and attributes: model.VNode.Sensitive; resource
// attributes and outputs keep the mark in their cty values) record it;
// every other attribute, count and for_each's keys refuse it, since they
// become names, addresses and the experiment's shape. An output whose value is
// marked must be declared sensitive. No message shows a marked value, nor
// the text of a sensitive -var; Config.Secrets lists the values' texts for
// messages that do not come through the language.
//
// # How it works
//
// Load parses every file (large files in parallel pieces cut between
// top-level blocks), gathers the declarations, links every reference into
// a dependency graph, orders it into strongly connected components with
// package dag (reporting each cycle once, as the shortest way from its
// first-declared block back to it), and evaluates block by block. A block whose evaluation
// failed is seen as unknown by the blocks that refer to it, which then stay
// silent: one mistake gives one error. Checks that need the whole
// experiment (unique host names, addresses per switch, gateways, host
// ports that forwards bind, containers' ctids) run last.
package hcl
