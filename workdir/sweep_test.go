package workdir

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/providers"
	"github.com/hashicorp/hcl/v2"
)

// TestLostState: with the state file deleted, plan says that its backup
// exists and how to restore it, and names what the host holds of the
// experiment that the state does not know; destroy -sweep removes it.
func TestLostState(t *testing.T) {
	opts, fake := experiment(t)
	w := open(t, opts)
	if _, err := w.Run(t.Context(), Operation{Name: "apply", Apply: true, AutoApprove: true}, &recorder{}); err != nil {
		t.Fatal(err)
	}
	// Once more, replacing a, so that the state has a backup.
	if _, err := w.Run(t.Context(), Operation{Name: "apply", Apply: true, AutoApprove: true, Plan: PlanOptions{Replace: []addrs.Resource{{Type: "fake_thing", Name: "a"}}}}, &recorder{}); err != nil {
		t.Fatal(err)
	}
	fake.Host = []providers.HostObject{
		{Type: "fake_thing", KeyAttribute: "name", Key: "a", Description: "thing a"},
		{Type: "fake_thing", KeyAttribute: "name", Key: "b", Description: "thing b"},
	}
	// With its state, nothing is unknown.
	r := &recorder{}
	if _, err := w.Run(t.Context(), Operation{Name: "plan", FindUnknown: true}, r); err != nil {
		t.Fatal(err)
	}
	if len(r.diags) != 0 {
		t.Fatalf("plan with the state: %v", r.diags)
	}

	if err := os.Remove(w.StatePath()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(w.StatePath() + ".backup"); err != nil {
		t.Fatalf("no backup after the apply: %v", err)
	}
	r = &recorder{}
	if _, err := w.Run(t.Context(), Operation{Name: "plan", FindUnknown: true}, r); err != nil {
		t.Fatal(err)
	}
	var text string
	for _, d := range r.diags {
		text += d.Summary + "\n" + d.Detail + "\n"
	}
	hosts := filepath.Join(opts.Dir, "config", "wd", "hosts")
	for _, want := range []string{
		"The state is missing, but its backup is not", "cp " + w.StatePath() + ".backup " + w.StatePath(),
		"the state does not know", `fake_thing name "a"`, `fake_thing name "b"`, hosts, "benito destroy -sweep",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the plan's warnings lack %q:\n%s", want, text)
		}
	}

	r = &recorder{}
	out, err := w.Run(t.Context(), Operation{Name: "destroy", Plan: PlanOptions{Destroy: true}, Apply: true, AutoApprove: true, FindUnknown: true, Sweep: true}, r)
	if err != nil {
		t.Fatalf("destroy -sweep: %v %v", err, r.diags)
	}
	if len(fake.Host) != 0 {
		t.Errorf("left on the host: %+v", fake.Host)
	}
	if _, err := os.Stat(hosts); err == nil {
		t.Errorf("%s is still there", hosts)
	}
	if out.Swept < 3 {
		t.Errorf("swept %d objects, want at least 3", out.Swept)
	}
	if !slices.ContainsFunc(r.diags, func(d *hcl.Diagnostic) bool { return strings.Contains(d.Summary, "the state does not know") }) {
		t.Errorf("destroy -sweep did not name what it removes: %v", r.diags)
	}
}
