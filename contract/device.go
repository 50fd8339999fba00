package contract

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// IFNameMax is the longest Linux interface name (IFNAMSIZ less the NUL).
const IFNameMax = 15

// The kinds of owner a host device is derived for (DeviceName's owner[0]).
const (
	DeviceOfSwitch = Switch // a switch of kind "bridge": its bridge
	DeviceOfBridge = Bridge // a bridge block: its bridge
	DeviceOfTap    = Tap    // a tap block: its TAP
	DeviceOfVNode  = VNode  // a node's interface: its host-side device
)

// hashChars is how many characters of DeviceName are a hash of the
// device's owner: IFNameMax less "b" and the experiment's tag.
const hashChars = IFNameMax - 1 - tagChars

// tagChars is the length of ExperimentTag.
const tagChars = 4

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ExperimentTag is a short, stable tag of an experiment's name (4
// characters of lowercase base32, 20 bits) that every host device name of
// the experiment carries after its "b" (DeviceTag). It groups an
// experiment's devices for people and for quick filters; it does not keep
// experiments apart (two names share a tag one time in a million): the
// rest of a device's name does, and the device's alias (DeviceAlias) says
// whose it is.
func ExperimentTag(experiment string) string {
	sum := sha256.Sum256([]byte("exp\x00" + experiment))
	return lowerBase32.EncodeToString(sum[:])[:tagChars]
}

// DeviceTag is the prefix of every host device name of the experiment,
// in this derivation and in the previous one: "b" and its tag.
func DeviceTag(experiment string) string { return "b" + ExperimentTag(experiment) }

// DeviceName is the name of a host device (a bridge, a TAP, a veth's host
// end) benito makes for an experiment: "b", the experiment's tag, and 10
// characters (50 bits) of a hash of the experiment's run directory and of
// the device's owner within it — a kind (DeviceOfSwitch, ...) and the
// owner's host names, such as (DeviceOfVNode, "h-0", "eth0"). It is
// exactly IFNameMax bytes of [a-z2-7].
//
// runDir is the experiment's run directory, RUN_ROOT/EXPERIMENT (so its
// last element is the experiment's name): two experiments on one host
// have different run directories, and their device names differ in
// their hash as well as, almost always, in their tag. The owner's parts
// are joined with NUL, which no name holds, so two owners never hash the
// same input ("x-y"/"e0" and "x"/"y-e0" do not). Names stay unique only
// by the hash's width: lowering checks that an experiment's names are
// distinct, and providers check a device found under a name against its
// alias before using it (DeviceIsOurs).
//
// The previous derivation (until issue 13) was "b" + tag + "-" + the
// owner's names joined with "-" (hashed when too long); its names are
// recognised by HasDeviceTag and DeviceIsOurs, so that an experiment
// applied with it is still destroyed by the names it recorded.
func DeviceName(runDir string, owner ...string) string {
	// SHA-256 of "dev", NUL, runDir, and NUL and each part: built in one
	// buffer (on the stack for usual lengths), as lowering names every
	// device of a large experiment.
	var stack [256]byte
	in := append(append(stack[:0], "dev\x00"...), runDir...)
	for _, p := range owner {
		in = append(append(in, 0), p...)
	}
	sum := sha256.Sum256(in)
	var enc [52]byte // base32 of 32 bytes, unpadded
	lowerBase32.Encode(enc[:], sum[:])
	return DeviceTag(filepath.Base(runDir)) + string(enc[:hashChars])
}

// HasDeviceTag reports whether name is a host device name of the
// experiment by its form: DeviceName's, or the previous derivation's ("b",
// the tag, "-", anything). It is a check of form only; whether a device
// of that name on the host is the experiment's is DeviceIsOurs's question.
func HasDeviceTag(experiment, name string) bool {
	rest, ok := strings.CutPrefix(name, DeviceTag(experiment))
	if !ok || CheckDeviceName(name) != nil {
		return false
	}
	if strings.HasPrefix(rest, "-") {
		return true // the previous derivation
	}
	if len(rest) != hashChars {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// aliasMax is the longest alias the kernel keeps (IFALIASZ less the NUL).
const aliasMax = 255

// aliasPrefix opens every alias DeviceAlias makes.
const aliasPrefix = "benito "

// DeviceAlias is the alias (IFLA_IFALIAS, shown by `ip link show`) a
// provider gives every host device it makes, naming whose it is: "benito",
// the experiment's run directory (quoted), and a description of its owner
// for people (a resource address, an interface): for example
//
//	benito "/run/benito/demo" vnode.h[0] eth0
//
// The run directory is what tells experiments apart; the owner is only
// shown. A run directory too long for the kernel's 255 bytes is replaced
// by "sha256:" and its hash, and the owner is cut to fit.
func DeviceAlias(runDir, owner string) string {
	id := strconv.Quote(runDir)
	if len(aliasPrefix)+len(id) > aliasMax {
		sum := sha256.Sum256([]byte(runDir))
		id = "sha256:" + hex.EncodeToString(sum[:])
	}
	a := aliasPrefix + id
	if owner != "" {
		a += " " + owner
	}
	if len(a) > aliasMax {
		a = a[:aliasMax]
	}
	return a
}

// aliasID returns the run directory field of an alias DeviceAlias made,
// as DeviceAlias wrote it, and false for any other alias.
func aliasID(alias string) (string, bool) {
	rest, ok := strings.CutPrefix(alias, aliasPrefix)
	if !ok {
		return "", false
	}
	if strings.HasPrefix(rest, "sha256:") {
		id, _, _ := strings.Cut(rest, " ")
		return id, len(id) == len("sha256:")+64
	}
	q, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return "", false
	}
	return q, true
}

// DeviceIsOurs reports whether a host device named name, whose alias is
// alias ("" when it has none), belongs to the experiment whose run
// directory is runDir: its alias is DeviceAlias's for runDir; or it has no
// alias and its name has the experiment's form (HasDeviceTag), as a
// device the previous release made has, or one whose create was
// interrupted before its alias was set. A device with another alias (of
// another experiment, or set by hand) is not: a provider must neither
// adopt nor delete it.
func DeviceIsOurs(runDir, name, alias string) bool {
	if alias == "" {
		return HasDeviceTag(filepath.Base(runDir), name)
	}
	id, ok := aliasID(alias)
	if !ok {
		return false
	}
	want, _ := aliasID(DeviceAlias(runDir, ""))
	return id == want
}

// DeviceOwner describes, for a message, whose a device with alias alias
// is: the experiment and owner DeviceAlias recorded, or the alias itself.
func DeviceOwner(alias string) string {
	id, ok := aliasID(alias)
	switch {
	case alias == "":
		return "no one benito knows (the device has no alias)"
	case !ok:
		return fmt.Sprintf("something else than benito (its alias is %q)", alias)
	}
	owner := strings.TrimPrefix(strings.TrimPrefix(alias, aliasPrefix+id), " ")
	where := id
	if dir, err := strconv.Unquote(id); err == nil {
		where = fmt.Sprintf("experiment %q (run directory %s)", filepath.Base(dir), dir)
	}
	if owner == "" {
		return where
	}
	return owner + " of " + where
}

// CheckDeviceName checks a network device name against the kernel's rules
// (at most IFNameMax bytes, not "." or "..", no '/', ':' or white space),
// and benito's: printable ASCII only, no '%' (the kernel reads it as a
// pattern to number), and no leading '-' (a program given the name as an
// argument would take it for an option).
func CheckDeviceName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("the device name is empty")
	case len(name) > IFNameMax:
		return fmt.Errorf("the device name %q is %d bytes long; Linux allows %d (IFNAMSIZ)", name, len(name), IFNameMax)
	case name == "." || name == "..":
		return fmt.Errorf("the device name %q is not allowed by Linux", name)
	case name[0] == '-':
		return fmt.Errorf("the device name %q begins with '-', which programs given it would read as an option", name)
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '/' || c == ':' || c == '%':
			return fmt.Errorf("the device name %q holds %q, which Linux does not allow in device names", name, c)
		case c <= ' ' || c >= 0x7f:
			return fmt.Errorf("the device name %q holds %q: device names are printable ASCII without white space", name, c)
		}
	}
	return nil
}

// reservedInterfaces are the devices a new network namespace may hold
// before benito makes any: the loopback device, and the fallback devices
// of the tunnel modules (when they are loaded). An interface of a node
// with one of these names would meet the kernel's device instead of its
// own.
var reservedInterfaces = []string{
	"lo",
	"erspan0", "gre0", "gretap0", "ip6_vti0", "ip6gre0", "ip6tnl0", "ip_vti0", "sit0", "tunl0",
}

// ReservedInterfaces returns the names CheckInterfaceName refuses though
// they are valid device names, sorted. The slice is a copy.
func ReservedInterfaces() []string { return append([]string(nil), reservedInterfaces...) }

// CheckInterfaceName checks the name of a node's interface (the device
// inside the node): a valid device name (CheckDeviceName) that is not one
// the kernel gives every new network namespace (ReservedInterfaces).
func CheckInterfaceName(name string) error {
	if err := CheckDeviceName(name); err != nil {
		return err
	}
	for _, r := range reservedInterfaces {
		if name == r {
			return fmt.Errorf("%q is the name of a device the kernel may make in a new network namespace by itself (%s), so no interface of a node may have it", name, strings.Join(reservedInterfaces, ", "))
		}
	}
	return nil
}
