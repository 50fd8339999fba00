package workdir

import (
	"context"
	"fmt"

	"github.com/benito-net/benito/state"
)

// ReadState loads the recorded state under the lock, for operation (a word
// shown to whoever is locked out), and releases the lock. It is nil when
// nothing has been applied. With a configuration loaded (Open), a state of
// another experiment is refused.
func (w *Workdir) ReadState(ctx context.Context, operation string) (*state.State, error) {
	lk, err := w.lock(ctx, operation)
	if err != nil {
		return nil, err
	}
	defer lk.Unlock()
	return w.recorded(lk)
}

// EditState changes the recorded state with edit, under the lock, and
// writes it back (keeping the previous version as the backup); nothing is
// written if edit fails. It is an error when nothing has been applied.
func (w *Workdir) EditState(ctx context.Context, operation string, edit func(*state.State) error) error {
	lk, err := w.lock(ctx, operation)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	st, err := w.recorded(lk)
	if err != nil {
		return err
	}
	if st == nil {
		return fmt.Errorf("no state at %s: nothing has been applied there yet", w.state.Path())
	}
	if err := edit(st); err != nil {
		return err
	}
	if err := lk.Write(st); err != nil {
		return err
	}
	return lk.Unlock()
}
