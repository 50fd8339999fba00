package plugin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/benito-net/benito/providers"
)

// A provider process outlives the benito that started it by a moment when
// benito is killed: the calls in flight run to their end, and the SIGTERM
// that ends the process (Pdeathsig) is handled once the Go runtime gets to
// it. The next benito, which takes the state lock at once, must not have
// its provider change the host meanwhile (delete a node the dying one is
// still making), nor plan from what it reads meanwhile. So a provider
// process reads and changes the host (ReadResources, ApplyResource, Sweep)
// only while it holds the experiment's provider lock: an abstract unix
// socket named by the experiment, its site and the provider, bound before
// the first such call (not at Configure: the provider that benito exec
// starts makes none, and lives as long as the command) and held until the
// process ends, whose death releases it, with no file to leave behind.
// benito makes those calls under its state lock, so two live runs never
// wait for each other here.

// exclusiveWait bounds the wait for the provider of an earlier, killed run.
var exclusiveWait = 30 * time.Second

// exclusive is one provider's hold on its experiment's lock.
type exclusive struct {
	mu   sync.Mutex
	name string       // the lock's socket name; "" before Configure
	held net.Listener // non-nil once held
	// gaveUp is set once a wait ran out: the calls queued behind it
	// fail at once instead of waiting their turn, one after the other.
	gaveUp bool
}

// configure names the lock for the experiment and site a Configure gave.
func (x *exclusive) configure(provider, experiment string, site map[string]string) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s", provider, experiment)
	for _, k := range slices.Sorted(maps.Keys(site)) {
		fmt.Fprintf(h, "\x00%s=%s", k, site[k])
	}
	x.mu.Lock()
	x.name = "@benito-provider-" + hex.EncodeToString(h.Sum(nil))[:32]
	x.mu.Unlock()
}

// acquire takes the lock, waiting for a provider of an earlier run of the
// experiment to end; it returns a diagnostic for address when it does not
// in time.
func (x *exclusive) acquire(ctx context.Context, address string) providers.Diagnostics {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.held != nil || x.name == "" {
		return nil
	}
	busy := func() providers.Diagnostics {
		return providers.Errorf(address, "another provider process of this experiment (left by a benito that was killed) is still changing the host after %s; try again once it has ended", exclusiveWait)
	}
	if x.gaveUp {
		return busy()
	}
	deadline := time.Now().Add(exclusiveWait)
	for {
		l, err := net.Listen("unix", x.name)
		if err == nil {
			x.held = l // never closed: the process's end releases it
			return nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return providers.Errorf(address, "taking the experiment's provider lock: %v", err)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			x.gaveUp = x.gaveUp || ctx.Err() == nil
			return busy()
		}
		time.Sleep(10 * time.Millisecond)
	}
}
