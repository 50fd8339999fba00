# Imported from messy.xml by benito import topdl.
# TopDL rates are kbit/s and latencies ms; they are written here with units.

experiment "messy" {
  # DETER computed the routes between subnets, and so does benito; "none" keeps only the routes written.
  routing = "static"
}

# Skipped topology/elements/computer "n1"/cpu (line 14): benito has no use for it.
# Skipped topology/elements/computer "n1"/service (line 18): benito has no use for it.
# Skipped topology/elements/testbed "deter" (line 30): benito has no use for it.

switch "lan0" {}

switch "lan1" {
  # TopDL latency kind "average": benito delays every packet by this much.
  latency = "2.5ms"
  # Attribute fedd:color = "blue" (line 9) kept as a comment: switches have no attribute map.
}

vnode "n1" {
  type = "process"

  interface "inf000" {
    switch = switch.lan0
    # Allocated by the importer: the file gives no address.
    ip4_address = "10.0.1.1/24"
  }

  interface "inf001" {
    switch = switch.lan1
    # Allocated by the importer: the file gives no address.
    ip4_address = "10.0.2.1/24"
  }
}

vnode "n2" {
  type = "process"
  # Attributes benito does not interpret, carried through to the node's provider.
  attributes = {
    color = "red"
  }

  interface "eth0" {
    switch = switch.lan1
    # Allocated by the importer: the file gives no address.
    ip4_address = "10.0.2.2/24"
  }
}
