package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/state"
	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

// ctyCmp compares cty values, types and paths exactly: RawEquals tells
// apart unknowns with different refinements and values of different types.
var ctyCmp = cmp.Options{
	cmp.Comparer(func(a, b cty.Value) bool {
		if a.Type() == cty.NilType || b.Type() == cty.NilType {
			return a.Type() == cty.NilType && b.Type() == cty.NilType
		}
		return a.RawEquals(b)
	}),
	cmp.Comparer(func(a, b cty.Type) bool { return a.Equals(b) }),
	cmp.Comparer(func(a, b cty.Path) bool {
		if (a == nil) != (b == nil) || len(a) != len(b) {
			return false
		}
		for i := range a {
			switch as := a[i].(type) {
			case cty.GetAttrStep:
				if bs, ok := b[i].(cty.GetAttrStep); !ok || as != bs {
					return false
				}
			case cty.IndexStep:
				if bs, ok := b[i].(cty.IndexStep); !ok || !as.Key.RawEquals(bs.Key) {
					return false
				}
			default:
				return false
			}
		}
		return true
	}),
}

// planEverything sets every field of a plan, in the forms that are easy to
// lose on the way to disk and back.
func planEverything() *Plan {
	p := planMixed()
	p.Destroy = true
	p.StateSerial = 1<<63 + 5
	p.Targets = []addrs.Resource{addr("vnode", "a"), keyed("port", "lan0", addrs.StringKey("a.eth0")), keyed("vnode", "pool", addrs.IntKey(3))}
	p.Drift = append(p.Drift, planDrift().Drift[1])
	p.Changes = append(p.Changes, planCreate().Changes...)
	p.Changes = append(p.Changes, planUpdate().Changes...)
	p.Changes = append(p.Changes,
		&Change{
			Addr: addr("dyn", "x"), Provider: "test", Action: Update, Reason: ReasonProviderChanged,
			Type:   cty.Object(map[string]cty.Type{"v": cty.DynamicPseudoType}),
			Before: cty.ObjectVal(map[string]cty.Value{"v": cty.NumberIntVal(1)}),
			After: cty.ObjectVal(map[string]cty.Value{"v": cty.ObjectVal(map[string]cty.Value{
				"big":   cty.MustParseNumberVal("123456789012345678901234567890.125"),
				"pre":   cty.UnknownVal(cty.String).Refine().StringPrefix("10.0.").NewValue(),
				"set":   cty.SetVal([]cty.Value{cty.UnknownVal(cty.String), cty.StringVal("x")}),
				"tuple": cty.TupleVal([]cty.Value{cty.True, cty.NullVal(cty.String)}),
				"dyn":   cty.DynamicVal,
				"inf":   cty.PositiveInfinity,
			})}),
			Private: []byte{},
			RequiresReplace: []cty.Path{
				cty.GetAttrPath("v").Index(cty.StringVal("k")).Index(cty.NumberIntVal(2)),
				{},
			},
			Dependencies: []addrs.Resource{},
		},
		&Change{Addr: addr("nil", "vals"), Action: NoOp},
	)
	p.Outputs = append(p.Outputs, &Output{Name: "later", Before: cty.NullVal(cty.DynamicPseudoType), After: cty.DynamicVal})
	p.Outputs = append(p.Outputs, &Output{Name: "token", Before: cty.NullVal(cty.DynamicPseudoType), After: cty.StringVal("s3cret"), Sensitive: true})
	p.Changes[len(p.Changes)-2].BeforeSensitive = []string{"v"}
	p.Changes[len(p.Changes)-2].AfterSensitive = []string{"v"}
	p.Drift[len(p.Drift)-1].Sensitive = []string{"content"}
	p.Drift[len(p.Drift)-1].Generated = []string{"content"}
	p.Drift[0].RunTime = []string{"pid"}
	p.Changes[0].RunTime = []string{"pid", "start_time"}
	p.Changes[1].RunTime = []string{"pid", "start_time"}
	p.Changes[2].Generated = []string{"content"}

	moved := p.Changes[len(p.Changes)-2]
	moved.PriorProvider = "old"
	moved.PriorType = cty.Object(map[string]cty.Type{"v": cty.Number})
	moved.PriorPrivate = []byte("prior")
	p.Changes[0].PriorPrivate = []byte{}

	p.Dir = "/home/ana/experiments/demo"
	p.Vars = []string{"nodes=3", `name="a b"`}
	p.VarFiles = []string{}
	p.VarEnv = []string{"BENITO_VAR_token=s3cret"}

	// The prior state in canonical form, as the state package loads it.
	p.Prior = state.New("demo")
	p.Prior.Serial = 3
	p.Prior.Resources[addr("vnode", "a")] = &state.Resource{
		Addr: addr("vnode", "a"), Provider: "qemu",
		Attributes:   json.RawMessage(`{"id":"vm-a","memory":512}`),
		Private:      []byte("pid=1"),
		Dependencies: []addrs.Resource{addr("switch", "lan0")},
		Status:       state.Tainted,
		Sensitive:    []string{"memory"},
	}
	p.Prior.Outputs["ip"] = state.Output{Value: json.RawMessage(`"10.0.0.1"`), Type: json.RawMessage(`"string"`)}
	p.Configuration = docConfiguration()
	return p
}

func TestFileRoundTrip(t *testing.T) {
	plans := map[string]*Plan{"everything": planEverything(), "empty": {}}
	for _, tc := range goldenCases {
		plans[tc.name] = tc.plan()
	}
	for name, p := range plans {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "plan.bin")
			if err := WriteFile(path, p); err != nil {
				t.Fatalf("WriteFile: %v", err)
			}
			got, err := ReadFile(path)
			if err != nil {
				t.Fatalf("ReadFile: %v", err)
			}
			if diff := cmp.Diff(p, got, ctyCmp); diff != "" {
				t.Errorf("round trip (-wrote +read):\n%s", diff)
			}
			if p.HasChanges() || len(p.Changes) > 0 {
				if want, got := renderHuman(t, p, RenderOptions{}), renderHuman(t, got, RenderOptions{}); !bytes.Equal(want, got) {
					t.Errorf("read plan renders differently:\n%s", cmp.Diff(string(want), string(got)))
				}
			}
		})
	}
}

func TestWriteFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, planMixed()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestWriteFileErrors(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFile(filepath.Join(dir, "missing", "plan"), planMixed()); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
	marked := planMixed()
	marked.Changes[0].After = marked.Changes[0].After.Mark("sensitive")
	if err := WriteFile(filepath.Join(dir, "plan"), marked); err == nil {
		t.Error("WriteFile of a marked value succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left behind: %v", entries)
	}
}

func TestReadFileErrors(t *testing.T) {
	valid, err := encodeFile(planMixed())
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := bytes.Cut(valid, []byte("\n"))
	for _, tc := range []struct {
		name    string
		data    string
		sealed  bool // behind a checksum header that matches
		is      error
		mention string
	}{
		{"empty", "", false, ErrNotPlanFile, "empty"},
		{"binary", "\x00\x01PK\x03\x04", false, ErrNotPlanFile, "benito plan -out"},
		{"array", "[1,2]", false, ErrNotPlanFile, "benito plan -out"},
		{"state", `{"format_version":1,"experiment":"demo","lineage":"x","serial":1,"resources":[]}`, false, ErrNotPlanFile, "state file"},
		{"json plan", `{"format_version":"1.0","resource_changes":[]}`, false, ErrNotPlanFile, "benito plan -json"},
		{"other kind", `{"kind":"benito-state"}`, false, ErrNotPlanFile, `"benito-state"`},
		{"no kind", `{"a":1}`, false, ErrNotPlanFile, `"kind"`},
		{"no version", `{"kind":"benito-plan"}`, false, ErrFormatVersion, "format_version"},
		{"next major", `{"kind":"benito-plan","format_version":"3.0"}`, false, ErrFormatVersion, `"3.0"`},
		// A plan saved by a benito that addressed instances as vnode.h-0.
		{"previous major", `{"kind":"benito-plan","format_version":"1.0","changes":[]}`, false, ErrFormatVersion, `"1.0"`},
		{"sealed next major", `{"kind":"benito-plan","format_version":"3.0"}`, true, ErrFormatVersion, `"3.0"`},
		{"bad addr", `{"kind":"benito-plan","format_version":"2.0","changes":[{"addr":"nope","action":"create"}]}`, true, nil, "damaged"},
		{"bad action", `{"kind":"benito-plan","format_version":"2.0","changes":[{"addr":"a.b","action":"explode"}]}`, true, nil, "explode"},
		{"bad value", `{"kind":"benito-plan","format_version":"2.0","changes":[{"addr":"a.b","action":"create","after":"AAAA"}]}`, true, nil, "damaged"},
		{"null change", `{"kind":"benito-plan","format_version":"2.0","changes":[null]}`, true, nil, "damaged"},
		{"bad prior", `{"kind":"benito-plan","format_version":"2.0","prior":{"format_version":1}}`, true, nil, "prior state"},
		{"no checksum", string(body), false, ErrChecksum, "no checksum"},
		{"bad header", checksumPrefix + "zz\n" + string(body), false, ErrChecksum, "checksum header"},
		{"no body", checksumPrefix + strings.Repeat("0", 64), false, ErrChecksum, "checksum header"},
		{"truncated", string(valid[:len(valid)/2]), false, ErrChecksum, "changed after benito wrote it"},
		{"one byte more", string(valid) + " ", false, ErrChecksum, "changed after benito wrote it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "plan")
			data := []byte(tc.data)
			if tc.sealed {
				data = seal(data)
			}
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := ReadFile(path)
			if err == nil {
				t.Fatal("ReadFile succeeded")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", err, tc.is)
			}
			for _, s := range []string{path, tc.mention, "benito plan -out"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}

	_, err = ReadFile(filepath.Join(t.TempDir(), "absent"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile of a missing file: %v, want ErrNotExist", err)
	}
}

// TestTamperedPlanRefused: a saved plan whose no-op was turned into a
// delete, the header left as it was, is refused as a whole; the same edit
// without the checksum would be carried out.
func TestTamperedPlanRefused(t *testing.T) {
	p := planMixed()
	p.Changes = append(p.Changes, &Change{Addr: addr("switch", "keep"), Provider: "ovs", Action: NoOp, Type: switchType, Before: switchLan0(), After: switchLan0()})
	data, err := encodeFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeFile(data); err != nil {
		t.Fatalf("the plan as written: %v", err)
	}
	edited := bytes.Replace(data, []byte(`"addr":"switch.keep","provider":"ovs","action":"no-op"`), []byte(`"addr":"switch.keep","provider":"ovs","action":"delete"`), 1)
	if bytes.Equal(edited, data) {
		t.Fatal("the test's edit did not apply")
	}
	_, body, _ := bytes.Cut(edited, []byte("\n"))
	if q, err := decodeBody(body); err != nil || q.Changes[len(q.Changes)-1].Action != Delete {
		t.Fatalf("without its checksum the edited plan reads as %v, %v; the test's edit is not the one it means", q, err)
	}
	path := filepath.Join(t.TempDir(), "plan")
	if err := os.WriteFile(path, edited, 0o600); err != nil {
		t.Fatal(err)
	}
	if q, err := ReadFile(path); !errors.Is(err, ErrChecksum) || q != nil {
		t.Errorf("ReadFile of the edited plan: %v, %v; want it refused with ErrChecksum", q, err)
	}
}

// TestReadFileNewerMinor checks the versioning promise: a minor version
// only adds, so this benito reads it and ignores what it does not know.
func TestReadFileNewerMinor(t *testing.T) {
	data, err := encodeFile(planMixed())
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := bytes.Cut(data, []byte("\n"))
	newer := bytes.Replace(body, []byte(`"format_version":"`+FileFormatVersion+`"`), []byte(`"format_version":"`+major(FileFormatVersion)+`.7","future":{"x":1}`), 1)
	if bytes.Equal(newer, body) {
		t.Fatal("the test's edit did not apply")
	}
	p, err := decodeFile(seal(newer))
	if err != nil {
		t.Fatalf("decoding a newer minor version: %v", err)
	}
	if diff := cmp.Diff(planMixed(), p, ctyCmp); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// FuzzReadPlan feeds plan files to the decoder: each input as it is, which
// exercises the checksum header, and sealed behind a header that matches,
// which reaches the decoding of the plan itself.
func FuzzReadPlan(f *testing.F) {
	for _, p := range []*Plan{planMixed(), planCreate(), planEverything()} {
		data, err := encodeFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		_, body, _ := bytes.Cut(data, []byte("\n"))
		f.Add(body)
	}
	f.Add([]byte(`{"kind":"benito-plan","format_version":"2.0","changes":[{"addr":"a.b","action":"update","type":"string","before":"kQ==","after":"xAA="}]}`))
	f.Add([]byte(`{"kind":"benito-plan","format_version":"2.0","changes":[{"addr":"a.b","action":"create","requires_replace":[[{"index":{"value":1,"type":"number"}}]]}]}`))
	f.Add([]byte("{}"))
	f.Add([]byte("not json"))
	f.Add([]byte(checksumPrefix + "00\n{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, seal(data)} {
			p, err := decodeFile(in)
			if err != nil {
				continue
			}
			// Whatever decodes must render and save without panicking.
			var buf bytes.Buffer
			_ = RenderHuman(&buf, p, RenderOptions{Color: true})
			_ = RenderJSON(&buf, p)
			_ = RenderMarkdown(&buf, p, MarkdownOptions{MaxBytes: CommentLimit})
			_, _ = encodeFile(p)
		}
	})
}

func BenchmarkRenderHuman100k(b *testing.B) {
	p := created100k()
	b.ReportAllocs()
	for b.Loop() {
		if err := RenderHuman(io.Discard, p, RenderOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEverythingCoversAllFields fails when a field is added to the model
// without planEverything setting it, so that the round trip keeps proving
// the plan file carries every field.
func TestEverythingCoversAllFields(t *testing.T) {
	p := planEverything()
	checkSet := func(v reflect.Value, name string, anyOf func(i int) bool) {
		for i := 0; i < v.NumField(); i++ {
			if !anyOf(i) {
				t.Errorf("planEverything sets no %s.%s: add it to the plan file and to planEverything", name, v.Type().Field(i).Name)
			}
		}
	}
	pv := reflect.ValueOf(p).Elem()
	checkSet(pv, "Plan", func(i int) bool { return !pv.Field(i).IsZero() })
	checkSet(reflect.ValueOf(Change{}), "Change", func(i int) bool {
		for _, c := range p.Changes {
			if !reflect.ValueOf(c).Elem().Field(i).IsZero() {
				return true
			}
		}
		return false
	})
	checkSet(reflect.ValueOf(Drift{}), "Drift", func(i int) bool {
		for _, d := range p.Drift {
			if !reflect.ValueOf(d).Elem().Field(i).IsZero() {
				return true
			}
		}
		return false
	})
	checkSet(reflect.ValueOf(Output{}), "Output", func(i int) bool {
		for _, o := range p.Outputs {
			if !reflect.ValueOf(o).Elem().Field(i).IsZero() {
				return true
			}
		}
		return false
	})
}
