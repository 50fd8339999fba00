package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/netmask"
	"github.com/benito-net/benito/model"
	"github.com/benito-net/benito/state"
	"github.com/benito-net/benito/workdir"
	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"
)

// The states of a node in benito inspect.
const (
	nodeRunning = "running"
	nodeDead    = "dead"
	nodeDrifted = "drifted"
)

// inspectNode is one node as benito inspect shows it; its JSON form is
// documented in docs/inspect.md.
type inspectNode struct {
	Name      string   `json:"name"`
	HostName  string   `json:"host_name"`
	Type      string   `json:"type"`
	State     string   `json:"state"`
	Reason    string   `json:"reason,omitempty"`
	Addresses []string `json:"addresses"`
	Pid       *int64   `json:"pid"`
	Exec      string   `json:"exec"`
	Console   string   `json:"console,omitempty"`
}

// inspectExperiment is one experiment as benito inspect -all shows it.
type inspectExperiment struct {
	Experiment string `json:"experiment"`
	Directory  string `json:"directory"`
	State      string `json:"state_file"`
	Nodes      int    `json:"nodes"`
	Running    int    `json:"running"`
	Dead       int    `json:"dead"`
	Drifted    int    `json:"drifted"`
	Error      string `json:"error,omitempty"`
}

func (c *cli) inspectCommand() *cobra.Command {
	var (
		jsonOut bool
		all     bool
		exp     expFlags
	)
	cmd := &cobra.Command{
		Use:   "inspect [DIR]",
		Short: "Show the experiment's nodes as they run now",
		Long: `Inspect shows the nodes of the experiment applied from DIR (default: the
current directory), read live from the host: for each node its name, type,
state, addresses (interface=address/prefix), pid, and how to reach it.

A node's state is read back from its provider now, as benito plan reads it
to find drift:
  running  the node is as recorded;
  dead     the host no longer has it (its namespaces, its QEMU process or its
           container's init are gone), or its startup command ended in
           failure or was killed;
  drifted  it, or a route, mount or startup command of it, reads back
           otherwise than recorded (benito plan shows how), or its last
           create or update did not complete.
benito apply repairs a dead or drifted node. The pid is the QEMU process of a
QEMU node, the init of an OpenVZ container, the startup command of a process
node while it runs (a process node is its namespaces: without a startup
command nothing runs in it, and its pid is -).

With -all, inspect lists every experiment applied on this host (found in
the run root, ` + model.SiteDefaults[contract.SiteRunRoot] + `), with the directory it was applied from and
its nodes counted by state; an experiment whose site sets another run_root
is not listed.

Inspect only reads: it takes the state lock to read the state, as show does,
releases it, and never writes the state. -json prints the same as a JSON
array, described in docs/inspect.md.`,
		Example: `  benito inspect examples/quickstart
  benito inspect -json examples/quickstart
  benito inspect -all
  benito inspect -all -json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if all {
				if len(args) > 0 {
					return errors.New("-all lists every experiment on this host: give no directory with it")
				}
				return c.inspectAll(cmd, jsonOut, exp.lockTimeout)
			}
			dir := dirArg(args)
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				return fmt.Errorf("%s is not an experiment directory: give the directory benito apply was run on, or -all for every experiment on this host", dir)
			}
			w := workdir.OpenState(c.options(dir, &exp))
			live, diags := w.Inspect(cmd.Context())
			if err := c.printDiags(diags, nil); err != nil {
				return err
			}
			if live.Recorded == nil {
				return fmt.Errorf("nothing applied here yet: there is no state at %s. benito apply %s builds the experiment; benito inspect -all lists the experiments applied on this host", w.StatePath(), dir)
			}
			c.noteV1Addrs(live.Recorded, w.StatePath())
			nodes := inspectNodes(live, dir)
			if jsonOut {
				return writeJSON(c.stdout, nodes)
			}
			if len(nodes) == 0 {
				fmt.Fprintln(c.stdout, "The experiment has no nodes in its state: nothing of it runs.")
				return nil
			}
			return writeNodes(c.stdout, nodes)
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print a JSON array (docs/inspect.md)")
	cmd.Flags().BoolVar(&all, "all", false, "list every experiment applied on this host, with its directory and its nodes counted by state")
	cmd.Flags().StringVar(&exp.statePath, "state", "", "read the state in `FILE` (default: DIR/"+workdir.StateFileName+")")
	cmd.Flags().DurationVar(&exp.lockTimeout, "lock-timeout", 0, "how long to wait for the state lock (default: fail at once)")
	return cmd
}

// nodeAttrs are the attributes of a vnode or startup that inspect reads.
type nodeAttrs struct {
	Name       string   `json:"name"`
	Node       string   `json:"node"`
	Type       string   `json:"type"`
	Pid        *float64 `json:"pid"`
	InitPid    *float64 `json:"init_pid"`
	Status     string   `json:"status"`
	Interfaces []struct {
		Name    string  `json:"name"`
		IP4     *string `json:"ip4_address"`
		Netmask *string `json:"ip4_netmask"`
	} `json:"interfaces"`
}

func decodeNode(r *state.Resource) nodeAttrs {
	var a nodeAttrs
	if r != nil {
		_ = json.Unmarshal(r.Attributes, &a) // a value the provider returned and the engine stored
	}
	return a
}

// inspectNodes builds the rows of live's nodes, sorted by address. dir is
// the directory as the user named it, for the commands that reach a node.
func inspectNodes(live *workdir.Live, dir string) []inspectNode {
	rec, now := live.Recorded, live.Refreshed
	// What of each node (by host name) drifted, and its startup as read
	// back now.
	drifted := map[string][]string{}
	startups := map[string]nodeAttrs{}
	for _, d := range live.Drift {
		host := decodeNode(rec.Resources[d.Addr])
		name := host.Node
		if d.Addr.Type == contract.VNode {
			name = host.Name
		}
		what := d.Addr.String() + " changed outside benito"
		if d.After.IsNull() {
			what = d.Addr.String() + " is gone"
		}
		drifted[name] = append(drifted[name], what)
	}
	for a, r := range now.Resources {
		if a.Type == contract.Startup {
			s := decodeNode(r)
			startups[s.Node] = s
		}
	}
	var out []inspectNode
	for _, a := range rec.SortedAddrs() {
		if a.Type != contract.VNode {
			continue
		}
		recorded := decodeNode(rec.Resources[a])
		cur, alive := now.Resources[a]
		v := recorded
		if alive {
			v = decodeNode(cur)
		}
		n := inspectNode{
			Name:      addrs.Instance{Name: a.Name, Key: a.Key}.String(),
			HostName:  v.Name,
			Type:      v.Type,
			State:     nodeRunning,
			Addresses: []string{},
		}
		for _, i := range v.Interfaces {
			if i.IP4 == nil {
				continue
			}
			addr := i.Name + "=" + *i.IP4
			if i.Netmask != nil {
				if bits, err := netmask.Parse(*i.Netmask); err == nil {
					addr += "/" + strconv.Itoa(bits)
				}
			}
			n.Addresses = append(n.Addresses, addr)
		}
		quoted := shellWord(n.Name)
		n.Exec = fmt.Sprintf("benito exec -C %s %s -- CMD", shellWord(dir), quoted)
		if n.Type == contract.NodeQEMU {
			n.Console = fmt.Sprintf("benito console -C %s %s", shellWord(dir), quoted)
		}
		s, hasStartup := startups[v.Name]
		switch {
		case !alive:
			n.State, n.Reason = nodeDead, "the host no longer has it"
		case hasStartup && s.Status != "" && s.Status != "running" && !strings.HasSuffix(s.Status, " code 0"):
			n.State, n.Reason = nodeDead, "its startup command "+s.Status
		case cur.Status == state.Tainted || cur.Status == state.Pending:
			n.State, n.Reason = nodeDrifted, "its last create or update did not complete (the state marks it tainted)"
		case len(drifted[v.Name]) > 0:
			n.State, n.Reason = nodeDrifted, strings.Join(drifted[v.Name], "; ")
		}
		if alive {
			pid := v.Pid
			if v.InitPid != nil {
				pid = v.InitPid
			}
			if pid == nil && hasStartup && s.Status == "running" {
				pid = s.Pid
			}
			if pid != nil && *pid > 0 {
				p := int64(*pid)
				n.Pid = &p
			}
		}
		out = append(out, n)
	}
	return out
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9_./:=@%+,-]+$`)

// shellWord quotes s for a POSIX shell where it needs it (h[0]).
func shellWord(s string) string {
	if plainWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func writeJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

func writeNodes(w io.Writer, nodes []inspectNode) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tSTATE\tPID\tADDRESSES\tREACH")
	for _, n := range nodes {
		pid := "-"
		if n.Pid != nil {
			pid = strconv.FormatInt(*n.Pid, 10)
		}
		addrs := strings.Join(n.Addresses, ",")
		if addrs == "" {
			addrs = "-"
		}
		reach := n.Exec
		if n.Console != "" {
			reach += "; " + n.Console
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", n.Name, n.Type, n.State, pid, addrs, reach)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range nodes {
		if n.State != nodeRunning {
			fmt.Fprintf(w, "\n%s is %s: %s. benito apply repairs it.", n.Name, n.State, n.Reason)
		}
	}
	for _, n := range nodes {
		if n.State != nodeRunning {
			fmt.Fprintln(w)
			break
		}
	}
	return nil
}

// inspectAll lists the experiments in the default run root.
func (c *cli) inspectAll(cmd *cobra.Command, jsonOut bool, lockTimeout time.Duration) error {
	root := model.SiteDefaults[contract.SiteRunRoot]
	entries, err := os.ReadDir(root)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading the run root %s: %w", root, err)
	}
	list := []inspectExperiment{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		statePath, err := workdir.OwnerOf(filepath.Join(root, e.Name()))
		if statePath == "" && err == nil {
			continue // not an experiment's run directory, or one not applied
		}
		x := inspectExperiment{Experiment: e.Name(), State: statePath}
		if err != nil {
			x.Error = err.Error()
			list = append(list, x)
			continue
		}
		x.Directory = filepath.Dir(statePath)
		opts := c.options(x.Directory, &expFlags{statePath: statePath, lockTimeout: lockTimeout})
		live, diags := workdir.OpenState(opts).Inspect(cmd.Context())
		switch {
		case diags.HasErrors():
			x.Error = diagsText(diags)
		case live.Recorded == nil:
			x.Error = "the state file " + statePath + " is missing: if the directory moved, run benito from its new place; if the experiment is gone, benito destroy -sweep there removes what is left"
		default:
			for _, n := range inspectNodes(live, x.Directory) {
				x.Nodes++
				switch n.State {
				case nodeRunning:
					x.Running++
				case nodeDead:
					x.Dead++
				case nodeDrifted:
					x.Drifted++
				}
			}
		}
		list = append(list, x)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Experiment < list[j].Experiment })
	if jsonOut {
		return writeJSON(c.stdout, list)
	}
	if len(list) == 0 {
		fmt.Fprintf(c.stdout, "No experiment is applied on this host (nothing in %s).\n", root)
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EXPERIMENT\tDIRECTORY\tNODES\tRUNNING\tDEAD\tDRIFTED")
	for _, x := range list {
		if x.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\n", x.Experiment, orDash(x.Directory))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\n", x.Experiment, x.Directory, x.Nodes, x.Running, x.Dead, x.Drifted)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, x := range list {
		if x.Error != "" {
			fmt.Fprintf(c.stderr, "Warning: experiment %s could not be inspected: %s\n", x.Experiment, x.Error)
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// diagsText is the errors of diags on one line, for a row's error.
func diagsText(diags hcl.Diagnostics) string {
	var parts []string
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			parts = append(parts, strings.TrimSuffix(d.Summary+": "+d.Detail, ": "))
		}
	}
	return strings.Join(parts, "; ")
}
