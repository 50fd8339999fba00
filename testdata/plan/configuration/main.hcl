# The configuration of docs/json-plan.md's full example (plan package
# tests: docConfiguration).

experiment "demo" {}

variable "latency" {
  description = "One-way delay of lan0."
  default     = "50ms"
}

switch "lan0" {
  subnet  = "10.0.0.0/24"
  latency = var.latency
}

tap "x" {
  switch = switch.lan0
}

vnode "a" {
  type   = "qemu"
  memory = 1024
  interface "eth0" {
    switch      = switch.lan0
    ip4_address = cidrhost(switch.lan0.subnet, 1)
  }
}

vnode "b" {
  type = "qemu"
}

vnode "d" {
  type = "process"
}

output "ip" {
  value = vnode.a.interface["eth0"].ip4_address
}

output "n" {
  value = 2
}
