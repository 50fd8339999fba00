// Package benchresult carries measurements from benito's benchmark tools
// (internal/tools/benchplan, benchnodes, benchplugin) to scripts/bench,
// which reruns every figure of docs/benchmarks.md and writes the table
// that document quotes.
//
// A tool given a results file (its -results flag) appends one JSON line per
// figure: a name, a unit and every run's value. The tools still print their
// own human report; the file is what scripts/bench reads, so that no figure
// is copied from a terminal by hand, and a tool whose output changed cannot
// leave a stale number behind (a figure scripts/bench expects and does not
// find fails the run).
package benchresult

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"time"
)

// Record is one figure measured: every run's value, in Unit.
type Record struct {
	// Name identifies the figure, such as "plan/plugin/wall"; the tool
	// writing it decides the names, scripts/bench looks them up.
	Name string `json:"name"`
	// Unit is "s", "MiB", "ms" or "x" (a ratio).
	Unit string `json:"unit"`
	// Runs holds each run's value, in the order they were measured.
	Runs []float64 `json:"runs"`
}

// Median returns the median of the runs (the mean of the middle two when
// there is an even number of them), or NaN when there are none.
func (r Record) Median() float64 {
	return Median(r.Runs)
}

// Median returns the median of vs, or NaN when vs is empty.
func Median(vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Seconds converts durations to seconds, for a Record in "s".
func Seconds(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}

// Append adds recs to the results file at path (created if missing). An
// empty path appends nothing: the tool was not asked for a results file.
func Append(path string, recs ...Record) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, r := range recs {
		if r.Name == "" || r.Unit == "" || len(r.Runs) == 0 {
			f.Close()
			return fmt.Errorf("benchresult: incomplete record %+v", r)
		}
		if err := enc.Encode(r); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// Read returns the records of the results file at path, by name. A name
// written twice keeps its last record (a figure measured again).
func Read(path string) (map[string]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]Record{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, line, err)
		}
		if r.Name == "" || len(r.Runs) == 0 {
			return nil, fmt.Errorf("%s:%d: a record without a name or runs", path, line)
		}
		out[r.Name] = r
	}
	return out, sc.Err()
}
