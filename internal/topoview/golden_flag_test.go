package topoview

// Accept -update, so that go test ./... -update runs in every package.
import _ "github.com/benito-net/benito/internal/golden"
