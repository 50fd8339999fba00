package providers

import "testing"

func TestEscapePath(t *testing.T) {
	for _, c := range []struct{ path, want string }{
		{"/run/benito/lab-1", `run-benito-lab\x2d1`},
		{"/", "-"},
		{"/tmp/a b/.x", `tmp-a\x20b-.x`},
		{"/.x", `\x2ex`},
		{"/switch/run/benito/x/switch/v.ctl", "switch-run-benito-x-switch-v.ctl"},
	} {
		got := EscapePath(c.path)
		if got != c.want {
			t.Errorf("EscapePath(%q) = %q, want %q", c.path, got, c.want)
		}
		back, ok := UnescapePath(got)
		if !ok || back != c.path {
			t.Errorf("UnescapePath(%q) = %q, %v; want %q", got, back, ok, c.path)
		}
	}
	for _, bad := range []string{`a\x2`, `a\y20`, `a\x2d`[:3], "a/b"} {
		if p, ok := UnescapePath(bad); ok {
			t.Errorf("UnescapePath(%q) = %q, accepted", bad, p)
		}
	}
}
