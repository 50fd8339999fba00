package netmask

import (
	"strings"
	"testing"
)

// TestParse covers what the three parsers this package replaced accepted
// and refused: hcl's maskBits and topdl's MaskBits (dotted, "/N" or "N",
// spaces trimmed, a length read by strconv.Atoi) and the process
// provider's parseMask (dotted only, through net.ParseIP). before says how
// they differed from the rules kept, where they did.
func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in     string
		want   int    // -1: refused
		err    string // in the error, when refused
		before string
	}{
		{in: "255.255.255.0", want: 24},
		{in: "255.255.240.0", want: 20},
		{in: "255.255.255.254", want: 31},
		{in: "255.255.255.255", want: 32},
		{in: "128.0.0.0", want: 1},
		{in: "0.0.0.0", want: 0},
		{in: "/24", want: 24, before: "process refused it"},
		{in: "24", want: 24, before: "process refused it"},
		{in: "/0", want: 0, before: "process refused it"},
		{in: "0", want: 0, before: "process refused it"},
		{in: "32", want: 32, before: "process refused it"},
		{in: " 255.255.255.0\t", want: 24, before: "process refused it"},
		{in: " /16 ", want: 16, before: "process refused it"},

		{in: "255.0.255.0", want: -1, err: "not a contiguous netmask"},
		{in: "255.255.255.1", want: -1, err: "not a contiguous netmask"},
		{in: "0.255.255.255", want: -1, err: "not a contiguous netmask"},
		{in: "33", want: -1, err: "not a netmask"},
		{in: "/33", want: -1, err: "not a netmask"},
		{in: "-1", want: -1, err: "not a netmask"},
		{in: "+24", want: -1, err: "not a netmask", before: "hcl and topdl read it as 24"},
		{in: "-0", want: -1, err: "not a netmask", before: "hcl and topdl read it as 0"},
		{in: "024", want: -1, err: "not a netmask", before: "hcl and topdl read it as 24"},
		{in: "/", want: -1, err: "not a netmask"},
		{in: "", want: -1, err: "not a netmask"},
		{in: "24.0", want: -1, err: "not a netmask"},
		{in: "255.255.255", want: -1, err: "not a netmask"},
		{in: "255.255.255.000", want: -1, err: "not a netmask"},
		{in: "255.255.255.0/24", want: -1, err: "not a netmask"},
		{in: "::ffff:255.255.255.0", want: -1, err: "not a netmask", before: "process read it as 24"},
		{in: "ffff::", want: -1, err: "not a netmask"},
		{in: "0x18", want: -1, err: "not a netmask"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.want < 0 {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), `"`+tt.in+`"`) {
					t.Errorf("Parse(%q) = %d, %v; want an error saying %q about it (before: %s)", tt.in, got, err, tt.err, tt.before)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Parse(%q) = %d, %v; want %d (before: %s)", tt.in, got, err, tt.want, tt.before)
			}
		})
	}
}

// TestFormat checks every prefix length round-trips through Parse.
func TestFormat(t *testing.T) {
	for bits := 0; bits <= 32; bits++ {
		s := Format(bits)
		if got, err := Parse(s); err != nil || got != bits {
			t.Errorf("Parse(Format(%d) = %q) = %d, %v", bits, s, got, err)
		}
	}
	for bits, want := range map[int]string{0: "0.0.0.0", 12: "255.240.0.0", 24: "255.255.255.0", 32: "255.255.255.255"} {
		if got := Format(bits); got != want {
			t.Errorf("Format(%d) = %q, want %q", bits, got, want)
		}
	}
}
