package providers

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/benito-net/benito/internal/daemon"
)

// The experiment's mark: what benito's own providers put on everything
// they make on the host, so that it is found from the host alone, also
// when benito was killed before it recorded it, or its state was lost
// (Provider.Sweep):
//
//   - Processes are born in a cgroup of the experiment's,
//     benito/ESCAPED_RUN_DIR/PROVIDER/... (ExperimentGroup, internal/daemon),
//     with everything they fork. ESCAPED_RUN_DIR is the experiment's run
//     directory escaped as `systemd-escape --path` does it
//     (/run/benito/lab-1 → run-benito-lab\x2d1): unique per experiment on
//     the host, and readable.
//   - Devices made on the host carry the experiment's alias and the form of
//     its device names (contract.DeviceAlias, contract.DeviceIsOurs).
//   - Files and namespace pins are under the experiment's run and config
//     directories.

// ExperimentGroup returns the cgroup that holds the processes provider
// starts for the experiment whose run directory is runDir, on the host's
// hierarchy (daemon.HostHierarchy).
func ExperimentGroup(runDir, provider string) (daemon.Group, error) {
	h, err := daemon.HostHierarchy()
	if err != nil {
		return daemon.Group{}, err
	}
	return h.Group("benito").Child(EscapePath(runDir), provider), nil
}

// EscapePath escapes an absolute path into one name as
// `systemd-escape --path` does: slashes become '-', and every byte that is
// not an ASCII letter, digit, ':', '_' or '.' (nor a '.' that would start
// the name) becomes \xNN. Different paths give different names.
func EscapePath(path string) string {
	path = strings.Trim(path, "/")
	if path == "" {
		return "-"
	}
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		c := path[i]
		switch {
		case c == '/':
			b.WriteByte('-')
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == ':', c == '_', c == '.' && i > 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	return b.String()
}

// UnescapePath undoes EscapePath: the absolute path a name stands for,
// and false for a name EscapePath does not make.
func UnescapePath(name string) (string, bool) {
	if name == "-" {
		return "/", true
	}
	var b strings.Builder
	b.WriteByte('/')
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '-':
			b.WriteByte('/')
		case c == '\\':
			if i+3 >= len(name) || name[i+1] != 'x' {
				return "", false
			}
			n, err := strconv.ParseUint(name[i+2:i+4], 16, 8)
			if err != nil {
				return "", false
			}
			b.WriteByte(byte(n))
			i += 3
		default:
			b.WriteByte(c)
		}
	}
	p := b.String()
	return p, EscapePath(p) == name
}

// Group returns the cgroup below the experiment's group for provider
// named by name (EscapePath of "/"+name: any string, one level), or the
// zero Group, which starts processes unmarked, on a host without a cgroup
// hierarchy.
func Group(runDir, provider, name string) daemon.Group {
	g, err := ExperimentGroup(runDir, provider)
	if err != nil {
		return daemon.Group{}
	}
	return g.Child(EscapePath("/" + name))
}

// GroupNames returns the names of the groups below the experiment's group
// for provider (as Group was given them), sorted.
func GroupNames(runDir, provider string) ([]string, error) {
	g, err := ExperimentGroup(runDir, provider)
	if err != nil {
		return nil, nil
	}
	kids, err := g.Children()
	var names []string
	for _, k := range kids {
		if p, ok := UnescapePath(k); ok && p != "/" {
			names = append(names, p[1:])
		}
	}
	return names, err
}
