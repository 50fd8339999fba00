# DETER's three node types on one link: an OpenVZ-style container, a
# process node and a QEMU virtual machine, plugged into one VDE switch,
# with /users shared into the container and the machine.
#
#   ct (10.0.8.10, openvz) ──┐
#   p  (10.0.8.20, process) ─┼── lan (VDE switch)
#   vm (10.0.8.30, qemu) ────┘
#
# The container runs benito's test template (scripts/ct-template builds
# it; see docs/openvz.md): busybox's init on a root file system of its
# own, a copy-on-write private area limited to var.diskspace, in a cgroup
# limited to var.memory MiB. The machine boots benito's test guest
# (scripts/guest-image; see docs/qemu.md).
#
#   benito apply -var users=/tmp/users
#   benito exec ct -- ping -c 1 vm
#   benito exec vm -- ping -c 1 ct

variable "users" {
  type        = string
  default     = "/tmp/benito-mixed-users"
  description = "the host directory shared into ct and vm as /users (must exist)"
}

variable "memory" {
  type        = number
  default     = 64
  description = "the container's memory limit, in MiB"
}

variable "diskspace" {
  type        = string
  default     = "64M"
  description = "the most the container may write to its private area"
}

experiment "mixed" {}

site {
  qemu_memory = "192"
}

switch "lan" {
  kind   = "vde"
  subnet = "10.0.8.0/24"
}

vnode "ct" {
  type      = "openvz"
  memory    = var.memory
  diskspace = var.diskspace
  interface "eth0" {
    switch      = switch.lan
    ip4_address = cidrhost(switch.lan.subnet, 10)
  }
  mount {
    source    = var.users
    target    = "/users"
    read_only = true
  }
  startup = "echo up as $(hostname) > /run/started"
}

vnode "p" {
  type = "process"
  interface "eth0" {
    switch      = switch.lan
    ip4_address = cidrhost(switch.lan.subnet, 20)
  }
}

vnode "vm" {
  type = "qemu"
  interface "eth0" {
    switch      = switch.lan
    ip4_address = cidrhost(switch.lan.subnet, 30)
  }
  mount {
    source    = var.users
    target    = "/users"
    read_only = true
  }
}
