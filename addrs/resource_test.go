package addrs

import (
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResourceRoundTrip(t *testing.T) {
	for _, s := range []string{
		`switch.lan0`,
		`vnode.a[0]`,
		`vnode.a[12]`,
		`port.lan0["a.eth0"]`,
		`route.a["10.0.1.0/24"]`,
		`mount.a["/users"]`,
		`vnode.web-1`,
	} {
		t.Run(s, func(t *testing.T) {
			r, err := ParseResource(s)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.String(); got != s {
				t.Errorf("round trip: got %s, want %s", got, s)
			}
		})
	}
}

func TestParseResourceErrors(t *testing.T) {
	for _, s := range []string{"", "vnode", ".a", "vnode.a[", "vnode.a[x]", "vnode.a[-1]", "vnode.a b", `vnode.a["x`} {
		if _, err := ParseResource(s); err == nil {
			t.Errorf("ParseResource(%q): want error", s)
		}
	}
}

func TestLess(t *testing.T) {
	in := []string{`vnode.a[10]`, `port.lan0["b.eth0"]`, `vnode.a[2]`, `vnode.a`, `port.lan0["a.eth0"]`, `switch.lan0`}
	var rs []Resource
	for _, s := range in {
		r, err := ParseResource(s)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Less(rs[j]) })
	var got []string
	for _, r := range rs {
		got = append(got, r.String())
	}
	want := []string{`port.lan0["a.eth0"]`, `port.lan0["b.eth0"]`, `switch.lan0`, `vnode.a`, `vnode.a[2]`, `vnode.a[10]`}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
}
