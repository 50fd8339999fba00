package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/workdir"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func (c *cli) execCommand() *cobra.Command {
	var f stateFlags
	var tty bool
	cmd := &cobra.Command{
		Use:   "exec NODE [-- COMMAND [ARG...]]",
		Short: "Run a command inside a node",
		Long: `Run a command inside a running node of the experiment, through the provider
of the node's platform: any node type whose provider serves exec (process
nodes do: the command runs in the node's namespaces, with its network stack,
hostname and mounts). Without a command it runs $SHELL (or /bin/sh).

NODE is the node's address without "vnode." (a, h[0], h["east"]) or its
host name (h-0, h-east).

The command gets benito's environment, standard input, standard output and
standard error, and benito exec exits with its exit status (128+N when
signal N ended it). The signals benito receives (interrupt, quit, terminate,
hang-up) are passed on to the command.

When standard input is a terminal, the command runs on a pseudo-terminal in
the node, as an interactive session: this terminal is in raw mode while it
runs (and restored after), and its size changes are passed on; everything
the command writes then comes on standard output. --tty=false runs without
one; --tty asks for one even without a terminal here.

benito exec reads the node from the state under the state lock, releases the
lock, and starts only the node's provider, configured as the last apply
configured it: it needs no configuration and no -var flags, and plan or
apply may run while the command does. A third party's platform is started
from the binary .benito.lock.hcl pins.`,
		Example: `  benito exec -C examples/quickstart a -- ping -c 3 10.0.2.10
  benito exec -C examples/quickstart router -- ip route
  benito exec -C examples/demo 'host["b"]' -- hostname
  benito exec b`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dash := cmd.ArgsLenAtDash(); dash > 1 || (dash < 0 && len(args) > 1) {
				return fmt.Errorf("one node, then the command after --: benito exec NODE -- COMMAND [ARG...]")
			}
			node, command := args[0], args[1:]
			if len(command) == 0 {
				sh := c.getenv("SHELL")
				if sh == "" {
					sh = "/bin/sh"
				}
				command = []string{sh}
			}
			w := workdir.OpenState(c.options(f.dir, &f.exp))
			req := providers.ExecRequest{Args: command, Env: c.env, Stdin: c.stdin, Stdout: c.stdout, Stderr: c.stderr}
			stdinTerm := -1 // the descriptor of standard input, when a terminal
			if in, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(in.Fd())) {
				stdinTerm = int(in.Fd())
			}
			if !cmd.Flags().Changed("tty") {
				tty = stdinTerm >= 0
			}
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			restore := func() {}
			if tty {
				if stdinTerm < 0 {
					// Asked for without a terminal here: the usual size.
					req.Terminal = &providers.WindowSize{Rows: 24, Cols: 80}
				} else {
					var err error
					if restore, err = rawTerminal(ctx, stdinTerm, &req); err != nil {
						return err
					}
					defer restore() // also on a panic; restoring twice is harmless
				}
			}
			req.Signals = forwardSignals(ctx)
			resp, diags := w.Exec(ctx, node, req)
			restore()
			if err := c.printDiags(diags, w.Files()); err != nil {
				return err
			}
			code := resp.ExitCode
			if resp.Signal != 0 {
				code = 128 + int(resp.Signal)
			}
			if code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVarP(&tty, "tty", "t", false, "run the command on a pseudo-terminal (default: when standard input is a terminal)")
	return cmd
}

// rawTerminal puts the terminal fd in raw mode for an interactive session,
// asks for a pseudo-terminal of its size in req, and passes on its size
// changes (SIGWINCH) until ctx ends. The returned function restores the
// terminal as it was (once, however often it is called); call it whatever
// happened.
func rawTerminal(ctx context.Context, fd int, req *providers.ExecRequest) (restore func(), err error) {
	cols, rows, err := term.GetSize(fd)
	if err != nil {
		return nil, fmt.Errorf("reading the terminal's size: %w", err)
	}
	req.Terminal = &providers.WindowSize{Rows: uint16(rows), Cols: uint16(cols)}
	old, err := term.MakeRaw(fd)
	if err != nil {
		return nil, fmt.Errorf("putting the terminal in raw mode: %w", err)
	}
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	resize := make(chan providers.WindowSize, 1)
	req.Resize = resize
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-winch:
				cols, rows, err := term.GetSize(fd)
				if err != nil {
					continue
				}
				select {
				case <-resize: // not taken yet: the new size replaces it
				default:
				}
				resize <- providers.WindowSize{Rows: uint16(rows), Cols: uint16(cols)}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(winch)
			term.Restore(fd, old)
		})
	}, nil
}

// forwardSignals catches, until ctx ends, the signals benito passes on to
// the command it runs, rather than dying of them.
func forwardSignals(ctx context.Context) <-chan syscall.Signal {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGHUP)
	out := make(chan syscall.Signal, 4)
	go func() {
		defer signal.Stop(sigs)
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-sigs:
				select {
				case out <- s.(syscall.Signal):
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}
