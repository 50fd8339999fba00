// Command benito builds network experiments from a declarative description:
// `benito plan` shows what would change on this host, `benito apply` makes it
// so, and `benito destroy` takes it all down.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ()))
}
