package plugin

import "github.com/benito-net/benito/providers"

// ServeVersion serves p speaking the given protocol version, to test what
// benito says to a provider of another version.
func ServeVersion(p providers.Provider, version int) { serve(p, version, false) }

// ServeUnary serves p without the apply stream, as a provider built
// before it.
func ServeUnary(p providers.Provider) { serve(p, ProtocolVersion, true) }

// SetUnaryApply makes ApplyResource calls go unary (true) or on the apply
// stream (false, the default), to compare them.
func SetUnaryApply(unary bool) { unaryApply = unary }
