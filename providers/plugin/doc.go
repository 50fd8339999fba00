// Package plugin carries benito's provider interface (providers.Provider)
// across a process boundary, over github.com/hashicorp/go-plugin's gRPC
// transport with AutoMTLS.
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
//
// The protocol is proto/provider_v1.proto. The generated code beside it is
// committed; to regenerate it, install the code generators once, at the
// versions matching go.mod's google.golang.org/protobuf and grpc:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
//
// then, with protoc (3.21 or later) on the PATH, run go generate in this
// directory.
package plugin

//go:generate protoc --proto_path=proto --go_out=proto --go_opt=paths=source_relative --go-grpc_out=proto --go-grpc_opt=paths=source_relative provider_v1.proto
