# An experiment with instances of count and for_each, applied by the tests
# in a state of format 1 (vnode.h-0) to check that benito upgrades it to
# vnode.h[0] without changing anything on the host. v1.txt lists the
# addresses the format-1 release (commit 6bdecc7) gave it.

experiment "upgrade" {}

variable "config_root" {
  type = string
}

site {
  config_root  = var.config_root
  default_type = "process"
}

switch "lan" {
  count  = 2
  subnet = "10.0.${count.index}.0/24"
}

vnode "r" {
  interface "eth0" {
    switch      = switch.lan[0]
    ip4_address = "10.0.0.1"
  }
  interface "eth1" {
    switch      = switch.lan[1]
    ip4_address = "10.0.1.1"
  }
}

vnode "h" {
  count   = 2
  startup = "true"
  interface "eth0" {
    switch      = switch.lan[count.index]
    ip4_address = "10.0.${count.index}.10"
  }
  route {
    destination = "10.0.${1 - count.index}.0/24"
    gateway     = "10.0.${count.index}.1"
  }
  mount {
    source = "/tmp"
    target = "/mnt"
  }
}

vnode "g" {
  for_each = toset(["x"])
  interface "eth0" {
    switch      = switch.lan[0]
    ip4_address = "10.0.0.20"
  }
  depends_on = [vnode.h[0]]
}
