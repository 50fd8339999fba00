// Package configdir is the provider of an experiment's config directory,
// DETER's layout of one directory per experiment under a site-wide root
// (site key config_root):
//
//	<config_root>/<experiment>/
//	    hosts              every node's addresses (config_file.hosts)
//	    route/<node>       a node's static routes (config_file.route["node"])
//	    topology.xml       the experiment as TopDL (config_file.topology)
//	    resources/         one JSON record per host-side resource
//
// The directory is shared into every node, which reads its hosts and routes
// from it at boot. Until the network substrate and platform providers take
// them over, the host-side resource types (switch, port, tap, bridge, vnode,
// route, mount) are served here as records: their planned configuration,
// written under resources/ and read back, so that plan, apply, drift and
// destroy work end to end on real files.
//
// Every write is atomic (temp file and rename), a read of a file that was
// deleted or edited by hand shows up as drift, and destroying the last
// resource of an experiment removes its directory.
package configdir
