# Two QEMU virtual machines and a process node on one VDE switch, with
# /users shared into the machines over 9P and one shaped link.
#
#   vm1 (10.0.9.11) ──┐
#   vm2 (10.0.9.12) ──┼── lan (VDE switch) ── probe (10.0.9.2, a process)
#        eth0 of vm2 delays what it sends by var.latency
#
# The machines boot benito's test guest (scripts/guest-image builds it;
# see docs/qemu.md): a Debian kernel and a busybox initramfs
# that reads its settings from a 9P share and runs a guest agent, through
# which benito sets routes, mounts shares and runs commands.

variable "latency" {
  type        = string
  default     = "20ms"
  description = "delay of what vm2 sends on its link"
}

variable "users" {
  type        = string
  default     = "/tmp/benito-vms-users"
  description = "the host directory shared into the machines as /users (must exist)"
}

experiment "vms" {}

site {
  default_type = "qemu"
  qemu_memory  = "192"
}

switch "lan" {
  kind   = "vde"
  subnet = "10.0.9.0/24"
}

vnode "vm1" {
  interface "eth0" {
    switch      = switch.lan
    ip4_address = cidrhost(switch.lan.subnet, 11)
  }
  route {
    destination = "10.0.0.0/8"
    gateway     = cidrhost(switch.lan.subnet, 2)
  }
  mount {
    source    = var.users
    target    = "/users"
    read_only = true
  }
}

vnode "vm2" {
  interface "eth0" {
    switch      = switch.lan
    ip4_address = cidrhost(switch.lan.subnet, 12)
    latency     = var.latency
  }
  mount {
    source    = var.users
    target    = "/users"
    read_only = true
  }
  startup = "echo up > /run/started"
}

vnode "probe" {
  type = "process"
  interface "eth0" {
    switch      = switch.lan
    ip4_address = cidrhost(switch.lan.subnet, 2)
  }
}
