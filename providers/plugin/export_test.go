package plugin

import "github.com/benito-net/benito/providers"

// ServeVersion serves p speaking the given protocol version, to test what
// benito says to a provider of another version.
func ServeVersion(p providers.Provider, version int) { serve(p, version) }
