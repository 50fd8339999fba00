# Every kind of instance benito addresses, for the migration of states
# written before instances were addressed as vnode.h[0] (format 1, which
# named them vnode.h-0). v1.txt is what that release lowered this to.

experiment "upgrade" {
  routing = "static"
  required_providers {
    hello = { source = "example.org/benito/hello" }
  }
}

site {
  config_root  = "/nonexistent/config"
  run_root     = "/nonexistent/run"
  default_type = "process"
}

switch "lan" {
  count  = 2
  subnet = "10.0.${count.index}.0/24"
}

switch "core" {
  subnet = "10.9.0.0/24"
}

switch "wan" {
  for_each = toset(["east"])
  subnet   = "10.8.0.0/24"
}

switch "br" {
  count = 1
  kind  = "bridge"
}

bridge "ctl" {
  count = 1
}

bridge "mgmt" {}

tap "t" {
  count  = 2
  switch = switch.lan[count.index]
}

tap "u" {
  for_each = toset(["x"])
  bridge   = bridge.ctl[0]
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
  interface "eth2" {
    switch      = switch.core
    ip4_address = "10.9.0.1"
  }
  interface "eth3" {
    switch      = switch.wan["east"]
    ip4_address = "10.8.0.1"
  }
}

vnode "h" {
  count   = 2
  startup = "sleep 1"
  interface "eth0" {
    switch      = switch.lan[count.index]
    ip4_address = "10.0.${count.index}.10"
  }
  interface "eth1" {
    switch = switch.br[0]
  }
  mount {
    source = "/tmp"
    target = "/mnt"
  }
  route {
    destination = "10.7.0.0/24"
    gateway     = "10.0.${count.index}.1"
  }
  depends_on = [vnode.r]
}

vnode "g" {
  for_each = { east = 20, west = 21 }
  interface "eth0" {
    switch      = switch.core
    ip4_address = "10.9.0.${each.value}"
  }
  interface "eth1" {
    switch      = switch.wan["east"]
    ip4_address = "10.8.0.${each.value}"
  }
  depends_on = [vnode.h[1], switch.lan]
}

# A node whose label looks like an instance's host name: it is vnode.h-9,
# before and after.
vnode "h-9" {
  startup = "true"
  interface "eth0" {
    switch      = switch.core
    ip4_address = "10.9.0.99"
  }
}

route "extra" {
  count       = 1
  node        = vnode.h[1]
  destination = "10.6.0.0/24"
  gateway     = "10.0.1.1"
}

resource "hello_greeting" "x" {
  count      = 2
  path       = "/nonexistent/x-${count.index}"
  depends_on = [tap.t[0], bridge.mgmt]
}
