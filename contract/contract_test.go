package contract

import (
	"fmt"
	"strings"
	"testing"

	"github.com/benito-net/benito/internal/golden"
	"github.com/zclconf/go-cty/cty"
)

// TestReference keeps docs/contract.md, the providers' reference of the
// built-in types, generated from the definitions here: `go test ./contract
// -update` rewrites it.
func TestReference(t *testing.T) {
	golden.Check(t, "../docs/contract.md", []byte(reference()))
}

func reference() string {
	var b strings.Builder
	b.WriteString(`# The resource contract

<!-- Generated from package contract by its test (go test ./contract -update); do not edit. -->

These are the resource types benito's lowering produces and the attributes it sets on each. A
provider serving one of them (benito's own, or a third party's platform serving ` + "`vnode`" + `)
declares exactly these attributes in its schema, with these types (required ones are never
null), and may add computed attributes of its own. In Go, ` + "`providers.FromContract`" + ` builds
that part of a schema. The resources of a node (` + "`vnode`, `route`, `mount`, `startup`" + `) are
served by the provider named after the node's type; ` + "`config_file`" + ` by ` + "`" + ConfigProvider + "`" + `; the
rest by ` + "`" + HostNetProvider + "`" + `.
`)
	for _, typ := range Types() {
		fmt.Fprintf(&b, "\n## `%s`\n\n%s.\n\n", typ, capitalize(Describe(typ)))
		table(&b, Attributes(typ))
		if typ == VNode {
			b.WriteString("\nEach entry of `interfaces`:\n\n")
			table(&b, InterfaceAttributes())
			b.WriteString("\nEach entry of `forwards`:\n\n")
			table(&b, ForwardAttributes())
			b.WriteString("\nEach entry of `mounts`:\n\n")
			table(&b, NodeMountAttributes())
		}
	}
	fmt.Fprintf(&b, "\n## Site keys\n\nEvery provider's `Configure` receives the site block's keys as strings. These are part of the contract:\n\n| key | default | meaning |\n|---|---|---|\n| `%s` | `%s` | root of the per-experiment config directories (`ROOT/EXPERIMENT/`) |\n| `%s` | `%s` | root of the per-experiment run directories: sockets, pid files, logs |\n| `%s` | `%s` | the accelerator of a QEMU node whose `accel` is null: %s |\n",
		SiteConfigRoot, DefaultConfigRoot, SiteRunRoot, DefaultRunRoot, SiteQEMUAccel, AccelAuto, quoted(Accels))
	return b.String()
}

func table(b *strings.Builder, attrs []Attribute) {
	b.WriteString("| attribute | type | required | meaning |\n|---|---|---|---|\n")
	for _, a := range attrs {
		req := ""
		if a.Required {
			req = "yes"
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", a.Name, typeName(a.Type), req, a.Description)
	}
}

func typeName(t cty.Type) string {
	if t.IsListType() && t.ElementType().IsObjectType() {
		return "list(object)"
	}
	return t.FriendlyNameForConstraint()
}

// quoted lists values as `"a"`, `"b"` or `"c"`.
func quoted(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("`%q`", v)
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// TestAttributesSorted checks the promise of Attributes: sorted, no
// duplicates, each with a description.
func TestAttributesSorted(t *testing.T) {
	for _, typ := range Types() {
		attrs := Attributes(typ)
		for i, a := range attrs {
			if i > 0 && attrs[i-1].Name >= a.Name {
				t.Errorf("%s: attributes not sorted or duplicated at %q", typ, a.Name)
			}
			if a.Description == "" {
				t.Errorf("%s.%s has no description", typ, a.Name)
			}
			if !ObjectType(typ).HasAttribute(a.Name) {
				t.Errorf("%s.%s is missing from ObjectType", typ, a.Name)
			}
		}
	}
	if Attributes("nosuch") != nil || Has("nosuch") {
		t.Error("an unknown type has attributes")
	}
}

// TestNodeMountIsMount: an entry of a vnode's "mounts" has the attributes
// of a mount resource that say what is shared where, with their types, so
// that lowering can set both from one mount block and a platform read
// either.
func TestNodeMountIsMount(t *testing.T) {
	byName := map[string]Attribute{}
	for _, a := range Attributes(Mount) {
		byName[a.Name] = a
	}
	for _, a := range NodeMountAttributes() {
		m, ok := byName[a.Name]
		if !ok || !m.Type.Equals(a.Type) {
			t.Errorf("mounts entry attribute %s (%s) is not the mount resource's (%#v)", a.Name, a.Type.FriendlyName(), m)
		}
	}
}
