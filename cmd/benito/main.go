// Command benito builds network experiments from a declarative description:
// `benito plan` shows what would change on this host, `benito apply` makes it
// so, and `benito destroy` takes it all down.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

func main() {
	setGC(os.Getenv) // see gc.go
	// BENITO_CPUPROFILE=FILE writes a CPU profile of the run, for finding
	// where a slow plan spends its time.
	// Provider mode (a child benito serving a built-in provider) leaves
	// the profile to the parent, which would otherwise lose it.
	if path := os.Getenv("BENITO_CPUPROFILE"); path != "" && !providerMode(os.Args) {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "BENITO_CPUPROFILE:", err)
			os.Exit(1)
		}
		code := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ())
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(code)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ()))
}

// providerMode reports whether benito was started as `benito provider NAME`.
func providerMode(args []string) bool {
	return len(args) > 1 && args[1] == "provider"
}
