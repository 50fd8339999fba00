package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// cli carries the process's streams and environment to the commands, so
// that tests can run them in process.
type cli struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	env    []string

	noColor bool
	// destroying is set by the destroy command: a provider binary the lock
	// file does not record is then a warning, not an error.
	destroying bool
}

// exitError ends the process with code after its message (if any) has
// been printed.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// errSilent is an error already shown to the user.
var errSilent = errors.New("")

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, env []string) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, env: env}
	root := c.rootCommand()
	root.SetArgs(normalizeArgs(root, args))
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ee.err != nil && ee.err != errSilent && ee.err.Error() != "" {
			c.errorf("%v", ee.err)
		}
		return ee.code
	case err == errSilent:
		return 1
	default:
		c.errorf("%v", err)
		return 1
	}
}

// normalizeArgs lets users write Terraform-style single-dash long flags
// (-no-color, -out=FILE, -auto-approve) by rewriting them to the double-dash
// form before cobra parses them. Only names that are real long flags of
// some command are rewritten, so short flags keep working.
func normalizeArgs(root *cobra.Command, args []string) []string {
	long := map[string]bool{}
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		cmd.Flags().VisitAll(func(f *pflag.Flag) { long[f.Name] = true })
		cmd.PersistentFlags().VisitAll(func(f *pflag.Flag) { long[f.Name] = true })
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(root)
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			out = append(out, args[i:]...)
			break
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, _ := strings.Cut(a[1:], "=")
			if len(name) > 1 && long[name] {
				a = "-" + a
			}
		}
		out = append(out, a)
	}
	return out
}

// color reports whether output to w may use colour: not with -no-color,
// not when NO_COLOR is set, and only on a terminal.
func (c *cli) color(w io.Writer) bool {
	if c.noColor || c.getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (c *cli) getenv(key string) string {
	for _, kv := range c.env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

func (c *cli) errorf(format string, args ...any) {
	prefix := "Error: "
	if c.color(c.stderr) {
		prefix = "\x1b[1;31mError:\x1b[0m "
	}
	fmt.Fprintf(c.stderr, "%s%s\n", prefix, fmt.Sprintf(format, args...))
}

// printDiags writes diagnostics in HCL's text form (file:line:col and the
// source line, underlined) and returns errSilent if any is an error.
func (c *cli) printDiags(diags hcl.Diagnostics, files map[string]*hcl.File) error {
	if len(diags) == 0 {
		return nil
	}
	writeDiagnostics(c.stderr, diags, files, c.color(c.stderr))
	if diags.HasErrors() {
		return errSilent
	}
	return nil
}

// confirm asks the user to type "yes".
func (c *cli) confirm(question, detail string) bool {
	fmt.Fprintf(c.stdout, "\n%s\n  %s\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", question, detail)
	line, err := bufio.NewReader(c.stdin).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(c.stdout)
		return false
	}
	return strings.TrimSpace(line) == "yes"
}

// interrupts returns a context cancelled on the second interrupt (workdir
// then asks the providers to stop), a channel closed on the first, and a
// function to call when done.
func (c *cli) interrupts() (context.Context, <-chan struct{}, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	stop := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-done:
				return
			case <-sigs:
				n++
				switch n {
				case 1:
					fmt.Fprintln(c.stderr, "\nInterrupt received. Stopping gracefully: nothing new will start, changes in flight will finish and be recorded. Interrupt again to stop at once.")
					close(stop)
				case 2:
					fmt.Fprintln(c.stderr, "\nTwo interrupts received. Asking providers to stop now; the state will be saved.")
					cancel()
				}
			}
		}
	}()
	return ctx, stop, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}
