// Package configdir is the provider of an experiment's config directory,
// DETER's layout of one directory per experiment under a site-wide root
// (site key config_root):
//
//	<config_root>/<experiment>/
//	    hosts              every node's addresses (config_file.hosts)
//	    route/<node>       a node's static routes (config_file.route["node"])
//	    topology.xml       the experiment as TopDL (config_file.topology)
//
// plus any file an experiment declares with a resource "config_file" block.
// The directory is shared into every node, which reads its hosts and routes
// from it at boot. The provider serves the one resource type config_file.
//
// Every write is atomic (temp file and rename), but for hosts, which every
// node sees as its /etc/hosts through a bind mount that holds the file's
// inode: it is rewritten in place. A read of a file that was deleted or
// edited by hand shows up as drift, and destroying the last resource of
// an experiment removes its directory.
package configdir
