package cloudinit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/benito-net/benito/internal/testenv"
)

// cloudInit makes t need cloud-init (Debian package cloud-init; only its
// commands that read files are run, nothing that configures the host) and
// returns its path.
func cloudInit(t *testing.T) string {
	t.Helper()
	return testenv.Command(t, "cloud-init", "cloud-init")
}

// cloudInitPython is the interpreter cloud-init's script names, which
// imports its modules.
func cloudInitPython(t *testing.T) string {
	t.Helper()
	ci := cloudInit(t)
	f, err := os.Open(ci)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := bufio.NewReader(f).ReadString('\n')
	f.Close()
	python, ok := strings.CutPrefix(strings.TrimSpace(first), "#!")
	if !ok || !filepath.IsAbs(python) {
		t.Fatalf("%s starts with %q, not the #! of its interpreter", ci, first)
	}
	return python
}

func runTool(t *testing.T, dir, prog string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestCloudInitSchema: cloud-init's own schema check accepts the
// user-data, and refuses a broken one (so that the check can fail).
func TestCloudInitSchema(t *testing.T) {
	ci := cloudInit(t)
	n := example(t)
	dir := t.TempDir()
	if err := WriteSeed(&n, dir); err != nil {
		t.Fatal(err)
	}
	out, err := runTool(t, dir, ci, "schema", "--config-file", filepath.Join(dir, UserDataFile))
	if err != nil || !strings.Contains(out, "Valid cloud-config") {
		t.Errorf("cloud-init schema: %v\n%s", err, out)
	}
	bad := filepath.Join(dir, "bad")
	b, err := os.ReadFile(filepath.Join(dir, UserDataFile))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte("manage_etc_hosts: false"), []byte("manage_etc_hosts: 7"), 1)
	if err := os.WriteFile(bad, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runTool(t, dir, ci, "schema", "--config-file", bad); err == nil || !strings.Contains(out, "manage_etc_hosts") {
		t.Errorf("cloud-init schema of a broken user-data: %v\n%s", err, out)
	}
}

// TestCloudInitNetwork: cloud-init renders the network-config, as it does
// in a guest without netplan, to systemd-networkd and to ifupdown files
// that hold the interfaces by MAC, their addresses and routes, and no DHCP.
// (An IPv6 default route is not checked: cloud-init before 23.1 renders
// ::/0 as ::/64 there, docs/cloud-init.md says so.)
func TestCloudInitNetwork(t *testing.T) {
	ci := cloudInit(t)
	n := example(t)
	dir := t.TempDir()
	if err := WriteSeed(&n, dir); err != nil {
		t.Fatal(err)
	}
	render := func(kind string) string {
		t.Helper()
		out := filepath.Join(dir, kind)
		if msg, err := runTool(t, dir, ci, "devel", "net-convert", "--network-data", filepath.Join(dir, NetworkConfigFile),
			"--kind", "yaml", "--distro", "debian", "--output-kind", kind, "--directory", out); err != nil {
			t.Fatalf("cloud-init devel net-convert to %s: %v\n%s", kind, err, msg)
		}
		var all strings.Builder
		err := filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			all.WriteString("== " + strings.TrimPrefix(p, out) + "\n" + string(b))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return all.String()
	}
	networkd := render("networkd")
	for _, want := range []string{
		"== /etc/systemd/network/10-cloud-init-benito0.network\n",
		"MACAddress=52:54:00:ab:00:01\nName=benito0\n",
		"Address=10.0.0.1/24\n", "Address=fd00::1/64\n",
		"Destination=0.0.0.0/0\n\nGateway=10.0.0.254\n",
		"== /etc/systemd/network/10-cloud-init-benito1.network\n",
		"MACAddress=52:54:00:ab:00:02\nName=benito1\n",
		"Address=10.0.1.1/24\n",
		"Destination=10.2.0.0/16\n\nGateway=10.0.1.2\n",
	} {
		if !strings.Contains(networkd, want) {
			t.Errorf("networkd files lack %q:\n%s", want, networkd)
		}
	}
	if strings.Contains(networkd, "DHCP=yes") || strings.Count(networkd, "DHCP=no") != 2 {
		t.Errorf("networkd files: want DHCP=no on both interfaces:\n%s", networkd)
	}
	eni := render("eni")
	for _, want := range []string{
		`ATTR{address}=="52:54:00:ab:00:01", NAME="benito0"`,
		"iface benito0 inet static\n    address 10.0.0.1/24\n",
		"post-up route add default gw 10.0.0.254",
		"iface benito1 inet static\n    address 10.0.1.1/24\n",
		"post-up route add -net 10.2.0.0/16 gw 10.0.1.2",
	} {
		if !strings.Contains(eni, want) {
			t.Errorf("ifupdown files lack %q:\n%s", want, eni)
		}
	}
	if strings.Contains(eni, "dhcp") {
		t.Errorf("ifupdown files configure DHCP:\n%s", eni)
	}
}

// TestCloudInitStartup: the startup command, turned into a script by
// cloud-init's own runcmd code (util.shellify) and run by sh, does what it
// does under sh -c: its quotes and newline survived YAML and shell quoting.
// Only the startup entry is run (the others mount shares).
func TestCloudInitStartup(t *testing.T) {
	python := cloudInitPython(t)
	sh := testenv.Command(t, "sh", "dash")
	n := example(t)
	dir := t.TempDir()
	if err := WriteSeed(&n, dir); err != nil {
		t.Fatal(err)
	}
	const prog = `import sys
from cloudinit import util
cfg = util.load_yaml(open(sys.argv[1]).read())
sys.stdout.write(util.shellify([cfg["runcmd"][-1]]))
`
	script, err := runTool(t, dir, python, "-c", prog, filepath.Join(dir, UserDataFile))
	if err != nil {
		t.Fatalf("shellify: %v\n%s", err, script)
	}
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "runcmd"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := runTool(t, work, sh, "runcmd"); err != nil {
		t.Fatalf("the runcmd script: %v\n%s\n%s", err, out, script)
	}
	// The same command run by sh -c directly, for the reference.
	ref := t.TempDir()
	if out, err := runTool(t, ref, sh, "-c", startup); err != nil {
		t.Fatalf("sh -c startup: %v\n%s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(work, "out"))
	if err != nil {
		t.Fatalf("the runcmd script did not write its file: %v\n%s", err, script)
	}
	want, err := os.ReadFile(filepath.Join(ref, "out"))
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != "it's\na \"quoted\" word\nback\\slash # not a comment: no\nsecond line\n" {
		t.Fatalf("the reference run wrote %q", want)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("through cloud-init's runcmd: %q, want %q\nscript:\n%s", got, want, script)
	}
}

// TestFstabLines: util-linux reads the fstab lines the seed appends as the
// shares: tag as source, path as target, 9p, the options (ro when asked).
func TestFstabLines(t *testing.T) {
	findmnt := testenv.Command(t, "findmnt", "util-linux")
	n := example(t)
	files, err := Files(&n)
	if err != nil {
		t.Fatal(err)
	}
	var fstab string
	for _, f := range decode(t, files).user["write_files"].([]any) {
		if f := f.(map[string]any); f["path"] == "/etc/fstab" {
			fstab = f["content"].(string)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fstab"), []byte(fstab), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runTool(t, dir, findmnt, "--tab-file", filepath.Join(dir, "fstab"), "--json", "--output", "SOURCE,TARGET,FSTYPE,OPTIONS")
	if err != nil {
		t.Fatalf("findmnt: %v\n%s", err, out)
	}
	var got struct {
		Filesystems []map[string]string `json:"filesystems"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("findmnt's JSON: %v\n%s", err, out)
	}
	want := []map[string]string{
		{"source": "users", "target": "/users", "fstype": "9p", "options": "trans=virtio,version=9p2000.L,ro,nofail"},
		{"source": "share", "target": "/share", "fstype": "9p", "options": "trans=virtio,version=9p2000.L,nofail"},
	}
	if diff := cmp.Diff(want, got.Filesystems); diff != "" {
		t.Errorf("fstab as findmnt reads it (-want +got):\n%s", diff)
	}
}

// TestNoCloudReadsImage: the image as a guest's cloud-init finds and reads
// it. blkid (which NoCloud asks for TYPE=iso9660 and LABEL=cidata) sees
// the label; NoCloud's own reading of a seed (util.pathprefix2dict, then
// _merge_new_seed, as DataSourceNoCloud does on the mounted volume), run on
// the files taken out of the image, gets the node's meta-data,
// network-config and user-data. (The files are taken out with isoinfo, not
// by mounting the image: these hosts' kernel has no iso9660.)
func TestNoCloudReadsImage(t *testing.T) {
	testenv.Command(t, Program, Package)
	isoinfo := testenv.Command(t, "isoinfo", "genisoimage")
	blkid := testenv.Command(t, "blkid", "util-linux")
	python := cloudInitPython(t)
	n := example(t)
	dir := t.TempDir()
	if err := WriteSeed(&n, dir); err != nil {
		t.Fatal(err)
	}
	iso := filepath.Join(t.TempDir(), "seed.iso")
	if err := BuildISO(dir, iso); err != nil {
		t.Fatal(err)
	}
	probe, err := runTool(t, dir, blkid, "--probe", "--output", "export", iso)
	if err != nil {
		t.Fatalf("blkid: %v\n%s", err, probe)
	}
	for _, want := range []string{"\nLABEL=" + VolumeLabel + "\n", "\nTYPE=iso9660\n"} {
		if !strings.Contains(probe, want) {
			t.Errorf("blkid lacks %q:\n%s", strings.TrimSpace(want), probe)
		}
	}
	files, err := Files(&n)
	if err != nil {
		t.Fatal(err)
	}
	mp := t.TempDir()
	for _, name := range seedFiles {
		b, err := exec.Command(isoinfo, "-R", "-x", "/"+name, "-i", iso).Output()
		if err != nil {
			t.Fatalf("isoinfo -x /%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(mp, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	if diff := cmp.Diff(asJSON(t, files), noCloudReads(t, python, mp)); diff != "" {
		t.Errorf("what NoCloud reads (-want +got):\n%s", diff)
	}
}

// noCloudReads is the seed in dir as cloud-init's NoCloud reads it (its
// PyYAML, YAML 1.1), as JSON values.
func noCloudReads(t *testing.T, python, dir string) map[string]any {
	t.Helper()
	const prog = `import json, sys
from cloudinit import util
from cloudinit.sources import DataSourceNoCloud as nocloud
seeded = util.pathprefix2dict(sys.argv[1], required=["user-data", "meta-data"], optional=["vendor-data", "network-config"])
data = nocloud._merge_new_seed({"meta-data": {}}, seeded)
user = util.load_yaml(data["user-data"])
json.dump({"meta-data": data["meta-data"], "network-config": data["network-config"], "user-data": data["user-data"].decode(), "cloud-config": user}, sys.stdout)
`
	out, err := runTool(t, dir, python, "-c", prog, dir)
	if err != nil {
		t.Fatalf("NoCloud's reading: %v\n%s", err, out)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return got
}

// asJSON is what gopkg.in/yaml.v3 decodes from files, as JSON values (so
// that numbers compare alike), in noCloudReads's shape.
func asJSON(t *testing.T, files map[string][]byte) map[string]any {
	t.Helper()
	d := decode(t, files)
	b, err := json.Marshal(map[string]any{"meta-data": d.meta, "network-config": d.network, "user-data": string(files[UserDataFile]), "cloud-config": d.user})
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCloudInitReadsStrings: values that YAML 1.1 (cloud-init's PyYAML)
// would read as numbers or booleans where YAML 1.2 reads strings (a MAC of
// digits only is a base-60 integer there; "on" and "y" are booleans) reach
// cloud-init as the same strings.
func TestCloudInitReadsStrings(t *testing.T) {
	python := cloudInitPython(t)
	for _, tc := range []struct{ hostname, mac, startup string }{
		{"on", "52:54:00:12:34:56", "yes"},
		{"y", "52:54:00:00:00:01", "0644"},
		{"0644", "52:54:00:59:59:59", "1:20"},
		{"1e3", "52:54:00:ab:cd:ef", "~"},
		{"no.off", "52:54:00:10:20:30", "null"},
	} {
		n := example(t)
		n.Hostname, n.Startup = tc.hostname, tc.startup
		n.Interfaces[1].MAC = mac(t, tc.mac)
		n.Mounts[0].Path = "/" + tc.hostname
		dir := t.TempDir()
		if err := WriteSeed(&n, dir); err != nil {
			t.Fatal(err)
		}
		files, err := Files(&n)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(asJSON(t, files), noCloudReads(t, python, dir)); diff != "" {
			t.Errorf("%+v: YAML 1.2 and cloud-init read differently (-yaml.v3 +cloud-init):\n%s", tc, diff)
		}
	}
}
