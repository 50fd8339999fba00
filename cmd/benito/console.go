package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/console"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/workdir"
	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"
)

func (c *cli) consoleCommand() *cobra.Command {
	var f stateFlags
	var showLog, follow bool
	cmd := &cobra.Command{
		Use:   "console NODE",
		Short: "Attach to a QEMU node's serial console",
		Long: `Attach this terminal to the serial console of a running QEMU node: what the
guest prints comes here, what is typed goes to the guest (the test guest runs
a root shell there). Detach with Ctrl-] (the byte 0x1d, as in telnet and virsh
console): the VM goes on running, and benito console can attach again. While
attached the terminal is in raw mode, so Ctrl-C and Ctrl-D go to the guest;
it is restored when benito console ends, whatever ends it. Without a terminal
(input from a pipe or a file), the input is sent up to Ctrl-] or its end,
which detaches.

NODE is the node's address without "vnode." (a, h[0], h["east"]) or its host
name (h-0, h-east), as for benito exec. The console is read from the state:
a node whose platform has no serial console (a process node) is an error;
benito exec runs a shell in those.

QEMU serves one console client at a time. While another is attached (a
benito console in another terminal, or any client of the socket), benito
console says so and ends without sending anything.

Everything the console prints, from the first boot message on, is also
appended to a log file in the run directory; --log prints it instead of
attaching, and --follow goes on printing what is appended until interrupted.`,
		Example: `  benito console vm
  benito console -C ~/experiments/lab 'h[0]'
  benito console --log -f h-0`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if follow && !showLog {
				return fmt.Errorf("--follow follows the console's log: use it with --log")
			}
			node := args[0]
			w := workdir.OpenState(c.options(f.dir, &f.exp))
			socket, logFile, diags := consolePaths(cmd.Context(), w, node, !showLog)
			if err := c.printDiags(diags, nil); err != nil {
				return err
			}
			// Interrupted, benito console still restores the terminal
			// (Attach does, before it returns).
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
			defer stop()
			if showLog {
				return printLog(ctx, c.stdout, logFile, follow)
			}
			end, err := console.Attach(ctx, socket, c.stdin, c.stdout, console.Options{
				Connected: func() {
					fmt.Fprintf(c.stderr, "Connected to the console of %s; detach with %s\n", node, console.DetachKeyName)
				},
				Notice: func(s string) { fmt.Fprintf(c.stderr, "Note: %s\n", s) },
			})
			switch {
			case errors.Is(err, console.ErrBusy):
				return fmt.Errorf("another client is attached to the console of %s, and QEMU serves one at a time: detach it (%s) or end it, then try again", node, console.DetachKeyName)
			case ctx.Err() != nil && errors.Is(err, ctx.Err()):
				fmt.Fprintf(c.stderr, "\nInterrupted; left the console of %s.\n", node)
				return &exitError{code: 130}
			case err != nil:
				return fmt.Errorf("the console of %s: %w", node, err)
			}
			switch end {
			case console.Detached, console.InputEnded:
				fmt.Fprintf(c.stderr, "\nDetached from the console of %s; the VM goes on running.\n", node)
			case console.Closed:
				fmt.Fprintf(c.stderr, "\nThe console of %s was closed by QEMU: the VM stopped.\n", node)
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&showLog, "log", false, "print the console's log file instead of attaching")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "with --log: go on printing what is appended to the log, until interrupted")
	return cmd
}

// consolePaths reads node's console socket and log file from the state,
// and checks both before anything is done with them: the state is input,
// and benito runs as root, so a recorded path is used only when it is in
// the experiment's run directory (providers.Inside, symbolic links
// resolved). With attach, the socket must be there and be a socket; the
// log alone may outlive the VM (it says why a VM died).
func consolePaths(ctx context.Context, w *workdir.Workdir, node string, attach bool) (socket, logFile string, diags hcl.Diagnostics) {
	fail := func(summary, detail string, args ...any) (string, string, hcl.Diagnostics) {
		return "", "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(detail, args...)}}
	}
	r, st, diags := w.Node(ctx, "console", node)
	if diags.HasErrors() {
		return "", "", diags
	}
	var rec struct {
		Type    *string `json:"type"`
		Socket  *string `json:"console"`
		LogFile *string `json:"console_log"`
	}
	if err := json.Unmarshal(r.Attributes, &rec); err != nil {
		return fail("Unreadable node record", "The state's record of %s cannot be read (%v): the state was edited by hand or by another tool.", r.Addr, err)
	}
	typ := "untyped"
	if rec.Type != nil {
		typ = *rec.Type
	}
	if rec.Socket == nil || *rec.Socket == "" {
		if typ == contract.NodeQEMU {
			return fail("No serial console", "Node %s is a QEMU node, but its record has no serial console: a node made before benito had consoles gets one when `benito apply` re-creates it.", node)
		}
		return fail("No serial console", "Node %s is a %s node and has no serial console; use `benito exec %s -- sh` for a shell in it.", node, typ, node)
	}
	_, runDir, pd := providers.SiteRoot(providers.ConfigureRequest{Experiment: st.Experiment, Site: st.Site}, contract.SiteRunRoot, contract.DefaultRunRoot)
	if pd.HasErrors() {
		return fail("The state's run directory is unusable", "The state's site settings give no usable run directory for the experiment: %s.", pd[0].Summary)
	}
	refuse := func(err error) (string, string, hcl.Diagnostics) {
		var out hcl.Diagnostics
		for _, d := range providers.RefuseRecorded(r.Addr.String(), err) {
			out = append(out, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: d.Summary, Detail: d.Detail})
		}
		return "", "", out
	}
	socket = *rec.Socket
	if err := providers.Inside(runDir, socket); err != nil {
		return refuse(providers.Recorded(console.SocketAttribute, socket, "%v", err))
	}
	if rec.LogFile != nil && *rec.LogFile != "" {
		logFile = *rec.LogFile
		if err := providers.Inside(runDir, logFile); err != nil {
			return refuse(providers.Recorded(console.LogAttribute, logFile, "%v", err))
		}
	}
	if !attach {
		if logFile == "" {
			return fail("No console log", "Node %s's record names no console log.", node)
		}
		return socket, logFile, nil
	}
	fi, err := os.Lstat(socket)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fail("The console is not there", "Node %s's console socket %s does not exist: the VM is not running. `benito plan` shows whether it needs re-creating.", node, socket)
	case err != nil:
		return fail("The console cannot be checked", "Node %s's console socket %s: %v.", node, socket, err)
	case fi.Mode()&os.ModeSocket == 0:
		return refuse(providers.Recorded(console.SocketAttribute, socket, "is not a socket (%s)", fi.Mode().Type()))
	}
	return socket, logFile, nil
}

// printLog copies the console's log file to out; with follow, it goes on
// copying what is appended until ctx ends (an interrupt), as tail -f.
func printLog(ctx context.Context, out io.Writer, path string, follow bool) error {
	// Checked before it is opened: opening a FIFO would block.
	if fi, err := os.Stat(path); err != nil {
		return fmt.Errorf("the console's log: %w", err)
	} else if !fi.Mode().IsRegular() {
		return fmt.Errorf("the console's log %s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("the console's log: %w", err)
	}
	defer f.Close()
	for {
		n, err := io.Copy(out, f)
		if err != nil {
			return fmt.Errorf("the console's log: %w", err)
		}
		if !follow {
			return nil
		}
		if n == 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}
