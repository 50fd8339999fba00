switch "lan" {
  subnet   = local.lan_net
  capacity = "100Mbit"
  latency  = "10ms"
  loss     = "0.5%"
}

switch "wan" {
  kind   = "bridge"
  subnet = local.wan_net
}

bridge "ctl" {}

vnode "server" {
  type  = "qemu"
  image = var.image
  memory = 1024
  cpus   = 2
  attributes = {
    console = "serial"
  }

  interface "eth0" {
    switch      = switch.lan
    ip4_address = cidrhost(local.lan_net, 1)
  }
  interface "eth1" {
    switch      = "wan"
    ip4_address = cidrhost(switch.wan.subnet, 1)
    mac_address = "02:00:00:00:00:01"
    latency     = "50ms"
  }
  route {
    destination = "default"
    gateway     = cidrhost(local.wan_net, 254)
  }
  mount {
    source    = "/users"
    read_only = true
  }

  accel        = "tcg"
  machine      = "q35"
  kernel       = "/srv/guest/../guest/vmlinuz"
  initrd       = "/srv/guest/initrd.img"
  kernel_args  = "console=ttyS0"
  guest_config = "cloud-init"
  forward {
    host_port  = 2222
    guest_port = 22
  }
  forward {
    protocol     = "udp"
    host_address = "0.0.0.0"
    host_port    = 5353
    guest_port   = 53
  }
  forward {
    host_address = "10.9.0.1"
    host_port    = 2222
    guest_port   = 2222
  }
}

vnode "client" {
  count = var.nodes
  type  = "process"

  interface "eth0" {
    switch      = switch.lan
    ip4_address = cidrhost(local.lan_net, 10 + count.index)
  }
}

tap "uplink" {
  bridge = bridge.ctl
  owner  = 1000
}

route "to-wan" {
  node        = vnode.client[0]
  destination = local.wan_net
  gateway     = vnode.server.interface["eth0"].ip4_address
}
