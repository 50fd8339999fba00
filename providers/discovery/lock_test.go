package discovery

import (
	"bytes"
	"testing"
)

func TestLockRoundTrip(t *testing.T) {
	dir := t.TempDir()
	l := &Lock{Providers: map[string]*Locked{
		"zeta":  {Name: "zeta", Source: "example.org/z", Version: "1.0.0", Hashes: []string{"sha256:bb", "sha256:aa"}},
		"hello": {Name: "hello", Source: "example.org/h", Version: "0.1.0", Constraints: ">= 0.1", Hashes: []string{"sha256:cc"}},
	}}
	if err := l.Write(dir); err != nil {
		t.Fatal(err)
	}
	back, diags := ReadLock(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if !bytes.Equal(back.Bytes(), l.Bytes()) {
		t.Errorf("round trip changed the lock:\n%s\nthen\n%s", l.Bytes(), back.Bytes())
	}
	if h := back.Providers["zeta"].Hashes; len(h) != 2 || h[0] != "sha256:aa" {
		t.Errorf("hashes not sorted: %v", h)
	}
	if got := back.Providers["hello"].Constraints; got != ">= 0.1" {
		t.Errorf("constraints = %q", got)
	}
}

func TestDirs(t *testing.T) {
	got := Dirs("/exp", []string{"HOME=/h", "BENITO_PLUGIN_PATH=/a:/b:"})
	want := []string{"/exp/.benito/plugins", "/h/.benito/plugins", "/a", "/b"}
	if len(got) != len(want) {
		t.Fatalf("Dirs = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Dirs = %v, want %v", got, want)
		}
	}
}
