package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/hcl"
	"github.com/benito-net/benito/state"
	"github.com/google/go-cmp/cmp"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/zclconf/go-cty/cty"
)

var docConfig = sync.OnceValue(func() json.RawMessage {
	cfg, diags := hcl.Load(filepath.Join(goldenDir, "configuration"), hcl.Options{})
	if diags.HasErrors() {
		panic(diags.Error())
	}
	return cfg.Configuration
})

// docConfiguration is the configuration of the full example of
// docs/json-plan.md, loaded from testdata/plan/configuration.
func docConfiguration() json.RawMessage { return docConfig() }

// planDocExample is the full example of docs/json-plan.md: planMixed, made
// against a recorded state (prior_state) from a configuration
// (configuration).
func planDocExample() *Plan {
	p := planMixed()
	p.Prior = &state.State{
		Experiment: "demo",
		Lineage:    p.StateLineage,
		Serial:     p.StateSerial,
		Resources:  map[addrs.Resource]*state.Resource{},
		Outputs:    map[string]state.Output{"n": {Value: json.RawMessage(`1`), Type: json.RawMessage(`"number"`)}},
	}
	// The state holds what the plan's before values are, as read back.
	for _, c := range p.Changes {
		if isNull(c.Before) {
			continue
		}
		raw, err := appendJSON(nil, c.Before)
		if err != nil {
			panic(err)
		}
		r := &state.Resource{Addr: c.Addr, Provider: c.Provider, Attributes: raw}
		if c.Reason == ReasonTainted {
			r.Status = state.Tainted
		}
		if c.Addr.Type == "vnode" {
			r.Dependencies = []addrs.Resource{addr("switch", "lan0")}
		}
		p.Prior.Resources[c.Addr] = r
	}
	p.Configuration = docConfiguration()
	return p
}

// jsonPlans are the plans the JSON tests render: every golden case, the
// plan that sets every field, and the documentation's example.
func jsonPlans() map[string]*Plan {
	plans := map[string]*Plan{"everything": planEverything(), "doc": planDocExample()}
	for _, tc := range goldenCases {
		plans[tc.name] = tc.plan()
	}
	return plans
}

// TestJSONIsEncodingJSONLayout checks the layout promise of the streamed
// rendering: exactly what encoding/json's indentation of the same
// document gives.
func TestJSONIsEncodingJSONLayout(t *testing.T) {
	for name, p := range jsonPlans() {
		t.Run(name, func(t *testing.T) {
			out := renderJSON(t, p)
			var compact, indented bytes.Buffer
			if err := json.Compact(&compact, out); err != nil {
				t.Fatal(err)
			}
			if err := json.Indent(&indented, compact.Bytes(), "", "  "); err != nil {
				t.Fatal(err)
			}
			indented.WriteByte('\n')
			if diff := cmp.Diff(indented.String(), string(out)); diff != "" {
				t.Errorf("layout differs from encoding/json's (-encoding/json +rendered):\n%s", diff)
			}
		})
	}
}

// TestTerraformJSONReadsPlans: hashicorp/terraform-json unmarshals and
// validates the JSON of every test plan, and what it reads back is what
// the plan says, field by field.
func TestTerraformJSONReadsPlans(t *testing.T) {
	for name, p := range jsonPlans() {
		t.Run(name, func(t *testing.T) {
			out := renderJSON(t, p)
			var tp tfjson.Plan
			tp.UseJSONNumber(true)
			if err := tp.UnmarshalJSON(out); err != nil {
				t.Fatalf("terraform-json: %v", err)
			}
			if err := tp.Validate(); err != nil {
				t.Fatalf("terraform-json Validate: %v", err)
			}
			checkTerraformPlan(t, p, &tp)
		})
	}
}

// checkTerraformPlan compares what terraform-json read with the plan.
func checkTerraformPlan(t *testing.T, p *Plan, tp *tfjson.Plan) {
	t.Helper()
	v, err := viewOf(p)
	if err != nil {
		t.Fatal(err)
	}
	if tp.FormatVersion != FormatVersion {
		t.Errorf("format_version %q", tp.FormatVersion)
	}
	if len(tp.ResourceChanges) != len(v.changes) {
		t.Fatalf("%d resource changes read, %d in the plan", len(tp.ResourceChanges), len(v.changes))
	}
	var planned []*Change
	for i, c := range v.changes {
		rc := tp.ResourceChanges[i]
		checkTerraformAddr(t, c.Addr, c.Provider, rc.Address, string(rc.Mode), rc.Type, rc.Name, rc.Index, rc.ProviderName)
		if !slices.Equal(actionStrings(rc.Change.Actions), c.Action.JSONActions()) {
			t.Errorf("%s: actions %v, want %v", rc.Address, rc.Change.Actions, c.Action.JSONActions())
		}
		if want := c.Reason.jsonName(); string(rc.ActionReason) != want {
			t.Errorf("%s: action_reason %q, want %q", rc.Address, rc.ActionReason, want)
		}
		before, after := hide(c.Before, c.After, c.BeforeSensitive, c.AfterSensitive, true)
		checkValue(t, rc.Address+" before", before, rc.Change.Before)
		checkValue(t, rc.Address+" after", after, rc.Change.After)
		checkUnknown(t, rc.Address, c.After, rc.Change.AfterUnknown)
		checkSensitive(t, rc.Address+" before_sensitive", c.Before, c.BeforeSensitive, rc.Change.BeforeSensitive)
		checkSensitive(t, rc.Address+" after_sensitive", c.After, c.AfterSensitive, rc.Change.AfterSensitive)
		checkPaths(t, rc.Address, c.RequiresReplace, rc.Change.ReplacePaths)
		if !isNull(c.After) {
			planned = append(planned, c)
		}
	}
	if tp.PlannedValues == nil || tp.PlannedValues.RootModule == nil {
		t.Fatal("no planned_values.root_module")
	}
	if got := tp.PlannedValues.RootModule.Resources; len(got) != len(planned) {
		t.Errorf("%d planned values, %d changes with an after value", len(got), len(planned))
	} else {
		for i, c := range planned {
			r := got[i]
			checkTerraformAddr(t, c.Addr, c.Provider, r.Address, string(r.Mode), r.Type, r.Name, r.Index, r.ProviderName)
			_, after := hide(cty.NilVal, c.After, nil, c.AfterSensitive, true)
			checkValue(t, r.Address+" planned values", after, map[string]any(r.AttributeValues))
			checkSensitive(t, r.Address+" sensitive_values", c.After, c.AfterSensitive, rawAny(t, r.SensitiveValues))
		}
	}
	for _, o := range v.outputs {
		oc := tp.OutputChanges[o.Name]
		if oc == nil {
			t.Errorf("output %s: no output change", o.Name)
			continue
		}
		if oc.BeforeSensitive != o.Sensitive || oc.AfterSensitive != o.Sensitive {
			t.Errorf("output %s: sensitivity %v/%v, want %v", o.Name, oc.BeforeSensitive, oc.AfterSensitive, o.Sensitive)
		}
		po, ok := tp.PlannedValues.Outputs[o.Name]
		if ok != !isNull(o.After) {
			t.Errorf("output %s: in planned_values: %v", o.Name, ok)
		}
		if ok && !o.Sensitive && o.After.IsWhollyKnown() {
			checkValue(t, "planned output "+o.Name, o.After, po.Value)
		}
		if !o.Sensitive {
			checkValue(t, "output "+o.Name+" after", o.After, oc.After)
		} else if oc.After != nil || oc.Before != nil {
			t.Errorf("output %s is sensitive, and its values are shown: %v, %v", o.Name, oc.Before, oc.After)
		}
	}
	if len(tp.OutputChanges) != len(v.outputs) {
		t.Errorf("%d output changes, %d outputs", len(tp.OutputChanges), len(v.outputs))
	}

	if p.Prior == nil || len(p.Prior.Resources)+len(p.Prior.Outputs) == 0 {
		if tp.PriorState != nil {
			t.Errorf("prior_state of an empty state: %+v", tp.PriorState)
		}
	} else {
		if tp.PriorState == nil || tp.PriorState.Values == nil || tp.PriorState.Values.RootModule == nil {
			t.Fatal("no prior_state")
		}
		got := tp.PriorState.Values.RootModule.Resources
		sorted := p.Prior.SortedAddrs()
		if len(got) != len(sorted) {
			t.Fatalf("%d prior resources read, %d recorded", len(got), len(sorted))
		}
		for i, a := range sorted {
			r, g := p.Prior.Resources[a], got[i]
			checkTerraformAddr(t, a, r.Provider, g.Address, string(g.Mode), g.Type, g.Name, g.Index, g.ProviderName)
			// terraform-json reads prior_state's numbers as float64
			// whatever UseJSONNumber says.
			var want map[string]any
			if err := json.Unmarshal(r.Attributes, &want); err != nil {
				t.Fatal(err)
			}
			for _, n := range r.Sensitive {
				want[n] = nil
			}
			if diff := cmp.Diff(want, g.AttributeValues); diff != "" {
				t.Errorf("%s: prior values (-recorded +read):\n%s", g.Address, diff)
			}
			if g.Tainted != (r.Status == state.Tainted) {
				t.Errorf("%s: tainted %v", g.Address, g.Tainted)
			}
			var deps []string
			for _, d := range r.Dependencies {
				deps = append(deps, d.String())
			}
			if !slices.Equal(deps, g.DependsOn) {
				t.Errorf("%s: depends_on %v, want %v", g.Address, g.DependsOn, deps)
			}
		}
		if len(tp.PriorState.Values.Outputs) != len(p.Prior.Outputs) {
			t.Errorf("prior outputs: %v", tp.PriorState.Values.Outputs)
		}
	}

	if len(p.Configuration) == 0 {
		if tp.Config != nil {
			t.Errorf("a configuration that was not recorded: %+v", tp.Config)
		}
	} else if tp.Config == nil || tp.Config.RootModule == nil {
		t.Error("the recorded configuration is not read back")
	}
}

func checkTerraformAddr(t *testing.T, a addrs.Resource, provider, address, mode, typ, name string, index any, providerName string) {
	t.Helper()
	if address != a.String() || mode != "managed" || typ != a.Type || name != a.Name || providerName != provider {
		t.Errorf("%s: read as address %q, mode %q, type %q, name %q, provider_name %q", a, address, mode, typ, name, providerName)
	}
	var want any
	switch {
	case a.Key == nil:
	case a.Sub == nil:
		want = keyAny(a.Key)
	default:
		want = []any{keyAny(a.Key), keyAny(a.Sub)}
	}
	if diff := cmp.Diff(want, index); diff != "" {
		t.Errorf("%s: index (-want +read):\n%s", a, diff)
	}
}

func keyAny(k addrs.Key) any {
	switch k := k.(type) {
	case addrs.IntKey:
		return json.Number(k.String()[1 : len(k.String())-1])
	case addrs.StringKey:
		return string(k)
	}
	return nil
}

func actionStrings(as tfjson.Actions) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	return out
}

// checkValue compares what terraform-json read (numbers as json.Number)
// with the value the plan holds, as this package writes it.
func checkValue(t *testing.T, what string, v cty.Value, got any) {
	t.Helper()
	want := any(nil)
	if !isNull(v) {
		raw, err := appendJSON(nil, v)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		want = rawAny(t, raw)
	}
	if m, ok := got.(map[string]any); ok && m == nil {
		got = nil
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-plan +read):\n%s", what, diff)
	}
}

func rawAny(t *testing.T, raw []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return x
}

func checkUnknown(t *testing.T, address string, after cty.Value, got any) {
	t.Helper()
	want := map[string]any{}
	if u, unknown := appendUnknown(nil, after); unknown {
		want = rawAny(t, u).(map[string]any)
	}
	if diff := cmp.Diff(any(want), got); diff != "" {
		t.Errorf("%s: after_unknown (-plan +read):\n%s", address, diff)
	}
}

func checkSensitive(t *testing.T, what string, v cty.Value, names []string, got any) {
	t.Helper()
	var want any = false
	if !isNull(v) {
		m := map[string]any{}
		for _, n := range names {
			m[n] = true
		}
		want = m
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-plan +read):\n%s", what, diff)
	}
}

func checkPaths(t *testing.T, address string, paths []cty.Path, got []any) {
	t.Helper()
	var want []any
	for _, p := range paths {
		steps := []any{}
		for _, s := range p {
			switch s := s.(type) {
			case cty.GetAttrStep:
				steps = append(steps, s.Name)
			case cty.IndexStep:
				raw, _ := appendJSON(nil, s.Key)
				steps = append(steps, rawAny(t, raw))
			}
		}
		want = append(want, steps)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: replace_paths (-plan +read):\n%s", address, diff)
	}
}

// TestJSONActionReasons: Terraform's keywords where Terraform has the
// reason, benito's own names where it has none; terraform-json knows
// every keyword used.
func TestJSONActionReasons(t *testing.T) {
	known := map[string]bool{
		string(tfjson.ActionReasonReplaceBecauseTainted):         true,
		string(tfjson.ActionReasonReplaceBecauseCannotUpdate):    true,
		string(tfjson.ActionReasonDeleteBecauseNoResourceConfig): true,
		string(tfjson.ActionReasonReplaceByRequest):              true,
		"destroy": false, "provider_changed": false, "container_replaced": false,
	}
	seen := map[string]bool{}
	for r := ReasonNone + 1; r.String() != ""; r++ {
		name := r.jsonName()
		terraform, ok := known[name]
		if !ok {
			t.Errorf("reason %s is written %q, which is neither Terraform's nor a documented benito reason", r, name)
		}
		if !terraform && name != r.String() {
			t.Errorf("reason %s: benito's own reason written as %q", r, name)
		}
		if seen[name] {
			t.Errorf("two reasons written %q", name)
		}
		seen[name] = true
	}
	if len(seen) != len(known) {
		t.Errorf("reasons written: %v; documented: %v", seen, known)
	}
}

// TestReadReleasePlanFile: a plan file written by the release before
// format 2.2 (testdata/plan/release-2.1.planfile, `benito plan -out` of the
// demo) is read, applied as before, and rendered without a configuration.
func TestReadReleasePlanFile(t *testing.T) {
	p, err := ReadFile(filepath.Join(goldenDir, "release-2.1.planfile"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) == 0 || p.Configuration != nil {
		t.Fatalf("read %d changes, configuration %q", len(p.Changes), p.Configuration)
	}
	out := renderJSON(t, p)
	var tp tfjson.Plan
	if err := tp.UnmarshalJSON(out); err != nil {
		t.Fatal(err)
	}
	if tp.Config != nil {
		t.Errorf("configuration rendered for a plan that recorded none")
	}
	if _, err := encodeFile(p); err != nil {
		t.Fatal(err)
	}
}

// TestConfigurationRoundTrip: the configuration a plan records is kept
// by its plan file, byte for byte, and refused when it is not an object.
func TestConfigurationRoundTrip(t *testing.T) {
	p := planDocExample()
	data, err := encodeFile(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := decodeFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(q.Configuration, p.Configuration) {
		t.Errorf("configuration changed on the way through the file:\n%s\n%s", p.Configuration, q.Configuration)
	}
	if !bytes.Equal(renderJSON(t, p), renderJSON(t, q)) {
		t.Error("the read plan renders differently")
	}
	_, body, _ := bytes.Cut(data, []byte("\n"))
	var f map[string]json.RawMessage
	if err := json.Unmarshal(body, &f); err != nil {
		t.Fatal(err)
	}
	f["configuration"] = json.RawMessage(`["root_module"]`)
	bad, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeFile(seal(bad)); err == nil || !strings.Contains(err.Error(), "configuration") {
		t.Errorf("a configuration that is not an object: %v", err)
	}
}

func TestUnescapeHTML(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":"\u003cb\u003e \u0026 c"}`: `{"a":"<b> & c"}`,
		`{"a":"\\u003c"}`:                `{"a":"\\u003c"}`,
		`{"a":"\u00e9\u003C"}`:           `{"a":"\u00e9<"}`,
		`{"a":"plain"}`:                  `{"a":"plain"}`,
	} {
		if got := string(unescapeHTML([]byte(in))); got != want {
			t.Errorf("unescapeHTML(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestPriorStateSensitive(t *testing.T) {
	p := planDocExample()
	r := p.Prior.Resources[addr("vnode", "a")]
	r.Sensitive = []string{"image", "memory"}
	r.Attributes = json.RawMessage(`{"id":"vm-a","image":"<secret>","memory":512}`)
	out := renderJSON(t, p)
	if bytes.Contains(out, []byte("secret")) {
		t.Fatalf("a sensitive recorded value is shown:\n%s", out)
	}
	var tp tfjson.Plan
	if err := tp.UnmarshalJSON(out); err != nil {
		t.Fatal(err)
	}
	for _, g := range tp.PriorState.Values.RootModule.Resources {
		if g.Address != "vnode.a" {
			continue
		}
		if diff := cmp.Diff(map[string]any{"id": "vm-a", "image": nil, "memory": nil}, g.AttributeValues); diff != "" {
			t.Errorf("values (-want +got):\n%s", diff)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, g.SensitiveValues); err != nil || compact.String() != `{"image":true,"memory":true}` {
			t.Errorf("sensitive_values %s", g.SensitiveValues)
		}
	}
}

func TestRenderJSONValueErrors(t *testing.T) {
	p := planDocExample()
	p.Prior.Resources[addr("vnode", "a")].Sensitive = []string{"memory"}
	p.Prior.Resources[addr("vnode", "a")].Attributes = json.RawMessage(`[1]`)
	err := RenderJSON(&bytes.Buffer{}, p)
	if err == nil || !strings.Contains(err.Error(), "prior state of vnode.a") {
		t.Errorf("RenderJSON of a damaged prior state: %v", err)
	}
	if errors.Is(err, os.ErrClosed) {
		t.Error("a value error reported as a write error")
	}
}
