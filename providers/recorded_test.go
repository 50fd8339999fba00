package providers

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benito-net/benito/contract"
	"github.com/zclconf/go-cty/cty"
)

func TestInside(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "exp")
	outside := filepath.Join(root, "outside")
	for _, d := range []string{filepath.Join(dir, "route"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/hosts", filepath.Join(dir, "hosts")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path    string
		problem string // "" when inside
	}{
		{filepath.Join(dir, "route", "a"), ""},
		{filepath.Join(dir, "not", "yet", "made"), ""},
		{dir, "is not inside"},
		{dir + "/../outside/x", "clean"},
		{filepath.Join(root, "exp2", "x"), "is not inside"},
		{"/etc/hosts", "is not inside"},
		{"route/a", "clean absolute"},
		{filepath.Join(dir, "link", "x"), "symbolic link"},
		{filepath.Join(dir, "hosts"), "symbolic link"},
	} {
		err := Inside(dir, tc.path)
		switch {
		case tc.problem == "" && err != nil:
			t.Errorf("%s: %v", tc.path, err)
		case tc.problem != "" && err == nil:
			t.Errorf("%s: accepted", tc.path)
		case err != nil && !strings.Contains(err.Error(), tc.problem):
			t.Errorf("%s: %v, want it to say %q", tc.path, err, tc.problem)
		}
	}
	// A directory reached through a symbolic link is still itself.
	alias := filepath.Join(root, "alias")
	if err := os.Symlink(dir, alias); err != nil {
		t.Fatal(err)
	}
	if err := Inside(alias, filepath.Join(alias, "route", "a")); err != nil {
		t.Errorf("through a linked directory: %v", err)
	}
}

func TestRefuseRecorded(t *testing.T) {
	d := RefuseRecorded("config_file.hosts", Recorded("id", "/etc/hosts", "is not inside %s", "/var/lib/benito/x"))
	if len(d) != 1 || d[0].Address != "config_file.hosts" || PathString(d[0].Attribute) != "id" {
		t.Fatalf("diagnostic %+v", d)
	}
	for _, s := range []string{"id", "/etc/hosts", "is not inside /var/lib/benito/x", "edited by hand", "benito state rm config_file.hosts", "benito import config_file.hosts"} {
		if !strings.Contains(d[0].Summary+" "+d[0].Detail, s) {
			t.Errorf("diagnostic %q does not say %q", d[0].Summary+": "+d[0].Detail, s)
		}
	}
	if d := RefuseRecorded("a.b", errors.New("plain")); d[0].Summary != "plain" {
		t.Errorf("a plain error: %+v", d)
	}
	nested := &RecordedError{Attribute: cty.GetAttrPath("interfaces").IndexInt(1).GetAttr("host_device"), Value: "eth0", Problem: "x"}
	if !strings.Contains(nested.Error(), "interfaces[1].host_device") {
		t.Errorf("nested path: %v", nested)
	}
}

func TestSiteRoot(t *testing.T) {
	tmp := t.TempDir()
	toEtc := filepath.Join(tmp, "etc-link")
	if err := os.Symlink("/etc", toEtc); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		root, experiment string
		problem          string
	}{
		{"", "x", ""},
		{tmp, "x", ""},
		{"/", "etc", "a directory of the system"},
		{"/usr", "lib", "a directory of the system"},
		{toEtc, "x", "symbolic link to /etc"},
		{"rel", "x", "absolute"},
		{tmp, "../x", "cannot name a directory"},
		{tmp, "..", "cannot name a directory"},
		{tmp, "", "no name"},
	} {
		req := ConfigureRequest{Experiment: tc.experiment, Site: map[string]string{contract.SiteConfigRoot: tc.root}}
		_, dir, d := SiteRoot(req, contract.SiteConfigRoot, contract.DefaultConfigRoot)
		switch {
		case tc.problem == "" && d.HasErrors():
			t.Errorf("%q, %q: %v", tc.root, tc.experiment, d.Err())
		case tc.problem != "" && !d.HasErrors():
			t.Errorf("%q, %q: accepted as %s", tc.root, tc.experiment, dir)
		case d.HasErrors() && !strings.Contains(d.Err().Error(), tc.problem):
			t.Errorf("%q, %q: %v, want it to say %q", tc.root, tc.experiment, d.Err(), tc.problem)
		}
	}
}
