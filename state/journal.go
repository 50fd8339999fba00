package state

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/benito-net/benito/addrs"
)

// journalVersion is the version of the journal's line format.
const journalVersion = 1

// ErrJournalClosed is returned (wrapped) by a Journal's methods after Close,
// or after Write has folded the journal into the state file.
var ErrJournalClosed = errors.New("state journal is closed")

// Journal records changes to a state between two Writes, one line per
// change, so that saving after every resource costs the same however large
// the state is. It is safe for concurrent use.
//
// Every Put and Remove that returned nil survives the process being killed;
// see the package documentation for what survives a machine crash.
type Journal struct {
	owner *Locked
	path  string

	mu  sync.Mutex
	f   *os.File // nil once closed or sealed
	err error    // why writing is refused; nil while f is open
}

// journalHeader is the first line of a journal. It names the state the
// entries apply to: the one with this lineage at this serial.
type journalHeader struct {
	Journal    int    `json:"journal"`
	Experiment string `json:"experiment"`
	Lineage    string `json:"lineage"`
	Serial     uint64 `json:"serial"`
}

// journalEntry is every line after the header: exactly one of Put and
// Remove is set.
type journalEntry struct {
	Put    *resourceJSON `json:"put,omitempty"`
	Remove string        `json:"remove,omitempty"`
}

// OpenJournal starts a journal of changes to s, which must be the state as
// last loaded or written through l: Load (or Write) must come first, and
// s.Serial must be the serial on disk (0 if there is no state file yet).
// Record each change with Put or Remove as soon as it is made; finish with
// Write, then Close. Outputs are not journaled: Write records them.
//
// It fails if a journal already exists on disk: that one holds changes that
// are not in the state file yet, and Load must fold them first.
func (l *Locked) OpenJournal(s *State) (*Journal, error) {
	l.op.Lock()
	defer l.op.Unlock()
	if err := l.held("opening the journal of state"); err != nil {
		return nil, err
	}
	f := l.file
	if s == nil || s.Lineage == "" {
		return nil, errors.New("opening state journal: state has no lineage (make it with state.New)")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.journal != nil {
		return nil, fmt.Errorf("opening state journal: %s is already open; Close it or Write the state first", f.JournalPath())
	}
	switch {
	case !l.seen:
		return nil, errors.New("opening state journal: Load the state first, so the journal can name the state it extends")
	case l.onDisk == nil && s.Serial != 0,
		l.onDisk != nil && (s.Lineage != l.onDisk.lineage || s.Serial != l.onDisk.serial):
		return nil, fmt.Errorf("opening state journal: the state given is serial %d of lineage %s, not the one %s holds; "+
			"journal changes to the state that was loaded or written last", s.Serial, s.Lineage, f.path)
	}
	path := f.JournalPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("opening state journal: %w", err)
	}
	// O_EXCL: truncating a journal we did not write would lose changes.
	fd, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("opening state journal: %s already exists and holds changes not yet in %s; Load the state first, which folds them in",
			path, f.path)
	}
	if err != nil {
		return nil, fmt.Errorf("opening state journal: %w", err)
	}
	line, err := json.Marshal(journalHeader{
		Journal:    journalVersion,
		Experiment: s.Experiment,
		Lineage:    s.Lineage,
		Serial:     s.Serial,
	})
	if err == nil {
		err = fd.Chmod(0o600) // the umask may have taken bits away
	}
	if err == nil {
		_, err = fd.Write(append(line, '\n'))
	}
	// Syncing once here makes the journal's existence and header durable;
	// it costs one fsync per run, not per resource.
	if err == nil {
		err = fd.Sync()
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		fd.Close()
		os.Remove(path)
		return nil, fmt.Errorf("opening state journal %s: %w", path, err)
	}
	j := &Journal{owner: l, path: path, f: fd}
	l.journal = j
	return j, nil
}

// Put records that r now exists as given: it adds r, or replaces the
// resource at r.Addr. r is encoded before Put returns, so the caller may
// change it afterwards.
func (j *Journal) Put(r *Resource) error {
	if r == nil {
		return errors.New("state journal: Put(nil)")
	}
	rj, err := encodeResource(r)
	if err != nil {
		return fmt.Errorf("state journal: %w", err)
	}
	return j.write(journalEntry{Put: &rj})
}

// Remove records that the resource at a no longer exists.
func (j *Journal) Remove(a addrs.Resource) error {
	if !addrs.ValidName(a.Type) || !addrs.ValidName(a.Name) {
		return fmt.Errorf("state journal: invalid resource address %q", a)
	}
	return j.write(journalEntry{Remove: a.String()})
}

func (j *Journal) write(e journalEntry) error {
	line, err := json.Marshal(e) // outside the lock: Puts encode in parallel
	if err != nil {
		return fmt.Errorf("state journal: %w", err)
	}
	line = append(line, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return j.err
	}
	// One write(2) per line on an O_APPEND file, so a killed process leaves
	// whole lines and at most one torn line at the end.
	if _, err := j.f.Write(line); err != nil {
		// A partial write would sit in the middle of the journal if later
		// lines followed it, making the journal unreadable; stop here so it
		// stays a torn tail, which replay ignores.
		j.f.Close()
		j.f = nil
		j.err = fmt.Errorf("state journal %s: an earlier write failed: %w", j.path, err)
		return fmt.Errorf("state journal %s: %w", j.path, err)
	}
	return nil
}

// Sync flushes the entries written so far to disk, so they survive a
// machine crash too. Put and Remove do not sync, to stay cheap; call Sync
// at points where losing the recent entries to a power cut would hurt.
func (j *Journal) Sync() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return j.err
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("state journal %s: %w", j.path, err)
	}
	return nil
}

// Close syncs and closes the journal. The file stays on disk until the
// next Write (or Load) folds it into the state. Closing a journal that
// Write has already folded, that Unlock has sealed, or closing twice,
// returns nil.
func (j *Journal) Close() error {
	err := j.seal(fmt.Errorf("%w: %s", ErrJournalClosed, j.path))
	l := j.owner
	l.mu.Lock()
	if l.journal == j {
		l.journal = nil
	}
	l.mu.Unlock()
	return err
}

// seal stops further entries, giving reason to whoever tries.
func (j *Journal) seal(reason error) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Sync()
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	j.f = nil
	j.err = reason
	if err != nil {
		return fmt.Errorf("state journal %s: %w", j.path, err)
	}
	return nil
}

// takeJournal detaches the journal open on l, if any.
func (l *Locked) takeJournal() *Journal {
	l.mu.Lock()
	defer l.mu.Unlock()
	j := l.journal
	l.journal = nil
	return j
}

// sealJournal stops the journal open on l, before Write replaces the state
// it extends.
func (l *Locked) sealJournal() {
	j := l.takeJournal()
	if j == nil {
		return
	}
	// The sync inside seal matters only if the Write that follows fails and
	// the journal has to carry the changes until the next Load; a failure
	// here is not a reason to refuse the Write that makes it moot.
	j.seal(fmt.Errorf("%w: Write folded %s into %s; open a new journal to record more",
		ErrJournalClosed, j.path, l.file.path))
}

// change is one replayed journal entry.
type change struct {
	put    *Resource // nil for a removal
	remove addrs.Resource
}

func (c change) apply(s *State) {
	if c.put != nil {
		s.Resources[c.put.Addr] = c.put
		return
	}
	delete(s.Resources, c.remove)
}

// journalContents is a journal as read back. header is nil when the
// process died before the header was whole.
type journalContents struct {
	header  *journalHeader
	entries []change
}

// readJournal reads the journal at path. The error wraps fs.ErrNotExist if
// there is none.
//
// A killed writer leaves at most its last line torn, so a final line that
// lacks its newline or does not parse is dropped. Any other bad line means
// the file was damaged some other way, and is an error: replaying around
// it could resurrect a resource that a later line removed.
func readJournal(path, statePath string) (*journalContents, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading state journal: %w", err)
	}
	defer fd.Close()
	r := bufio.NewReaderSize(fd, 1<<16)

	var (
		jc      journalContents
		pending error // a bad line, forgiven only if it turns out to be the last
		lineNo  int
	)
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			// Whatever is in line is a torn tail, which is forgivable only
			// if nothing else is wrong: a kill tears one line, not two.
			if len(line) > 0 && pending != nil {
				return nil, pending
			}
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading state journal: %w", err)
		}
		lineNo++
		if pending != nil {
			return nil, pending
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		if lineNo == 1 {
			h, err := parseJournalHeader(line)
			if err != nil {
				pending = fmt.Errorf("state journal %s line 1 is not a journal header: %w; move it away if it is not benito's", path, err)
				continue
			}
			if h.Journal != journalVersion {
				return nil, fmt.Errorf("state journal %s has version %d; this benito reads version %d", path, h.Journal, journalVersion)
			}
			jc.header = h
			continue
		}
		c, err := parseJournalEntry(line)
		if err != nil {
			pending = fmt.Errorf("state journal %s line %d is corrupt: %w; "+
				"it cannot be replayed. Move it away to carry on from %s alone, forgetting the changes it records",
				path, lineNo, err, statePath)
			continue
		}
		jc.entries = append(jc.entries, c)
	}
	return &jc, nil
}

func parseJournalHeader(line []byte) (*journalHeader, error) {
	var h journalHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return nil, err
	}
	if h.Journal == 0 || h.Lineage == "" {
		return nil, errors.New("not a journal header")
	}
	return &h, nil
}

func parseJournalEntry(line []byte) (change, error) {
	var e journalEntry
	if err := json.Unmarshal(line, &e); err != nil {
		return change{}, err
	}
	switch {
	case e.Put != nil && e.Remove == "":
		r, err := decodeResource(e.Put)
		if err != nil {
			return change{}, err
		}
		return change{put: r}, nil
	case e.Put == nil && e.Remove != "":
		a, err := addrs.ParseResource(e.Remove)
		if err != nil {
			return change{}, err
		}
		return change{remove: a}, nil
	default:
		return change{}, errors.New("want exactly one of put and remove")
	}
}
