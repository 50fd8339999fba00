package suggest

import "testing"

func TestNearest(t *testing.T) {
	names := []string{"greeting", "name", "path"}
	for given, want := range map[string]string{
		"nmae":     "name",
		"greting":  "greeting",
		"colour":   "",
		"pat":      "path",
		"greeting": "greeting",
	} {
		if got := Nearest(given, names); got != want {
			t.Errorf("Nearest(%q) = %q, want %q", given, got, want)
		}
	}
	// Ties go to the first name in sorted order, whatever the order given.
	if got := Nearest("ab", []string{"ac", "aa"}); got != "aa" {
		t.Errorf("tie: got %q, want %q", got, "aa")
	}
}
