// Package plugin carries benito's provider interface (providers.Provider)
// across a process boundary, over github.com/hashicorp/go-plugin's gRPC
// transport, on mutual TLS with one certificate that benito makes per
// process in place of go-plugin's AutoMTLS (see TLS below).
//
// A provider binary calls Serve with its providers.Provider; benito calls
// Start, which launches the binary, checks the handshake (magic cookie and
// protocol version) and returns a providers.Provider whose every call is a
// gRPC call to that process. Close ends the process.
//
// What it promises:
//   - Values cross unchanged: unknown values, nulls, and "no value"
//     (cty.NilVal) round-trip, encoded as cty msgpack against the resource
//     type's schema (implied type for state values, configuration type for
//     configurations). Private data and diagnostics, attribute paths
//     included, round-trip exactly.
//   - A provider speaking another protocol version is refused at Start with
//     an error naming the provider and both versions.
//   - A provider that exits mid-call, or does not answer within the call's
//     timeout (killed then), turns that call into an error diagnostic naming
//     the provider and the resource of the call, with the tail of the
//     provider's stderr; every later call fails at once with the same
//     diagnostic. Nothing panics and nothing hangs.
//   - The provider's log lines and stderr go to the Config's logger, named
//     after the provider.
//   - A schema crosses whole, its attributes' flags included: run_time and
//     generated (providers.Attribute.RunTime, Generated) are additions to
//     protocol version 1, so a provider built before them sends neither
//     (every attribute is then shown and compared) and a benito built
//     before them ignores them.
//
// # Planned values by default
//
// Most planned values are their configuration and a few computed
// attributes (providers.DefaultPlan): sending them back would cost an
// encoding in the provider and a decoding in benito per resource, the
// larger part of what planning through the plugin cost over planning in
// process. benito asks for them by default (PlanResources.Request's
// defaults); a provider that is a providers.DefaultPlanner then answers a
// change it planned as DefaultPlan does with only the attributes it set
// and whether it replaces (Planned.by_default), and benito builds the
// value from the prior and proposed values it sent, with
// providers.DefaultPlanned, the function the provider builds it with in
// process (planned.go). A provider that is not a DefaultPlanner, or built
// before, ignores defaults and sends whole values, which benito takes as
// before; a set attribute that does not match the schema makes the
// provider send that value whole, so that its encoding reports it.
//
// # The apply stream
//
// The engine applies resources one call at a time, up to its parallelism
// at once, so ApplyResource is the call made most often. Rather than one
// gRPC call each, the client opens one long-lived bidirectional stream per
// provider on the first apply (ApplyResources in the .proto) and
// multiplexes every ApplyResource onto it:
//
//   - A caller encodes its values, queues its request under a new id and
//     waits. A caller that finds no send under way sends itself everything
//     queued, in one message, until the queue is empty; so concurrent
//     calls share writes and no goroutine is woken to send.
//   - The provider runs each request in a goroutine of its own (one that
//     finished an earlier request, whose stack has grown already, or a new
//     one) as soon as it arrives, and sends each result as soon as it is done, in the same
//     way (with the others ready meanwhile, in one message): a slow
//     resource delays no other.
//   - One receiver goroutine hands each result to the caller waiting on
//     its id, which decodes it.
//   - Time limits, cancellation and failures are per call, as for a unary
//     call: a call not answered within its limit kills the provider; a
//     caller whose context ends stops waiting and the provider is told to
//     cancel that request's context; a stream that breaks (the provider
//     crashed or was killed) fails every call waiting on it with a
//     diagnostic naming the provider and that call's resource (one carries
//     the provider's last output, the others say they were in flight), and
//     later calls fail at once.
//
// The stream is an addition to protocol version 1: a provider built before
// it answers Unimplemented when the stream opens (its first message, an
// empty Results, is what says it serves the stream), and the client then
// makes unary ApplyResource calls, which every provider still serves.
//
// # Exec
//
// Exec is a bidirectional stream of its own per call (Exec in the
// .proto), with no time limit: benito sends the start (node value, argv,
// environment, terminal size), then the command's input, the terminal's
// new sizes and signals as they come; the provider sends stdout and
// stderr as the command writes them, then how it ended. The provider holds
// at most 32 chunks of input the command has not read (stdinChunks):
// beyond that it stops receiving, and gRPC's flow control makes benito
// wait. A stream that breaks fails the call like a unary call's failure;
// benito ending it (ctx) ends the command. The mux routes it by the
// benito-provider metadata as it does every call.
//
// # Values on the wire
//
// Values are cty's msgpack encoding, byte for byte, so that a provider
// built with cty's own code (an older benito, another SDK) interoperates.
// Both sides encode and decode it with a codec compiled once per value type
// (valuecodec.go) that goes through cty's public API only (no reflection,
// no access to cty.Value's fields): attribute names sorted and encoded
// once, values read with GetAttr, AsString, AsBigFloat and the element
// iterators, and built with cty's constructors. What that codec does not
// take on (refined unknowns, dynamically typed parts, a value not exactly
// of its type, bytes it does not expect) goes to cty's own code, so results
// are cty's; tests compare the two on random types and values, and a fuzz
// test on arbitrary bytes. Every length read from the wire is checked
// against the bytes that follow before anything is allocated for it: bytes
// claiming more than they hold are refused before cty's decoder, which
// allocates what a length claims, sees them. A panic of cty's decoder on
// inconsistent input is an error too.
//
// # TLS
//
// The connection is mutual TLS as with go-plugin's AutoMTLS, but benito
// makes its own certificate once per process, a P-256 one, and hands it to
// each provider as AutoMTLS does (mtls.go); a provider answers with its own
// certificate, which benito then trusts alone. benito's own binary serving
// a built-in provider (Config.FirstParty) makes no key: it reads benito's
// private key from a pipe it inherits (never the environment or a file)
// and serves with benito's certificate, which each side then trusts as
// the other's; only benito and the children it started from its own
// binary hold the key. This saves each such provider a key generation and
// benito a slow signature check per provider at start-up. Third-party
// providers, and first-party ones that do not read the key, work as
// before.
//
// A provider process reads and changes the host (ReadResources,
// ApplyResource, Sweep) only while it holds its experiment's provider lock, an abstract
// unix socket named by the provider, the experiment and its site, taken
// before its first such call and released by its end (exclusive.go): the
// provider of a benito that was killed finishes its calls in flight before
// the SIGTERM benito's death sent it ends it, and the next run's provider
// waits for it rather than racing it on the same objects.
//
// The protocol is proto/provider_v1.proto. The generated code beside it is
// committed; to regenerate it, install the code generators once, at the
// versions matching go.mod's google.golang.org/protobuf and grpc:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
//
// then, with protoc (3.21 or later, Debian's protobuf-compiler) and the
// generators on the PATH, run go generate in this directory:
//
//	PATH=$PATH:$(go env GOPATH)/bin go generate ./providers/plugin/
package plugin

//go:generate protoc --proto_path=proto --go_out=proto --go_opt=paths=source_relative --go-grpc_out=proto --go-grpc_opt=paths=source_relative provider_v1.proto
