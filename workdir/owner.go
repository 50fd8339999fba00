package workdir

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/state"
)

// OwnerFileName is the file in an experiment's run directory that names
// the state file of the experiment directory that applied it. Everything
// an experiment makes on the host is placed by its name (its run
// directory, its devices' names): the same experiment applied from a
// second directory would adopt the first one's switches and replace its
// nodes. The file makes that an error, naming the other directory.
const OwnerFileName = "benito.owner"

// statePathID is the absolute path of the state file, its directory's
// symbolic links resolved, as the owner file records it.
func (w *Workdir) statePathID() string {
	p, err := filepath.Abs(w.state.Path())
	if err != nil {
		return w.state.Path()
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
		p = filepath.Join(dir, filepath.Base(p))
	}
	return p
}

// ownerPath is the owner file of the configuration's experiment, or "".
func (w *Workdir) ownerPath() string {
	if w.Config == nil || w.Config.Experiment == nil || w.Config.Experiment.Name == "" {
		return ""
	}
	return filepath.Join(w.Config.Experiment.RunDir(), OwnerFileName)
}

// readOwner returns the state file the owner file at path names, "" when
// there is none.
func readOwner(path string) (string, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	b := make([]byte, 4097)
	n, _ := f.Read(b)
	line, _, ok := bytes.Cut(b[:n], []byte("\n"))
	if !ok || len(line) == 0 || !filepath.IsAbs(string(line)) {
		return "", fmt.Errorf("%s does not name a state file (a path on its first line); remove it if nothing of the experiment runs", path)
	}
	return string(line), nil
}

// checkOwner refuses to plan or apply the experiment if another
// experiment directory applied it (its owner file names another state).
func (w *Workdir) checkOwner() error {
	path := w.ownerPath()
	if path == "" {
		return nil
	}
	other, err := readOwner(path)
	if err != nil || other == "" || other == w.statePathID() {
		return err
	}
	return w.ownedElsewhere(path, other)
}

func (w *Workdir) ownedElsewhere(path, other string) error {
	name := w.Config.Experiment.Name
	hint := "Destroy it there first, or give this experiment another name."
	if _, err := os.Stat(other); errors.Is(err, fs.ErrNotExist) {
		hint = fmt.Sprintf("That state file no longer exists: if the directory was moved, run benito from its new place; if the experiment is gone, remove %s.", path)
	}
	return fmt.Errorf("experiment %q is applied from the directory %s (state %s), not from this one (state %s): two directories cannot share an experiment, whose name places everything it makes on the host. %s",
		name, filepath.Dir(other), other, w.statePathID(), hint)
}

// claimOwner writes the owner file before an apply changes anything,
// unless it names this state already; another's is refused.
func (w *Workdir) claimOwner() error {
	path := w.ownerPath()
	if path == "" {
		return nil
	}
	me := w.statePathID()
	release, err := providers.MakeDir(filepath.Dir(path), 0o755)
	if err != nil {
		return fmt.Errorf("creating the run directory: %w", err)
	}
	defer release()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o644)
	if errors.Is(err, fs.ErrExist) {
		other, err := readOwner(path)
		if err != nil {
			return err
		}
		if other != me {
			return w.ownedElsewhere(path, other)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, err = f.WriteString(me + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// releaseOwner removes the owner file once st, just written, records
// nothing: the experiment is destroyed, and its run directory goes with
// the file, if nothing else is in it (providers.PruneRoot).
func (w *Workdir) releaseOwner(st *state.State) {
	path := w.ownerPath()
	if path == "" || len(st.Resources) > 0 {
		return
	}
	if other, err := readOwner(path); err != nil || other != w.statePathID() {
		return
	}
	providers.Prune(func() {
		if os.Remove(path) != nil {
			return
		}
		if run := filepath.Dir(path); os.Remove(run) == nil {
			providers.PruneRoot(filepath.Dir(run))
		}
	})
}
