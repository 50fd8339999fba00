package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagLine is one line of a --help's flag list: the flag, at most one word
// naming its value, then at least two spaces and the usage.
var flagLine = regexp.MustCompile(`^  (?:-[a-zA-Z], |    )--[a-z0-9-]+(?: [^ ]+)?  +[^ ]`)

// TestHelpRendersEveryFlag renders every command's --help, hidden ones too,
// and fails on what pflag makes of a usage it misreads: a backquoted phrase
// in a usage becomes the flag's value name ("--out benito apply FILE"), and
// a lone backquote is printed as is.
func TestHelpRendersEveryFlag(t *testing.T) {
	var paths [][]string
	var walk func(cmd *cobra.Command, path []string)
	walk = func(cmd *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range cmd.Commands() {
			walk(sub, append(append([]string(nil), path...), sub.Name()))
		}
	}
	walk((&cli{}).rootCommand(), nil)
	if len(paths) < 20 {
		t.Fatalf("found only %d commands: %v", len(paths), paths)
	}
	for _, path := range paths {
		name := strings.Join(append([]string{"benito"}, path...), " ")
		t.Run(name, func(t *testing.T) {
			r := benito(t, "", append(append([]string(nil), path...), "--help")...)
			if r.code != 0 {
				t.Fatalf("--help:\n%s", r)
			}
			if strings.Contains(r.stdout, "`") {
				t.Errorf("a backquote in the help:\n%s", r.stdout)
			}
			inFlags := false
			flags := 0
			for _, line := range strings.Split(r.stdout, "\n") {
				switch {
				case line == "Flags:" || line == "Global Flags:":
					inFlags = true
				case line == "":
					inFlags = false
				case inFlags:
					flags++
					if !flagLine.MatchString(line) {
						t.Errorf("a flag renders as %q: more than one word between the flag and its usage", line)
					}
				}
			}
			if flags == 0 {
				t.Errorf("no flags listed (not even --help):\n%s", r.stdout)
			}
		})
	}

	// The same, on the flags themselves: the value name pflag takes from a
	// usage is one word.
	var check func(cmd *cobra.Command)
	check = func(cmd *cobra.Command) {
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if name, _ := pflag.UnquoteUsage(f); strings.ContainsAny(name, " \t") {
				t.Errorf("%s --%s: value name %q", cmd.CommandPath(), f.Name, name)
			}
		})
		for _, sub := range cmd.Commands() {
			check(sub)
		}
	}
	check((&cli{}).rootCommand())
}

// TestFlagLineCatchesTheDefect: the pattern refuses the line the misread
// usage of plan -out gave.
func TestFlagLineCatchesTheDefect(t *testing.T) {
	for line, ok := range map[string]bool{
		"      --out benito apply FILE   save the plan to FILE, for benito apply FILE":  false,
		"      --out FILE                save the plan to FILE, for benito apply FILE":  true,
		"  -C, --dir DIR                 work on the experiment in DIR (default \".\")": true,
		"      --refresh                 read every resource back":                      true,
	} {
		if flagLine.MatchString(line) != ok {
			t.Errorf("%q: match %v, want %v", line, !ok, ok)
		}
	}
}
