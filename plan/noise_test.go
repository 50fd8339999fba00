package plan

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

// Fixtures for what the text plan treats apart, as the schema says:
// run-time attributes (left out), generated files (summarised) and lists
// of named objects (paired and labelled by name).

var (
	fileType = cty.Object(map[string]cty.Type{
		"path":    cty.String,
		"content": cty.String,
		"id":      cty.String,
	})
	startupType = cty.Object(map[string]cty.Type{
		"node":       cty.String,
		"command":    cty.String,
		"pid":        cty.Number,
		"start_time": cty.Number,
		"status":     cty.String,
	})
	fileGenerated   = []string{"content"}
	vnodeRunTime    = []string{"pid"}
	startupRunTimes = []string{"pid", "start_time", "status"}
)

// lines returns n numbered lines of a generated file, line i replaced by
// edits[i] where given ("" drops it).
func lines(n int, edits map[int]string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		line := fmt.Sprintf("<line n=\"%d\"/>", i)
		if e, ok := edits[i]; ok {
			if e == "" {
				continue
			}
			line = e
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

func file(path, content string) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{"path": str(path), "content": str(content), "id": str("/var/lib/benito/demo/" + path)})
}

func startup(command string, pid int64, status string) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"node": str("a"), "command": str(command), "pid": num(pid), "start_time": num(pid * 10), "status": str(status),
	})
}

// planNoise: generated files created, changed a little, changed a lot and
// deleted; run-time attributes unknown in a create, changed beside a real
// change, and forcing a replacement; an interface inserted before another
// and one changed; a user's multi-line command, shown whole as ever.
func planNoise() *Plan {
	p := basePlan()
	big := lines(60, nil)
	withNode := lines(60, map[int]string{30: "<line n=\"30\"/>\n<node name=\"c\"/>", 31: "<line n=\"31\" changed/>"})
	rewritten := lines(60, func() map[int]string {
		m := map[int]string{}
		for i := 10; i <= 40; i++ {
			m[i] = fmt.Sprintf("<new n=\"%d\"/>", i)
		}
		return m
	}())
	gen := func(c *Change) *Change { c.Generated = fileGenerated; return c }
	p.Changes = []*Change{
		gen(&Change{
			Addr: addr("config_file", "hosts"), Provider: "config", Action: Create, Type: fileType,
			Before: cty.NullVal(fileType), After: with(file("hosts", lines(7, nil)), map[string]cty.Value{"id": cty.UnknownVal(cty.String)}),
		}),
		gen(&Change{
			Addr: keyed("config_file", "route", addrs.StringKey("a")), Provider: "config", Action: Delete, Reason: ReasonNoConfig, Type: fileType,
			Before: file("route/a", lines(1, nil)), After: cty.NullVal(fileType),
		}),
		gen(&Change{
			Addr: addr("config_file", "rewritten"), Provider: "config", Action: Update, Type: fileType,
			Before: file("rewritten.xml", big), After: file("rewritten.xml", rewritten),
		}),
		gen(&Change{
			Addr: addr("config_file", "topology"), Provider: "config", Action: Update, Type: fileType,
			Before: file("topology.xml", big), After: file("topology.xml", withNode),
		}),
		{
			Addr: addr("startup", "a"), Provider: "process", Action: DeleteThenCreate, Type: startupType,
			Before: startup("sleep 1000\n", 4242, "exited with code 3"),
			After: cty.ObjectVal(map[string]cty.Value{
				"node": str("a"), "command": str("sleep 1000\n"),
				"pid": cty.UnknownVal(cty.Number), "start_time": cty.UnknownVal(cty.Number), "status": cty.UnknownVal(cty.String),
			}),
			RequiresReplace: []cty.Path{cty.GetAttrPath("status")},
			RunTime:         startupRunTimes,
		},
		{
			Addr: addr("startup", "b"), Provider: "process", Action: Update, Type: startupType,
			Before:  startup("ip link set eth0 up\nsleep 1000\n", 77, "running"),
			After:   startup("ip link set eth0 up\nsleep 2000\n", 78, "running"),
			RunTime: startupRunTimes,
		},
		{
			Addr: addr("vnode", "a"), Provider: "process", Action: Update, Type: vnodeType,
			Before: vnodeA(),
			After: with(vnodeA(), map[string]cty.Value{
				"pid":    num(999),
				"memory": num(1024),
				"interfaces": cty.ListVal([]cty.Value{
					iface("dmz0", "02:00:00:00:00:09"),
					iface("eth0", "02:00:00:00:00:01"),
					iface("eth1", "02:00:00:00:00:02"),
				}),
			}),
			RunTime: vnodeRunTime,
		},
		{
			Addr: addr("vnode", "b"), Provider: "process", Action: Create, Type: vnodeType,
			Before: cty.NullVal(vnodeType),
			After: obj(vnodeType, map[string]cty.Value{
				"name": str("bk3x9-b"),
				"pid":  cty.UnknownVal(cty.Number),
				"interfaces": cty.ListVal([]cty.Value{
					iface("eth0", "02:00:00:00:00:05"),
				}),
			}),
			RunTime: vnodeRunTime,
		},
	}
	p.Drift = []*Drift{
		{
			Addr: addr("config_file", "topology"), Provider: "config", Type: fileType,
			Before: file("topology.xml", big), After: file("topology.xml", lines(60, map[int]string{5: "<edited by hand/>"})),
			Generated: fileGenerated,
		},
		{
			// Only a run-time attribute differs: not shown (the engine
			// reports no such drift; a plan built by hand may).
			Addr: addr("vnode", "c"), Provider: "process", Type: vnodeType,
			Before: vnodeA(), After: with(vnodeA(), map[string]cty.Value{"pid": num(31337)}),
			RunTime: vnodeRunTime,
		},
	}
	return p
}

// planDestroyNothing: a destroy with nothing to destroy.
func planDestroyNothing() *Plan {
	p := basePlan()
	p.Destroy = true
	return p
}

// TestNoise checks the rendering of planNoise piece by piece, beside its
// golden file (noise.txt).
func TestNoise(t *testing.T) {
	text := string(renderHuman(t, planNoise(), RenderOptions{}))
	for _, want := range []string{
		// A generated file created or deleted: its line count.
		"+ content = (generated, 7 lines)\n",
		"- content = (generated, 1 line) -> null\n",
		// Changed: line counts, a short diff, the rest counted.
		"~ content = <<-EOT # generated, 60 -> 61 lines\n",
		"            # (27 unchanged lines hidden)\n",
		"          - <line n=\"31\"/>\n          + <node name=\"c\"/>\n          + <line n=\"31\" changed/>\n",
		"            # (27 unchanged lines hidden)\n",
		"~ content = <<-EOT # generated, 60 lines\n",
		"            # (42 more changed and 20 unchanged lines hidden)\n",
		// A run-time attribute that forces the replacement is its reason.
		"~ status  = \"exited with code 3\" -> (known after apply) # forces replacement\n",
		// A user's multi-line command: shown as ever.
		"~ command = <<-EOT\n            ip link set eth0 up\n          - sleep 1000\n          + sleep 2000\n        EOT\n",
		// Interfaces by name: eth0 inserted, eth1 and eth2 unchanged.
		"      ~ interfaces = [\n          + interface \"dmz0\" {\n              + mac  = \"02:00:00:00:00:09\"\n              + name = \"dmz0\"\n            },\n            # (2 unchanged elements hidden)\n        ]\n",
		// Created, the named elements are labelled too.
		"      + interfaces = [\n          + interface \"eth0\" {\n              + mac  = \"02:00:00:00:00:05\"\n",
		// Drift of a generated file: its diff.
		"  # config_file.topology has changed\n",
		"          - <line n=\"5\"/>\n          + <edited by hand/>\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("rendering lacks %q", want)
		}
	}
	for _, unwanted := range []string{
		"pid",        // run-time: never shown (but where it forces replacement)
		"start_time", //
		"vnode.c",    // drift in run-time attributes only
		"<line n=\"45\"/>",
	} {
		if strings.Contains(text, unwanted) {
			t.Errorf("rendering shows %q:\n%s", unwanted, text)
		}
	}
	if got := strings.Count(text, "\n"); got > 140 {
		t.Errorf("the rendering is %d lines long; the generated files are not summarised", got)
	}
}

// TestRunTimeAttributesChangeNothing: an update whose only difference is a
// run-time attribute shows nothing of it, and without the schema's word
// the same plan shows the pid.
func TestRunTimeAttributesChangeNothing(t *testing.T) {
	mk := func(runTime []string) *Plan {
		p := basePlan()
		p.Changes = []*Change{{
			Addr: addr("vnode", "a"), Provider: "process", Action: Update, Type: vnodeType,
			Before: vnodeA(), After: with(vnodeA(), map[string]cty.Value{"pid": num(999), "cpus": num(4)}),
			RunTime: runTime,
		}}
		return p
	}
	with := string(renderHuman(t, mk(vnodeRunTime), RenderOptions{}))
	without := string(renderHuman(t, mk(nil), RenderOptions{}))
	if strings.Contains(with, "pid") || !strings.Contains(with, "~ cpus       = 1 -> 4\n") || !strings.Contains(with, "# (8 unchanged attributes hidden)") {
		t.Errorf("with pid run-time:\n%s", with)
	}
	if !strings.Contains(without, "~ pid        = 123 -> 999\n") {
		t.Errorf("without run-time attributes:\n%s", without)
	}
}

// TestKeyedListDiff: lists of objects named by "name" pair their elements
// by name, wherever they stand; other lists keep the positional diff.
func TestKeyedListDiff(t *testing.T) {
	ifaces := func(vs ...cty.Value) cty.Value {
		if len(vs) == 0 {
			return cty.ListValEmpty(ifaceType)
		}
		return cty.ListVal(vs)
	}
	e0, e1, e2 := iface("eth0", "m0"), iface("eth1", "m1"), iface("eth2", "m2")
	for _, tc := range []struct {
		name          string
		before, after cty.Value
		want          string
	}{
		{"insert before", ifaces(e1), ifaces(e0, e1),
			"  ~ interfaces = [\n      + interface \"eth0\" {\n          + mac  = \"m0\"\n          + name = \"eth0\"\n        },\n        # (1 unchanged element hidden)\n    ]\n"},
		{"change one", ifaces(e0, e1), ifaces(e0, iface("eth1", "m9")),
			"  ~ interfaces = [\n      ~ interface \"eth1\" {\n          ~ mac  = \"m1\" -> \"m9\"\n            # (1 unchanged attribute hidden)\n        },\n        # (1 unchanged element hidden)\n    ]\n"},
		{"remove first", ifaces(e0, e1, e2), ifaces(e1, e2),
			"  ~ interfaces = [\n      - interface \"eth0\" {\n          - mac  = \"m0\"\n          - name = \"eth0\"\n        },\n        # (2 unchanged elements hidden)\n    ]\n"},
		{"reordered and changed", ifaces(e1, e0), ifaces(iface("eth0", "m9"), e1),
			"  ~ interfaces = [\n      ~ interface \"eth0\" {\n          ~ mac  = \"m0\" -> \"m9\"\n            # (1 unchanged attribute hidden)\n        },\n        # (1 unchanged element hidden)\n    ]\n"},
		{"renamed", ifaces(e0), ifaces(iface("eth5", "m0")),
			"  ~ interfaces = [\n      - interface \"eth0\" {\n          - mac  = \"m0\"\n          - name = \"eth0\"\n        },\n      + interface \"eth5\" {\n          + mac  = \"m0\"\n          + name = \"eth5\"\n        },\n    ]\n"},
		{"names repeat: by position", ifaces(e0, e0), ifaces(e0, iface("eth0", "m9")),
			"  ~ interfaces = [\n      ~ {\n          ~ mac  = \"m0\" -> \"m9\"\n            # (1 unchanged attribute hidden)\n        },\n        # (1 unchanged element hidden)\n    ]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			r := &human{w: &buf}
			r.diff(0, key{kind: attrKey, name: "interfaces", width: 10}, tc.before, tc.after, nil, false)
			if err := r.finish(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, buf.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestLineCount counts a last line without a newline.
func TestLineCount(t *testing.T) {
	for in, want := range map[string]int{"": 0, "a": 1, "a\n": 1, "a\nb": 2, "a\nb\n": 2, "\n\n": 2} {
		if got := lineCount(in); got != want {
			t.Errorf("lineCount(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestGeneratedDiffLimit: a generated file's diff shows at most
// generatedChanges changed lines, shared between what went and what came,
// and counts the rest.
func TestGeneratedDiffLimit(t *testing.T) {
	for _, tc := range []struct {
		name          string
		before, after string
		want          string
	}{
		{"within the limit", lines(5, nil), lines(5, map[int]string{3: "x"}),
			"  ~ content = <<-EOT # generated, 5 lines\n        <line n=\"1\"/>\n        <line n=\"2\"/>\n      - <line n=\"3\"/>\n      + x\n        <line n=\"4\"/>\n        <line n=\"5\"/>\n    EOT\n"},
		{"only additions, past the limit", "", lines(25, nil),
			"  ~ content = <<-EOT # generated, 0 -> 25 lines\n" + func() string {
				var b strings.Builder
				for i := 1; i <= 20; i++ {
					fmt.Fprintf(&b, "      + <line n=\"%d\"/>\n", i)
				}
				return b.String()
			}() + "        # (5 more changed lines hidden)\n    EOT\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			r := &human{w: &buf}
			r.generatedDiff(0, key{kind: attrKey, name: "content", width: 7}, tc.before, tc.after, nil)
			if err := r.finish(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, buf.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
