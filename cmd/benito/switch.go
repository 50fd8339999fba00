package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/suggest"
	"github.com/benito-net/benito/internal/vdemgmt"
	"github.com/benito-net/benito/state"
	"github.com/benito-net/benito/workdir"
	"github.com/spf13/cobra"
)

func (c *cli) switchCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "switch",
		Short: "Look at the experiment's switches as they run",
		Example: `  benito switch ports -C examples/quickstart lan2
  benito switch ports -C examples/quickstart -json lan2`,
	}
	cmd.AddCommand(c.switchPortsCommand())
	return cmd
}

// switchPortsTimeout bounds one exchange with a switch's management socket.
const switchPortsTimeout = 5 * time.Second

func (c *cli) switchPortsCommand() *cobra.Command {
	var f stateFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ports SWITCH",
		Short: "Show a switch's live port table beside what the state expects",
		Long: `Show the port table of a running switch of the experiment, read live from
the host, beside what the state expects on each port.

For a VDE switch (kind = "vde") the table comes from the switch's management
socket (port/allprint and hash/print): for each port, its number, what is
plugged into it (the endpoint vde_switch reports: vde_plug2tap, wirefilter,
qemu...), what the state expects there (the key of its port resource: a
node's interface, NODE.IFACE, or a TAP, tap.NAME), the MAC addresses the switch has learned on it (a MAC is
learned when a frame comes in through the port, and forgotten after 100 s
without one), and the port's status:

  ok          expected, and something is plugged
  empty       expected, and nothing is plugged: the node or its plug is gone
  no port     expected, and the switch has no such port
  unknown     something is plugged that the state does not expect
  unused      a port nothing is plugged into and nothing expects

A bridge (kind = "bridge") has no numbered ports: the table lists its member
devices read with netlink (the host side of each node interface), with
the MAC addresses the bridge has learned on each, in the same columns.

SWITCH is the switch's address without "switch." (lan0, lan[0]). The command
only reads: it takes the state lock for a moment, starts no provider, and
never changes the switch. -json prints the same table as one JSON object.
See docs/vde.md.`,
		Example: `  benito switch ports -C examples/quickstart lan2
  benito switch ports -C examples/quickstart -json lan2
  benito switch ports -C examples/quickstart lan1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := c.readState(cmd, workdir.OpenState(c.options(f.dir, &f.exp)))
			if err != nil {
				return err
			}
			table, err := switchPorts(st, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(c.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(table)
			}
			table.write(c.stdout)
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the table as JSON")
	return cmd
}

// portTable is the output of benito switch ports.
type portTable struct {
	Switch     string     `json:"switch"` // the address without "switch."
	Kind       string     `json:"kind"`   // vde or bridge
	Management string     `json:"management,omitempty"`
	Device     string     `json:"device,omitempty"`
	Ports      []portLine `json:"ports"`
}

// portLine is one port of a switch (VDE: Number; bridge: Device).
type portLine struct {
	Number      *int     `json:"number,omitempty"`
	Device      string   `json:"device,omitempty"`
	Plugged     []string `json:"plugged"`
	Expected    string   `json:"expected,omitempty"`
	ExpectedMAC string   `json:"expected_mac,omitempty"`
	MACs        []string `json:"macs"`
	Status      string   `json:"status"`
}

// Port statuses.
const (
	portOK      = "ok"
	portEmpty   = "empty"
	portNoPort  = "no port"
	portUnknown = "unknown"
	portUnused  = "unused"
)

// expectation is what the state expects on a port.
type expectation struct {
	what string // NODE.IFACE or "tap NAME"
	mac  string
}

// switchPorts reads the switch name of st live from the host.
func switchPorts(st *state.State, name string) (*portTable, error) {
	addr, err := addrs.ParseResource(contract.Switch + "." + name)
	if err != nil {
		return nil, fmt.Errorf("%q is not a switch's address: %v", name, err)
	}
	r := st.Resources[addr]
	if r == nil {
		var names []string
		for a := range st.Resources {
			if a.Type == contract.Switch && a.Sub == nil {
				names = append(names, strings.TrimPrefix(a.String(), contract.Switch+"."))
			}
		}
		sort.Strings(names)
		hint := " The state has no switch."
		if len(names) > 0 {
			hint = " The switches are: " + strings.Join(names, ", ") + "."
			if s := suggest.Nearest(name, names); s != "" {
				hint = fmt.Sprintf(" Did you mean %q?%s", s, hint)
			}
		}
		return nil, fmt.Errorf("there is no switch %q in the state.%s", name, hint)
	}
	var sw struct {
		Name       string `json:"name"`
		Kind       string `json:"kind"`
		Socket     string `json:"socket"`
		Management string `json:"management"`
		Device     string `json:"device"`
	}
	if err := json.Unmarshal(r.Attributes, &sw); err != nil {
		return nil, fmt.Errorf("reading %s in the state: %w", addr, err)
	}
	nodes, err := nodeInterfaces(st)
	if err != nil {
		return nil, err
	}
	switch sw.Kind {
	case "vde":
		if sw.Management == "" {
			return nil, fmt.Errorf("%s has no management socket in the state (it was never created, or its create failed): run benito apply", addr)
		}
		expect, err := vdeExpected(st, sw.Socket, nodes)
		if err != nil {
			return nil, err
		}
		t := &portTable{Switch: name, Kind: sw.Kind, Management: sw.Management}
		t.Ports, err = vdePorts(sw.Management, expect)
		if err != nil {
			return nil, fmt.Errorf("reading the ports of %s: %w (is the experiment applied? benito plan shows what is missing)", addr, err)
		}
		return t, nil
	case "bridge":
		t := &portTable{Switch: name, Kind: sw.Kind, Device: sw.Device}
		t.Ports, err = bridgePorts(sw.Name, sw.Device, nodes)
		if err != nil {
			return nil, fmt.Errorf("reading the members of %s (bridge %s): %w (is the experiment applied? benito plan shows what is missing)", addr, sw.Device, err)
		}
		return t, nil
	}
	return nil, fmt.Errorf("%s is of kind %q: benito switch ports reads VDE switches (kind = \"vde\") and bridges (kind = \"bridge\")", addr, sw.Kind)
}

// stateInterface is a node's interface as the state records it.
type stateInterface struct {
	Name       string `json:"name"`
	Switch     string `json:"switch"`
	SwitchKind string `json:"switch_kind"`
	HostDevice string `json:"host_device"`
	MAC        string `json:"mac_address"`
	VDEPort    *int   `json:"vde_port"`
	VDESocket  string `json:"vde_socket"`
}

// nodeInterfaces returns every node interface of st, keyed as the port
// of a node's interface is: the node's address without "vnode.", a dot
// and the interface ("h[0].eth0").
func nodeInterfaces(st *state.State) (map[string]stateInterface, error) {
	out := map[string]stateInterface{}
	for a, r := range st.Resources {
		if a.Type != contract.VNode {
			continue
		}
		var v struct {
			Interfaces []stateInterface `json:"interfaces"`
		}
		if err := json.Unmarshal(r.Attributes, &v); err != nil {
			return nil, fmt.Errorf("reading %s in the state: %w", a, err)
		}
		node := strings.TrimPrefix(a.String(), contract.VNode+".")
		for _, i := range v.Interfaces {
			out[node+"."+i.Name] = i
		}
	}
	return out, nil
}

// vdeExpected returns what the state expects on each port of the VDE
// switch whose control directory is socket: its port resources, each for
// a node's interface (keyed "h[0].eth0") or a TAP ("tap.t[0]"). A port's
// key is what the table shows as expected.
func vdeExpected(st *state.State, socket string, nodes map[string]stateInterface) (map[int]expectation, error) {
	out := map[int]expectation{}
	for a, r := range st.Resources {
		if a.Type != contract.Port {
			continue
		}
		var p struct {
			Socket string `json:"socket"`
			Number int    `json:"number"`
		}
		if err := json.Unmarshal(r.Attributes, &p); err != nil {
			return nil, fmt.Errorf("reading %s in the state: %w", a, err)
		}
		last := a.Key // port.lan0["h[0].eth0"]; port.lan[0]["h[0].eth0"] has two keys
		if a.Sub != nil {
			last = a.Sub
		}
		key, ok := last.(addrs.StringKey)
		if p.Socket != socket || !ok {
			continue
		}
		out[p.Number] = expectation{what: string(key), mac: nodes[string(key)].MAC}
	}
	return out, nil
}

// vdePorts reads the switch at the management socket mgmt (port/allprint,
// hash/print) and lines its ports up with expect, by number.
func vdePorts(mgmt string, expect map[int]expectation) ([]portLine, error) {
	c, err := vdemgmt.Dial(mgmt, vdemgmt.PromptSwitch, switchPortsTimeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	portLines, err := c.Do("port/allprint")
	if err != nil {
		return nil, err
	}
	hashLines, err := c.Do("hash/print")
	if err != nil {
		return nil, err
	}
	ports := vdemgmt.ParsePorts(portLines)
	macs := vdemgmt.ParseHash(hashLines)
	numbers := map[int]bool{}
	for n := range ports {
		numbers[n] = true
	}
	for n := range expect {
		numbers[n] = true
	}
	out := []portLine{}
	for _, n := range sortedInts(numbers) {
		port, exists := ports[n]
		e, expected := expect[n]
		l := portLine{Number: &n, Plugged: []string{}, Expected: e.what, ExpectedMAC: e.mac, MACs: macs[n]}
		if exists {
			for _, ep := range port.Endpoints {
				l.Plugged = append(l.Plugged, vdemgmt.EndpointProgram(ep))
			}
		}
		l.Status = portStatus(exists, len(l.Plugged) > 0, expected)
		if l.MACs == nil {
			l.MACs = []string{}
		}
		out = append(out, l)
	}
	return out, nil
}

func portStatus(exists, plugged, expected bool) string {
	switch {
	case expected && !exists:
		return portNoPort
	case expected && plugged:
		return portOK
	case expected:
		return portEmpty
	case plugged:
		return portUnknown
	}
	return portUnused
}

// bridgePorts reads the members of the bridge device with netlink and
// lines them up with what the state expects on the switch named name:
// the host side of the node interfaces on it. (A TAP is enslaved to a
// bridge block, never to a switch.)
func bridgePorts(name, device string, nodes map[string]stateInterface) ([]portLine, error) {
	br, err := netlink.LinkByName(device)
	if err != nil {
		return nil, err
	}
	expect := map[string]expectation{}
	for what, i := range nodes {
		if i.Switch == name && i.SwitchKind == "bridge" && i.HostDevice != "" {
			expect[i.HostDevice] = expectation{what: what, mac: i.MAC}
		}
	}
	links, err := netlink.LinkList()
	if err != nil {
		return nil, err
	}
	type member struct {
		index int
		typ   string // veth, tuntap...
	}
	members := map[string]member{}
	for _, l := range links {
		if a := l.Attrs(); a.MasterIndex == br.Attrs().Index {
			members[a.Name] = member{a.Index, l.Type()}
		}
	}
	fdb, err := netlink.NeighList(0, unix.AF_BRIDGE)
	if err != nil {
		return nil, err
	}
	learned := map[int][]string{} // member index: MACs
	for _, n := range fdb {
		if n.MasterIndex == br.Attrs().Index && n.State&netlink.NUD_PERMANENT == 0 && n.HardwareAddr != nil {
			learned[n.LinkIndex] = append(learned[n.LinkIndex], n.HardwareAddr.String())
		}
	}
	names := map[string]bool{}
	for n := range members {
		names[n] = true
	}
	for n := range expect {
		names[n] = true
	}
	out := []portLine{}
	for _, dev := range sortedStrings(names) {
		m, isMember := members[dev]
		e, expected := expect[dev]
		l := portLine{Device: dev, Plugged: []string{}, Expected: e.what, ExpectedMAC: e.mac, MACs: []string{}}
		if isMember {
			l.Plugged = []string{m.typ}
			macs := learned[m.index]
			sort.Strings(macs)
			l.MACs = append(l.MACs, compactStrings(macs)...)
		}
		l.Status = portStatus(true, isMember, expected)
		out = append(out, l)
	}
	return out, nil
}

// write prints the table, one line a port.
func (t *portTable) write(w io.Writer) {
	switch t.Kind {
	case "vde":
		fmt.Fprintf(w, "switch %s: VDE switch, management socket %s\n", t.Switch, t.Management)
	default:
		fmt.Fprintf(w, "switch %s: bridge %s (a bridge has no numbered ports: its member devices)\n", t.Switch, t.Device)
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	if t.Kind == "vde" {
		fmt.Fprintln(tw, "PORT\tPLUGGED\tEXPECTED\tMACS SEEN\tSTATUS")
	} else {
		fmt.Fprintln(tw, "DEVICE\tPLUGGED\tEXPECTED\tMACS SEEN\tSTATUS")
	}
	counts := map[string]int{}
	for _, p := range t.Ports {
		port := p.Device
		if t.Kind == "vde" {
			port = strconv.Itoa(*p.Number)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", port, dash(strings.Join(p.Plugged, "; ")), dash(p.Expected), dash(strings.Join(p.MACs, " ")), p.Status)
		counts[p.Status]++
	}
	tw.Flush()
	if bad := counts[portEmpty] + counts[portNoPort] + counts[portUnknown]; bad > 0 {
		fmt.Fprintf(w, "%d port(s) differ from the state (empty: %d, no port: %d, unknown: %d): benito plan shows what apply would change.\n",
			bad, counts[portEmpty], counts[portNoPort], counts[portUnknown])
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func sortedInts(set map[int]bool) []int {
	out := make([]int, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

func sortedStrings(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// compactStrings drops repeated neighbours of a sorted slice.
func compactStrings(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
