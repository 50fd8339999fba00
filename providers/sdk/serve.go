package sdk

import (
	"fmt"
	"os"

	"github.com/benito-net/benito/providers/plugin"
)

// Serve serves p to the benito process that started this binary, and
// returns when benito ends it. Call it from main:
//
//	func main() { sdk.Serve(&sdk.Provider{Name: "hello", Version: "0.1.0", Resources: ...}) }
//
// A declaration mistake (a resource type without Create, say) is printed
// and the process exits with status 1, before any handshake.
func Serve(p *Provider) {
	pp, err := InProcess(p)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	plugin.Serve(pp)
}
