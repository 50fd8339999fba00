package qemu

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/guestconfig"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// vm is a decoded vnode configuration, the site's defaults applied.
type vm struct {
	Name      string
	RunDir    string
	ConfigDir string // the experiment's config directory
	HostsFile string // the experiment's hosts file, which the guest follows
	IPForward bool
	Boot      boot
	Guest     string // guestShare or guestCloudInit
	Ifaces    []nic
	Forwards  []forward
	Mounts    []share
}

// How a guest is told its settings (the vnode's guest_config).
const (
	guestShare     = "share"
	guestCloudInit = "cloud-init"
)

// boot is what the machine boots with: the vnode's settings, or the
// site's where it sets none. It is recorded (attribute "boot"), so that a
// change of a site default is seen, and replaces the machine.
type boot struct {
	Accel      string // the setting: "kvm", "tcg" or "auto"
	Machine    string
	Memory     int // MiB
	CPUs       int
	Image      string
	Kernel     string
	Initrd     string
	KernelArgs string
}

// nic is one decoded interface.
type nic = providers.Interface

// forward is a port of the host (on host_address) forwarded into the
// guest through QEMU's user-mode network.
type forward struct {
	Protocol  string
	HostAddr  netip.Addr
	HostPort  int
	GuestPort int
}

// share is a directory of the host exported to the guest over 9P.
type share struct {
	Source, Target string
	ReadOnly       bool
}

// Tag is the share's 9P mount tag: derived from its target, at most 31
// bytes, as QEMU takes them.
func (s share) Tag() string { return mountTag(s.Target) }

func mountTag(target string) string {
	sum := sha256.Sum256([]byte(target))
	return "benito-m-" + hex.EncodeToString(sum[:8])
}

// Files of a machine, all under RUN_DIR/qemu/NODE but its logs.
func vmDir(runDir, name string) string   { return filepath.Join(runDir, "qemu", name) }
func qmpSocket(dir string) string        { return filepath.Join(dir, "qmp.sock") }
func agentSocket(dir string) string      { return filepath.Join(dir, "agent.sock") }
func consoleSocket(dir string) string    { return filepath.Join(dir, "console.sock") }
func overlayFile(dir string) string      { return filepath.Join(dir, "disk.qcow2") }
func shareDir(dir string) string         { return filepath.Join(dir, "config") }
func experimentDir(dir string) string    { return filepath.Join(dir, "experiment") }
func seedFile(dir string) string         { return filepath.Join(dir, "seed.iso") }
func wireDir(dir, iface string) string   { return filepath.Join(dir, "wire", iface) }
func logDir(runDir string) string        { return filepath.Join(runDir, "log", "qemu") }
func qemuLog(runDir, name string) string { return filepath.Join(logDir(runDir), name+".log") }
func consoleLog(runDir, name string) string {
	return filepath.Join(logDir(runDir), name+".console.log")
}

// files returns the computed attributes naming a machine's files, which
// follow from its run directory and name.
func files(runDir, name string, hasImage bool) map[string]cty.Value {
	dir := vmDir(runDir, name)
	overlay := cty.NullVal(cty.String)
	if hasImage {
		overlay = cty.StringVal(overlayFile(dir))
	}
	return map[string]cty.Value{
		"directory":   cty.StringVal(dir),
		"qmp":         cty.StringVal(qmpSocket(dir)),
		"agent":       cty.StringVal(agentSocket(dir)),
		"console":     cty.StringVal(consoleSocket(dir)),
		"console_log": cty.StringVal(consoleLog(runDir, name)),
		"log":         cty.StringVal(qemuLog(runDir, name)),
		"overlay":     overlay,
	}
}

// decodeVM decodes a vnode with the provider's site defaults d.
func decodeVM(v cty.Value, d defaults) (vm, error) {
	m := vm{
		Name:      str(v, "name"),
		RunDir:    str(v, "run_dir"),
		ConfigDir: str(v, "config_dir"),
		HostsFile: str(v, "hosts_file"),
		IPForward: boolean(v, "ip_forward"),
		Guest:     str(v, "guest_config"),
	}
	if !providers.ValidNodeName(m.Name) {
		return m, fmt.Errorf("node name %q cannot name a directory", m.Name)
	}
	if m.Guest == "" {
		m.Guest = guestShare
	}
	if m.Guest != guestShare && m.Guest != guestCloudInit {
		return m, fmt.Errorf("guest_config %q: use %q or %q", m.Guest, guestShare, guestCloudInit)
	}
	b := boot{
		Accel:      or(str(v, "accel"), d.Accel),
		Machine:    or(str(v, "machine"), d.Machine),
		Memory:     int(num(v, "memory")),
		CPUs:       int(num(v, "cpus")),
		Image:      str(v, "image"),
		Kernel:     str(v, "kernel"),
		Initrd:     str(v, "initrd"),
		KernelArgs: str(v, "kernel_args"),
	}
	if b.Memory == 0 {
		b.Memory = d.Memory
	}
	if b.CPUs == 0 {
		b.CPUs = d.CPUs
	}
	// A node that names neither an image nor a kernel boots the site's;
	// one that names either boots what it names.
	if b.Image == "" && b.Kernel == "" {
		b.Image, b.Kernel, b.Initrd = d.Image, d.Kernel, d.Initrd
		if b.KernelArgs == "" {
			b.KernelArgs = d.KernelArgs
		}
	}
	if b.Image == "" && b.Kernel == "" {
		return m, fmt.Errorf("the node names no disk image nor kernel, and neither does the site: set image (a disk image) or kernel (and initrd), or the site's qemu_image or qemu_kernel; scripts/guest-image builds a small test guest (%s)", defaultGuest)
	}
	for _, p := range []struct{ attr, path string }{{"image", b.Image}, {"kernel", b.Kernel}, {"initrd", b.Initrd}} {
		if p.path != "" && (!filepath.IsAbs(p.path) || filepath.Clean(p.path) != p.path) {
			return m, fmt.Errorf("%s %q must be a clean absolute path", p.attr, p.path)
		}
	}
	if b.Initrd != "" && b.Kernel == "" {
		return m, fmt.Errorf("an initrd needs a kernel")
	}
	if !slices.Contains(accelSettings, b.Accel) {
		return m, fmt.Errorf("accel %q: use %s", b.Accel, quoteAll(accelSettings))
	}
	if b.Machine == "" || strings.ContainsAny(b.Machine, ", =\n") {
		return m, fmt.Errorf("machine %q is not a QEMU machine type", b.Machine)
	}
	if b.Memory < minMemory || b.CPUs < 1 || b.CPUs > maxCPUs {
		return m, fmt.Errorf("memory %d MiB and cpus %d: a machine needs at least %d MiB and 1 to %d CPUs", b.Memory, b.CPUs, minMemory, maxCPUs)
	}
	m.Boot = b

	ifs := v.GetAttr("interfaces")
	if !ifs.IsNull() && ifs.IsKnown() {
		seen := map[string]bool{}
		for it := ifs.ElementIterator(); it.Next(); {
			_, iv := it.Element()
			f, err := decodeNIC(iv)
			if err != nil {
				return m, err
			}
			if seen[f.Name] {
				return m, fmt.Errorf("interface %q appears twice", f.Name)
			}
			seen[f.Name] = true
			m.Ifaces = append(m.Ifaces, f)
		}
	}
	if v.Type().HasAttribute("forwards") {
		fs := v.GetAttr("forwards")
		if !fs.IsNull() && fs.IsKnown() {
			for it := fs.ElementIterator(); it.Next(); {
				_, fv := it.Element()
				f := forward{Protocol: or(str(fv, "protocol"), "tcp"), HostPort: int(num(fv, "host_port")), GuestPort: int(num(fv, "guest_port"))}
				addr, err := netip.ParseAddr(or(str(fv, "host_address"), "127.0.0.1"))
				if err != nil || !addr.Is4() {
					return m, fmt.Errorf("forward of host port %d: host_address %q is not an IPv4 address", f.HostPort, str(fv, "host_address"))
				}
				f.HostAddr = addr
				if f.Protocol != "tcp" && f.Protocol != "udp" {
					return m, fmt.Errorf("forward of host port %d: protocol %q: use \"tcp\" or \"udp\"", f.HostPort, f.Protocol)
				}
				if f.HostPort < 1 || f.HostPort > 65535 || f.GuestPort < 1 || f.GuestPort > 65535 {
					return m, fmt.Errorf("forward %d -> %d: ports are 1 to 65535", f.HostPort, f.GuestPort)
				}
				m.Forwards = append(m.Forwards, f)
			}
		}
	}
	if v.Type().HasAttribute("mounts") {
		ms := v.GetAttr("mounts")
		if !ms.IsNull() && ms.IsKnown() {
			for it := ms.ElementIterator(); it.Next(); {
				_, mv := it.Element()
				s := share{Source: str(mv, "source"), Target: str(mv, "target"), ReadOnly: boolean(mv, "read_only")}
				if err := checkShare(s); err != nil {
					return m, err
				}
				m.Mounts = append(m.Mounts, s)
			}
		}
	}
	if len(m.Forwards) > 0 && slices.ContainsFunc(m.Ifaces, func(f nic) bool { return f.Name == forwardIface }) {
		return m, fmt.Errorf("interface %q: a node with forward blocks has an interface of that name, for them: name this one otherwise", forwardIface)
	}
	if n, max := len(m.Ifaces)+len(m.Forwards[:min(len(m.Forwards), 1)]), nicLimit(m); n > max {
		return m, fmt.Errorf("the machine has %d network interfaces, and room for %d: %s", n, max, slotsExplained(m))
	}
	return m, nil
}

// checkShare checks a 9P share's paths: absolute, clean, and such that the
// guest's init and mount can take them unquoted.
func checkShare(s share) error {
	for _, p := range []struct{ what, path string }{{"source", s.Source}, {"target", s.Target}} {
		if !filepath.IsAbs(p.path) || filepath.Clean(p.path) != p.path {
			return fmt.Errorf("mount %s %q must be a clean absolute path", p.what, p.path)
		}
		if p.path == "/" && p.what == "target" {
			return fmt.Errorf("a mount cannot cover the guest's root directory (target \"/\"): mount it somewhere below, such as /mnt")
		}
	}
	// QEMU's -virtfs splits its options at commas.
	if strings.ContainsAny(s.Source, ",\n") {
		return fmt.Errorf("mount source %q: QEMU cannot export a path with a comma or a newline", s.Source)
	}
	n := guestconfig.Node{Hostname: "x", Mounts: []guestconfig.Mount{{Tag: s.Tag(), Path: s.Target, ReadOnly: s.ReadOnly}}}
	if _, err := n.Files(); err != nil {
		return fmt.Errorf("mount target %q: the guest's init cannot mount it there: use letters, digits and _.,+@%%- only", s.Target)
	}
	return nil
}

// decodeNIC decodes an interface (providers.DecodeInterface) and checks
// what QEMU needs besides: a MAC, a VDE socket it can take on its command
// line, no shaping on a bridge.
func decodeNIC(iv cty.Value) (nic, error) {
	f, err := providers.DecodeInterface(iv)
	if err != nil {
		return f, err
	}
	if f.MAC == nil {
		return f, fmt.Errorf("interface %q has no MAC address", f.Name)
	}
	if f.Kind == contract.KindVDE && (!filepath.IsAbs(f.VDESocket) || strings.ContainsAny(f.VDESocket, ",\n")) {
		return f, fmt.Errorf("interface %q: QEMU takes a VDE socket that is an absolute path without a comma, not %q", f.Name, f.VDESocket)
	}
	if f.Kind == contract.KindBridge && !f.Shaping.IsZero() {
		return f, fmt.Errorf("interface %q is shaped and on a bridge: a VM's link is shaped by VDE's wirefilter; put it on a VDE switch (kind = \"vde\")", f.Name)
	}
	return f, nil
}

// plumbing says how an interface is attached to the machine: a change to
// it (or to the MAC, which the guest found it by, or from unshaped to
// shaped, which puts a wire between) takes a new machine.
func plumbing(f nic) string {
	return fmt.Sprintf("%s|%s|%d|%s|%s|%s|%d|%t", f.Kind, f.VDESocket, f.VDEPort, f.Bridge, f.HostDevice, f.MAC, f.MTU, wired(f))
}

// wired reports whether f goes through a wire (a hub and a wirefilter).
func wired(f nic) bool { return f.Kind == contract.KindVDE && !f.Shaping.IsZero() }

// The machine's PCI bus: QEMU's pc machine has one bus of 32 slots; the
// chipset takes two (host bridge, PIIX3), and every virtio device one.
const pciSlots = 32

// nicLimit is how many network interfaces m has room for on its PCI bus,
// besides its other devices.
func nicLimit(m vm) int { return pciSlots - otherSlots(m) }

func otherSlots(m vm) int {
	n := 2 + 1 + 2 + len(m.Mounts) // chipset, virtio-serial, the two config shares, mounts
	if m.Boot.Image != "" {
		n++ // the disk
	}
	if m.Guest == guestCloudInit {
		n++ // the seed
	}
	return n
}

func slotsExplained(m vm) string {
	return fmt.Sprintf("QEMU's %s machine has %d PCI slots; %d go to the chipset (2), the guest agent's channel (1), the config shares (2), its mounts (%d) and its disks (%d); a node with forward blocks has one more interface; split the node's links over fewer interfaces", m.Boot.Machine, pciSlots, otherSlots(m), len(m.Mounts), otherSlots(m)-5-len(m.Mounts))
}

// guestNode is what the guest is told through its config share or seed.
func (m vm) guestNode() guestconfig.Node {
	n := guestconfig.Node{Hostname: m.Name}
	for _, f := range m.Ifaces {
		gi := guestconfig.Interface{MAC: f.MAC, Name: f.Name, MTU: f.MTU}
		if f.Addr.IsValid() {
			gi.Addresses = []netip.Prefix{f.Addr}
		}
		n.Interfaces = append(n.Interfaces, gi)
	}
	if len(m.Forwards) > 0 {
		n.Interfaces = append(n.Interfaces, guestconfig.Interface{MAC: m.forwardMAC(), Name: forwardIface, Addresses: []netip.Prefix{slirpGuest}})
	}
	for _, s := range m.Mounts {
		n.Mounts = append(n.Mounts, guestconfig.Mount{Tag: s.Tag(), Path: s.Target, ReadOnly: s.ReadOnly})
	}
	return n
}

// The user-mode network of forward blocks: QEMU's default addresses, the
// guest's interface named forwardIface; restrict=on keeps the guest from
// reaching the host or beyond through it, the forwarded ports still
// reach the guest.
const forwardIface = "fwd0"

var (
	slirpNet   = netip.MustParsePrefix("10.0.2.0/24")
	slirpGuest = netip.MustParsePrefix("10.0.2.15/24")
)

// forwardMAC is the MAC of the user-mode interface: 02: and 40 bits of a
// hash of the run directory and the node, as the experiment's own.
func (m vm) forwardMAC() net.HardwareAddr {
	sum := sha256.Sum256([]byte(m.RunDir + "\x00" + m.Name + "\x00forward"))
	return net.HardwareAddr{0x02, sum[0], sum[1], sum[2], sum[3], sum[4]}
}

// bootValue is b as the vnode records it ("boot").
func (b boot) value() cty.Value {
	opt := func(s string) cty.Value {
		if s == "" {
			return cty.NullVal(cty.String)
		}
		return cty.StringVal(s)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"accel":       cty.StringVal(b.Accel),
		"machine":     cty.StringVal(b.Machine),
		"memory":      cty.NumberIntVal(int64(b.Memory)),
		"cpus":        cty.NumberIntVal(int64(b.CPUs)),
		"image":       opt(b.Image),
		"kernel":      opt(b.Kernel),
		"initrd":      opt(b.Initrd),
		"kernel_args": opt(b.KernelArgs),
	})
}

var bootType = cty.Object(map[string]cty.Type{
	"accel": cty.String, "machine": cty.String, "memory": cty.Number, "cpus": cty.Number,
	"image": cty.String, "kernel": cty.String, "initrd": cty.String, "kernel_args": cty.String,
})

func or(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// Short names for the attribute helpers.
var (
	str     = providers.AttrString
	num     = providers.AttrInt
	boolean = providers.AttrBool
)
