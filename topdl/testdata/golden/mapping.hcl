# Imported from mapping.xml by benito import topdl.
# TopDL rates are kbit/s and latencies ms; they are written here with units.

experiment "mapping" {
  # DETER computed the routes between subnets, and so does benito; "none" keeps only the routes written.
  routing = "static"
}

switch "link0" {
  capacity = "100Mbit"
  latency  = "10ms"
}

switch "link1" {
  # TopDL capacity kind "average": benito shapes to the rate as a maximum.
  capacity = "1500kbit"
}

switch "mixed" {}

vnode "vm" {
  type = "qemu"
  # containers:partition: the physical host the node is placed on (one host for now).
  partition = "0"
  startup   = "sudo /share/start.sh \"hello\""
  os        = "Linux"
  # Attributes benito does not interpret, carried through to the node's provider.
  attributes = {
    "interface.inf001.vlan" = "7"
    "os.distribution"       = "Ubuntu"
    "os.version"            = "3.2"
    "software.0.install"    = "/usr/local"
    "software.0.location"   = "http://example.org/tool.tgz"
  }

  interface "inf000" {
    switch      = switch.link0
    ip4_address = "10.1.0.1"
    ip4_netmask = "255.255.255.0"
    mac_address = "02:00:00:00:00:01"
    # Was benito:vde_switch /run/benito/x/switch/link0.ctl, benito:vde_port 3: benito places sockets and numbers ports itself, keeping them stable across plans.
  }

  interface "inf001" {
    switch      = switch.mixed
    ip4_address = "192.168.5.10"
    ip4_netmask = "255.255.255.0"
    capacity    = "2Mbit"
  }
}

vnode "ct" {
  type = "openvz"
  # containers:openvz_template: the node's template.
  image = "ubuntu-10.04-x86"
  # containers:openvz_diskspace: the most the container may write.
  diskspace = "10G"
  # containers:ghost: the node is created but not started.
  ghost = true

  interface "inf000" {
    switch = switch.link0
    # Allocated by the importer: the file gives no address.
    ip4_address = "10.1.0.2/24"
  }

  interface "inf001" {
    switch = switch.link1
    # The file gives no ip4_netmask: /24 is assumed.
    ip4_address = "10.9.0.7/24"
  }
}

vnode "proc" {
  type = "process"

  interface "inf000" {
    switch = switch.mixed
    # Allocated by the importer: the file gives no address.
    ip4_address = "192.168.5.1/24"
  }

  interface "inf001" {
    switch = switch.link1
    # Allocated by the importer: the file gives no address.
    ip4_address = "10.9.0.1/24"
  }
}

vnode "plain" {
  # No containers:node_type: the site's default_type applies (DETER's default was qemu).
  # Attributes benito does not interpret, carried through to the node's provider.
  attributes = {
    failureaction = "fatal"
  }

  interface "inf000" {
    switch = switch.link1
    # Allocated by the importer: the file gives no address.
    ip4_address = "10.9.0.2/24"
  }
}

# Computer "host" (line 74) is an embedded_pnode: the physical host itself. benito creates nothing for it.
# Its interface inf000 on mixed is not created either.
