package guestconfig

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/benito-net/benito/internal/golden"
)

func mac(t *testing.T, s string) net.HardwareAddr {
	t.Helper()
	m, err := net.ParseMAC(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func example(t *testing.T) Node {
	return Node{
		Hostname: "vm-0",
		Interfaces: []Interface{
			{MAC: mac(t, "52:54:00:AB:00:01"), Name: "eth0", MTU: 1400, Addresses: []netip.Prefix{
				netip.MustParsePrefix("10.0.0.1/24"), netip.MustParsePrefix("fd00::1/64")}},
			{MAC: mac(t, "52:54:00:ab:00:02"), Name: "inf001"},
		},
		Routes: []Route{
			{Dest: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("10.0.0.254")},
			{Dest: netip.MustParsePrefix("10.1.2.3/16"), Gateway: netip.MustParseAddr("10.0.0.2")},
			{Dest: netip.MustParsePrefix("::/0"), Gateway: netip.MustParseAddr("fd00::fe")},
		},
		Hosts: []Host{
			{Addr: netip.MustParseAddr("10.0.0.1"), Names: []string{"vm-0"}},
			{Addr: netip.MustParseAddr("10.0.0.2"), Names: []string{"h-0", "gw"}},
		},
		Mounts: []Mount{
			{Tag: "users", Path: "/users", ReadOnly: true},
			{Tag: "share", Path: "/share"},
		},
		Startup: "echo started > /tmp/started\n",
	}
}

// TestWriteGolden: the files of a node with every kind of record.
func TestWriteGolden(t *testing.T) {
	dir := t.TempDir()
	n := example(t)
	if err := n.Write(dir); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		got, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join("testdata", "node", e.Name()), got)
	}
	if diff := cmp.Diff([]string{HostsFile, NodeFile, StartupFile}, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	// Written again, without a startup command: same bytes, no startup.
	n.Startup = ""
	if err := n.Write(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, StartupFile)); !os.IsNotExist(err) {
		t.Errorf("startup file after a write without startup: %v, want it gone", err)
	}
}

func TestFilesRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Node)
		want   string
	}{
		{"hostname with a space", func(n *Node) { n.Hostname = "vm 0" }, `hostname "vm 0"`},
		{"empty hostname", func(n *Node) { n.Hostname = "" }, `hostname ""`},
		{"short MAC", func(n *Node) { n.Interfaces[0].MAC = net.HardwareAddr{1, 2} }, "interface 0: MAC"},
		{"MAC twice", func(n *Node) { n.Interfaces[1].MAC = n.Interfaces[0].MAC }, "given twice"},
		{"unnamed interface", func(n *Node) { n.Interfaces[0].Name = "" }, `name ""`},
		{"name with a leading dash", func(n *Node) { n.Interfaces[0].Name = "-x" }, `name "-x"`},
		{"name twice", func(n *Node) { n.Interfaces[1].Name = "eth0" }, "once per node"},
		{"MTU", func(n *Node) { n.Interfaces[0].MTU = -1 }, "MTU -1"},
		{"unset address", func(n *Node) { n.Interfaces[0].Addresses = append(n.Interfaces[0].Addresses, netip.Prefix{}) }, "address is not set"},
		{"families", func(n *Node) { n.Routes[0].Gateway = netip.MustParseAddr("fd00::1") }, "different families"},
		{"tag with a space", func(n *Node) { n.Mounts[0].Tag = "a b" }, `tag "a b"`},
		{"long tag", func(n *Node) { n.Mounts[0].Tag = strings.Repeat("t", 32) }, "1 to 31"},
		{"config tag", func(n *Node) { n.Mounts[0].Tag = Tag }, "is taken"},
		{"relative path", func(n *Node) { n.Mounts[0].Path = "users" }, `path "users"`},
		{"path with a space", func(n *Node) { n.Mounts[0].Path = "/a b" }, `path "/a b"`},
		{"unclean path", func(n *Node) { n.Mounts[0].Path = "/a/../b" }, `path "/a/../b"`},
		{"host without a name", func(n *Node) { n.Hosts[0].Names = nil }, "host 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := example(t)
			tt.change(&n)
			_, err := n.Files()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Files: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
