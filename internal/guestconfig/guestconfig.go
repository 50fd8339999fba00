package guestconfig

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Tag is the 9P mount tag of the config share.
const Tag = "benito-config"

// ExperimentTag is the 9P mount tag of what a VM sees of the experiment's
// config directory: its hosts file, shared read-only (providers/qemu).
// Init mounts it at ExperimentPath and binds its hosts file over
// /etc/hosts, which then follows the experiment's as it is rewritten.
const ExperimentTag = "benito-experiment"

// ExperimentPath is where the guest mounts the share tagged ExperimentTag.
const ExperimentPath = "/run/benito-experiment"

// Header is the first line of node.conf: the format and its version.
const Header = "benito-guest-config 2"

// File names in the share.
const (
	NodeFile    = "node.conf"
	HostsFile   = "hosts"
	StartupFile = "startup"
)

// Node is what a guest is told about itself.
type Node struct {
	Hostname   string
	Interfaces []Interface
	Routes     []Route
	// Hosts are the experiment's names; /etc/hosts gets localhost's
	// lines first.
	Hosts   []Host
	Mounts  []Mount
	Startup string
}

// Interface is a guest interface, found by its MAC and renamed Name (the
// experiment's name for it: routes and commands name it so).
type Interface struct {
	MAC       net.HardwareAddr
	Name      string
	MTU       int // 0: the driver's
	Addresses []netip.Prefix
}

// Route sends Dest (a /0 prefix: the default route of its family) via
// Gateway.
type Route struct {
	Dest    netip.Prefix
	Gateway netip.Addr
}

// Host is one /etc/hosts line.
type Host struct {
	Addr  netip.Addr
	Names []string
}

// Mount is a 9P share the guest mounts by tag at Path.
type Mount struct {
	Tag      string
	Path     string
	ReadOnly bool
}

var (
	// A host name as RFC 1123 allows: labels of letters, digits and
	// inner hyphens.
	hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
	// QEMU takes a mount tag of at most 31 bytes; these characters need
	// no quoting anywhere.
	tagRE  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,31}$`)
	pathRE = regexp.MustCompile(`^/[A-Za-z0-9_.,+@%/-]*$`)
	// An interface name init can pass to ip unquoted: what the kernel
	// takes (at most 15 bytes), without a leading '-'.
	ifnameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$`)
)

// Files renders n: file name to content.
func (n *Node) Files() (map[string][]byte, error) {
	var conf bytes.Buffer
	conf.WriteString(Header + "\n")
	if !hostnameRE.MatchString(n.Hostname) || len(n.Hostname) > 253 {
		return nil, fmt.Errorf("guest config: hostname %q is not a host name (letters, digits, inner hyphens, dots between labels)", n.Hostname)
	}
	fmt.Fprintf(&conf, "hostname %s\n", n.Hostname)
	seen := map[string]bool{}
	for i, iface := range n.Interfaces {
		if len(iface.MAC) != 6 {
			return nil, fmt.Errorf("guest config: interface %d: MAC %q is not a 6-byte Ethernet address", i, iface.MAC)
		}
		mac := iface.MAC.String()
		if seen[mac] {
			return nil, fmt.Errorf("guest config: interface %d: MAC %s given twice", i, mac)
		}
		seen[mac] = true
		if !ifnameRE.MatchString(iface.Name) || seen["name "+iface.Name] {
			return nil, fmt.Errorf("guest config: interface %s: name %q must be 1 to 15 letters, digits, '_', '.' or '-' (not first), once per node", mac, iface.Name)
		}
		seen["name "+iface.Name] = true
		if iface.MTU < 0 || iface.MTU > 65535 {
			return nil, fmt.Errorf("guest config: interface %s: MTU %d is out of range", mac, iface.MTU)
		}
		fmt.Fprintf(&conf, "iface %s %s %d", mac, iface.Name, iface.MTU)
		for _, p := range iface.Addresses {
			if !p.IsValid() {
				return nil, fmt.Errorf("guest config: interface %s: an address is not set", mac)
			}
			conf.WriteString(" " + p.String())
		}
		conf.WriteString("\n")
	}
	for i, r := range n.Routes {
		if !r.Dest.IsValid() || !r.Gateway.IsValid() {
			return nil, fmt.Errorf("guest config: route %d: destination and gateway must both be set", i)
		}
		if r.Dest.Addr().Is4() != r.Gateway.Is4() {
			return nil, fmt.Errorf("guest config: route %d: destination %s and gateway %s are of different families", i, r.Dest, r.Gateway)
		}
		dest := r.Dest.Masked().String()
		if r.Dest.Bits() == 0 {
			dest = "default"
			if r.Gateway.Is6() {
				dest = "::/0"
			}
		}
		fmt.Fprintf(&conf, "route %s %s\n", dest, r.Gateway)
	}
	tags := map[string]bool{Tag: true, ExperimentTag: true}
	for i, m := range n.Mounts {
		if !tagRE.MatchString(m.Tag) {
			return nil, fmt.Errorf("guest config: mount %d: tag %q: use 1 to 31 letters, digits, '_', '.' or '-'", i, m.Tag)
		}
		if tags[m.Tag] {
			return nil, fmt.Errorf("guest config: mount %d: tag %q is taken", i, m.Tag)
		}
		tags[m.Tag] = true
		if !pathRE.MatchString(m.Path) || filepath.Clean(m.Path) != m.Path || m.Path == "/" {
			return nil, fmt.Errorf("guest config: mount %d: path %q must be a clean absolute path other than / without spaces or quotes", i, m.Path)
		}
		mode := "rw"
		if m.ReadOnly {
			mode = "ro"
		}
		fmt.Fprintf(&conf, "mount %s %s %s\n", m.Tag, m.Path, mode)
	}

	var hosts bytes.Buffer
	hosts.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	for i, h := range n.Hosts {
		if !h.Addr.IsValid() || len(h.Names) == 0 {
			return nil, fmt.Errorf("guest config: host %d: needs an address and a name", i)
		}
		for _, name := range h.Names {
			if !hostnameRE.MatchString(name) {
				return nil, fmt.Errorf("guest config: host %s: %q is not a host name", h.Addr, name)
			}
		}
		fmt.Fprintf(&hosts, "%s\t%s\n", h.Addr, strings.Join(h.Names, " "))
	}

	files := map[string][]byte{NodeFile: conf.Bytes(), HostsFile: hosts.Bytes()}
	if n.Startup != "" {
		files[StartupFile] = []byte(strings.TrimRight(n.Startup, "\n") + "\n")
	}
	return files, nil
}

// Write renders n into dir, which must exist and be empty of other files of
// the share; files are written 0644, the share is read-only to the guest.
func (n *Node) Write(dir string) error {
	files, err := n.Files()
	if err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return fmt.Errorf("guest config: %w", err)
		}
	}
	if n.Startup == "" {
		if err := os.Remove(filepath.Join(dir, StartupFile)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("guest config: %w", err)
		}
	}
	return nil
}
