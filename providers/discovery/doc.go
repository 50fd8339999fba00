// Package discovery finds third-party provider binaries and pins them in
// the experiment's lock file.
//
// A third-party provider is an executable named benito-provider-NAME in
// one of the plugin directories (Dirs): DIR/.benito/plugins of the
// experiment, ~/.benito/plugins, and the entries of BENITO_PLUGIN_PATH, in
// that order; the first found wins. benito init (Init) starts each
// required provider once to read its name and version, checks the version
// against required_providers, and writes .benito.lock.hcl with the
// provider's source, version, constraint and the SHA-256 of its binary.
//
// What the package promises:
//   - The lock file is deterministic: the same selections give the same
//     bytes (providers and hashes sorted, written with hclwrite).
//   - Later runs (Resolve) never start a binary the lock file does not
//     record: a provider missing from it is refused with "run `benito
//     init`", a binary whose checksum changed with "run `benito init
//     -upgrade`", each diagnostic pointing at the required_providers entry.
//     The one exception is a destroy (ResolveOptions.Destroy): a changed
//     binary is used, with a warning naming the provider, the checksum
//     the lock records and the binary's, and `benito init -upgrade`, so
//     that replacing a binary never strands what it made on the host.
//   - Built-in providers need no lock entry.
package discovery
