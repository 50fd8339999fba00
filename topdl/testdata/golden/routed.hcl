# Imported from routed.xml by benito import topdl.
# TopDL rates are kbit/s and latencies ms; they are written here with units.

experiment "routed" {
  routing = "static"
}

switch "lan1" {}

switch "lan2" {
  latency = "5ms"
}

vnode "router" {
  type = "process"

  interface "eth0" {
    switch      = switch.lan1
    ip4_address = "10.0.1.1"
    ip4_netmask = "255.255.255.0"
  }

  interface "eth1" {
    switch      = switch.lan2
    ip4_address = "10.0.2.1"
    ip4_netmask = "255.255.255.0"
  }
}

vnode "a" {
  type = "process"

  interface "eth0" {
    switch      = switch.lan1
    ip4_address = "10.0.1.10"
    ip4_netmask = "255.255.255.0"
  }
}

vnode "b" {
  type = "process"

  interface "eth0" {
    switch      = switch.lan2
    ip4_address = "10.0.2.10"
    ip4_netmask = "255.255.255.0"
  }
}
