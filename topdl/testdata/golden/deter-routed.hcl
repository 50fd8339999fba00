# Imported from deter-routed.xml by benito import topdl.
# TopDL rates are kbit/s and latencies ms; they are written here with units.

experiment "deter-routed" {
  # DETER computed the routes between subnets, and so does benito; "none" keeps only the routes written.
  routing = "static"
}

switch "lan1" {}

switch "lan2" {}

vnode "router" {
  # No containers:node_type: the site's default_type applies (DETER's default was qemu).

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
  # No containers:node_type: the site's default_type applies (DETER's default was qemu).

  interface "eth0" {
    switch      = switch.lan1
    ip4_address = "10.0.1.10"
    ip4_netmask = "255.255.255.0"
  }
}

vnode "b" {
  # No containers:node_type: the site's default_type applies (DETER's default was qemu).

  interface "eth0" {
    switch      = switch.lan2
    ip4_address = "10.0.2.10"
    ip4_netmask = "255.255.255.0"
  }
}
