# Policies for benito plans, written as for Terraform plans: they read the
# JSON plan (benito plan -json, or benito show -json PLANFILE), whose
# resource_changes are Terraform's (address, type, change.actions,
# change.before, change.after). See README.md.
package benito.plan

# The most delay a link of the experiment may have.
max_latency := "100ms"

# A node's links are its interfaces: their latency is the shaping the node
# gets (a switch's latency applies to every interface on it).
deny contains msg if {
	some rc in input.resource_changes
	rc.type == "vnode"
	some action in rc.change.actions
	action in {"create", "update"}
	some iface in rc.change.after.interfaces
	is_string(iface.latency)
	time.parse_duration_ns(iface.latency) > time.parse_duration_ns(max_latency)
	msg := sprintf("%s: interface %s would have a latency of %s, more than %s", [rc.address, iface.name, iface.latency, max_latency])
}

# A node may be destroyed only when it carries a label: a "label" in its
# attributes (attributes = { label = "scratch" }).
deny contains msg if {
	some rc in input.resource_changes
	rc.type == "vnode"
	"delete" in rc.change.actions
	not labelled(rc.change.before)
	msg := sprintf("%s would be destroyed, and it has no label (attributes = { label = \"...\" })", [rc.address])
}

labelled(node) if {
	is_string(node.attributes.label)
	node.attributes.label != ""
}
