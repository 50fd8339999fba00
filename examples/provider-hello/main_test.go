package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benito-net/benito/providers/sdk/sdktest"
)

func TestGreetingLifeCycle(t *testing.T) {
	dir := t.TempDir()
	path, other := filepath.Join(dir, "hello.txt"), filepath.Join(dir, "other.txt")
	fileHolds := func(path, want string) func(testing.TB, *sdktest.Harness) {
		return func(t testing.TB, h *sdktest.Harness) {
			t.Helper()
			b, err := os.ReadFile(path)
			if err != nil || string(b) != want {
				t.Errorf("%s holds %q (%v), want %q", path, b, err, want)
			}
		}
	}
	sdktest.Run(t, provider(),
		sdktest.Step{
			Resources:     map[string]map[string]any{"hello_greeting.a": {"path": path, "name": "world"}},
			ExpectActions: map[string]sdktest.Action{"hello_greeting.a": sdktest.Create},
			Check:         fileHolds(path, "Hello, world!\n"),
		},
		sdktest.Step{
			Resources:     map[string]map[string]any{"hello_greeting.a": {"path": path, "name": "benito", "greeting": "Ciao"}},
			ExpectActions: map[string]sdktest.Action{"hello_greeting.a": sdktest.Update},
			Check:         fileHolds(path, "Ciao, benito!\n"),
		},
		sdktest.Step{
			Resources:     map[string]map[string]any{"hello_greeting.a": {"path": other, "name": "benito", "greeting": "Ciao"}},
			ExpectActions: map[string]sdktest.Action{"hello_greeting.a": sdktest.Replace},
			Check: func(t testing.TB, h *sdktest.Harness) {
				fileHolds(other, "Ciao, benito!\n")(t, h)
				if _, err := os.Stat(path); !os.IsNotExist(err) {
					t.Errorf("the replaced file %s is still there (%v)", path, err)
				}
			},
		},
	)
	for _, p := range []string{path, other} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there after destroy (%v)", p, err)
		}
	}
}

func TestGreetingDrift(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hello.txt")
	cfg := map[string]any{"path": path, "name": "world"}
	h := sdktest.New(t, provider(), nil)
	h.Apply("hello_greeting.a", cfg)

	// An edited file reads back with its new content, and the plan puts
	// the greeting back in place.
	if err := os.WriteFile(path, []byte("edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := h.Refresh("hello_greeting.a")["content"]; got != "edited\n" {
		t.Errorf("content after an edit = %q", got)
	}
	if c := h.Plan("hello_greeting.a", cfg); c.Action != sdktest.Update {
		t.Errorf("plan after an edit: %s, want update", c.Action)
	}
	h.Apply("hello_greeting.a", cfg)

	// A deleted file reads back as gone, and the plan creates it again.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if got := h.Refresh("hello_greeting.a"); got != nil {
		t.Errorf("a deleted file reads back as %v", got)
	}
	if c := h.Plan("hello_greeting.a", cfg); c.Action != sdktest.Create {
		t.Errorf("plan after a delete: %s, want create", c.Action)
	}
}

func TestGreetingRejectsRelativePath(t *testing.T) {
	h := sdktest.New(t, provider(), nil)
	_, err := h.PlanE("hello_greeting.a", map[string]any{"path": "rel.txt", "name": "x"})
	if err == nil || !contains(err.Error(), "not an absolute path") {
		t.Errorf("plan of a relative path: %v", err)
	}
	_, err = h.PlanE("hello_greeting.a", map[string]any{"path": "/tmp/x", "nmae": "x"})
	if err == nil || !contains(err.Error(), `does not support attribute "nmae"`) {
		t.Errorf("plan with a typo: %v", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
