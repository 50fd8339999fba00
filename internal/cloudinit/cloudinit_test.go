package cloudinit

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/benito-net/benito/internal/golden"
	"github.com/benito-net/benito/internal/guestconfig"
)

func mac(t *testing.T, s string) net.HardwareAddr {
	t.Helper()
	m, err := net.ParseMAC(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// startup has what a shell command line can hold that YAML must carry
// intact: both quotes, a backslash, a '#', a colon and a newline.
const startup = `printf '%s\n' "it's" 'a "quoted" word' 'back\slash # not a comment: no' > out` + "\n" + `echo second line >> out` + "\n"

// example is a node with two interfaces, routes (the default ones of both
// families, and one on the second interface), hosts, mounts and a startup
// command.
func example(t *testing.T) guestconfig.Node {
	return guestconfig.Node{
		Hostname: "vm-0",
		Interfaces: []guestconfig.Interface{
			{MAC: mac(t, "52:54:00:AB:00:01"), Name: "eth0", Addresses: []netip.Prefix{
				netip.MustParsePrefix("10.0.0.1/24"), netip.MustParsePrefix("fd00::1/64")}},
			{MAC: mac(t, "52:54:00:ab:00:02"), Name: "eth1", Addresses: []netip.Prefix{netip.MustParsePrefix("10.0.1.1/24")}},
		},
		Routes: []guestconfig.Route{
			{Dest: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("10.0.0.254")},
			{Dest: netip.MustParsePrefix("10.2.3.4/16"), Gateway: netip.MustParseAddr("10.0.1.2")},
			{Dest: netip.MustParsePrefix("::/0"), Gateway: netip.MustParseAddr("fd00::fe")},
		},
		Hosts: []guestconfig.Host{
			{Addr: netip.MustParseAddr("10.0.0.1"), Names: []string{"vm-0"}},
			{Addr: netip.MustParseAddr("10.0.1.2"), Names: []string{"h-0", "gw"}},
		},
		Mounts: []guestconfig.Mount{
			{Tag: "users", Path: "/users", ReadOnly: true},
			{Tag: "share", Path: "/share"},
		},
		Startup: startup,
	}
}

var seedFiles = []string{MetaDataFile, NetworkConfigFile, UserDataFile}

// TestWriteSeedGolden: the seed of the example, written 0600, the same
// bytes as Files and as the last time.
func TestWriteSeedGolden(t *testing.T) {
	n := example(t)
	dir := t.TempDir()
	if err := WriteSeed(&n, dir); err != nil {
		t.Fatal(err)
	}
	files, err := Files(&n)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != 0o600 {
			t.Errorf("%s: mode %v, want -rw------- (user-data may hold a secret)", e.Name(), fi.Mode())
		}
		got, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, files[e.Name()]) {
			t.Errorf("%s: written bytes differ from Files", e.Name())
		}
		golden.Check(t, filepath.Join("testdata", "seed", e.Name()), got)
	}
	if diff := cmp.Diff(seedFiles, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	// Deterministic: rendered again, the same bytes.
	again, err := Files(&n)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(files, again); diff != "" {
		t.Errorf("Files twice (-first +second):\n%s", diff)
	}
}

// decoded is what a YAML reader finds in a seed.
type decoded struct {
	meta    map[string]any
	network map[string]any
	user    map[string]any
}

func decode(t *testing.T, files map[string][]byte) decoded {
	t.Helper()
	var d decoded
	for name, into := range map[string]*map[string]any{MetaDataFile: &d.meta, NetworkConfigFile: &d.network, UserDataFile: &d.user} {
		if err := yaml.Unmarshal(files[name], into); err != nil {
			t.Fatalf("%s does not decode: %v\n%s", name, err, files[name])
		}
	}
	if !bytes.HasPrefix(files[UserDataFile], []byte("#cloud-config\n")) {
		t.Errorf("user-data does not start with #cloud-config:\n%s", files[UserDataFile])
	}
	return d
}

// TestRoundTrip: what a YAML reader finds in the seed is the node, values
// that need quoting included.
func TestRoundTrip(t *testing.T) {
	n := example(t)
	n.Hostname = "vm-0.exp.example"
	files, err := Files(&n)
	if err != nil {
		t.Fatal(err)
	}
	d := decode(t, files)
	share, err := n.Files()
	if err != nil {
		t.Fatal(err)
	}

	if d.meta["local-hostname"] != "vm-0.exp.example" || !strings.HasPrefix(d.meta["instance-id"].(string), InstanceIDPrefix) {
		t.Errorf("meta-data: %v", d.meta)
	}

	wantUser := map[string]any{
		"hostname":                   "vm-0",
		"fqdn":                       "vm-0.exp.example",
		"preserve_hostname":          false,
		"manage_etc_hosts":           false,
		"package_update":             false,
		"package_upgrade":            false,
		"package_reboot_if_required": false,
		"write_files": []any{
			map[string]any{"path": "/etc/hosts", "content": string(share[guestconfig.HostsFile]), "owner": "root:root", "permissions": "0644"},
			map[string]any{"path": "/etc/fstab", "append": true, "owner": "root:root", "permissions": "0644", "content": "users /users 9p trans=virtio,version=9p2000.L,ro,nofail 0 0\n" +
				"share /share 9p trans=virtio,version=9p2000.L,nofail 0 0\n"},
		},
		"runcmd": []any{
			[]any{"mkdir", "-p", "/users"}, []any{"mount", "/users"},
			[]any{"mkdir", "-p", "/share"}, []any{"mount", "/share"},
			[]any{"/bin/sh", "-c", startup},
		},
	}
	if diff := cmp.Diff(wantUser, d.user); diff != "" {
		t.Errorf("user-data decoded (-want +got):\n%s", diff)
	}

	wantNetwork := map[string]any{
		"version": 2,
		"ethernets": map[string]any{
			"benito0": map[string]any{
				"match": map[string]any{"macaddress": "52:54:00:ab:00:01"}, "set-name": "benito0",
				"dhcp4": false, "dhcp6": false, "accept-ra": false,
				"addresses": []any{"10.0.0.1/24", "fd00::1/64"},
				"routes": []any{
					map[string]any{"to": "0.0.0.0/0", "via": "10.0.0.254"},
					map[string]any{"to": "::/0", "via": "fd00::fe"},
				},
			},
			"benito1": map[string]any{
				"match": map[string]any{"macaddress": "52:54:00:ab:00:02"}, "set-name": "benito1",
				"dhcp4": false, "dhcp6": false, "accept-ra": false,
				"addresses": []any{"10.0.1.1/24"},
				"routes":    []any{map[string]any{"to": "10.2.0.0/16", "via": "10.0.1.2"}},
			},
		},
	}
	if diff := cmp.Diff(wantNetwork, d.network); diff != "" {
		t.Errorf("network-config decoded (-want +got):\n%s", diff)
	}
}

// TestRoundTripHostile: values a hand-written template would break (YAML's
// own syntax, "yes" and numbers that a reader would retype, leading and
// trailing space) come back as they went in.
func TestRoundTripHostile(t *testing.T) {
	for _, s := range []string{
		"yes", "0644", "1e3", "null", "~", "- item", "key: value", "a # b", "{x: 1}", "[1]",
		"&anchor", "*alias", "!tag", "|", ">", "'", `"`, "\\", "%YAML", "@", "`",
		"  leading", "trailing  ", "tab\there", "two\nlines", "\nleading newline", "  leading\nspace", strings.Repeat("long line ", 30), "trailing newlines\n\n",
		"---\n...", "é ünïcode ✓", "\r\nCRLF",
	} {
		n := example(t)
		n.Startup = s
		files, err := Files(&n)
		if err != nil {
			t.Fatal(err)
		}
		d := decode(t, files)
		runcmd := d.user["runcmd"].([]any)
		got := runcmd[len(runcmd)-1].([]any)[2]
		if got != s {
			t.Errorf("startup %q came back as %q from:\n%s", s, got, files[UserDataFile])
		}
	}
}

// TestInstanceID: the same node is the same instance; any change a guest
// would see is a new one.
func TestInstanceID(t *testing.T) {
	id := func(n guestconfig.Node) string {
		t.Helper()
		files, err := Files(&n)
		if err != nil {
			t.Fatal(err)
		}
		return decode(t, files).meta["instance-id"].(string)
	}
	base := id(example(t))
	if again := id(example(t)); again != base {
		t.Errorf("the same node: instance-id %s then %s", base, again)
	}
	changes := map[string]func(*guestconfig.Node){
		"hostname": func(n *guestconfig.Node) { n.Hostname = "vm-1" },
		"address":  func(n *guestconfig.Node) { n.Interfaces[1].Addresses[0] = netip.MustParsePrefix("10.0.1.3/24") },
		"route":    func(n *guestconfig.Node) { n.Routes = n.Routes[:1] },
		"host":     func(n *guestconfig.Node) { n.Hosts[1].Names = []string{"h-0"} },
		"mount":    func(n *guestconfig.Node) { n.Mounts[1].ReadOnly = true },
		"startup":  func(n *guestconfig.Node) { n.Startup += " " },
	}
	seen := map[string]string{base: "none"}
	for name, change := range changes {
		n := example(t)
		change(&n)
		got := id(n)
		if other, dup := seen[got]; dup {
			t.Errorf("change of %s: instance-id %s, the same as for %s", name, got, other)
		}
		seen[got] = name
	}
}

// TestNoStartupNoMounts: without them, no runcmd and no fstab lines.
func TestNoStartupNoMounts(t *testing.T) {
	n := example(t)
	n.Startup, n.Mounts = "", nil
	files, err := Files(&n)
	if err != nil {
		t.Fatal(err)
	}
	d := decode(t, files)
	if _, ok := d.user["runcmd"]; ok {
		t.Errorf("runcmd without mounts or startup:\n%s", files[UserDataFile])
	}
	if wf := d.user["write_files"].([]any); len(wf) != 1 {
		t.Errorf("write_files: %v, want /etc/hosts alone", wf)
	}
}

func TestFilesRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(*guestconfig.Node)
		want   string
	}{
		// guestconfig's checks, with its words.
		{"hostname", func(n *guestconfig.Node) { n.Hostname = "vm 0\nruncmd: [x]" }, "guest config: hostname"},
		{"mount path", func(n *guestconfig.Node) { n.Mounts[0].Path = "/a b" }, `path "/a b"`},
		{"tag", func(n *guestconfig.Node) { n.Mounts[0].Tag = guestconfig.Tag }, "is taken"},
		// Its own: version 2 needs an interface for every route.
		{"gateway off-link", func(n *guestconfig.Node) { n.Routes[1].Gateway = netip.MustParseAddr("192.168.9.1") },
			"route 1: gateway 192.168.9.1 is on none of the node's subnets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := example(t)
			tt.change(&n)
			_, err := Files(&n)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Files: %v, want an error containing %q", err, tt.want)
			}
			dir := t.TempDir()
			if err := WriteSeed(&n, dir); err == nil {
				t.Errorf("WriteSeed wrote a seed Files refuses")
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("a refused seed left %d files", len(entries))
			}
		})
	}
}
