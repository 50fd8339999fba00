package hcl

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"
)

// capacityRE matches a rate: a decimal number, an optional SI prefix and a
// unit. "bps" is bits per second here, as in everyday speech ("a 100Mbps
// link") and unlike tc, where it means bytes: nobody shapes an experiment
// link in bytes, and a silent factor of eight is worse than a missing unit.
var capacityRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(?:([kKmMgGtT]?)(bit|bps|bit/s))?$`)

var siPrefix = map[string]float64{"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}

// parseCapacity reads a link capacity in bits per second: a plain number, or
// a string such as "100Mbit", "1.5Gbps", "64kbit". Prefixes are decimal
// (k = 1000) and case-insensitive, as tc reads them.
func parseCapacity(v cty.Value) (uint64, error) {
	var f float64
	switch v.Type() {
	case cty.Number:
		f, _ = v.AsBigFloat().Float64()
	case cty.String:
		s := strings.TrimSpace(v.AsString())
		m := capacityRE.FindStringSubmatch(s)
		if m == nil || m[2] != "" && m[3] == "" {
			return 0, fmt.Errorf("%q is not a rate: write a number of bits per second, or a number with a unit such as \"100Mbit\", \"1Gbit\" or \"64kbit\" (bps means bits per second too)", s)
		}
		f, _ = strconv.ParseFloat(m[1], 64)
		f *= siPrefix[strings.ToLower(m[2])]
	default:
		return 0, fmt.Errorf("a rate must be a string such as \"100Mbit\" or a number of bits per second, not %s", v.Type().FriendlyName())
	}
	switch {
	case f < 0:
		return 0, fmt.Errorf("a rate cannot be negative")
	case f >= math.MaxUint64:
		return 0, fmt.Errorf("the rate is too large")
	}
	return uint64(math.Round(f)), nil
}

// parseLatency reads a one-way delay as a Go duration ("10ms", "1.5s"). A bare
// number is refused: nobody can tell its unit when reading the file.
func parseLatency(v cty.Value) (time.Duration, error) {
	if v.Type() != cty.String {
		return 0, fmt.Errorf("a latency is a string with a unit, such as \"10ms\" or \"1.5s\"; a bare number has no unit")
	}
	s := strings.TrimSpace(v.AsString())
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: write a number with a unit such as \"10ms\", \"250us\" or \"1.5s\"", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("a latency cannot be negative")
	}
	return d, nil
}

// parseLoss reads a packet loss in percent: "0.5%", "0.5" or the number 0.5.
func parseLoss(v cty.Value) (float64, error) {
	var f float64
	switch v.Type() {
	case cty.Number:
		f, _ = v.AsBigFloat().Float64()
	case cty.String:
		s := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v.AsString()), "%"))
		var err error
		f, err = strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("%q is not a percentage: write for example \"0.5%%\" or 0.5", v.AsString())
		}
	default:
		return 0, fmt.Errorf("a loss must be a percentage such as \"0.5%%\" or a number, not %s", v.Type().FriendlyName())
	}
	if f < 0 || f > 100 {
		return 0, fmt.Errorf("a loss is a percentage between 0 and 100, not %g", f)
	}
	return f, nil
}

// wholeNumber returns v as an int64 when it is a whole number.
func wholeNumber(v cty.Value) (int64, bool) {
	bf := v.AsBigFloat()
	if !bf.IsInt() {
		return 0, false
	}
	i, acc := bf.Int64()
	return i, acc == big.Exact
}
