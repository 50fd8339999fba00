// Package topoview draws an experiment's topology: its nodes (name, node
// type, the addresses of their interfaces), its switches (kind, subnet) and
// the links between them (a node's interface plugged into a switch, with
// its shaping: latency, capacity, loss), for `benito graph -type=topology`.
//
// One model, three writers. The model (Model) is built from resource
// values: from the lowered graph (FromGraph), or from a plan (FromPlan),
// where each element carries its planned action and an element the plan
// destroys is drawn from its value before. Place lays the model out:
// switches are hubs, laid out first (a fixed number of iterations of a
// force layout between them, the switches two nodes share pulled
// together); a node on one switch goes on a ring around it, a node on
// several in a cluster between them. WriteHTML writes a self-contained page
// (inline SVG, a little inline script for pan and zoom, nothing fetched),
// WriteSVG a standalone SVG and WriteDOT Graphviz's DOT, with the same
// positions pinned (neato -n2 reproduces the picture).
//
// Everything is deterministic: the same model gives the same bytes. Names
// and addresses are escaped for the format they are written in.
package topoview
