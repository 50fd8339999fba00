package addrs

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResourceRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want Resource
	}{
		{`switch.lan0`, Resource{Type: "switch", Name: "lan0"}},
		{`vnode.a[0]`, Resource{Type: "vnode", Name: "a", Key: IntKey(0)}},
		{`vnode.a[12]`, Resource{Type: "vnode", Name: "a", Key: IntKey(12)}},
		{`vnode.h["east"]`, Resource{Type: "vnode", Name: "h", Key: StringKey("east")}},
		{`vnode.h["0"]`, Resource{Type: "vnode", Name: "h", Key: StringKey("0")}},
		{`port.lan0["a.eth0"]`, Resource{Type: "port", Name: "lan0", Key: StringKey("a.eth0")}},
		{`port.lan0["h[0].eth0"]`, Resource{Type: "port", Name: "lan0", Key: StringKey("h[0].eth0")}},
		{`port.lan0["h[\"b\"].eth0"]`, Resource{Type: "port", Name: "lan0", Key: StringKey(`h["b"].eth0`)}},
		{`port.lan[1]["h[0].eth0"]`, Resource{Type: "port", Name: "lan", Key: IntKey(1), Sub: StringKey("h[0].eth0")}},
		{`route.a["10.0.1.0/24"]`, Resource{Type: "route", Name: "a", Key: StringKey("10.0.1.0/24")}},
		{`route.h[0]["10.0.2.0/24"]`, Resource{Type: "route", Name: "h", Key: IntKey(0), Sub: StringKey("10.0.2.0/24")}},
		{`route.h["x"]["10.0.2.0/24"]`, Resource{Type: "route", Name: "h", Key: StringKey("x"), Sub: StringKey("10.0.2.0/24")}},
		{`startup.h[0]`, Resource{Type: "startup", Name: "h", Key: IntKey(0)}},
		{`mount.a["/users"]`, Resource{Type: "mount", Name: "a", Key: StringKey("/users")}},
		{`config_file.route["h[0]"]`, Resource{Type: "config_file", Name: "route", Key: StringKey("h[0]")}},
		{`vnode.web-1`, Resource{Type: "vnode", Name: "web-1"}},
		{`x.y["]["]`, Resource{Type: "x", Name: "y", Key: StringKey("][")}},
		{`x.y["a\nb"][3]`, Resource{Type: "x", Name: "y", Key: StringKey("a\nb"), Sub: IntKey(3)}},
	} {
		t.Run(tc.s, func(t *testing.T) {
			r, err := ParseResource(tc.s)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, r); d != "" {
				t.Errorf("parse (-want +got):\n%s", d)
			}
			if got := r.String(); got != tc.s {
				t.Errorf("round trip: got %s, want %s", got, tc.s)
			}
			if got := string(r.Append([]byte("> "))); got != "> "+tc.s {
				t.Errorf("Append: got %s", got)
			}
		})
	}
}

func TestParseResourceErrors(t *testing.T) {
	for _, s := range []string{
		"", "vnode", ".a", "vnode.", "vnode.a[", "vnode.a[x]", "vnode.a[-1]", "vnode.a b", `vnode.a["x`, `vnode.a["x"`,
		"vnode.a[01]", "vnode.a[+1]", "vnode.a[]", "vnode.a[0]x", "vnode.a[0][1][2]", "vnode.a]", "vnode.a[0]]",
		"vnode.a[99999999999999999999]", "vno de.a", "vnode.a.b",
	} {
		if r, err := ParseResource(s); err == nil {
			t.Errorf("ParseResource(%q) = %#v, want an error", s, r)
		}
	}
}

func TestInstance(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want Instance
	}{
		{`h`, Instance{Name: "h"}},
		{`h[0]`, Instance{Name: "h", Key: IntKey(0)}},
		{`h["east"]`, Instance{Name: "h", Key: StringKey("east")}},
	} {
		i, err := ParseInstance(tc.s)
		if err != nil {
			t.Fatal(err)
		}
		if i != tc.want || i.String() != tc.s {
			t.Errorf("ParseInstance(%q) = %#v, renders %s", tc.s, i, i)
		}
	}
	for _, s := range []string{"", "h[0][1]", "h.x", "h[", "h-[0]x"} {
		if i, err := ParseInstance(s); err == nil {
			t.Errorf("ParseInstance(%q) = %#v, want an error", s, i)
		}
	}
}

func TestNested(t *testing.T) {
	for _, tc := range []struct {
		in   Instance
		typ  string
		own  Key
		want string
	}{
		{Instance{Name: "a"}, "route", StringKey("10.0.1.0/24"), `route.a["10.0.1.0/24"]`},
		{Instance{Name: "h", Key: IntKey(0)}, "route", StringKey("10.0.1.0/24"), `route.h[0]["10.0.1.0/24"]`},
		{Instance{Name: "h", Key: StringKey("b")}, "mount", StringKey("/mnt"), `mount.h["b"]["/mnt"]`},
		{Instance{Name: "h", Key: IntKey(3)}, "startup", nil, `startup.h[3]`},
		{Instance{Name: "a"}, "startup", nil, `startup.a`},
	} {
		got := tc.in.Nested(tc.typ, tc.own)
		if got.String() != tc.want {
			t.Errorf("%s.Nested(%s, %v) = %s, want %s", tc.in, tc.typ, tc.own, got, tc.want)
		}
		if back, err := ParseResource(got.String()); err != nil || back != got {
			t.Errorf("%s does not parse back: %#v, %v", got, back, err)
		}
	}
	if got := (Instance{Name: "h", Key: IntKey(1)}).Resource("vnode").String(); got != "vnode.h[1]" {
		t.Errorf("Resource: got %s", got)
	}
}

func TestLess(t *testing.T) {
	want := []string{
		`port.lan[0]["a.eth0"]`, `port.lan[2]["a.eth0"]`, `port.lan[10]["a.eth0"]`,
		`port.lan0["a.eth0"]`, `port.lan0["b.eth0"]`, `port.lan0["h[0].eth0"]`,
		`route.a["10.0.1.0/24"]`, `route.h[0]["10.0.1.0/24"]`, `route.h[0]["10.0.2.0/24"]`, `route.h[1]["10.0.1.0/24"]`,
		`switch.lan0`,
		`vnode.a`, `vnode.a[2]`, `vnode.a[10]`, `vnode.a["0"]`, `vnode.a["b"]`,
	}
	var rs []Resource
	for _, s := range want {
		r, err := ParseResource(s)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	for _, shuffled := range [][]Resource{slices.Clone(rs), reversed(rs)} {
		slices.SortFunc(shuffled, Resource.Compare)
		var got []string
		for _, r := range shuffled {
			got = append(got, r.String())
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("order (-want +got):\n%s", d)
		}
	}
	for i := range rs {
		for j := range rs {
			if rs[i].Less(rs[j]) != (i < j) || (rs[i].Compare(rs[j]) == 0) != (i == j) {
				t.Errorf("%s vs %s: Less %v, Compare %d", rs[i], rs[j], rs[i].Less(rs[j]), rs[i].Compare(rs[j]))
			}
		}
	}
}

func reversed(rs []Resource) []Resource {
	out := slices.Clone(rs)
	slices.Reverse(out)
	return out
}
