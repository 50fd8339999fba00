package hcl

import "testing"

// TestOriginBefore pins the source order the checks walk interfaces and
// routes in: block, then instance, then position within the instance.
func TestOriginBefore(t *testing.T) {
	b0, b1 := &block{order: 0}, &block{order: 1}
	tests := []struct {
		name string
		o, p origin
		want bool
	}{
		{"earlier block", origin{b: b0, inst: 5, idx: 5}, origin{b: b1}, true},
		{"later block", origin{b: b1}, origin{b: b0, inst: 5, idx: 5}, false},
		{"earlier instance", origin{b: b0, inst: 0, idx: 5}, origin{b: b0, inst: 1}, true},
		{"later instance", origin{b: b0, inst: 1}, origin{b: b0, inst: 0, idx: 5}, false},
		{"earlier position", origin{b: b0, inst: 1, idx: 0}, origin{b: b0, inst: 1, idx: 1}, true},
		{"same place", origin{b: b0, inst: 1, idx: 1}, origin{b: b0, inst: 1, idx: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.o.before(tt.p); got != tt.want {
				t.Errorf("%+v.before(%+v) = %v, want %v", tt.o, tt.p, got, tt.want)
			}
		})
	}
}
