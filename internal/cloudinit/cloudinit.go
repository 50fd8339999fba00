package cloudinit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/benito-net/benito/internal/atomicfile"
	"github.com/benito-net/benito/internal/guestconfig"
)

// File names of the seed, as the NoCloud datasource reads them.
const (
	MetaDataFile      = "meta-data"
	NetworkConfigFile = "network-config"
	UserDataFile      = "user-data"
)

// VolumeLabel is the ISO9660 volume id NoCloud looks for.
const VolumeLabel = "cidata"

// InstanceIDPrefix starts every instance-id this package writes.
const InstanceIDPrefix = "benito-"

// Mount options of a 9P share in the guest's /etc/fstab. nofail: a share
// missing at boot must not drop a systemd guest into emergency mode.
const (
	mountOptions   = "trans=virtio,version=9p2000.L,nofail"
	mountOptionsRO = "trans=virtio,version=9p2000.L,ro,nofail"
)

// metaData is meta-data. Field order is the file's order.
type metaData struct {
	InstanceID    string `yaml:"instance-id"`
	LocalHostname string `yaml:"local-hostname"`
}

// networkConfig is network-config, version 2 (netplan's schema, which
// cloud-init reads itself on images without netplan).
type networkConfig struct {
	Version   int                 `yaml:"version"`
	Ethernets map[string]ethernet `yaml:"ethernets"`
}

type ethernet struct {
	Match     match    `yaml:"match"`
	SetName   string   `yaml:"set-name"`
	DHCP4     bool     `yaml:"dhcp4"`
	DHCP6     bool     `yaml:"dhcp6"`
	AcceptRA  bool     `yaml:"accept-ra"`
	Addresses []string `yaml:"addresses,omitempty"`
	Routes    []route  `yaml:"routes,omitempty"`
}

type match struct {
	MACAddress string `yaml:"macaddress"`
}

type route struct {
	To  string `yaml:"to"`
	Via string `yaml:"via"`
}

// userData is the #cloud-config document.
type userData struct {
	Hostname                string      `yaml:"hostname"`
	FQDN                    string      `yaml:"fqdn,omitempty"`
	PreserveHostname        bool        `yaml:"preserve_hostname"`
	ManageEtcHosts          bool        `yaml:"manage_etc_hosts"`
	PackageUpdate           bool        `yaml:"package_update"`
	PackageUpgrade          bool        `yaml:"package_upgrade"`
	PackageRebootIfRequired bool        `yaml:"package_reboot_if_required"`
	WriteFiles              []writeFile `yaml:"write_files"`
	RunCmd                  [][]any     `yaml:"runcmd,omitempty"`
}

type writeFile struct {
	Path        string `yaml:"path"`
	Content     string `yaml:"content"`
	Owner       string `yaml:"owner"`
	Permissions string `yaml:"permissions"`
	Append      bool   `yaml:"append,omitempty"`
}

// Files renders n's seed: file name to content. It refuses what
// guestconfig refuses (with its errors), and a route whose gateway is on
// none of the node's subnets, since version 2 puts a route on an interface.
func Files(n *guestconfig.Node) (map[string][]byte, error) {
	// guestconfig is the one judge of a valid node, and the one writer of
	// its hosts file: the seed's /etc/hosts is the config share's, byte for
	// byte.
	share, err := n.Files()
	if err != nil {
		return nil, err
	}
	netcfg, err := network(n)
	if err != nil {
		return nil, err
	}
	networkBytes, err := encode(netcfg)
	if err != nil {
		return nil, err
	}
	userBytes, err := encode(user(n, share[guestconfig.HostsFile]))
	if err != nil {
		return nil, err
	}
	userBytes = append([]byte("#cloud-config\n"), userBytes...)

	// The instance-id is a digest of everything the guest is told, so a
	// changed node is a new instance to cloud-init (which then runs its
	// per-instance modules, runcmd included, again) and an unchanged one is
	// not.
	h := sha256.New()
	for _, part := range [][]byte{[]byte(n.Hostname), networkBytes, userBytes} {
		fmt.Fprintf(h, "%d:", len(part))
		h.Write(part)
	}
	metaBytes, err := encode(metaData{
		InstanceID:    InstanceIDPrefix + hex.EncodeToString(h.Sum(nil))[:32],
		LocalHostname: n.Hostname,
	})
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		MetaDataFile:      metaBytes,
		NetworkConfigFile: networkBytes,
		UserDataFile:      userBytes,
	}, nil
}

// InterfaceID is the key, and the name (set-name), of the interface at index
// i in network-config's ethernets. The name is set because cloud-init
// renames a device to its entry's key anyway where it renders the network
// itself (images without netplan), while netplan would not: set, both
// agree. Not ethN, which the kernel hands out at boot: renaming one NIC to
// another's kernel name fails.
func InterfaceID(i int) string {
	return fmt.Sprintf("benito%d", i)
}

func network(n *guestconfig.Node) (networkConfig, error) {
	cfg := networkConfig{Version: 2, Ethernets: map[string]ethernet{}}
	eths := make([]ethernet, len(n.Interfaces))
	for i, iface := range n.Interfaces {
		e := ethernet{Match: match{MACAddress: iface.MAC.String()}, SetName: InterfaceID(i)}
		for _, p := range iface.Addresses {
			e.Addresses = append(e.Addresses, p.String())
		}
		eths[i] = e
	}
	for i, r := range n.Routes {
		// The route goes on the first interface with an address whose
		// subnet holds the gateway: where the kernel would find it too.
		on := -1
		for j, iface := range n.Interfaces {
			for _, p := range iface.Addresses {
				if p.Masked().Contains(r.Gateway) {
					on = j
					break
				}
			}
			if on >= 0 {
				break
			}
		}
		if on < 0 {
			return cfg, fmt.Errorf("cloud-init seed: route %d: gateway %s is on none of the node's subnets; network-config puts a route on an interface, so give the node an address in the gateway's subnet", i, r.Gateway)
		}
		to := r.Dest.Masked().String()
		eths[on].Routes = append(eths[on].Routes, route{To: to, Via: r.Gateway.String()})
	}
	for i, e := range eths {
		cfg.Ethernets[InterfaceID(i)] = e
	}
	return cfg, nil
}

func user(n *guestconfig.Node, hosts []byte) userData {
	u := userData{
		Hostname: n.Hostname,
		WriteFiles: []writeFile{{
			Path: "/etc/hosts", Content: string(hosts), Owner: "root:root", Permissions: "0644",
		}},
	}
	// cloud-init sets the short name from hostname and writes fqdn where
	// the distribution keeps one; a dotted name is both.
	if short, _, dotted := strings.Cut(n.Hostname, "."); dotted {
		u.Hostname, u.FQDN = short, n.Hostname
	}
	if len(n.Mounts) > 0 {
		// Not cloud-init's mounts module: it keeps an entry only when its
		// device is a block device or host:path, and drops a 9P tag
		// ("Ignoring nonexistent named mount"). The lines go into fstab
		// (systemd mounts them on later boots) and runcmd mounts them on
		// the first, before the startup command.
		var fstab strings.Builder
		for _, m := range n.Mounts {
			opts := mountOptions
			if m.ReadOnly {
				opts = mountOptionsRO
			}
			// Tags and paths are guestconfig-checked: no spaces, tabs or
			// quotes, so one fstab line each.
			fmt.Fprintf(&fstab, "%s %s 9p %s 0 0\n", m.Tag, m.Path, opts)
			u.RunCmd = append(u.RunCmd, []any{"mkdir", "-p", m.Path}, []any{"mount", m.Path})
		}
		u.WriteFiles = append(u.WriteFiles, writeFile{
			Path: "/etc/fstab", Content: fstab.String(), Owner: "root:root", Permissions: "0644", Append: true,
		})
	}
	if n.Startup != "" {
		// A list, which cloud-init quotes for the shell: the command
		// reaches sh -c exactly as written, quotes and newlines included.
		u.RunCmd = append(u.RunCmd, []any{"/bin/sh", "-c", doubleQuoted(n.Startup)})
	}
	return u
}

// doubleQuoted is s as a YAML double-quoted scalar, where every character
// is escaped as needed. The encoder's own choice for a multi-line string is
// a literal block, which it writes wrongly when the string starts with a
// space or a newline (an indentation indicator the decoder then refuses,
// in gopkg.in/yaml.v3 v3.0.1 and go.yaml.in/yaml/v3 v3.0.4 alike): a
// command is the user's, so it never gets that choice.
func doubleQuoted(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.DoubleQuotedStyle}
}

func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("cloud-init seed: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("cloud-init seed: %w", err)
	}
	return b.Bytes(), nil
}

// WriteSeed renders n into dir (which must exist): the three files, each
// replaced whole and mode 0600, since user-data may hold a secret in the
// startup command.
func WriteSeed(n *guestconfig.Node, dir string) error {
	files, err := Files(n)
	if err != nil {
		return err
	}
	for _, name := range []string{MetaDataFile, NetworkConfigFile, UserDataFile} {
		if err := atomicfile.Replace(filepath.Join(dir, name), files[name], 0o600); err != nil {
			return fmt.Errorf("cloud-init seed: %w", err)
		}
	}
	return nil
}

// Program is the program BuildISO runs, from the Debian package Package.
const (
	Program = "genisoimage"
	Package = "genisoimage"
)

// BuildISO makes the seed image at isoPath from the three files WriteSeed
// wrote in dir: ISO9660 with volume id cidata, Joliet and Rock Ridge (with
// the files' real modes, so 0600 files stay so in the guest), made with
// genisoimage. The image is written beside isoPath under a temporary name,
// mode 0600 from the start, and renamed into place: a failure leaves no
// half image and an existing one as it was.
func BuildISO(dir, isoPath string) (err error) {
	prog, err := exec.LookPath(Program)
	if err != nil {
		return fmt.Errorf("cloud-init seed: %s is needed to build the seed image: apt-get install %s (scripts/deps installs it)", Program, Package)
	}
	if !filepath.IsAbs(isoPath) || !filepath.IsAbs(dir) {
		return fmt.Errorf("cloud-init seed: seed directory %q and image %q must be absolute paths", dir, isoPath)
	}
	files := []string{UserDataFile, MetaDataFile, NetworkConfigFile}
	for _, name := range files {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("cloud-init seed: %w (WriteSeed writes the seed files)", err)
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("cloud-init seed: %s is not a regular file", filepath.Join(dir, name))
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(isoPath), "."+filepath.Base(isoPath)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cloud-init seed: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer func() {
		if err != nil {
			os.Remove(tmpName)
		}
	}()
	args := []string{"-quiet", "-output", tmpName, "-volid", VolumeLabel, "-joliet", "-rock", "--"}
	for _, name := range files {
		// graft points (name=path) so that dir is named whole and
		// nothing in it but the seed files goes in.
		args = append(args, name+"="+filepath.Join(dir, name))
	}
	cmd := exec.Command(prog, append([]string{"-graft-points"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("cloud-init seed: %s: %v: %s", Program, err, strings.TrimSpace(stderr.String()))
	}
	if err := os.Rename(tmpName, isoPath); err != nil {
		return fmt.Errorf("cloud-init seed: %w", err)
	}
	return nil
}
