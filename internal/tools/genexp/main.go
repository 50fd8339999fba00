// Command genexp writes the generated benchmark experiment
// (internal/benchexp): 10,000 process nodes by default, ~100,000 resources.
//
//	go run ./internal/tools/genexp [-nodes N] DIR CONFIG_ROOT
//
// DIR/main.hcl is the experiment, DIR/mounts/{users,proj} its mounts'
// sources; CONFIG_ROOT is the site's config_root.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/benito-net/benito/internal/benchexp"
)

func main() {
	nodes := flag.Int("nodes", 10000, "how many vnodes")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: genexp [-nodes N] DIR CONFIG_ROOT\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 || *nodes < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := benchexp.Write(flag.Arg(0), *nodes, flag.Arg(1)); err != nil {
		fmt.Fprintln(os.Stderr, "genexp:", err)
		os.Exit(1)
	}
}
