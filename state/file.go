package state

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/benito-net/benito/addrs"
)

// File names the state file of one experiment and its companions (backup,
// journal, lock). It holds nothing but the path: reading and writing go
// through the Locked that Lock returns. Several File values may name the
// same path; their locks then conflict as if they were separate processes.
type File struct {
	path string
}

// version identifies one write of one state.
type version struct {
	lineage string
	serial  uint64
}

// NewFile returns the File for the state at path. Nothing is touched on
// disk until a method is called.
func NewFile(path string) *File {
	return &File{path: path}
}

// Path returns the path of the state file.
func (f *File) Path() string { return f.path }

// BackupPath returns the path that holds the previous version of the state.
func (f *File) BackupPath() string { return f.path + ".backup" }

// JournalPath returns the path of the journal.
func (f *File) JournalPath() string { return f.path + ".journal" }

// LockPath returns the path of the file that carries the lock.
func (f *File) LockPath() string { return f.path + ".lock" }

// LockInfoPath returns the path of the file naming the lock's holder.
func (f *File) LockInfoPath() string { return f.path + ".lock.info" }

func (f *File) tempPattern(target string) string {
	return filepath.Base(target) + ".tmp-*"
}

// Load reads the state. It returns (nil, nil) when there is neither a state
// file nor a journal: the experiment has never been applied.
//
// A journal left by an interrupted run is replayed onto the state and folded
// into a new state file (Serial goes up by one) before Load returns, so a
// second crash cannot lose it. A journal that the state file already
// includes is deleted. A journal that belongs to some other state is an
// error, and both files are left as they are for a human to look at.
func (l *Locked) Load() (*State, error) {
	l.op.Lock()
	defer l.op.Unlock()
	if err := l.held("loading state"); err != nil {
		return nil, err
	}
	return l.load()
}

func (l *Locked) load() (*State, error) {
	f := l.file
	f.removeTemps()

	s, err := f.readStateFile()
	if err != nil {
		return nil, err
	}
	l.seen, l.onDisk = true, nil
	if s != nil {
		l.onDisk = &version{s.Lineage, s.Serial}
	}
	j, err := readJournal(f.JournalPath(), f.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, err
	}

	if j.header == nil {
		// Torn header: the run died inside OpenJournal, before it could
		// record anything.
		if err := f.removeJournal(); err != nil {
			return nil, err
		}
		return s, nil
	}
	h := j.header

	if s == nil {
		if h.Serial != 0 {
			return nil, fmt.Errorf("%s extends serial %d of the state, but %s does not exist; "+
				"restore %s from %s (or from your own copy) and run again, or delete %s to forget the changes it records",
				f.JournalPath(), h.Serial, f.path, f.path, f.BackupPath(), f.JournalPath())
		}
		// The first apply died before its first Write.
		s = &State{
			Experiment: h.Experiment,
			Lineage:    h.Lineage,
			Resources:  map[addrs.Resource]*Resource{},
			Outputs:    map[string]Output{},
		}
	} else {
		if h.Lineage != s.Lineage {
			return nil, fmt.Errorf("%s belongs to a different state (lineage %s) than %s (lineage %s); "+
				"one of them was copied from another experiment. Move the wrong one away and run again",
				f.JournalPath(), h.Lineage, f.path, s.Lineage)
		}
		switch {
		case h.Serial < s.Serial:
			// The run died after Write renamed the new state into place
			// but before it removed the journal; the state has it all.
			if err := f.removeJournal(); err != nil {
				return nil, err
			}
			return s, nil
		case h.Serial > s.Serial:
			return nil, fmt.Errorf("%s extends serial %d of the state, but %s is at serial %d: "+
				"the state file was replaced by an older version (perhaps its backup). "+
				"Put the newer state file back, or delete %s to forget the changes it records",
				f.JournalPath(), h.Serial, f.path, s.Serial, f.JournalPath())
		}
	}

	if len(j.entries) == 0 {
		if err := f.removeJournal(); err != nil {
			return nil, err
		}
		return s, nil
	}
	for _, e := range j.entries {
		e.apply(s)
	}
	if err := l.write(s); err != nil {
		return nil, fmt.Errorf("folding %s into the state: %w", f.JournalPath(), err)
	}
	return s, nil
}

// readStateFile returns (nil, nil) when the state file does not exist.
func (f *File) readStateFile() (*State, error) {
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	s, err := decodeState(data)
	if errors.Is(err, errFormatVersion) {
		return nil, fmt.Errorf("state file %s: %w", f.path, err)
	}
	if err != nil {
		advice := "no backup exists; restore it from your own copy"
		if _, statErr := os.Stat(f.BackupPath()); statErr == nil {
			advice = fmt.Sprintf("the previous version is in %s; check it and copy it over %s to recover", f.BackupPath(), f.path)
		}
		return nil, fmt.Errorf("state file %s is corrupt: %w; %s", f.path, err, advice)
	}
	return s, nil
}

// Write saves s as the new state file. It first bumps s.Serial, so the file
// always carries a serial that no earlier version had.
//
// At no instant is the state file missing or partly written: the new
// version is written to a temp file and renamed over the old one, and the
// old one is kept as BackupPath the same way. Once the new file is in
// place, the journal is removed: the file now includes everything it held.
// A Journal opened by this File stops accepting entries once Write has
// encoded s (Put and Remove then fail with ErrJournalClosed); open a new
// one to carry on recording. s must not change while Write runs.
//
// Write refuses a state whose lineage or serial differs from what this
// lock last loaded or wrote: that state would silently drop whatever the
// file holds beyond it. A lock that has not loaded or written yet writes
// what it is given.
//
// If Write fails, s.Serial is bumped only if the new file was renamed into
// place, and a sealed journal stays on disk for the next Load to replay.
func (l *Locked) Write(s *State) error {
	l.op.Lock()
	defer l.op.Unlock()
	if err := l.held("writing state"); err != nil {
		return err
	}
	return l.write(s)
}

func (l *Locked) write(s *State) error {
	f := l.file
	if s == nil {
		return errors.New("writing state: nil state")
	}
	if s.Lineage == "" {
		return errors.New("writing state: state has no lineage (make it with state.New)")
	}
	if onDisk := l.onDisk; l.seen && onDisk != nil && (s.Lineage != onDisk.lineage || s.Serial != onDisk.serial) {
		return fmt.Errorf("writing state: %s holds serial %d of lineage %s, but this state is serial %d of lineage %s; "+
			"writing it would overwrite changes it does not include", f.path, onDisk.serial, onDisk.lineage, s.Serial, s.Lineage)
	}

	c := *s
	c.Serial = s.Serial + 1
	data, err := encodeState(&c)
	if err != nil {
		return fmt.Errorf("writing state %s: %w", f.path, err)
	}
	// From here on an entry added to the journal could be lost when the
	// journal is removed below, so refuse any instead. The state itself is
	// already encoded: the caller must not change it while Write runs.
	l.sealJournal()
	dir := filepath.Dir(f.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	tmp, err := writeTemp(dir, f.tempPattern(f.path), data)
	if err != nil {
		return fmt.Errorf("writing state %s: %w", f.path, err)
	}
	defer os.Remove(tmp) // a no-op once renamed

	if err := f.backup(); err != nil {
		return fmt.Errorf("writing state %s: keeping the backup: %w", f.path, err)
	}
	if err := os.Rename(tmp, f.path); err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	s.Serial = c.Serial
	l.seen, l.onDisk = true, &version{s.Lineage, s.Serial}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("writing state %s: %w", f.path, err)
	}
	// If this removal is lost to a crash, the journal's serial is now older
	// than the file's and the next Load discards it.
	if err := f.removeJournal(); err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	return nil
}

// backup copies the current state file, if any, to BackupPath, atomically.
// It copies rather than hard-links so the backup never shares an inode that
// someone might still edit in place.
func (f *File) backup() error {
	src, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer src.Close()
	dst := f.BackupPath()
	tmp, err := os.CreateTemp(filepath.Dir(dst), f.tempPattern(dst))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = io.Copy(tmp, src)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// No directory fsync here: the one after the main rename covers both.
	return os.Rename(tmp.Name(), dst)
}

// writeTemp writes data to a new file in dir, synced and mode 0600, and
// returns its name.
func writeTemp(dir, pattern string, data []byte) (string, error) {
	t, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	// CreateTemp asks for 0600 but the umask may have taken bits away.
	err = t.Chmod(0o600)
	if err == nil {
		_, err = t.Write(data)
	}
	if err == nil {
		err = t.Sync()
	}
	if cerr := t.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(t.Name())
		return "", err
	}
	return t.Name(), nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func (f *File) removeJournal() error {
	err := os.Remove(f.JournalPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// removeTemps deletes temp files left by a Write or Lock that was killed.
// Only the lock holder writes, so any temp file present now is garbage.
func (f *File) removeTemps() {
	for _, target := range []string{f.path, f.BackupPath(), f.LockInfoPath()} {
		pattern := filepath.Join(filepath.Dir(target), f.tempPattern(target))
		names, _ := filepath.Glob(pattern)
		for _, n := range names {
			os.Remove(n)
		}
	}
}
