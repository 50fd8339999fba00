package state

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/benito-net/benito/addrs"
)

// res builds a resource from an address in its String form.
func res(t testing.TB, addr, attrs string, deps ...string) *Resource {
	t.Helper()
	r := &Resource{
		Addr:       mustAddr(t, addr),
		Provider:   "config",
		Attributes: json.RawMessage(attrs),
	}
	for _, d := range deps {
		r.Dependencies = append(r.Dependencies, mustAddr(t, d))
	}
	return r
}

func mustAddr(t testing.TB, s string) addrs.Resource {
	t.Helper()
	a, err := addrs.ParseResource(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// stateWith returns a fresh state holding rs.
func stateWith(experiment string, rs ...*Resource) *State {
	s := New(experiment)
	for _, r := range rs {
		s.Resources[r.Addr] = r
	}
	return s
}

// tempFile returns a File in a fresh directory.
func tempFile(t testing.TB) *File {
	t.Helper()
	return NewFile(filepath.Join(t.TempDir(), "demo.json"))
}

// tempLocked returns a File in a fresh directory, locked until the test
// ends.
func tempLocked(t testing.TB) *Locked {
	t.Helper()
	l, err := tempFile(t).Lock(context.Background(), "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Unlock() })
	return l
}

func mustWrite(t testing.TB, f *Locked, s *State) {
	t.Helper()
	if err := f.Write(s); err != nil {
		t.Fatal(err)
	}
}

func mustLoad(t testing.TB, f *Locked) *State {
	t.Helper()
	s, err := f.Load()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readBytes(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exists(t testing.TB, path string) bool {
	t.Helper()
	_, err := os.Stat(path)
	if err == nil {
		return true
	}
	if !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return false
}
