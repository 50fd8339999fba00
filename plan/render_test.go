package plan

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/internal/golden"
	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

var update = golden.Update

const goldenDir = "../testdata/plan"

type goldenCase struct {
	name  string
	plan  func() *Plan
	color bool
	json  bool
}

var goldenCases = []goldenCase{
	{name: "create", plan: planCreate, json: true},
	{name: "update", plan: planUpdate, json: true},
	{name: "replace", plan: planReplace, json: true},
	{name: "tainted", plan: planTainted, json: true},
	{name: "instances", plan: planInstances, json: true},
	{name: "delete", plan: planDelete, json: true},
	{name: "destroy", plan: planDestroy, json: true},
	{name: "drift", plan: planDrift, json: true},
	{name: "drift_only", plan: planDriftOnly},
	{name: "no_changes", plan: planNoChanges, json: true},
	{name: "outputs_only", plan: planOutputsOnly, json: true},
	{name: "mixed", plan: planMixed, json: true},
	{name: "mixed_color", plan: planMixed, color: true},
	{name: "noise", plan: planNoise},
	{name: "destroy_nothing", plan: planDestroyNothing},
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			text := renderHuman(t, tc.plan(), RenderOptions{Color: tc.color})
			checkGolden(t, tc.name+".txt", text)
			if again := renderHuman(t, tc.plan(), RenderOptions{Color: tc.color}); !bytes.Equal(text, again) {
				t.Errorf("human rendering is not idempotent:\n%s", cmp.Diff(string(text), string(again)))
			}
			if !tc.color && bytes.Contains(text, []byte("\x1b")) {
				t.Errorf("colour codes in a rendering without colour")
			}
			if !tc.json {
				return
			}
			js := renderJSON(t, tc.plan())
			checkGolden(t, tc.name+".json", js)
			if again := renderJSON(t, tc.plan()); !bytes.Equal(js, again) {
				t.Errorf("JSON rendering is not idempotent:\n%s", cmp.Diff(string(js), string(again)))
			}
		})
	}
}

// TestRenderUnsorted checks that the rendering does not depend on the order
// in which the engine happened to build the plan, and that rendering leaves
// the plan alone.
func TestRenderUnsorted(t *testing.T) {
	sorted := planMixed()
	shuffled := planMixed()
	reverse(shuffled.Changes)
	reverse(shuffled.Outputs)
	first := shuffled.Changes[0]

	if got, want := renderHuman(t, shuffled, RenderOptions{}), renderHuman(t, sorted, RenderOptions{}); !bytes.Equal(got, want) {
		t.Errorf("human rendering depends on order:\n%s", cmp.Diff(string(want), string(got)))
	}
	if got, want := renderJSON(t, shuffled), renderJSON(t, sorted); !bytes.Equal(got, want) {
		t.Errorf("JSON rendering depends on order:\n%s", cmp.Diff(string(want), string(got)))
	}
	if shuffled.Changes[0] != first {
		t.Errorf("rendering reordered the plan")
	}
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

func TestRenderSummary(t *testing.T) {
	if got, want := RenderSummary(planMixed()), "Plan: 4 to add, 1 to change, 3 to destroy."; got != want {
		t.Errorf("RenderSummary = %q, want %q", got, want)
	}
}

func TestRenderJSONShape(t *testing.T) {
	var got struct {
		FormatVersion   string `json:"format_version"`
		Targets         []string
		ResourceChanges []struct {
			Address string
			Index   any
			Change  struct {
				Actions      []string
				After        map[string]any
				AfterUnknown map[string]any `json:"after_unknown"`
			}
		} `json:"resource_changes"`
		Summary map[string]int
	}
	p := planCreate()
	p.Targets = []addrs.Resource{keyed("vnode", "pool", addrs.IntKey(0))}
	if err := json.Unmarshal(renderJSON(t, p), &got); err != nil {
		t.Fatal(err)
	}
	if got.FormatVersion != FormatVersion {
		t.Errorf("format_version = %q", got.FormatVersion)
	}
	if diff := cmp.Diff([]string{`vnode.pool[0]`}, got.Targets); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	rc := got.ResourceChanges
	if len(rc) != 3 {
		t.Fatalf("got %d resource changes, want 3", len(rc))
	}
	if rc[0].Index != "a.eth0" || rc[1].Index != nil || rc[2].Index != float64(0) {
		t.Errorf("indexes = %v, %v, %v", rc[0].Index, rc[1].Index, rc[2].Index)
	}
	if _, ok := rc[0].Change.After["id"]; ok {
		t.Errorf("unknown id present in after: %v", rc[0].Change.After)
	}
	if rc[0].Change.AfterUnknown["id"] != true {
		t.Errorf("after_unknown = %v, want id: true", rc[0].Change.AfterUnknown)
	}
	if diff := cmp.Diff(map[string]int{"add": 3, "change": 0, "destroy": 0}, got.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

func TestAppendQuoted(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", `"plain"`},
		{`say "hi"`, `"say \"hi\""`},
		{"a\\b", `"a\\b"`},
		{"l1\nl2\tx\r", `"l1\nl2\tx\r"`},
		{"\x1b[31mred", `"\u001b[31mred"`},
		{"${x} %{y} $ %", `"$${x} %%{y} $ %"`},
		{"café", `"café"`},
		{"a\u202eb\u00a0c", `"a\u202eb\u00a0c"`},
		{"bad\xff", `"bad\xff"`},
		{"\U000e0001", `"\U000e0001"`},
	} {
		if got := string(appendQuoted(nil, tc.in)); got != tc.want {
			t.Errorf("appendQuoted(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestAppendNumber(t *testing.T) {
	for _, tc := range []struct {
		in   cty.Value
		want string
	}{
		{cty.NumberIntVal(0), "0"},
		{cty.NumberIntVal(-42), "-42"},
		{cty.MustParseNumberVal("0.1"), "0.1"},
		{cty.MustParseNumberVal("123456789012345678901234567890"), "123456789012345678901234567890"},
		{cty.MustParseNumberVal("1e3"), "1000"},
		{cty.MustParseNumberVal("-2.5"), "-2.5"},
	} {
		if got := string(appendNumber(nil, tc.in)); got != tc.want {
			t.Errorf("appendNumber(%#v) = %s, want %s", tc.in, got, tc.want)
		}
		js, err := appendJSON(nil, tc.in)
		if err != nil || string(js) != tc.want {
			t.Errorf("appendJSON(%#v) = %s, %v; want %s", tc.in, js, err, tc.want)
		}
	}
}

func TestListDiff(t *testing.T) {
	list := func(ss ...string) cty.Value {
		if len(ss) == 0 {
			return cty.ListValEmpty(cty.String)
		}
		vs := make([]cty.Value, len(ss))
		for i, s := range ss {
			vs[i] = cty.StringVal(s)
		}
		return cty.ListVal(vs)
	}
	for _, tc := range []struct {
		name          string
		before, after cty.Value
		want          string
	}{
		{"insert in the middle", list("a", "b", "c"), list("a", "x", "b", "c"),
			"  ~ l = [\n      + \"x\",\n        # (3 unchanged elements hidden)\n    ]\n"},
		{"replace one", list("a", "b", "c"), list("a", "x", "c"),
			"  ~ l = [\n      - \"b\",\n      + \"x\",\n        # (2 unchanged elements hidden)\n    ]\n"},
		{"from empty", list(), list("a"),
			"  ~ l = [\n      + \"a\",\n    ]\n"},
		{"to empty", list("a"), list(),
			"  ~ l = [\n      - \"a\",\n    ]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			r := &human{w: &buf}
			r.diff(0, key{kind: attrKey, name: "l", width: 1}, tc.before, tc.after, nil, false)
			if err := r.finish(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, buf.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderNilPlan(t *testing.T) {
	if err := RenderHuman(io.Discard, nil, RenderOptions{}); err == nil {
		t.Error("RenderHuman(nil) succeeded")
	}
	if err := RenderJSON(io.Discard, nil); err == nil {
		t.Error("RenderJSON(nil) succeeded")
	}
	p := planMixed()
	p.Changes[1] = nil
	if err := RenderHuman(io.Discard, p, RenderOptions{}); err == nil {
		t.Error("RenderHuman with a nil change succeeded")
	}
}

func TestRenderWriteError(t *testing.T) {
	if err := RenderHuman(failWriter{}, planMixed(), RenderOptions{}); err == nil {
		t.Error("RenderHuman ignored a write error")
	}
	if err := RenderJSON(failWriter{}, planMixed()); err == nil {
		t.Error("RenderJSON ignored a write error")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func renderHuman(t testing.TB, p *Plan, opts RenderOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderHuman(&buf, p, opts); err != nil {
		t.Fatalf("RenderHuman: %v", err)
	}
	return buf.Bytes()
}

func renderJSON(t testing.TB, p *Plan) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderJSON(&buf, p); err != nil {
		t.Fatalf("RenderJSON: %v", err)
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatalf("RenderJSON wrote invalid JSON:\n%s", buf.Bytes())
	}
	if !strings.HasSuffix(buf.String(), "}\n") {
		t.Fatalf("RenderJSON output does not end in a newline")
	}
	return buf.Bytes()
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./plan/ -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs (-want +got; go test ./plan/ -update rewrites it):\n%s", path, cmp.Diff(string(want), string(got)))
	}
}

func TestAddrMatchesString(t *testing.T) {
	for _, a := range []addrs.Resource{
		addr("vnode", "a"),
		keyed("vnode", "a", addrs.IntKey(0)),
		keyed("vnode", "a", addrs.IntKey(1234567)),
		keyed("port", "lan0", addrs.StringKey("a.eth0")),
		keyed("route", "a", addrs.StringKey("10.0.1.0/24 \"x\"\n")),
	} {
		r := &human{}
		r.addr(a)
		if got, want := string(r.buf), a.String(); got != want {
			t.Errorf("addr(%#v) = %s, want %s", a, got, want)
		}
	}
}

// TestDocExample keeps the full example of docs/json-plan.md equal to what
// the renderers write for planMixed; -update rewrites it.
func TestDocExample(t *testing.T) {
	const path = "../docs/json-plan.md"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	at := strings.Index(text, "## Full example")
	if at < 0 {
		t.Fatalf("%s has no \"## Full example\" section", path)
	}
	want := [][]byte{renderHuman(t, planDocExample(), RenderOptions{}), renderJSON(t, planDocExample())}
	out := text[:at]
	rest := text[at:]
	for i, fence := range []string{"```\n", "```json\n"} {
		start := strings.Index(rest, fence)
		if start < 0 {
			t.Fatalf("%s: example block %d (%q) not found", path, i, fence)
		}
		start += len(fence)
		end := strings.Index(rest[start:], "```\n")
		if end < 0 {
			t.Fatalf("%s: example block %d is not closed", path, i)
		}
		if got := rest[start : start+end]; got != string(want[i]) && !*update {
			t.Errorf("%s: example block %d is stale (go test ./plan/ -update rewrites it):\n%s", path, i, cmp.Diff(string(want[i]), got))
		}
		out += rest[:start] + string(want[i])
		rest = rest[start+end:]
	}
	if *update {
		if err := os.WriteFile(path, []byte(out+rest), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
