package benchresult

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAppendRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	if err := Append(path, Record{Name: "a", Unit: "s", Runs: Seconds([]time.Duration{3 * time.Second, time.Second, 2 * time.Second})}); err != nil {
		t.Fatal(err)
	}
	if err := Append(path, Record{Name: "b", Unit: "MiB", Runs: []float64{4, 1}}, Record{Name: "a", Unit: "s", Runs: []float64{7}}); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["a"].Median() != 7 || got["b"].Median() != 2.5 || got["b"].Unit != "MiB" {
		t.Fatalf("read back %+v", got)
	}
	if err := Append("", Record{Name: "ignored"}); err != nil {
		t.Errorf("no path: %v", err)
	}
	if err := Append(path, Record{Name: "c", Unit: "s"}); err == nil {
		t.Error("a record without runs was written")
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{[]float64{5}, 5}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	if !math.IsNaN(Median(nil)) {
		t.Error("Median(nil) is not NaN")
	}
}

func TestReadBad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	os.WriteFile(path, []byte("{\"name\":\"a\",\"unit\":\"s\",\"runs\":[1]}\nnot json\n"), 0o644)
	if _, err := Read(path); err == nil || !strings.Contains(err.Error(), ":2:") {
		t.Errorf("a bad line read as %v, want an error naming line 2", err)
	}
}
