experiment "demo" {
  routing = "static"
}

site {
  config_root = "/tmp/benito/config"
  vde_ports   = 64
  qemu_accel  = "kvm"
}

variable "nodes" {
  type        = number
  default     = 2
  description = "How many client nodes sit on the LAN."
}

variable "image" {
  default = "debian-12.qcow2"
}

locals {
  lan_net = "10.0.0.0/24"
  wan_net = cidrsubnet("10.0.0.0/16", 8, 1)
}

output "server_ip" {
  value       = vnode.server.interface["eth0"].ip4_address
  description = "Where clients find the server."
}

output "client_macs" {
  value = [for c in vnode.client : c.interface["eth0"].mac_address]
}
