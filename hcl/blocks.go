package hcl

import (
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/netmask"
	"github.com/benito-net/benito/internal/suggest"
	"github.com/benito-net/benito/model"
)

// Schemas of the blocks' bodies, compiled once from the language's specs
// (language.go): decoding ten thousand blocks must not redo it.
var (
	experimentS = compile(experimentSpec.schema())
	outputS     = compile(outputSpec.schema())
	switchS     = compile(switchSpec.schema())
	bridgeS     = compile(bridgeSpec.schema())
	tapS        = compile(tapSpec.schema())
	vnodeS      = compile(vnodeSpec.schema())
	interfaceS  = compile(interfaceSpec.schema())
	nodeRouteS  = compile(nodeRouteSpec.schema())
	routeS      = compile(routeSpec.schema())
	mountS      = compile(mountSpec.schema())
	forwardS    = compile(forwardSpec.schema())
)

func (e *evaluator) content(body *hclsyntax.Body, s *schema) content {
	c, diags := s.decode(body)
	e.diags = append(e.diags, diags...)
	return c
}

func (e *evaluator) evalExperiment(b *block) {
	content := e.content(b.body, experimentS)
	e.requiredProviders(content)
	ctx := e.ctx(b)
	if s, a, ok := e.str(ctx, content.attrs, "routing"); ok {
		switch s {
		case "none":
			e.exp.Routing = ""
		case "static":
			e.exp.Routing = s
		default:
			e.errorf(a.Expr.Range(), "Invalid routing",
				"routing must be \"none\" (routes only as written) or \"static\" (benito computes shortest-path routes), not %q.", s)
		}
	}
}

func (e *evaluator) evalSite(b *block) {
	attrs, diags := b.body.JustAttributes()
	e.diags = append(e.diags, diags...)
	ctx := e.ctx(b)
	for _, a := range sortedAttrs(attrs) {
		v, ok := e.value(ctx, a.Expr)
		if !ok || v.IsNull() {
			continue
		}
		if marked(v) {
			// Site settings configure the providers and are recorded in
			// the state's site, in clear.
			e.refuseSensitive(a.Expr.Range(), "A site setting")
			continue
		}
		if !v.Type().IsPrimitiveType() {
			e.errorf(a.Expr.Range(), "Invalid site value",
				"Site settings are strings, numbers or bools, which benito passes on as strings; %s is %s.", a.Name, show(v))
			continue
		}
		sv, _ := convert.Convert(v, cty.String) // primitives always convert
		s := sv.AsString()
		rng := a.Expr.Range()
		switch a.Name {
		case contract.SiteConfigRoot, contract.SiteRunRoot:
			if !path.IsAbs(s) {
				e.errorf(rng, fmt.Sprintf("Invalid %s", a.Name),
					"%s must be an absolute path, such as %q: relative paths would depend on where benito runs.",
					a.Name, model.SiteDefaults[a.Name])
				continue
			}
			s = path.Clean(s)
			if err := contract.CheckRoot(a.Name, s); err != nil {
				e.errorf(rng, fmt.Sprintf("Invalid %s", a.Name), "%v.", err)
				continue
			}
		case model.SiteDefaultType:
			if !addrs.ValidName(s) {
				e.errorf(rng, "Invalid default_type", "%q is not a node type: types are names such as \"qemu\", \"openvz\" or \"process\".", s)
				continue
			}
		case model.SiteSwitchKind:
			if s != contract.KindVDE && s != contract.KindBridge {
				e.errorf(rng, "Invalid switch_kind", "switch_kind must be %q or %q, not %q.", contract.KindVDE, contract.KindBridge, s)
				continue
			}
		case contract.SiteQEMUAccel:
			if !slices.Contains(contract.Accels, s) {
				e.errorf(rng, "Invalid qemu_accel", "%s", notOneOf(a.Name, s, contract.Accels))
				continue
			}
		case model.SiteVDEPorts:
			if n, ok := wholeString(s); !ok || n < 1 || n > 65535 {
				e.errorf(rng, "Invalid vde_ports", "vde_ports must be a whole number from 1 to 65535, not %q.", s)
				continue
			}
		}
		e.site[a.Name] = s
	}
}

func (e *evaluator) evalOutput(b *block) {
	content := e.content(b.body, outputS)
	ctx := e.ctx(b)
	out := &model.Output{Name: b.name, DeclRange: b.def}
	if s, _, ok := e.str(ctx, content.attrs, "description"); ok {
		out.Description = s
	}
	out.Sensitive, _ = e.boolean(ctx, content.attrs, "sensitive")
	if a := content.attrs["value"]; a != nil {
		v, ok := e.value(ctx, a.Expr)
		if !ok {
			return
		}
		if v.ContainsMarked() && !out.Sensitive {
			// Terraform's rule: an output is shown after every apply, so
			// hiding a secret there must be said where it is declared.
			e.errorf(a.Expr.Range(), "Output refers to sensitive values",
				"The value of output %q is derived from a sensitive variable. Declare the output sensitive = true, "+
					"and it is shown as (sensitive value), or leave the secret out of it.", b.name)
			return
		}
		if out.Sensitive {
			v, _ = v.UnmarkDeep()
			v = v.Mark(model.Sensitive)
		}
		out.Value = v
	}
	e.exp.Outputs = append(e.exp.Outputs, out)
}

func (e *evaluator) evalSwitch(b *block) {
	content := e.content(b.body, switchS)
	insts, ok := e.expand(b, content)
	if !ok {
		return
	}
	deps := e.dependsOn(content)
	at := content.attrs
	var vals []cty.Value
	for _, in := range insts {
		sw := &model.Switch{Name: in.name, Addr: in.addr, Kind: e.site[model.SiteSwitchKind], DependsOn: deps, DeclRange: b.def}
		if s, a, ok := e.str(in.ctx, at, "kind"); ok {
			if s == contract.KindVDE || s == contract.KindBridge {
				sw.Kind = s
			} else {
				e.errorf(a.Expr.Range(), "Invalid switch kind",
					"kind must be %q (a vde_switch daemon) or %q (a Linux bridge), not %q.", contract.KindVDE, contract.KindBridge, s)
			}
		}
		if n, ok := e.integer(in.ctx, at, "ports", 0, 65535); ok {
			sw.Ports = int(n)
		}
		if s, a, ok := e.str(in.ctx, at, "subnet"); ok {
			p, err := parseSubnet(s)
			if err != nil {
				e.errorf(a.Expr.Range(), "Invalid subnet", "%s.", err)
			}
			sw.Subnet = p
		}
		sw.Shaping, _ = e.shaping(in.ctx, at)
		sw.Group, _, _ = e.str(in.ctx, at, "group")
		if s, a, ok := e.str(in.ctx, at, "mode"); ok {
			if !validMode(s) {
				e.errorf(a.Expr.Range(), "Invalid mode",
					"mode is the octal permission of the switch's control socket, such as \"0770\", not %q. Write it as a string so the leading 0 stays.", s)
			}
			sw.Mode = s
		}
		sw.Existing, sw.Uplink = e.join(in.ctx, at, func(a *hclsyntax.Attribute) {
			if sw.Kind != contract.KindBridge {
				e.errorf(a.NameRange, "Not a bridge switch",
					"%s joins the host's devices to a Linux bridge, and switch %q is a VDE switch. Set kind = %q, or remove %s.",
					a.Name, sw.Name, contract.KindBridge, a.Name)
			}
		})
		e.exp.Switches = append(e.exp.Switches, sw)
		if e.switches[sw.Name] == nil {
			e.switches[sw.Name] = sw
		}
		if b.used {
			subnet, ports := cty.NullVal(cty.String), cty.NullVal(cty.Number)
			if sw.Subnet.IsValid() {
				subnet = cty.StringVal(sw.Subnet.String())
			}
			if sw.Ports != 0 {
				ports = cty.NumberIntVal(int64(sw.Ports))
			}
			vals = append(vals, cty.ObjectVal(map[string]cty.Value{
				"name": cty.StringVal(sw.Name), "kind": cty.StringVal(sw.Kind), "subnet": subnet, "ports": ports,
			}))
		}
	}
	e.record(b, insts, vals)
}

func (e *evaluator) evalBridge(b *block) {
	content := e.content(b.body, bridgeS)
	insts, ok := e.expand(b, content)
	if !ok {
		return
	}
	deps := e.dependsOn(content)
	var vals []cty.Value
	for _, in := range insts {
		br := &model.Bridge{Name: in.name, Addr: in.addr, DependsOn: deps, DeclRange: b.def}
		br.Existing, br.Uplink = e.join(in.ctx, content.attrs, nil)
		e.exp.Bridges = append(e.exp.Bridges, br)
		if b.used {
			vals = append(vals, nameValue(in.name))
		}
	}
	e.record(b, insts, vals)
}

// join reads existing and uplink, the host devices a bridge joins: device
// names, not the same one twice. set, when not nil, is told of each
// attribute that is set.
func (e *evaluator) join(ctx *hcl.EvalContext, at map[string]*hclsyntax.Attribute, set func(*hclsyntax.Attribute)) (existing, uplink string) {
	var names [2]string
	for i, name := range []string{"existing", "uplink"} {
		s, a, ok := e.str(ctx, at, name)
		if !ok {
			continue
		}
		if set != nil {
			set(a)
		}
		if err := contract.CheckDeviceName(s); err != nil {
			e.errorf(a.Expr.Range(), "Invalid "+name, "%s names a host device: %v.", name, err)
			continue
		}
		names[i] = s
		if i == 1 && names[0] == s {
			e.errorf(a.Expr.Range(), "Uplink is the bridge",
				"uplink %q is the bridge named by existing; an uplink is another interface to put in that bridge. Remove uplink, or name the interface.", s)
			names[1] = ""
		}
	}
	return names[0], names[1]
}

// nameValue is what bridge.NAME and tap.NAME evaluate to: other blocks can
// read nothing of a bridge or a tap but its name, and refName takes an object
// with a name as a reference to it.
func nameValue(name string) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(name)})
}

// tapRec keeps what the checks after evaluation need of a tap.
type tapRec struct {
	tap      *model.Tap
	rng      hcl.Range // the switch or bridge attribute
	isBridge bool
}

func (e *evaluator) evalTap(b *block) {
	content := e.content(b.body, tapS)
	insts, ok := e.expand(b, content)
	if !ok {
		return
	}
	at := content.attrs
	swA, brA := at["switch"], at["bridge"]
	if (swA == nil) == (brA == nil) {
		rng := b.def
		if swA != nil {
			rng = brA.NameRange
		}
		e.errorf(rng, "Tap needs one of switch and bridge",
			"A tap is plugged into a VDE switch (switch = switch.NAME) or enslaved to a bridge (bridge = bridge.NAME): set exactly one of them.")
	}
	deps := e.dependsOn(content)
	var vals []cty.Value
	for _, in := range insts {
		t := &model.Tap{Name: in.name, Addr: in.addr, DependsOn: deps, DeclRange: b.def}
		t.Owner, _, _ = e.str(in.ctx, at, "owner")
		t.Group, _, _ = e.str(in.ctx, at, "group")
		if addr, bits, rng, ok := e.address(in.ctx, at, fmt.Sprintf("Tap %q", in.name)); ok {
			if bits < 0 {
				e.errorf(rng, "Missing netmask",
					"Tap %q has an address but no prefix length. Write the address as \"%s/30\" (or the length you mean), or set ip4_netmask.",
					in.name, addr)
			} else {
				t.Address = e.hostPrefix(addr, bits, rng)
			}
		}
		if swA != nil && brA == nil {
			if name, ok := e.switchName(in.ctx, swA); ok {
				t.Switch = name
				e.taps = append(e.taps, &tapRec{tap: t, rng: swA.Expr.Range()})
			}
		}
		if brA != nil && swA == nil {
			if name, ok := e.refName(in.ctx, brA, kindBridge, nil); ok {
				t.Bridge = name
				e.taps = append(e.taps, &tapRec{tap: t, rng: brA.Expr.Range(), isBridge: true})
			}
		}
		e.exp.Taps = append(e.exp.Taps, t)
		if b.used {
			vals = append(vals, nameValue(in.name))
		}
	}
	e.record(b, insts, vals)
}

// switchName reads an attribute naming a switch instance: a switch value
// (switch.lan0) or its name as a string.
func (e *evaluator) switchName(ctx *hcl.EvalContext, a *hclsyntax.Attribute) (string, bool) {
	return e.refName(ctx, a, kindSwitch, []string{"name", "kind"})
}

// refName reads an attribute that names an instance of kind: a string, or an
// object with the attributes that tell a value of that kind apart.
func (e *evaluator) refName(ctx *hcl.EvalContext, a *hclsyntax.Attribute, kind string, shape []string) (string, bool) {
	v, ok := e.shallow(ctx, a.Expr)
	if !ok || v.IsNull() {
		return "", false
	}
	// The name is what matters: the whole value (a switch object) is not
	// walked, which would cost an allocation per attribute per interface.
	if v.IsMarked() {
		e.refuseSensitive(a.Expr.Range(), a.Name)
		return "", false
	}
	ty := v.Type()
	if ty == cty.String {
		return v.AsString(), true
	}
	if shape == nil {
		shape = []string{"name"}
	}
	isObj := ty.IsObjectType()
	for _, attr := range shape {
		isObj = isObj && ty.HasAttribute(attr)
	}
	if isObj {
		n := v.GetAttr("name")
		if !n.IsKnown() {
			return "", false // downstream of a reported error
		}
		if n.IsMarked() {
			e.refuseSensitive(a.Expr.Range(), a.Name)
			return "", false
		}
		if n.Type() == cty.String && !n.IsNull() {
			return n.AsString(), true
		}
	}
	hint := ""
	if ty.IsTupleType() || ty.IsObjectType() && !ty.HasAttribute("name") {
		hint = fmt.Sprintf(" A %s block with count or for_each is a collection of instances: pick one, as in %s.NAME[0] or %s.NAME[\"key\"].", kind, kind, kind)
	}
	e.errorf(a.Expr.Range(), fmt.Sprintf("Not a %s", kindWord(kind)),
		"%s must name a %s: write a reference such as %s.NAME, or its host name as a string (\"NAME-0\" for %s.NAME[0]); this is %s.%s",
		a.Name, kind, kind, kind, describe(v), hint)
	return "", false
}

// describe says what kind of value v is, for messages.
func describe(v cty.Value) string {
	ty := v.Type()
	if ty.IsObjectType() {
		switch {
		case ty.HasAttribute("interface"):
			return "a vnode"
		case ty.HasAttribute("kind"):
			return "a switch"
		}
	}
	return show(v)
}

func (e *evaluator) evalVNode(b *block) {
	content := e.content(b.body, vnodeS)
	insts, ok := e.expand(b, content)
	if !ok {
		return
	}
	deps := e.dependsOn(content)
	at := content.attrs

	// Nested blocks are decoded once; only their values vary by instance.
	var ifaces, routes, mounts, forwards []*nested
	for _, nb := range content.blocks {
		switch nb.Type {
		case "interface":
			name := nb.Labels[0]
			// A node has a handful of interfaces: a scan beats a map.
			if i := slices.IndexFunc(ifaces, func(n *nested) bool { return n.blk.Labels[0] == name }); i >= 0 {
				e.errorf(nb.LabelRanges[0], fmt.Sprintf("Duplicate interface %q", name),
					"%s already has an interface %q, declared at %s. Rename or remove one of them.",
					b.addr, name, rangeString(ifaces[i].blk.DefRange()))
				continue
			}
			e.diags = append(e.diags, checkInterfaceName(name, nb.LabelRanges[0])...)
			ifaces = append(ifaces, e.nested(nb, interfaceS))
		case "route":
			routes = append(routes, e.nested(nb, nodeRouteS))
		case "mount":
			mounts = append(mounts, e.nested(nb, mountS))
		case "forward":
			forwards = append(forwards, e.nested(nb, forwardS))
		}
	}

	var vals []cty.Value
	for i, in := range insts {
		vn := &model.VNode{Name: in.name, Addr: in.addr, Type: e.site[model.SiteDefaultType], DependsOn: deps, DeclRange: b.def}
		if s, ok := e.name(in.ctx, at, "type"); ok {
			vn.Type = s
		}
		for _, f := range []struct {
			attr string
			to   *string
		}{{model.AttrStartup, &vn.Startup}, {model.AttrOS, &vn.OS}, {model.AttrImage, &vn.Image}, {model.AttrPartition, &vn.Partition}} {
			if v, sensitive, ok := e.secret(in.ctx, at, f.attr, cty.String); ok {
				*f.to = v.AsString()
				markSensitive(vn, f.attr, sensitive)
			}
		}
		vn.Ghost, _ = e.boolean(in.ctx, at, "ghost")
		vn.Memory, _ = e.integer(in.ctx, at, "memory", 0, 1<<40)
		vn.CPUs, _ = e.integer(in.ctx, at, "cpus", 0, 1<<16)
		if v, sensitive, ok := e.secret(in.ctx, at, model.AttrAttributes, cty.Map(cty.String)); ok {
			markSensitive(vn, model.AttrAttributes, sensitive)
			vn.Attrs = map[string]string{}
			for k, s := range v.AsValueMap() {
				if !s.IsNull() {
					vn.Attrs[k] = s.AsString()
				}
			}
		}
		e.qemu(in.ctx, at, vn)
		e.openvz(in.ctx, at, vn, b, i)
		for j, n := range forwards {
			if f := e.forward(in.ctx, n, vn, b, i, j); f != nil {
				vn.Forwards = append(vn.Forwards, f)
			}
		}
		for j, n := range ifaces {
			vn.Interfaces = append(vn.Interfaces, e.iface(in.ctx, vn, n, b, i, j))
		}
		for j, n := range routes {
			if r := e.route(in.ctx, n.content.attrs, vn.Name, n.blk.DefRange(), b, i, j, nil); r != nil {
				vn.Routes = append(vn.Routes, r)
			}
		}
		for _, n := range mounts {
			m := e.mount(in.ctx, n, vn.Name, vn.Type)
			if m == nil {
				continue
			}
			if i := slices.IndexFunc(vn.Mounts, func(o *model.Mount) bool { return o.Target == m.Target }); i >= 0 {
				e.errorf(n.blk.DefRange(), "Duplicate mount target",
					"%s already mounts something at %q, at %s. A path can hold only one mount: change one target.",
					nodeAddr(vn), m.Target, rangeString(vn.Mounts[i].DeclRange))
				continue
			}
			vn.Mounts = append(vn.Mounts, m)
		}
		slices.SortFunc(vn.Interfaces, func(a, b *model.Interface) int { return strings.Compare(a.Name, b.Name) })
		slices.SortFunc(vn.Mounts, func(a, b *model.Mount) int { return strings.Compare(a.Target, b.Target) })
		// Routes and forwards are sorted after the checks, which report
		// them in source order.
		e.exp.VNodes = append(e.exp.VNodes, vn)
		if b.used {
			vals = append(vals, e.vnodeValue(vn))
		}
	}
	e.record(b, insts, vals)
}

// markSensitive notes that attribute attr of vn holds a sensitive value.
func markSensitive(vn *model.VNode, attr string, sensitive bool) {
	if !sensitive {
		return
	}
	if vn.Sensitive == nil {
		vn.Sensitive = map[string]bool{}
	}
	vn.Sensitive[attr] = true
}

// nested is a block inside a vnode, decoded once for all instances.
type nested struct {
	blk     *hclsyntax.Block
	content content
}

func (e *evaluator) nested(nb *hclsyntax.Block, s *schema) *nested {
	return &nested{blk: nb, content: e.content(nb.Body, s)}
}

var ifaceValueType = cty.Object(map[string]cty.Type{
	"name": cty.String, "switch": cty.String, "ip4_address": cty.String,
	"ip4_netmask": cty.String, "ip4_prefix": cty.String, "mac_address": cty.String,
})

// vnodeValue is what vnode.NAME evaluates to.
func (e *evaluator) vnodeValue(vn *model.VNode) cty.Value {
	ifaces := make(map[string]cty.Value, len(vn.Interfaces))
	for _, ifc := range vn.Interfaces {
		addr, mask, prefix := cty.NullVal(cty.String), cty.NullVal(cty.String), cty.NullVal(cty.String)
		if ifc.Address.IsValid() {
			addr = cty.StringVal(ifc.Address.Addr().String())
			mask = cty.StringVal(netmask.Format(ifc.Address.Bits()))
			prefix = cty.StringVal(ifc.Address.String())
		}
		sw := cty.NullVal(cty.String)
		if ifc.Switch != "" {
			sw = cty.StringVal(ifc.Switch)
		}
		mac := ifc.MAC
		if mac == nil {
			mac = model.DeriveMAC(e.exp.Name, vn.Name, ifc.Name)
		}
		ifaces[ifc.Name] = cty.ObjectVal(map[string]cty.Value{
			"name": cty.StringVal(ifc.Name), "switch": sw, "ip4_address": addr,
			"ip4_netmask": mask, "ip4_prefix": prefix, "mac_address": cty.StringVal(mac.String()),
		})
	}
	var iv cty.Value
	if len(ifaces) > 0 {
		iv = cty.MapVal(ifaces)
	} else {
		iv = cty.MapValEmpty(ifaceValueType)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"name": cty.StringVal(vn.Name), "type": cty.StringVal(vn.Type), "interface": iv,
	})
}

// ifaceRec keeps what the checks after evaluation need of an interface.
type ifaceRec struct {
	origin
	node      *model.VNode
	ifc       *model.Interface
	swRange   hcl.Range
	addrRange hcl.Range
	// pending is the parsed address when its prefix length is still to
	// come from the switch's subnet, which was not evaluated yet.
	pending netip.Addr
	shaped  shapingSet
}

func (e *evaluator) iface(ctx *hcl.EvalContext, vn *model.VNode, n *nested, b *block, inst, idx int) *model.Interface {
	at := n.content.attrs
	ifc := &model.Interface{Name: n.blk.Labels[0], DeclRange: n.blk.DefRange()}
	rec := &ifaceRec{origin: origin{b: b, inst: inst, idx: idx}, node: vn, ifc: ifc}
	if a := at["switch"]; a != nil {
		rec.swRange = a.Expr.Range()
		ifc.Switch, _ = e.switchName(ctx, a)
	}
	addr, bits, addrRange, hasAddr := e.address(ctx, at, fmt.Sprintf("Interface %q", ifc.Name))
	rec.addrRange = addrRange
	if hasAddr {
		if bits < 0 {
			if sw := e.switches[ifc.Switch]; sw != nil {
				bits = e.subnetBits(sw, rec, addr)
			} else {
				rec.pending = addr
			}
		}
		if bits >= 0 {
			ifc.Address = e.hostPrefix(addr, bits, rec.addrRange)
		}
	}
	if s, a, ok := e.str(ctx, at, "mac_address"); ok {
		mac, err := parseMAC(s)
		if err != nil {
			e.errorf(a.Expr.Range(), "Invalid mac_address", "%s.", err)
		}
		ifc.MAC = mac
	}
	if n, ok := e.integer(ctx, at, "mtu", 68, 65535); ok {
		ifc.MTU = int(n)
	}
	ifc.Shaping, rec.shaped = e.shaping(ctx, at)
	e.ifaces = append(e.ifaces, rec)
	return ifc
}

// address reads ip4_address and ip4_netmask, as an interface and a tap
// have them: the address, its prefix length (-1 when neither gives one),
// the address's range, and whether there is a valid address. who names the
// block in the error of a netmask without an address.
func (e *evaluator) address(ctx *hcl.EvalContext, at map[string]*hclsyntax.Attribute, who string) (netip.Addr, int, hcl.Range, bool) {
	addrS, addrA, hasAddr := e.str(ctx, at, "ip4_address")
	addr, bits := netip.Addr{}, -1
	var rng hcl.Range
	if hasAddr {
		rng = addrA.Expr.Range()
		var err error
		addr, bits, err = parseAddress(addrS)
		if err != nil {
			e.errorf(rng, "Invalid ip4_address", "%s.", err)
			hasAddr = false
		}
	}
	if v, a, ok := e.get(ctx, at, "ip4_netmask", cty.DynamicPseudoType); ok {
		mbits, err := maskBits(v)
		switch {
		case err != nil:
			e.errorf(a.Expr.Range(), "Invalid ip4_netmask", "%s.", err)
		case addrA == nil:
			e.errorf(a.Expr.Range(), "Netmask without address",
				"%s has an ip4_netmask but no ip4_address. Add the address, or remove the netmask.", who)
		case bits >= 0 && bits != mbits:
			e.errorf(a.Expr.Range(), "Conflicting netmask",
				"ip4_address %q already gives the prefix length /%d, but ip4_netmask says /%d. Give the length once.", addrS, bits, mbits)
		default:
			bits = mbits
		}
	}
	return addr, bits, rng, hasAddr
}

// subnetBits gives an address without a netmask the prefix length of its
// switch's subnet, or reports that there is none; -1 then.
func (e *evaluator) subnetBits(sw *model.Switch, rec *ifaceRec, addr netip.Addr) int {
	if sw.Subnet.IsValid() {
		return sw.Subnet.Bits()
	}
	e.errorf(rec.addrRange, "Missing netmask",
		"Interface %q of %s has an address but no prefix length, and its switch %s has no subnet to take one from. "+
			"Write the address as \"%s/24\", set ip4_netmask, or give the switch a subnet.",
		rec.ifc.Name, nodeAddr(rec.node), sw.Addr.Resource(kindSwitch), addr)
	return -1
}

// hostPrefix checks that addr is a usable host address in its prefix.
func (e *evaluator) hostPrefix(addr netip.Addr, bits int, rng hcl.Range) netip.Prefix {
	p := netip.PrefixFrom(addr, bits)
	if what := hostProblem(p); what != "" {
		e.errorf(rng, "Address is not a host address",
			"%s is %s of %s, which no interface can have. Pick an address between %s and %s.",
			addr, what, p.Masked(), p.Masked().Addr().Next(), lastAddr(p).Prev())
	}
	return p
}

// routeRec keeps what the checks after evaluation need of a route.
type routeRec struct {
	origin
	r         *model.Route
	def       hcl.Range
	gwRange   hcl.Range
	devRange  hcl.Range
	nodeRange *hcl.Range // set for a top-level route
}

// route decodes a route's destination, gateway, device and metric.
func (e *evaluator) route(ctx *hcl.EvalContext, at map[string]*hclsyntax.Attribute, node string, def hcl.Range, b *block, inst, idx int, nodeRange *hcl.Range) *model.Route {
	r := &model.Route{Node: node, DeclRange: def}
	rec := &routeRec{origin: origin{b: b, inst: inst, idx: idx}, r: r, def: def, nodeRange: nodeRange}
	s, a, ok := e.str(ctx, at, "destination")
	if !ok {
		return nil
	}
	dest, err := parseDestination(s)
	if err != nil {
		e.errorf(a.Expr.Range(), "Invalid route destination", "%s.", err)
		return nil
	}
	r.Destination = dest
	if s, a, ok := e.str(ctx, at, "gateway"); ok {
		rec.gwRange = a.Expr.Range()
		gw, err := parseIPv4(s)
		if err != nil {
			e.errorf(rec.gwRange, "Invalid route gateway", "%s.", err)
		}
		r.Gateway = gw
	}
	if s, a, ok := e.str(ctx, at, "device"); ok {
		rec.devRange = a.Expr.Range()
		r.Device = s
	}
	if n, ok := e.integer(ctx, at, "metric", 0, 1<<32-1); ok {
		r.Metric = int(n)
	}
	if at["gateway"] == nil && at["device"] == nil {
		e.errorf(def, "Route goes nowhere",
			"A route needs a gateway (gateway = \"10.0.0.254\"), a device (device = \"eth0\"), or both.")
	}
	e.routes = append(e.routes, rec)
	return r
}

func (e *evaluator) mount(ctx *hcl.EvalContext, n *nested, node, nodeType string) *model.Mount {
	at := n.content.attrs
	m := &model.Mount{Node: node, DeclRange: n.blk.DefRange()}
	src, a, ok := e.str(ctx, at, "source")
	if !ok {
		return nil
	}
	if !path.IsAbs(src) {
		e.errorf(a.Expr.Range(), "Mount source is not absolute",
			"source %q must be an absolute host path, such as \"/users\": a relative one would depend on where benito runs.", src)
		return nil
	}
	m.Source = path.Clean(src)
	m.Target = m.Source
	targetRange := a.Expr.Range() // the source's, when it is the target too
	if t, a, ok := e.str(ctx, at, "target"); ok {
		if !path.IsAbs(t) {
			e.errorf(a.Expr.Range(), "Mount target is not absolute",
				"target %q must be an absolute path inside the node, such as \"/users\".", t)
			return nil
		}
		m.Target = path.Clean(t)
		targetRange = a.Expr.Range()
	}
	if m.Target == "/" {
		e.errorf(targetRange, "Mount over the node's root",
			"The mount's target is \"/\" (the target is the source unless set): a bind over a node's root directory hides everything the node runs from. Mount %s somewhere below, such as target = \"/mnt\".", m.Source)
		return nil
	}
	var set bool
	if m.ReadOnly, set = e.boolean(ctx, at, "read_only"); !set && nodeType == contract.NodeQEMU {
		// A virtual machine's share is read-only unless asked: QEMU
		// writes into it for the guest as root.
		m.ReadOnly = true
	}
	return m
}

// qemu reads the attributes that configure a QEMU machine. Any node may
// set them: which node types take them is its provider's to say (the
// process provider refuses them at plan).
func (e *evaluator) qemu(ctx *hcl.EvalContext, at map[string]*hclsyntax.Attribute, vn *model.VNode) {
	vn.Accel, _ = e.oneOf(ctx, at, "accel", contract.Accels)
	vn.GuestConfig, _ = e.oneOf(ctx, at, "guest_config", contract.GuestConfigs)
	if s, a, ok := e.str(ctx, at, "machine"); ok {
		if validMachine(s) {
			vn.Machine = s
		} else {
			e.errorf(a.Expr.Range(), "Invalid machine",
				"%q is not a QEMU machine type: those are names of letters, digits, '.', '_' and '-', such as \"q35\" or \"pc\" (qemu-system-x86_64 -machine help lists them); options after a comma are not taken.", s)
		}
	}
	for _, f := range []struct {
		attr, what string
		to         *string
	}{{"kernel", "kernel", &vn.Kernel}, {"initrd", "initial ramdisk", &vn.Initrd}} {
		s, a, ok := e.str(ctx, at, f.attr)
		if !ok {
			continue
		}
		if !path.IsAbs(s) {
			e.errorf(a.Expr.Range(), fmt.Sprintf("Invalid %s", f.attr),
				"%s %q must be the absolute path of a %s on the host, such as \"/var/lib/benito/guest/%s\": a relative one would depend on where benito runs.",
				f.attr, s, f.what, map[string]string{"kernel": "vmlinuz", "initrd": "initrd.img"}[f.attr])
			continue
		}
		*f.to = path.Clean(s)
	}
	vn.KernelArgs, _, _ = e.str(ctx, at, "kernel_args")
	if at["kernel"] == nil {
		for _, attr := range []string{"initrd", "kernel_args"} {
			if a := at[attr]; a != nil {
				e.errorf(a.NameRange, fmt.Sprintf("%s without kernel", attr),
					"%s sets %s, which only a kernel booted directly takes: set kernel too (the absolute path of the kernel on the host), or remove %s.",
					nodeAddr(vn), attr, attr)
			}
		}
	}
}

// ctidRec keeps what the experiment-wide check of ctids needs.
type ctidRec struct {
	origin
	node *model.VNode
	rng  hcl.Range // the ctid's value
}

// openvz reads the attributes that configure an OpenVZ container. Any
// node may set them, as with qemu: the platforms that are not containers
// refuse them at plan. ostemplate is vzctl's word for image, which it
// sets: one concept, one attribute of the contract.
func (e *evaluator) openvz(ctx *hcl.EvalContext, at map[string]*hclsyntax.Attribute, vn *model.VNode, b *block, inst int) {
	if a := at["ostemplate"]; a != nil {
		if img := at[model.AttrImage]; img != nil {
			e.errorf(a.NameRange, "Both ostemplate and image",
				"%s sets ostemplate, and image at %s: ostemplate is OpenVZ's name for image, and a node has one. Remove one of them.",
				nodeAddr(vn), rangeString(img.NameRange))
		} else if v, sensitive, ok := e.secret(ctx, at, "ostemplate", cty.String); ok {
			vn.Image = v.AsString()
			markSensitive(vn, model.AttrImage, sensitive)
		}
	}
	if n, ok := e.integer(ctx, at, "ctid", contract.MinCTID, contract.MaxCTID); ok {
		vn.CTID = n
		e.ctids = append(e.ctids, &ctidRec{origin: origin{b: b, inst: inst}, node: vn, rng: at["ctid"].Expr.Range()})
	}
	if v, a, ok := e.get(ctx, at, "hostname", cty.String); ok {
		if err := contract.CheckHostname(v.AsString()); err != nil {
			e.errorf(a.Expr.Range(), "Invalid hostname", "%s: %v.", nodeAddr(vn), err)
		} else {
			vn.Hostname = v.AsString()
		}
	}
	if v, a, ok := e.get(ctx, at, "diskspace", cty.DynamicPseudoType); ok {
		vn.Diskspace = e.diskspace(v, a)
	}
	if v, a, ok := e.get(ctx, at, "nameserver", cty.DynamicPseudoType); ok {
		vn.Nameservers = e.nameservers(v, a)
	}
	if v, a, ok := e.get(ctx, at, "init", cty.List(cty.String)); ok {
		argv, complete := listStrings(v)
		if err := contract.CheckInit(argv); err != nil || !complete {
			if err == nil {
				err = fmt.Errorf("an argument of init is null")
			}
			e.errorf(a.Expr.Range(), "Invalid init", "%s: %v. init is the container's PID 1 and its arguments, such as [\"/bin/busybox\", \"init\"].", nodeAddr(vn), err)
		} else {
			vn.Init = argv
		}
	}
}

// diskspace reads a diskspace: a string as vzctl writes it ("2G") or a
// whole number of bytes; 0 when it is not one, which has been reported.
func (e *evaluator) diskspace(v cty.Value, a *hclsyntax.Attribute) int64 {
	var n int64
	switch {
	case v.Type() == cty.String:
		var err error
		if n, err = contract.ParseDiskspace(v.AsString()); err != nil {
			e.errorf(a.Expr.Range(), "Invalid diskspace", "%v.", err)
			return 0
		}
	case v.Type() == cty.Number:
		var whole bool
		if n, whole = wholeNumber(v); !whole || n < 0 {
			e.errorf(a.Expr.Range(), "Invalid diskspace", "diskspace %s is not a whole number of bytes: give one, or a size such as \"2G\".", show(v))
			return 0
		}
	default:
		e.errorf(a.Expr.Range(), "Invalid diskspace", "diskspace must be a size such as \"2G\" or a number of bytes, not %s.", describe(v))
		return 0
	}
	if err := contract.CheckDiskspace(n); err != nil {
		e.errorf(a.Expr.Range(), "Invalid diskspace", "%v.", err)
		return 0
	}
	return n
}

// nameservers reads nameserver: one address or a list of them, each an
// IP literal; nil when it is not that, which has been reported.
func (e *evaluator) nameservers(v cty.Value, a *hclsyntax.Attribute) []string {
	var ss []string
	complete := true
	switch {
	case v.Type() == cty.String:
		ss = []string{v.AsString()}
	case v.Type().IsListType() || v.Type().IsTupleType():
		lv, err := convert.Convert(v, cty.List(cty.String))
		if err != nil {
			e.errorf(a.Expr.Range(), "Invalid nameserver", "nameserver must be an address or a list of addresses: %s.", err)
			return nil
		}
		ss, complete = listStrings(lv)
	default:
		e.errorf(a.Expr.Range(), "Invalid nameserver", "nameserver must be an address such as \"192.0.2.53\" or a list of them, not %s.", describe(v))
		return nil
	}
	if !complete {
		e.errorf(a.Expr.Range(), "Invalid nameserver", "An entry of nameserver is null: give addresses such as \"192.0.2.53\".")
		return nil
	}
	if len(ss) == 0 {
		e.errorf(a.Expr.Range(), "Invalid nameserver", "nameserver is an empty list: give at least one address, or remove it to keep the template's /etc/resolv.conf.")
		return nil
	}
	for i, s := range ss {
		if err := contract.CheckNameserver(s); err != nil {
			e.errorf(a.Expr.Range(), "Invalid nameserver", "%v.", err)
			return nil
		}
		if j := slices.Index(ss[:i], s); j >= 0 {
			e.errorf(a.Expr.Range(), "Invalid nameserver", "nameserver %q is listed twice.", s)
			return nil
		}
	}
	return ss
}

// listStrings returns the elements of a known list of strings; complete
// is false when one is null.
func listStrings(v cty.Value) (ss []string, complete bool) {
	complete = true
	for _, el := range v.AsValueSlice() {
		if el.IsNull() {
			complete = false
			continue
		}
		ss = append(ss, el.AsString())
	}
	return ss, complete
}

// oneOf reads a string attribute that must be one of values, suggesting
// the nearest for a typo.
func (e *evaluator) oneOf(ctx *hcl.EvalContext, at map[string]*hclsyntax.Attribute, attr string, values []string) (string, bool) {
	s, a, ok := e.str(ctx, at, attr)
	if !ok {
		return "", false
	}
	if slices.Contains(values, s) {
		return s, true
	}
	e.errorf(a.Expr.Range(), fmt.Sprintf("Invalid %s", attr), "%s", notOneOf(attr, s, values))
	return "", false
}

// notOneOf says that attribute attr cannot be s, only one of values, with
// the value meant when s looks like a typo of it.
func notOneOf(attr, s string, values []string) string {
	msg := fmt.Sprintf("%s must be %s, not %q.", attr, quoteList(values), s)
	if n := suggest.Nearest(s, values); n != "" {
		msg += fmt.Sprintf(" Did you mean %q?", n)
	}
	return msg
}

// quoteList lists values for a message: "a", "b" or "c".
func quoteList(values []string) string {
	return orList(values, strconv.Quote)
}

// validMachine reports whether s can be a QEMU machine type: a name, with
// nothing QEMU's option parser would read as more options.
func validMachine(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return s[0] != '-'
}

// forwardRec keeps what the experiment-wide check of forwards needs.
type forwardRec struct {
	origin
	node *model.VNode
	f    *model.Forward
}

// forward decodes a forward block of node vn; nil when it is not usable,
// which has been reported.
func (e *evaluator) forward(ctx *hcl.EvalContext, n *nested, vn *model.VNode, b *block, inst, idx int) *model.Forward {
	at := n.content.attrs
	f := &model.Forward{Protocol: contract.ProtocolTCP, HostAddress: netip.MustParseAddr(contract.DefaultForwardAddress), DeclRange: n.blk.DefRange()}
	errs := e.errors()
	hp, hpSet := e.integer(ctx, at, "host_port", 1, 65535)
	gp, gpSet := e.integer(ctx, at, "guest_port", 1, 65535)
	f.HostPort, f.GuestPort = int(hp), int(gp)
	if s, ok := e.oneOf(ctx, at, "protocol", contract.Protocols); ok {
		f.Protocol = s
	}
	if s, a, ok := e.str(ctx, at, "host_address"); ok {
		addr, err := parseIPv4(s)
		switch {
		case err != nil:
			e.errorf(a.Expr.Range(), "Invalid host_address", "%s: the host's address to listen on, such as %q (the default: the host alone can connect) or \"0.0.0.0\" (every address).", err, contract.DefaultForwardAddress)
		case addr.IsMulticast() || addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
			e.errorf(a.Expr.Range(), "Invalid host_address", "%s is a multicast or broadcast address, which nothing listens on: give one of the host's addresses, such as %q.", addr, contract.DefaultForwardAddress)
		default:
			f.HostAddress = addr
		}
	}
	// A forward with an error (reported) is not checked against the
	// others: its defaults would make clashes that are not there.
	if !hpSet || !gpSet || e.errors() > errs {
		return nil
	}
	e.forwards = append(e.forwards, &forwardRec{origin: origin{b: b, inst: inst, idx: idx}, node: vn, f: f})
	return f
}

func (e *evaluator) evalRoute(b *block) {
	content := e.content(b.body, routeS)
	insts, ok := e.expand(b, content)
	if !ok {
		return
	}
	a := content.attrs["node"]
	for i, in := range insts {
		if a == nil {
			break
		}
		node, ok := e.refName(in.ctx, a, kindVNode, []string{"name", "type"})
		if !ok {
			continue
		}
		rng := a.Expr.Range()
		if r := e.route(in.ctx, content.attrs, node, b.def, b, i, 0, &rng); r != nil {
			e.exp.Routes = append(e.exp.Routes, r)
		}
	}
	e.record(b, insts, nil)
}

// dependsOn reads depends_on: references to switches, bridges, vnodes and
// taps, whole blocks or single instances.
func (e *evaluator) dependsOn(content content) []addrs.Resource {
	a := content.attrs["depends_on"]
	if a == nil {
		return nil
	}
	exprs, diags := hcl.ExprList(a.Expr)
	e.diags = append(e.diags, diags...)
	var refs []addrs.Resource
	for _, x := range exprs {
		t, tdiags := hcl.AbsTraversalForExpr(x)
		if tdiags.HasErrors() {
			e.errorf(x.Range(), "Invalid depends_on reference",
				"depends_on lists references such as vnode.a, switch.lan0 or vnode.b[0], not expressions.")
			continue
		}
		root := t.RootName()
		if root != kindSwitch && root != kindBridge && root != kindVNode && root != kindTap && !e.d.resourceTypes[root] {
			e.errorf(x.Range(), "Invalid depends_on reference",
				"depends_on can name switches, bridges, vnodes, taps and resources, not %s.", root)
			continue
		}
		if len(t) < 2 {
			continue // reported when linking
		}
		ta, ok := t[1].(hcl.TraverseAttr)
		if !ok {
			continue
		}
		target := e.d.byAddr[root+"."+ta.Name]
		if target == nil || target.failed {
			continue // reported when linking, or upstream
		}
		if len(t) == 2 {
			for _, in := range target.instOrder {
				refs = append(refs, in.Resource(root))
			}
			continue
		}
		key := ""
		if ti, ok := t[2].(hcl.TraverseIndex); ok && ti.Key.IsKnown() && !ti.Key.IsNull() {
			switch ti.Key.Type() {
			case cty.String:
				key = ti.Key.AsString()
			case cty.Number:
				key = ti.Key.AsBigFloat().Text('f', -1)
			}
		}
		in, ok := target.insts[key]
		if !ok || key == "" || len(t) > 3 {
			names := make([]string, len(target.instOrder))
			for i, in := range target.instOrder {
				names[i] = in.Resource(root).String()
			}
			e.errorf(x.Range(), "Invalid depends_on reference",
				"%s has no such instance; its instances are %s. Name the block, or one instance as in %s[0] (count) or %s[\"key\"] (for_each).",
				target.addr, strings.Join(names, ", "), target.addr, target.addr)
			continue
		}
		refs = append(refs, in.Resource(root))
	}
	return refs
}

// validMode reports whether s is an octal permission such as "0770".
func validMode(s string) bool {
	if len(s) < 3 || len(s) > 4 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '7' {
			return false
		}
	}
	return true
}

// wholeString parses a decimal whole number.
func wholeString(s string) (int64, bool) {
	var n int64
	if s == "" || len(s) > 18 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
