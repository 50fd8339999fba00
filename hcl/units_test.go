package hcl

import (
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
)

func TestParseCapacity(t *testing.T) {
	tests := []struct {
		in   cty.Value
		want uint64
		bad  bool
	}{
		{in: cty.NumberIntVal(1000), want: 1000},
		{in: cty.StringVal("1000"), want: 1000},
		{in: cty.StringVal("100Mbit"), want: 100_000_000},
		{in: cty.StringVal("100mbit"), want: 100_000_000},
		{in: cty.StringVal("100Mbps"), want: 100_000_000},
		{in: cty.StringVal("64kbit"), want: 64_000},
		{in: cty.StringVal("64Kbit"), want: 64_000},
		{in: cty.StringVal("1.5Gbit"), want: 1_500_000_000},
		{in: cty.StringVal("10 gbit/s"), want: 10_000_000_000},
		{in: cty.StringVal("56bit"), want: 56},
		{in: cty.StringVal("100M"), bad: true},
		{in: cty.StringVal("100MB"), bad: true},
		{in: cty.StringVal("fast"), bad: true},
		{in: cty.NumberIntVal(-1), bad: true},
		{in: cty.True, bad: true},
	}
	for _, tt := range tests {
		got, err := parseCapacity(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("parseCapacity(%s) = %d, %v; want %d, error %v", show(tt.in), got, err, tt.want, tt.bad)
		}
	}
}

func TestParseLatency(t *testing.T) {
	tests := []struct {
		in   cty.Value
		want time.Duration
		bad  bool
	}{
		{in: cty.StringVal("10ms"), want: 10 * time.Millisecond},
		{in: cty.StringVal("1.5s"), want: 1500 * time.Millisecond},
		{in: cty.StringVal("250us"), want: 250 * time.Microsecond},
		{in: cty.StringVal("0"), want: 0},
		{in: cty.NumberIntVal(10), bad: true},
		{in: cty.StringVal("10"), bad: true},
		{in: cty.StringVal("-1ms"), bad: true},
	}
	for _, tt := range tests {
		got, err := parseLatency(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("parseLatency(%s) = %v, %v; want %v, error %v", show(tt.in), got, err, tt.want, tt.bad)
		}
	}
}

func TestParseLoss(t *testing.T) {
	tests := []struct {
		in   cty.Value
		want float64
		bad  bool
	}{
		{in: cty.StringVal("0.5%"), want: 0.5},
		{in: cty.StringVal("0.5"), want: 0.5},
		{in: cty.StringVal("100 %"), want: 100},
		{in: cty.NumberFloatVal(2.5), want: 2.5},
		{in: cty.StringVal("101%"), bad: true},
		{in: cty.NumberIntVal(-1), bad: true},
		{in: cty.StringVal("some"), bad: true},
	}
	for _, tt := range tests {
		got, err := parseLoss(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("parseLoss(%s) = %v, %v; want %v, error %v", show(tt.in), got, err, tt.want, tt.bad)
		}
	}
}

func TestMaskBits(t *testing.T) {
	tests := []struct {
		in   cty.Value
		want int
	}{
		{cty.StringVal("255.255.255.0"), 24},
		{cty.StringVal("255.255.240.0"), 20},
		{cty.StringVal("0.0.0.0"), 0},
		{cty.StringVal("255.255.255.255"), 32},
		{cty.StringVal("/24"), 24},
		{cty.StringVal("24"), 24},
		{cty.NumberIntVal(16), 16},
		{cty.StringVal("255.0.255.0"), -1},
		{cty.StringVal("255.255.255.1"), -1},
		{cty.StringVal("/33"), -1},
		{cty.NumberIntVal(33), -1},
		{cty.StringVal("ffff::"), -1},
	}
	for _, tt := range tests {
		got, err := maskBits(tt.in)
		if got != tt.want || (err != nil) != (tt.want < 0) {
			t.Errorf("maskBits(%s) = %d, %v; want %d", show(tt.in), got, err, tt.want)
		}
	}
}
