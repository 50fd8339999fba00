# Quickstart: two LANs joined by a router, with routes computed by benito.
#
#   a (10.0.1.10) ── lan1 ── router ── lan2 ── b (10.0.2.10)
#                  (bridge)          (VDE switch)
#
# Every node is a process with its own network stack (network and UTS
# namespaces). benito computes the static routes (routing = "static"):
# a reaches 10.0.2.0/24 through the router, b reaches 10.0.1.0/24 back.

experiment "quickstart" {
  routing = "static"
}

site {
  default_type = "process"
}

# A Linux bridge on the host.
switch "lan1" {
  kind   = "bridge"
  subnet = "10.0.1.0/24"
}

# A vde_switch daemon; nodes plug into its numbered ports.
switch "lan2" {
  kind   = "vde"
  subnet = "10.0.2.0/24"
}

vnode "router" {
  interface "eth0" {
    switch      = switch.lan1
    ip4_address = cidrhost(switch.lan1.subnet, 1)
  }
  interface "eth1" {
    switch      = switch.lan2
    ip4_address = cidrhost(switch.lan2.subnet, 1)
  }
}

vnode "a" {
  interface "eth0" {
    switch      = switch.lan1
    ip4_address = cidrhost(switch.lan1.subnet, 10)
  }
}

vnode "b" {
  interface "eth0" {
    switch      = switch.lan2
    ip4_address = cidrhost(switch.lan2.subnet, 10)
  }
}

output "b_address" {
  value = vnode.b.interface["eth0"].ip4_address
}
