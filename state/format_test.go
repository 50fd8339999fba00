package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benito-net/benito/internal/golden"
	"github.com/google/go-cmp/cmp"
)

var update = golden.Update

func TestRoundTrip(t *testing.T) {
	tainted := res(t, `vnode.a[0]`, `{"image":"debian","cpus":2}`)
	tainted.Status = Tainted
	tainted.Private = []byte{0, 1, 2, 0xff}
	pending := res(t, `route.a["10.0.1.0/24"]`, `{}`, `vnode.a[0]`)
	pending.Status = Pending

	for _, tc := range []struct {
		name string
		s    *State
	}{
		{"empty", New("demo")},
		{"one", stateWith("demo", res(t, `switch.lan0`, `{"mtu":1500}`))},
		{"many", stateWith("demo",
			res(t, `switch.lan0`, `{"mtu":1500}`),
			res(t, `port.lan0["a.eth0"]`, `{"mac":"02:00:00:00:00:01","nested":{"x":[1,2,3]}}`, `vnode.a[0]`, `switch.lan0`),
			tainted,
			pending,
		)},
		{"outputs", func() *State {
			s := stateWith("demo", res(t, `switch.lan0`, `{}`))
			s.Outputs["ip"] = Output{Value: json.RawMessage(`"10.0.0.1"`), Type: json.RawMessage(`"string"`)}
			s.Outputs["ports"] = Output{Value: json.RawMessage(`["a","b"]`), Type: json.RawMessage(`["list","string"]`)}
			return s
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tempLocked(t)
			mustWrite(t, f, tc.s)
			got := mustLoad(t, f)
			// Dependencies come back sorted whatever order they went in.
			want := tc.s.DeepCopy()
			for _, r := range want.Resources {
				sortDeps(r)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("round trip (-want +got):\n%s", d)
			}
		})
	}
}

func sortDeps(r *Resource) {
	for i := range r.Dependencies {
		for j := i + 1; j < len(r.Dependencies); j++ {
			if r.Dependencies[j].Less(r.Dependencies[i]) {
				r.Dependencies[i], r.Dependencies[j] = r.Dependencies[j], r.Dependencies[i]
			}
		}
	}
}

// goldenState is the state behind testdata/state.json. Its resources and
// outputs are added in an order unlike the file's, to show the file sorts.
func goldenState(t *testing.T) *State {
	s := stateWith("demo",
		res(t, `vnode.a[10]`, `{"image":"debian"}`),
		res(t, `port.lan0["b.eth0"]`, `{"mac":"02:00:00:00:00:02"}`, `vnode.b`, `switch.lan0`),
		res(t, `vnode.a[2]`, `{"image":"debian"}`),
		res(t, `switch.lan0`, `{"mtu":1500,"vlan":null}`),
		res(t, `port.lan0["a.eth0"]`, `{ "mac" : "02:00:00:00:00:01" }`, `vnode.a[2]`, `switch.lan0`),
		res(t, `route.a[2]["10.0.1.0/24"]`, `{}`, `vnode.a[2]`),
	)
	s.Lineage = "6f1c1a0e-5b44-4c8e-9d55-3f8f2f0b8e11"
	s.Serial = 2
	s.Resources[mustAddr(t, `vnode.a[10]`)].Status = Tainted
	s.Resources[mustAddr(t, `vnode.a[10]`)].Private = []byte("qemu-pid:4242")
	s.Outputs["web"] = Output{Value: json.RawMessage(`"10.0.0.2"`), Type: json.RawMessage(`"string"`)}
	s.Outputs["all"] = Output{Value: json.RawMessage(`["a","b"]`), Type: json.RawMessage(`["list","string"]`)}
	return s
}

func TestGolden(t *testing.T) {
	f := tempLocked(t)
	mustWrite(t, f, goldenState(t))
	got := readBytes(t, f.File().Path())
	golden := filepath.Join("testdata", "state.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if d := cmp.Diff(string(readBytes(t, golden)), string(got)); d != "" {
		t.Errorf("state file differs from %s (-want +got); run go test -update if the change is intended:\n%s", golden, d)
	}

	// The golden file must load, and writing what it loads (with the same
	// serial) must give it back byte for byte.
	again, err := encodeState(mustLoad(t, f))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, got) {
		t.Errorf("re-encoding a loaded state changed it:\n%s", cmp.Diff(string(got), string(again)))
	}
}

func TestDeterministic(t *testing.T) {
	s := New("demo")
	for i := 0; i < 200; i++ {
		r := res(t, fmt.Sprintf("vnode.n%d", i), `{"b":1,"a":2}`, `switch.s`, `switch.a`, `vnode.x[3]`)
		s.Resources[r.Addr] = r
		s.Outputs[r.Addr.Name] = Output{Value: json.RawMessage(`1`), Type: json.RawMessage(`"number"`)}
	}
	want, err := encodeState(s)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		got, err := encodeState(s.DeepCopy()) // a new map: new iteration order
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(want, got) {
			t.Fatalf("encoding %d differs from the first", i)
		}
	}
}

func TestFileModes(t *testing.T) {
	f := tempLocked(t)
	s := stateWith("demo", res(t, `switch.lan0`, `{}`))
	mustWrite(t, f, s)
	mustWrite(t, f, s)
	j, err := f.OpenJournal(s)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for _, p := range []string{f.File().Path(), f.File().BackupPath(), f.File().JournalPath(), f.File().LockPath(), f.File().LockInfoPath()} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), m)
		}
	}
}

func TestLoadBadFile(t *testing.T) {
	for _, tc := range []struct {
		name       string
		content    string
		backup     bool
		wantSubstr []string
	}{
		{"newer format", `{"format_version": 3, "something": "else"}`, true,
			[]string{"demo.json", "format_version 3"}},
		{"truncated", `{"format_version": 1, "lineage": "x", "resour`, true,
			[]string{"demo.json", "corrupt", "demo.json.backup"}},
		{"truncated without backup", `{"format_version": 1, "lin`, false,
			[]string{"demo.json", "corrupt", "no backup"}},
		{"empty", ``, true, []string{"demo.json", "corrupt", "demo.json.backup"}},
		{"no version", `{"lineage": "x"}`, true, []string{"demo.json", "corrupt", "format_version"}},
		{"bad address", `{"format_version":1,"lineage":"x","resources":[{"address":"nope","type":"nope","attributes":{}}]}`, true,
			[]string{"demo.json", "corrupt", `"nope"`}},
		{"type mismatch", `{"format_version":1,"lineage":"x","resources":[{"address":"vnode.a","type":"switch","attributes":{}}]}`, true,
			[]string{"demo.json", "corrupt", `"switch"`}},
		{"duplicate", `{"format_version":1,"lineage":"x","resources":[{"address":"vnode.a","type":"vnode","attributes":{}},{"address":"vnode.a","type":"vnode","attributes":{}}]}`, true,
			[]string{"demo.json", "corrupt", "twice"}},
		{"bad status", `{"format_version":1,"lineage":"x","resources":[{"address":"vnode.a","type":"vnode","attributes":{},"status":"gone"}]}`, true,
			[]string{"demo.json", "corrupt", `"gone"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tempLocked(t)
			if err := os.WriteFile(f.File().Path(), []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if tc.backup {
				if err := os.WriteFile(f.File().BackupPath(), []byte(`{}`), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			s, err := f.Load()
			if err == nil {
				t.Fatalf("Load: got state %+v, want error", s)
			}
			for _, sub := range tc.wantSubstr {
				if !strings.Contains(err.Error(), sub) {
					t.Errorf("error %q does not contain %q", err, sub)
				}
			}
			if tc.name == "newer format" && strings.Contains(err.Error(), "backup") {
				t.Errorf("error %q suggests the backup for a file that is not corrupt", err)
			}
		})
	}
}

// TestWriteStale: a Write of a state older than the file would silently
// drop whatever the newer version added.
func TestWriteStale(t *testing.T) {
	f := tempLocked(t)
	s := stateWith("demo", res(t, `switch.lan0`, `{}`))
	mustWrite(t, f, s)
	old := s.DeepCopy()
	mustWrite(t, f, s)
	if err := f.Write(old); err == nil || !strings.Contains(err.Error(), "would overwrite") {
		t.Errorf("Write of serial %d over serial %d: got %v, want error", old.Serial, s.Serial, err)
	}
	if err := f.Write(New("demo")); err == nil {
		t.Error("Write of another lineage: want error")
	}
	// A new lock has seen nothing, and writes what it is given.
	if err := f.Unlock(); err != nil {
		t.Fatal(err)
	}
	again, err := f.File().Lock(t.Context(), "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Unlock()
	if err := again.Write(old); err != nil {
		t.Error(err)
	}
}

func TestWriteRejects(t *testing.T) {
	bad := res(t, `vnode.a`, `{"x":`)
	wrongKey := res(t, `vnode.a`, `{}`)
	badStatus := res(t, `vnode.a`, `{}`)
	badStatus.Status = "gone"
	for _, tc := range []struct {
		name string
		s    *State
	}{
		{"invalid attributes", stateWith("demo", bad)},
		{"stored under another address", func() *State {
			s := New("demo")
			s.Resources[mustAddr(t, `vnode.b`)] = wrongKey
			return s
		}()},
		{"bad status", stateWith("demo", badStatus)},
		{"invalid address", func() *State {
			s := New("demo")
			r := res(t, `vnode.a`, `{}`)
			r.Addr.Name = "has space"
			s.Resources[r.Addr] = r
			return s
		}()},
		{"no lineage", &State{Experiment: "demo"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tempLocked(t)
			if err := f.Write(tc.s); err == nil {
				t.Fatal("Write: want error")
			}
			if exists(t, f.File().Path()) {
				t.Error("a failed Write left a state file")
			}
			if tc.s.Serial != 0 {
				t.Errorf("a failed Write bumped the serial to %d", tc.s.Serial)
			}
		})
	}
}
