package plan

import (
	"github.com/benito-net/benito/addrs"
	"github.com/zclconf/go-cty/cty"
)

// Hand-built plans for the golden, round-trip and fuzz tests. The types are
// shaped like the real providers' schemas but kept local so that these
// tests do not move when a provider grows an attribute.

var (
	ifaceType = cty.Object(map[string]cty.Type{
		"name": cty.String,
		"mac":  cty.String,
	})
	consoleType = cty.Object(map[string]cty.Type{
		"type": cty.String,
		"port": cty.Number,
	})
	vnodeType = cty.Object(map[string]cty.Type{
		"name":       cty.String,
		"image":      cty.String,
		"memory":     cty.Number,
		"cpus":       cty.Number,
		"pid":        cty.Number,
		"id":         cty.String,
		"interfaces": cty.List(ifaceType),
		"labels":     cty.Map(cty.String),
		"volumes":    cty.Set(cty.String),
		"console":    consoleType,
	})
	switchType = cty.Object(map[string]cty.Type{
		"name":      cty.String,
		"latency":   cty.String,
		"bandwidth": cty.Number,
		"vlan":      cty.Number,
		"id":        cty.String,
		"ports":     cty.List(cty.String),
	})
	portType = cty.Object(map[string]cty.Type{
		"key":    cty.String,
		"number": cty.Number,
		"id":     cty.String,
		"switch": cty.String,
	})
	tapType = cty.Object(map[string]cty.Type{
		"name": cty.String,
		"id":   cty.String,
	})
)

func str(s string) cty.Value { return cty.StringVal(s) }
func num(n int64) cty.Value  { return cty.NumberIntVal(n) }

func addr(typ, name string) addrs.Resource { return addrs.Resource{Type: typ, Name: name} }

func keyed(typ, name string, k addrs.Key) addrs.Resource {
	return addrs.Resource{Type: typ, Name: name, Key: k}
}

// obj builds an object of type ty from the given attributes, the others
// null, as a provider's planned value would be.
func obj(ty cty.Type, attrs map[string]cty.Value) cty.Value {
	full := make(map[string]cty.Value, len(ty.AttributeTypes()))
	for n, t := range ty.AttributeTypes() {
		if v, ok := attrs[n]; ok {
			full[n] = v
		} else {
			full[n] = cty.NullVal(t)
		}
	}
	return cty.ObjectVal(full)
}

// with returns v with the given attributes replaced.
func with(v cty.Value, attrs map[string]cty.Value) cty.Value {
	m := v.AsValueMap()
	for n, a := range attrs {
		m[n] = a
	}
	return cty.ObjectVal(m)
}

func iface(name, mac string) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{"name": str(name), "mac": str(mac)})
}

func vnodeA() cty.Value {
	return obj(vnodeType, map[string]cty.Value{
		"name":   str("bk3x9-a"),
		"image":  str("debian-12"),
		"memory": num(512),
		"cpus":   num(1),
		"pid":    num(123),
		"id":     str("vm-a"),
		"interfaces": cty.ListVal([]cty.Value{
			iface("eth0", "02:00:00:00:00:01"),
			iface("eth1", "02:00:00:00:00:02"),
		}),
		"labels":  cty.MapVal(map[string]cty.Value{"role": str("router"), "site": str("lab")}),
		"volumes": cty.SetVal([]cty.Value{str("/data"), str("/logs")}),
		"console": cty.ObjectVal(map[string]cty.Value{"type": str("serial"), "port": num(4000)}),
	})
}

func switchLan0() cty.Value {
	return obj(switchType, map[string]cty.Value{
		"name":      str("bk3x9-lan0"),
		"latency":   str("10ms"),
		"bandwidth": num(1000),
		"vlan":      num(10),
		"id":        str("sw-1"),
		"ports":     cty.ListVal([]cty.Value{str("a.eth0"), str("b.eth0")}),
	})
}

func tapX() cty.Value {
	return obj(tapType, map[string]cty.Value{"name": str("bk3x9-a-eth0"), "id": str("tap-7")})
}

func noop(a addrs.Resource, ty cty.Type, v cty.Value) *Change {
	return &Change{Addr: a, Provider: "config", Action: NoOp, Before: v, After: v, Type: ty}
}

func basePlan() *Plan {
	return &Plan{
		Experiment:   "demo",
		StateLineage: "7f1c2a9e-5b1d-4c1e-9a53-0c8d6e2b4f10",
		StateSerial:  3,
		ConfigHash:   "sha256:3b7a5c1f0e",
	}
}

// planCreate: new resources, with nested objects, lists, maps, sets,
// unknowns, escapes and integer and string keys.
func planCreate() *Plan {
	p := basePlan()
	p.StateSerial = 0
	p.Changes = []*Change{
		{
			Addr: keyed("port", "lan0", addrs.StringKey("a.eth0")), Provider: "config", Action: Create,
			Before: cty.NullVal(portType), Type: portType,
			After: obj(portType, map[string]cty.Value{
				"key":    str("a.eth0"),
				"number": num(1),
				"id":     cty.UnknownVal(cty.String),
			}),
			Dependencies: []addrs.Resource{addr("switch", "lan0"), addr("vnode", "a")},
		},
		{
			Addr: addr("vnode", "a"), Provider: "qemu", Action: Create,
			Before: cty.NullVal(vnodeType), Type: vnodeType,
			After: obj(vnodeType, map[string]cty.Value{
				"name":   str("bk3x9-a"),
				"image":  str("debian-12"),
				"memory": num(512),
				"cpus":   cty.MustParseNumberVal("1.5"),
				"pid":    cty.UnknownVal(cty.Number),
				"id":     cty.UnknownVal(cty.String).RefineNotNull(),
				"interfaces": cty.ListVal([]cty.Value{
					iface("eth0", "02:00:00:00:00:01"),
					cty.ObjectVal(map[string]cty.Value{"name": str("eth1"), "mac": cty.UnknownVal(cty.String)}),
				}),
				"labels": cty.MapVal(map[string]cty.Value{
					"role":      str("router"),
					"note":      str("say \"hi\"\n${not.a.ref}\x1b[31m"),
					"two words": str("ok"),
				}),
				"volumes": cty.SetVal([]cty.Value{str("/logs"), str("/data")}),
				"console": cty.ObjectVal(map[string]cty.Value{"type": str("serial"), "port": cty.UnknownVal(cty.Number)}),
			}),
		},
		{
			Addr: keyed("vnode", "pool", addrs.IntKey(0)), Provider: "qemu", Action: Create,
			Before: cty.NullVal(vnodeType), Type: vnodeType,
			After: obj(vnodeType, map[string]cty.Value{
				"name":       str("bk3x9-pool-0"),
				"image":      str("alpine"),
				"memory":     num(256),
				"id":         cty.UnknownVal(cty.String),
				"interfaces": cty.ListValEmpty(ifaceType),
				"labels":     cty.MapValEmpty(cty.String),
				"volumes":    cty.UnknownVal(cty.Set(cty.String)),
			}),
		},
	}
	return p
}

// planUpdate: in-place updates of scalars, lists, maps, sets and nested
// objects.
func planUpdate() *Plan {
	p := basePlan()
	before := vnodeA()
	p.Changes = []*Change{
		{
			Addr: addr("switch", "lan0"), Provider: "ovs", Action: Update, Type: switchType,
			Before: switchLan0(),
			After: with(switchLan0(), map[string]cty.Value{
				"latency": str("50ms"),
				"ports":   cty.ListVal([]cty.Value{str("a.eth0"), str("c.eth0"), str("b.eth0")}),
				"vlan":    cty.NullVal(cty.Number),
			}),
		},
		{
			Addr: addr("vnode", "a"), Provider: "qemu", Action: Update, Type: vnodeType,
			Before: before,
			After: with(before, map[string]cty.Value{
				"cpus": num(2),
				"interfaces": cty.ListVal([]cty.Value{
					iface("eth0", "02:00:00:00:00:01"),
					iface("eth1", "02:00:00:00:00:99"),
					iface("eth2", "02:00:00:00:00:03"),
				}),
				"labels":  cty.MapVal(map[string]cty.Value{"role": str("host"), "owner": str("ana")}),
				"volumes": cty.SetVal([]cty.Value{str("/data"), str("/scratch")}),
				"console": cty.ObjectVal(map[string]cty.Value{"type": str("serial"), "port": num(4001)}),
			}),
		},
		noop(addr("vnode", "b"), vnodeType, with(vnodeA(), map[string]cty.Value{"name": str("bk3x9-b")})),
	}
	return p
}

// planReplace: a replace forced by a top-level and a nested attribute.
func planReplace() *Plan {
	p := basePlan()
	before := vnodeA()
	p.Changes = []*Change{
		{
			Addr: addr("vnode", "a"), Provider: "qemu", Action: DeleteThenCreate, Reason: ReasonRequiresReplace,
			Type: vnodeType, Before: before,
			After: with(before, map[string]cty.Value{
				"memory":  num(1024),
				"pid":     cty.UnknownVal(cty.Number),
				"id":      cty.UnknownVal(cty.String),
				"console": cty.ObjectVal(map[string]cty.Value{"type": str("vnc"), "port": num(4000)}),
			}),
			RequiresReplace: []cty.Path{
				cty.GetAttrPath("memory"),
				cty.GetAttrPath("console").GetAttr("type"),
			},
			Private: []byte(`{"pidfile":"/run/a.pid"}`),
		},
		{
			Addr: addr("switch", "lan0"), Provider: "ovs", Action: DeleteThenCreate, Reason: ReasonRequiresReplace,
			Type: switchType, Before: switchLan0(),
			After: with(switchLan0(), map[string]cty.Value{
				"vlan": num(20),
				"id":   cty.UnknownVal(cty.String),
			}),
			RequiresReplace: []cty.Path{cty.GetAttrPath("vlan")},
		},
	}
	return p
}

// planTainted: a replace with nothing changed in configuration.
func planTainted() *Plan {
	p := basePlan()
	before := with(vnodeA(), map[string]cty.Value{"name": str("bk3x9-b"), "id": str("vm-b")})
	p.Changes = []*Change{
		noop(addr("vnode", "a"), vnodeType, vnodeA()),
		{
			Addr: addr("vnode", "b"), Provider: "qemu", Action: DeleteThenCreate, Reason: ReasonTainted,
			Type: vnodeType, Before: before,
			After: with(before, map[string]cty.Value{
				"pid": cty.UnknownVal(cty.Number),
				"id":  cty.UnknownVal(cty.String),
			}),
		},
	}
	return p
}

// planInstances: instances of count and for_each, what belongs to them
// (two keys), and a replace asked for with -replace that takes what lives
// inside the node with it.
func planInstances() *Plan {
	p := basePlan()
	routeType := cty.Object(map[string]cty.Type{"node": cty.String, "destination": cty.String, "id": cty.String})
	h0 := with(vnodeA(), map[string]cty.Value{"name": str("h-0"), "id": str("vm-h-0")})
	h1 := with(vnodeA(), map[string]cty.Value{"name": str("h-1"), "id": str("vm-h-1")})
	route := obj(routeType, map[string]cty.Value{"node": str("h-0"), "destination": str("10.0.2.0/24"), "id": str("r-1")})
	h0r := addrs.Instance{Name: "h", Key: addrs.IntKey(0)}
	p.Changes = []*Change{
		{
			Addr: keyed("vnode", "h", addrs.IntKey(0)), Provider: "process", Action: DeleteThenCreate, Reason: ReasonReplaceByRequest,
			Type: vnodeType, Before: h0,
			After: with(h0, map[string]cty.Value{"pid": cty.UnknownVal(cty.Number), "id": cty.UnknownVal(cty.String)}),
		},
		noop(keyed("vnode", "h", addrs.IntKey(1)), vnodeType, h1),
		{
			Addr: keyed("vnode", "g", addrs.StringKey("east")), Provider: "process", Action: Create,
			Type: vnodeType, Before: cty.NullVal(vnodeType),
			After: with(vnodeA(), map[string]cty.Value{"name": str("g-east"), "pid": cty.UnknownVal(cty.Number), "id": cty.UnknownVal(cty.String)}),
		},
		{
			Addr: h0r.Nested("route", addrs.StringKey("10.0.2.0/24")), Provider: "process", Action: DeleteThenCreate, Reason: ReasonContainerReplaced,
			Type: routeType, Before: route, After: with(route, map[string]cty.Value{"id": cty.UnknownVal(cty.String)}),
		},
		noop(keyed("port", "lan0", addrs.StringKey(`h[0].eth0`)), portType, obj(portType, map[string]cty.Value{"key": str("h-0.eth0"), "number": num(1)})),
		noop(keyed("port", "lan0", addrs.StringKey(`g["east"].eth0`)), portType, obj(portType, map[string]cty.Value{"key": str("g-east.eth0"), "number": num(2)})),
	}
	return p
}

// planDelete: a resource gone from the configuration.
func planDelete() *Plan {
	p := basePlan()
	c := with(vnodeA(), map[string]cty.Value{"name": str("bk3x9-c"), "id": str("vm-c")})
	p.Changes = []*Change{
		noop(addr("vnode", "a"), vnodeType, vnodeA()),
		{
			Addr: addr("vnode", "c"), Provider: "qemu", Action: Delete, Reason: ReasonNoConfig,
			Type: vnodeType, Before: c, After: cty.NullVal(vnodeType),
			Private:      []byte("pid=789"),
			Dependencies: []addrs.Resource{addr("switch", "lan0")},
		},
	}
	return p
}

// planDestroy: benito destroy.
func planDestroy() *Plan {
	p := basePlan()
	p.Destroy = true
	p.Changes = []*Change{
		{
			Addr: addr("switch", "lan0"), Provider: "ovs", Action: Delete, Reason: ReasonDestroy,
			Type: switchType, Before: switchLan0(), After: cty.NullVal(switchType),
		},
		{
			Addr: addr("vnode", "a"), Provider: "qemu", Action: Delete, Reason: ReasonDestroy,
			Type: vnodeType, Before: vnodeA(), After: cty.NullVal(vnodeType),
		},
	}
	p.Outputs = []*Output{
		{Name: "ip", Before: str("10.0.0.1"), After: cty.NullVal(cty.String)},
	}
	return p
}

// planDrift: changes made outside benito, and the plan that answers them.
func planDrift() *Plan {
	p := basePlan()
	p.Drift = []*Drift{
		{Addr: addr("tap", "x"), Provider: "netlink", Type: tapType, Before: tapX(), After: cty.NullVal(tapType)},
		{
			Addr: addr("vnode", "a"), Provider: "qemu", Type: vnodeType,
			Before: vnodeA(), After: with(vnodeA(), map[string]cty.Value{"pid": num(456)}),
		},
	}
	p.Changes = []*Change{
		{
			Addr: addr("tap", "x"), Provider: "netlink", Action: Create, Type: tapType,
			Before: cty.NullVal(tapType),
			After:  obj(tapType, map[string]cty.Value{"name": str("bk3x9-a-eth0"), "id": cty.UnknownVal(cty.String)}),
		},
		noop(addr("vnode", "a"), vnodeType, with(vnodeA(), map[string]cty.Value{"pid": num(456)})),
	}
	return p
}

// planDriftOnly: drift that the configuration already agrees with.
func planDriftOnly() *Plan {
	p := basePlan()
	after := with(vnodeA(), map[string]cty.Value{"pid": num(456)})
	p.Drift = []*Drift{
		{Addr: addr("vnode", "a"), Provider: "qemu", Type: vnodeType, Before: vnodeA(), After: after},
	}
	p.Changes = []*Change{noop(addr("vnode", "a"), vnodeType, after)}
	return p
}

func planNoChanges() *Plan {
	p := basePlan()
	p.Changes = []*Change{
		noop(addr("switch", "lan0"), switchType, switchLan0()),
		noop(addr("vnode", "a"), vnodeType, vnodeA()),
	}
	p.Outputs = []*Output{{Name: "ip", Before: str("10.0.0.1"), After: str("10.0.0.1")}}
	return p
}

func planOutputsOnly() *Plan {
	p := basePlan()
	p.Changes = []*Change{noop(addr("vnode", "a"), vnodeType, vnodeA())}
	p.Outputs = []*Output{
		{Name: "gone", Before: num(7), After: cty.NullVal(cty.Number)},
		{Name: "ip", Before: cty.NullVal(cty.String), After: str("10.0.0.1")},
		{Name: "macs", Before: cty.NullVal(cty.List(cty.String)), After: cty.ListVal([]cty.Value{str("02:00:00:00:00:01"), cty.UnknownVal(cty.String)})},
		{Name: "n", Before: num(1), After: num(2)},
		{Name: "same", Before: str("x"), After: str("x")},
	}
	return p
}

// planMixed is the example of the package documentation and of
// docs/json-plan.md: drift, every kind of action, and outputs.
func planMixed() *Plan {
	p := basePlan()
	p.Targets = nil
	p.Drift = []*Drift{
		{Addr: addr("tap", "x"), Provider: "netlink", Type: tapType, Before: tapX(), After: cty.NullVal(tapType)},
	}
	replaced := with(vnodeA(), map[string]cty.Value{
		"memory": num(1024),
		"pid":    cty.UnknownVal(cty.Number),
		"id":     cty.UnknownVal(cty.String),
	})
	p.Changes = []*Change{
		{
			Addr: keyed("port", "lan0", addrs.StringKey("a.eth0")), Provider: "config", Action: Create,
			Before: cty.NullVal(portType), Type: portType,
			After: obj(portType, map[string]cty.Value{
				"key": str("a.eth0"), "number": num(1), "switch": str("lan0"), "id": cty.UnknownVal(cty.String),
			}),
		},
		{
			Addr: addr("switch", "lan0"), Provider: "ovs", Action: Update, Type: switchType,
			Before: switchLan0(), After: with(switchLan0(), map[string]cty.Value{"latency": str("50ms")}),
		},
		{
			Addr: addr("tap", "x"), Provider: "netlink", Action: Create, Type: tapType,
			Before: cty.NullVal(tapType),
			After:  obj(tapType, map[string]cty.Value{"name": str("bk3x9-a-eth0"), "id": cty.UnknownVal(cty.String)}),
		},
		{
			Addr: addr("vnode", "a"), Provider: "qemu", Action: DeleteThenCreate, Reason: ReasonRequiresReplace,
			Type: vnodeType, Before: vnodeA(), After: replaced,
			RequiresReplace: []cty.Path{cty.GetAttrPath("memory")},
		},
		{
			Addr: addr("vnode", "b"), Provider: "qemu", Action: DeleteThenCreate, Reason: ReasonTainted,
			Type: tapType, Before: obj(tapType, map[string]cty.Value{"name": str("bk3x9-b"), "id": str("vm-b")}),
			After: obj(tapType, map[string]cty.Value{"name": str("bk3x9-b"), "id": cty.UnknownVal(cty.String)}),
		},
		{
			Addr: addr("vnode", "c"), Provider: "qemu", Action: Delete, Reason: ReasonNoConfig,
			Type: tapType, Before: obj(tapType, map[string]cty.Value{"name": str("bk3x9-c"), "id": str("vm-c")}),
			After: cty.NullVal(tapType),
		},
		noop(addr("vnode", "d"), tapType, obj(tapType, map[string]cty.Value{"name": str("bk3x9-d"), "id": str("vm-d")})),
	}
	p.Outputs = []*Output{
		{Name: "ip", Before: cty.NullVal(cty.String), After: str("10.0.0.1")},
		{Name: "n", Before: num(1), After: num(2)},
	}
	return p
}
