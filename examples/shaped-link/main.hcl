# A shaped link: two process nodes on one switch whose link delays every
# packet by var.latency in each direction, so ping's round trip is twice it.
#
#   a (10.0.0.1) ── link (latency) ── b (10.0.0.2)
#
# The switch is a VDE switch: each node's interface reaches it through
# VDE's link emulator, wirefilter, which delays what the node sends (see
# README.md). This works on kernels without the netem qdisc, which a
# bridge switch would need for latency.
#
# Change the latency and plan: the shaping is updated in place, nothing is
# re-created.

experiment "shaped-link" {}

variable "latency" {
  description = "One-way delay of the link, such as \"50ms\"."
  type        = string
  default     = "50ms"
}

site {
  default_type = "process"
}

switch "link" {
  kind     = "vde"
  subnet   = "10.0.0.0/24"
  latency  = var.latency
  capacity = "100Mbit"
}

vnode "a" {
  interface "eth0" {
    switch      = switch.link
    ip4_address = cidrhost(switch.link.subnet, 1)
  }
}

vnode "b" {
  interface "eth0" {
    switch      = switch.link
    ip4_address = cidrhost(switch.link.subnet, 2)
  }
}
