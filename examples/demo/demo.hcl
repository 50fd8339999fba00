# Two LANs joined by a router: the smallest routed experiment.
#
#   a (10.0.1.10) ── lan1 ── router ── lan2 ── b (10.0.2.10), c (10.0.2.11)

experiment "demo" {}

variable "config_root" {
  description = "Where the experiment's config directory (hosts, route/<node>, topology.xml) is written."
  type        = string
  default     = "/var/lib/benito"
}

variable "latency" {
  description = "One-way delay on lan2."
  type        = string
  default     = "10ms"
}

site {
  config_root  = var.config_root
  default_type = "process"
}

switch "lan1" {
  subnet = "10.0.1.0/24"
}

switch "lan2" {
  subnet  = "10.0.2.0/24"
  latency = var.latency
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
    ip4_address = "10.0.1.10"
  }
  route {
    destination = "10.0.2.0/24"
    gateway     = vnode.router.interface["eth0"].ip4_address
  }
}

vnode "host" {
  for_each = { b = 10, c = 11 }

  interface "eth0" {
    switch      = switch.lan2
    ip4_address = cidrhost(switch.lan2.subnet, each.value)
  }
  route {
    destination = "10.0.1.0/24"
    gateway     = vnode.router.interface["eth1"].ip4_address
  }
  mount {
    source = "/tmp"
    target = "/mnt"
  }
}

output "router_addresses" {
  value = [for i in vnode.router.interface : i.ip4_prefix]
}
