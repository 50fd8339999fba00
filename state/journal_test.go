package state

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// op is one journal entry to record: a Put, or a Remove of an address.
type op struct {
	put    *Resource
	remove string
}

func record(t *testing.T, j *Journal, ops []op) {
	t.Helper()
	for _, o := range ops {
		var err error
		if o.put != nil {
			err = j.Put(o.put)
		} else {
			err = j.Remove(mustAddr(t, o.remove))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestJournalReplay(t *testing.T) {
	a1 := res(t, `vnode.a`, `{"v":1}`)
	a2 := res(t, `vnode.a`, `{"v":2}`, `switch.lan0`)
	a2.Status = Tainted
	b := res(t, `vnode.b`, `{"v":1}`)
	sw := res(t, `switch.lan0`, `{}`)

	for _, tc := range []struct {
		name    string
		base    []*Resource // written before the journal opens; nil: no state file
		ops     []op
		tail    string // raw bytes appended to the journal afterwards
		want    []*Resource
		wantErr []string
	}{
		{name: "put", base: []*Resource{sw}, ops: []op{{put: a1}, {put: b}}, want: []*Resource{sw, a1, b}},
		{name: "overwrite", base: []*Resource{sw}, ops: []op{{put: a1}, {put: a2}}, want: []*Resource{sw, a2}},
		{name: "remove", base: []*Resource{sw}, ops: []op{{put: a1}, {put: b}, {remove: "vnode.a"}}, want: []*Resource{sw, b}},
		{name: "remove from base", base: []*Resource{sw, b}, ops: []op{{remove: "switch.lan0"}}, want: []*Resource{b}},
		{name: "remove then put", base: []*Resource{sw}, ops: []op{{put: a1}, {remove: "vnode.a"}, {put: a2}}, want: []*Resource{sw, a2}},
		{name: "remove absent", base: []*Resource{sw}, ops: []op{{remove: "vnode.zz"}}, want: []*Resource{sw}},
		{name: "no state file", ops: []op{{put: a1}, {put: b}}, want: []*Resource{a1, b}},
		{name: "torn tail", base: []*Resource{sw}, ops: []op{{put: a1}},
			tail: `{"put":{"address":"vnode.b","type":"vnode","provider":"con`, want: []*Resource{sw, a1}},
		{name: "unparseable last line", base: []*Resource{sw}, ops: []op{{put: a1}},
			tail: "{\"put\":{\"addr\x00\x00\x00\n", want: []*Resource{sw, a1}},
		{name: "corrupt line in the middle", base: []*Resource{sw}, ops: []op{{put: a1}},
			tail:    "garbage\n{\"remove\":\"vnode.a\"}\n",
			wantErr: []string{"demo.json.journal", "line 3", "corrupt"}},
		{name: "bad line before a torn tail", base: []*Resource{sw}, ops: []op{{put: a1}},
			tail:    "garbage\n{\"remove\":\"vnode",
			wantErr: []string{"line 3", "corrupt"}},
		{name: "entry with both put and remove", base: []*Resource{sw}, ops: []op{{put: a1}},
			tail:    `{"put":{"address":"vnode.b","type":"vnode","attributes":{}},"remove":"vnode.a"}` + "\n" + `{"remove":"vnode.a"}` + "\n",
			wantErr: []string{"line 3", "exactly one"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tempLocked(t)
			s := New("demo")
			if tc.base != nil {
				s = stateWith("demo", tc.base...)
				mustWrite(t, f, s)
			} else if mustLoad(t, f) != nil {
				t.Fatal("Load found a state in an empty directory")
			}
			baseSerial := s.Serial
			j, err := f.OpenJournal(s)
			if err != nil {
				t.Fatal(err)
			}
			record(t, j, tc.ops)
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			appendFile(t, f.File().JournalPath(), tc.tail)

			got, err := f.Load()
			if tc.wantErr != nil {
				if err == nil {
					t.Fatal("Load: want error")
				}
				for _, sub := range tc.wantErr {
					if !strings.Contains(err.Error(), sub) {
						t.Errorf("error %q does not contain %q", err, sub)
					}
				}
				if !exists(t, f.File().JournalPath()) {
					t.Error("Load removed a journal it could not replay")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := stateWith("demo", tc.want...)
			want.Lineage = s.Lineage
			want.Serial = baseSerial + 1
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("replayed state (-want +got):\n%s", d)
			}
			if exists(t, f.File().JournalPath()) {
				t.Error("Load did not fold the journal")
			}
			// What Load returned is what is now on disk.
			if d := cmp.Diff(got, mustLoad(t, f)); d != "" {
				t.Errorf("second Load (-first +second):\n%s", d)
			}
		})
	}
}

func appendFile(t *testing.T, path, data string) {
	t.Helper()
	if data == "" {
		return
	}
	fd, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	if _, err := fd.WriteString(data); err != nil {
		t.Fatal(err)
	}
}

// TestJournalStale covers a run that died after Write renamed the new state
// into place but before it removed the journal.
func TestJournalStale(t *testing.T) {
	f := tempLocked(t)
	s := stateWith("demo", res(t, `switch.lan0`, `{}`))
	mustWrite(t, f, s)
	j, err := f.OpenJournal(s)
	if err != nil {
		t.Fatal(err)
	}
	a := res(t, `vnode.a`, `{}`)
	record(t, j, []op{{put: a}})
	s.Resources[a.Addr] = a
	saved := readBytes(t, f.File().JournalPath())
	mustWrite(t, f, s)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	// Write also removed the journal; put it back as if that had not happened.
	if err := os.WriteFile(f.File().JournalPath(), saved, 0o600); err != nil {
		t.Fatal(err)
	}
	onDisk := readBytes(t, f.File().Path())

	got := mustLoad(t, f)
	if d := cmp.Diff(s, got); d != "" {
		t.Errorf("Load (-want +got):\n%s", d)
	}
	if exists(t, f.File().JournalPath()) {
		t.Error("stale journal not removed")
	}
	if d := cmp.Diff(string(onDisk), string(readBytes(t, f.File().Path()))); d != "" {
		t.Errorf("a stale journal made Load rewrite the state:\n%s", d)
	}
}

func TestJournalMismatch(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T, f *Locked)
		wantErr []string
	}{
		{"other lineage", func(t *testing.T, f *Locked) {
			mustWrite(t, f, New("demo"))
			// OpenJournal refuses to start this journal, so bring one from
			// another experiment's directory, as a careless copy would.
			other := tempLocked(t)
			s := New("demo")
			mustWrite(t, other, s)
			openAndPut(t, other, s)
			if err := os.Rename(other.File().JournalPath(), f.File().JournalPath()); err != nil {
				t.Fatal(err)
			}
		}, []string{"demo.json.journal", "demo.json ", "lineage"}},
		{"state file replaced by an older one", func(t *testing.T, f *Locked) {
			s := New("demo")
			mustWrite(t, f, s)
			mustWrite(t, f, s)
			openAndPut(t, f, s)
			if err := os.WriteFile(f.File().Path(), readBytes(t, f.File().BackupPath()), 0o600); err != nil {
				t.Fatal(err)
			}
		}, []string{"demo.json.journal", "serial 2", "serial 1"}},
		{"state file deleted", func(t *testing.T, f *Locked) {
			s := New("demo")
			mustWrite(t, f, s)
			openAndPut(t, f, s)
			if err := os.Remove(f.File().Path()); err != nil {
				t.Fatal(err)
			}
		}, []string{"demo.json.journal", "does not exist", "demo.json.backup"}},
		{"newer journal version", func(t *testing.T, f *Locked) {
			if err := os.WriteFile(f.File().JournalPath(), []byte(`{"journal":2,"lineage":"x"}`+"\n"+`{}`+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, []string{"demo.json.journal", "version 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tempLocked(t)
			tc.setup(t, f)
			_, err := f.Load()
			if err == nil {
				t.Fatal("Load: want error")
			}
			for _, sub := range tc.wantErr {
				if !strings.Contains(err.Error(), sub) {
					t.Errorf("error %q does not contain %q", err, sub)
				}
			}
			if !exists(t, f.File().JournalPath()) {
				t.Error("Load removed a journal that does not match")
			}
		})
	}
}

func openAndPut(t *testing.T, f *Locked, s *State) {
	t.Helper()
	j, err := f.OpenJournal(s)
	if err != nil {
		t.Fatal(err)
	}
	record(t, j, []op{{put: res(t, `vnode.j`, `{}`)}})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestJournalNothingToFold covers journals that hold no entries: Load
// removes them without rewriting the state.
func TestJournalNothingToFold(t *testing.T) {
	for _, tc := range []struct {
		name      string
		stateFile bool
		journal   string // "" means: opened with OpenJournal, no entries
	}{
		{"empty journal", true, ""},
		{"empty journal, no state file", false, ""},
		{"torn header", true, `{"journal":1,"experi`},
		{"torn header, no state file", false, `{"journal":1,"experi`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tempLocked(t)
			s := New("demo")
			if tc.stateFile {
				mustWrite(t, f, s)
			} else {
				mustLoad(t, f)
			}
			if tc.journal == "" {
				j, err := f.OpenJournal(s)
				if err != nil {
					t.Fatal(err)
				}
				j.Close()
			} else if err := os.WriteFile(f.File().JournalPath(), []byte(tc.journal), 0o600); err != nil {
				t.Fatal(err)
			}
			got := mustLoad(t, f)
			switch {
			case tc.stateFile && (got == nil || got.Serial != 1):
				t.Errorf("Load = %+v, want the state at serial 1", got)
			case !tc.stateFile && tc.journal != "" && got != nil:
				t.Errorf("Load = %+v, want nil", got)
			}
			if exists(t, f.File().JournalPath()) {
				t.Error("journal not removed")
			}
		})
	}
}

func TestLoadNothing(t *testing.T) {
	s, err := tempLocked(t).Load()
	if s != nil || err != nil {
		t.Fatalf("Load = %v, %v; want nil, nil", s, err)
	}
}

// TestJournalThenWrite follows the engine's pattern: the journal is folded
// by Write, and then refuses entries rather than write into a removed file.
func TestJournalThenWrite(t *testing.T) {
	f := tempLocked(t)
	mustLoad(t, f)
	s := New("demo")
	j, err := f.OpenJournal(s)
	if err != nil {
		t.Fatal(err)
	}
	a := res(t, `vnode.a`, `{}`)
	record(t, j, []op{{put: a}})
	s.Resources[a.Addr] = a
	mustWrite(t, f, s)
	if exists(t, f.File().JournalPath()) {
		t.Error("Write left the journal")
	}
	if err := j.Put(res(t, `vnode.b`, `{}`)); !errors.Is(err, ErrJournalClosed) {
		t.Errorf("Put after Write: got %v, want ErrJournalClosed", err)
	}
	if err := j.Remove(a.Addr); !errors.Is(err, ErrJournalClosed) {
		t.Errorf("Remove after Write: got %v, want ErrJournalClosed", err)
	}
	if err := j.Close(); err != nil {
		t.Errorf("Close after Write: %v", err)
	}
	if exists(t, f.File().JournalPath()) {
		t.Error("a journal reappeared")
	}

	// A new journal carries on from the written state.
	j2, err := f.OpenJournal(s)
	if err != nil {
		t.Fatal(err)
	}
	record(t, j2, []op{{remove: "vnode.a"}})
	if err := j2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j2.Put(a); !errors.Is(err, ErrJournalClosed) {
		t.Errorf("Put after Close: got %v, want ErrJournalClosed", err)
	}
	got := mustLoad(t, f)
	if len(got.Resources) != 0 || got.Serial != 2 {
		t.Errorf("Load: %d resources at serial %d, want 0 at serial 2", len(got.Resources), got.Serial)
	}
}

func TestOpenJournalRefuses(t *testing.T) {
	s := stateWith("demo", res(t, `switch.lan0`, `{}`))
	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T, f *Locked) *State // returns the state to journal
		wantErr string
	}{
		{"without Load", func(t *testing.T, f *Locked) *State {
			return New("demo")
		}, "Load the state first"},
		{"a journal is open", func(t *testing.T, f *Locked) *State {
			mustLoad(t, f)
			s := New("demo")
			if _, err := f.OpenJournal(s); err != nil {
				t.Fatal(err)
			}
			return s
		}, "already open"},
		{"an unfolded journal exists", func(t *testing.T, f *Locked) *State {
			mustLoad(t, f)
			s := New("demo")
			openAndPut(t, f, s)
			return s
		}, "Load the state first, which folds"},
		{"older serial than on disk", func(t *testing.T, f *Locked) *State {
			s := s.DeepCopy()
			mustWrite(t, f, s)
			old := s.DeepCopy()
			mustWrite(t, f, s)
			return old
		}, "serial 1"},
		{"other lineage than on disk", func(t *testing.T, f *Locked) *State {
			mustWrite(t, f, s.DeepCopy())
			return New("demo")
		}, "not the one"},
		{"never written but serial > 0", func(t *testing.T, f *Locked) *State {
			mustLoad(t, f)
			s := New("demo")
			s.Serial = 4
			return s
		}, "serial 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tempLocked(t)
			s := tc.setup(t, f)
			_, err := f.OpenJournal(s)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("OpenJournal: got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestJournalPutRejects(t *testing.T) {
	f := tempLocked(t)
	mustLoad(t, f)
	j, err := f.OpenJournal(New("demo"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	bad := res(t, `vnode.a`, `{"x":`)
	if err := j.Put(bad); err == nil || !strings.Contains(err.Error(), "vnode.a") {
		t.Errorf("Put with invalid attributes: got %v, want an error naming vnode.a", err)
	}
	if err := j.Put(nil); err == nil {
		t.Error("Put(nil): want error")
	}
	// A rejected entry writes nothing, so the journal still replays.
	if err := j.Put(res(t, `vnode.b`, `{}`)); err != nil {
		t.Fatal(err)
	}
	j.Close()
	if got := mustLoad(t, f); len(got.Resources) != 1 {
		t.Errorf("Load: %d resources, want 1", len(got.Resources))
	}
}

func TestJournalConcurrent(t *testing.T) {
	f := tempLocked(t)
	mustLoad(t, f)
	j, err := f.OpenJournal(New("demo"))
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 250
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				r := res(t, fmt.Sprintf(`vnode.w%d[%d]`, w, i), fmt.Sprintf(`{"pad":%q}`, strings.Repeat("x", 100*i%3000)))
				if err := j.Put(r); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, f); len(got.Resources) != workers*each {
		t.Errorf("Load: %d resources, want %d", len(got.Resources), workers*each)
	}
}
