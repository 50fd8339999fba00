package state

import (
	"os"
	"strings"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/google/go-cmp/cmp"
)

// v1File is a state as format 1 wrote it: instances named by host names.
const v1File = `{
  "format_version": 1,
  "experiment": "demo",
  "lineage": "6f1c1a0e-5b44-4c8e-9d55-3f8f2f0b8e11",
  "serial": 4,
  "outputs": {},
  "resources": [
    {"address": "port.lan0[\"h-0.eth0\"]", "type": "port", "provider": "hostnet", "attributes": {"number": 1},
     "dependencies": ["switch.lan0"]},
    {"address": "route.h-0[\"10.0.1.0/24\"]", "type": "route", "provider": "process", "attributes": {},
     "dependencies": ["vnode.h-0"]},
    {"address": "switch.lan0", "type": "switch", "provider": "hostnet", "attributes": {}, "dependencies": []},
    {"address": "vnode.h-0", "type": "vnode", "provider": "process", "attributes": {"name": "h-0"},
     "dependencies": ["port.lan0[\"h-0.eth0\"]", "switch.lan0"]},
    {"address": "vnode.h-9", "type": "vnode", "provider": "process", "attributes": {"name": "h-9"},
     "dependencies": ["switch.lan0"]}
  ]
}
`

// addresses lists a state's addresses, with their dependencies.
func addresses(s *State) []string {
	var out []string
	for _, a := range s.SortedAddrs() {
		line := a.String()
		for _, d := range s.Resources[a].Dependencies {
			line += " " + d.String()
		}
		out = append(out, line)
	}
	return out
}

func TestV1FileKeepsItsAddressesUntilMoved(t *testing.T) {
	f := tempLocked(t)
	if err := os.WriteFile(f.file.Path(), []byte(v1File), 0o600); err != nil {
		t.Fatal(err)
	}
	s := mustLoad(t, f)
	if !s.V1Addrs {
		t.Fatal("a format-1 state is not marked V1Addrs")
	}
	if !s.DeepCopy().V1Addrs {
		t.Error("DeepCopy drops V1Addrs")
	}
	want := []string{
		`port.lan0["h-0.eth0"] switch.lan0`,
		`route.h-0["10.0.1.0/24"] vnode.h-0`,
		`switch.lan0`,
		`vnode.h-0 port.lan0["h-0.eth0"] switch.lan0`,
		`vnode.h-9 switch.lan0`,
	}
	if d := cmp.Diff(want, addresses(s)); d != "" {
		t.Fatalf("loaded (-want +got):\n%s", d)
	}

	// A command that does not read the configuration (state rm) writes it
	// back in format 1: the mark survives.
	delete(s.Resources, mustAddr(t, `vnode.h-9`))
	mustWrite(t, f, s)
	if !strings.Contains(string(readBytes(t, f.file.Path())), `"format_version": 1,`) {
		t.Fatalf("an unmoved state was written in another format:\n%s", readBytes(t, f.file.Path()))
	}
	s = mustLoad(t, f)
	if !s.V1Addrs {
		t.Fatal("the mark did not survive a write")
	}

	// The configuration says which names are instances; vnode.h-9 (were it
	// still there) is not among them.
	s.MoveV1Addrs(map[addrs.Resource]addrs.Resource{
		mustAddr(t, `vnode.h-0`):                {Type: "vnode", Name: "h", Key: addrs.IntKey(0)},
		mustAddr(t, `route.h-0["10.0.1.0/24"]`): {Type: "route", Name: "h", Key: addrs.IntKey(0), Sub: addrs.StringKey("10.0.1.0/24")},
		mustAddr(t, `port.lan0["h-0.eth0"]`):    {Type: "port", Name: "lan0", Key: addrs.StringKey("h[0].eth0")},
		mustAddr(t, `vnode.gone-1`):             {Type: "vnode", Name: "gone", Key: addrs.IntKey(1)},
	})
	if s.V1Addrs {
		t.Error("MoveV1Addrs left the mark")
	}
	want = []string{
		`port.lan0["h[0].eth0"] switch.lan0`,
		`route.h[0]["10.0.1.0/24"] vnode.h[0]`,
		`switch.lan0`,
		`vnode.h[0] port.lan0["h[0].eth0"] switch.lan0`,
	}
	if d := cmp.Diff(want, addresses(s)); d != "" {
		t.Fatalf("moved (-want +got):\n%s", d)
	}
	for a, r := range s.Resources {
		if r.Addr != a {
			t.Errorf("%s is stored under %s", r.Addr, a)
		}
	}
	mustWrite(t, f, s)
	if !strings.Contains(string(readBytes(t, f.file.Path())), `"format_version": 2,`) {
		t.Fatalf("a moved state was not written in format 2:\n%s", readBytes(t, f.file.Path()))
	}
	if s := mustLoad(t, f); s.V1Addrs {
		t.Error("a format-2 state is marked V1Addrs")
	}
}

func TestMoveV1Addrs(t *testing.T) {
	h0 := mustAddr(t, `vnode.h[0]`)
	t.Run("newer record wins", func(t *testing.T) {
		// A journal of a run that had moved the state put vnode.h[0] next
		// to the old record of the same node: the journal's is the newer.
		s := stateWith("demo", res(t, `vnode.h-0`, `{"v":"old"}`), res(t, `vnode.h[0]`, `{"v":"new"}`))
		s.V1Addrs = true
		s.MoveV1Addrs(map[addrs.Resource]addrs.Resource{mustAddr(t, `vnode.h-0`): h0})
		if d := cmp.Diff([]string{`vnode.h[0]`}, addresses(s)); d != "" {
			t.Fatalf("(-want +got):\n%s", d)
		}
		if got := string(s.Resources[h0].Attributes); got != `{"v":"new"}` {
			t.Errorf("kept %s", got)
		}
	})
	t.Run("not marked", func(t *testing.T) {
		// vnode.h-0 of a format-2 state is a block labelled h-0.
		s := stateWith("demo", res(t, `vnode.h-0`, `{}`))
		s.MoveV1Addrs(map[addrs.Resource]addrs.Resource{mustAddr(t, `vnode.h-0`): h0})
		if d := cmp.Diff([]string{`vnode.h-0`}, addresses(s)); d != "" {
			t.Fatalf("(-want +got):\n%s", d)
		}
	})
	t.Run("dependencies stay sorted", func(t *testing.T) {
		s := stateWith("demo",
			res(t, `switch.b`, `{}`),
			res(t, `switch.z-1`, `{}`),
			res(t, `vnode.a`, `{}`, `switch.b`, `switch.z-1`))
		s.V1Addrs = true
		s.MoveV1Addrs(map[addrs.Resource]addrs.Resource{mustAddr(t, `switch.z-1`): mustAddr(t, `switch.a[1]`)})
		want := []string{`switch.a[1]`, `switch.b`, `vnode.a switch.a[1] switch.b`}
		if d := cmp.Diff(want, addresses(s)); d != "" {
			t.Fatalf("(-want +got):\n%s", d)
		}
	})
}
