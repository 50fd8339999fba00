// Package topdl reads and writes TopDL, the XML topology language of DETER's
// fedd and containers system, and maps it to and from benito's experiments.
//
// It owns:
//   - Read: real, messy TopDL files (an XML declaration or a blank line
//     first, an <experiment> or <topology> root, repeated <substrates> and
//     <elements> wrappers, unnamed interfaces, the container:node_type typo)
//     into a Topology, with every element's source range kept, and with
//     diagnostics that name the element's path and its file:line;
//   - Marshal: a Topology as TopDL 1.0 that fedd's reader accepts, and
//     FromExperiment: an evaluated model.Experiment (with what benito
//     assigned: MACs, switch sockets, port numbers) as a Topology;
//   - ToHCL: a Topology as a formatted, commented HCL experiment, whose
//     routing is RoutingDefault ("static": DETER computed the routes a
//     TopDL file leaves out) unless the file's benito:routing says;
//   - ImportSite: a DETER site.conf (a Python ConfigParser file) as a site
//     block.
//
// It promises: Read never panics, whatever the input; a Topology that Read
// returns without errors names only substrates that exist, has unique
// substrate, computer and (per computer) interface names, only IPv4
// addresses, and only node types in KnownTypes or Options.Types (the
// providers the experiment requires; with Options.AnyType, for import, any,
// with a warning); every output (XML and HCL) is a deterministic function
// of its input; ToHCL writes nothing for a bad input, and what it writes
// loads with package hcl.
package topdl
