package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Version is the benito version recorded in lock info, so that whoever is
// locked out can tell which benito holds the lock. The main package sets it.
var Version = "dev"

// lockRetry is how often a Lock with a timeout tries again.
const lockRetry = 100 * time.Millisecond

// LockInfo says who holds the lock. It is stored, as JSON, in the file at
// LockInfoPath while the lock is held.
type LockInfo struct {
	ID        string    `json:"id"`
	Operation string    `json:"operation"`
	Who       string    `json:"who"` // user@host
	PID       int       `json:"pid"`
	Created   time.Time `json:"created"`
	Version   string    `json:"version"`
}

// LockedError is returned by Lock when someone else holds the lock.
type LockedError struct {
	Path   string        // the state file
	Info   *LockInfo     // nil if the holder's info could not be read
	Waited time.Duration // how long Lock waited before giving up; 0 if it did not wait
}

func (e *LockedError) Error() string {
	var who string
	if e.Info == nil {
		who = fmt.Sprintf("state %s is locked by another process (it has not written %s.lock.info yet, or it could not be read)", e.Path, e.Path)
	} else {
		i := e.Info
		who = fmt.Sprintf("state is locked by %s (pid %d), running %q since %s (lock ID %s)",
			i.Who, i.PID, i.Operation, i.Created.UTC().Format(time.RFC3339), i.ID)
	}
	if e.Waited > 0 {
		return fmt.Sprintf("%s; still locked after waiting %s; wait for it to finish, or retry with a longer -lock-timeout", who, e.Waited)
	}
	return who + "; wait for it to finish, or retry with -lock-timeout=DURATION"
}

// Lock takes the state's lock for operation (a word such as "apply", shown
// to whoever is locked out). If the lock is held it fails at once with a
// *LockedError when timeout is 0, and otherwise retries until timeout
// passes or ctx is done.
//
// The returned Locked is the only way to read or write the state and its
// journal; Unlock it when finished.
//
// The lock is an flock on LockPath, so the kernel releases it when its
// holder dies, however it dies; LockPath and LockInfoPath may then outlive
// their holder, and are simply taken over by the next one. Unlock removes
// both, so a directory holds them only while someone runs. An flock
// belongs to an open file, not a process: two Files in one process
// exclude each other too.
//
// LockPath is never followed if it is a symbolic link: root would create
// or lock whatever file it points to.
func (f *File) Lock(ctx context.Context, operation string, timeout time.Duration) (*Locked, error) {
	if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
		return nil, fmt.Errorf("locking state: %w", err)
	}
	fd, err := f.openLock()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	var timer *time.Timer
	for {
		err := flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			// The holder we waited for removes the file before it lets go:
			// a lock on a file no longer at LockPath excludes nobody.
			current, err := f.isLockFile(fd)
			if err != nil {
				flock(fd, unix.LOCK_UN)
				fd.Close()
				return nil, err
			}
			if current {
				break
			}
			flock(fd, unix.LOCK_UN)
			fd.Close()
			if fd, err = f.openLock(); err != nil {
				return nil, err
			}
			continue
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			fd.Close()
			return nil, fmt.Errorf("locking state %s: %w", f.LockPath(), err)
		}
		elapsed := time.Since(start)
		if elapsed >= timeout {
			fd.Close()
			return nil, f.lockedError(elapsed, timeout)
		}
		if timer == nil {
			timer = time.NewTimer(lockRetry)
			defer timer.Stop()
		} else {
			timer.Reset(lockRetry)
		}
		select {
		case <-ctx.Done():
			fd.Close()
			return nil, fmt.Errorf("%w (%w)", f.lockedError(time.Since(start), timeout), ctx.Err())
		case <-timer.C:
		}
	}

	info := LockInfo{
		ID:        newUUID(),
		Operation: operation,
		Who:       whoAmI(),
		PID:       os.Getpid(),
		Created:   time.Now().UTC().Truncate(time.Second),
		Version:   Version,
	}
	if err := f.writeLockInfo(&info); err != nil {
		os.Remove(f.LockPath())
		flock(fd, unix.LOCK_UN)
		fd.Close()
		return nil, fmt.Errorf("locking state: %w", err)
	}
	return &Locked{file: f, fd: fd}, nil
}

// openLock opens (creating it) the file that carries the lock, refusing a
// symbolic link.
func (f *File) openLock() (*os.File, error) {
	fd, err := os.OpenFile(f.LockPath(), os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW, 0o600)
	if errors.Is(err, unix.ELOOP) {
		return nil, fmt.Errorf("locking state: %s is a symbolic link, which benito does not follow; remove it (it holds nothing) and try again", f.LockPath())
	}
	if err != nil {
		return nil, fmt.Errorf("locking state: %w", err)
	}
	return fd, nil
}

// isLockFile reports whether fd is still the file at LockPath.
func (f *File) isLockFile(fd *os.File) (bool, error) {
	var held, named unix.Stat_t
	if err := unix.Fstat(int(fd.Fd()), &held); err != nil {
		return false, fmt.Errorf("locking state: %w", err)
	}
	if err := unix.Lstat(f.LockPath(), &named); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return false, nil
		}
		return false, fmt.Errorf("locking state: %w", err)
	}
	return held.Dev == named.Dev && held.Ino == named.Ino, nil
}

// ErrUnlocked is returned (wrapped) by a Locked's methods after Unlock.
var ErrUnlocked = errors.New("the state lock has been released")

// Locked is a state file whose lock this process holds. It is the only way
// to load the state, write it or open its journal, so that code which has
// not taken the lock cannot touch the state; once Unlock has returned, it
// refuses them all, and the journal it opened refuses further entries.
//
// A Locked also remembers what it last loaded or wrote, so that Write and
// OpenJournal can refuse a state that is not the one the file holds: such
// a state would silently drop whatever the file holds beyond it, and a
// journal based on the wrong serial would later be discarded as stale, or
// replayed onto the wrong base. A new Locked knows nothing of earlier
// holders: what the file held then may have changed since.
//
// Its methods are safe for concurrent use; Load, Write, OpenJournal and
// Unlock run one at a time.
type Locked struct {
	file *File
	fd   *os.File // carries the flock; nil once unlocked

	// op runs Load, Write, OpenJournal and Unlock one at a time, so that
	// the lock is never released in the middle of a write.
	op sync.Mutex
	// What Load or Write last found on disk (guarded by op).
	seen   bool
	onDisk *version // nil: no state file

	mu      sync.Mutex
	journal *Journal // the journal open on this lock, sealed by Write and Unlock
}

// File returns the state file this lock is on, for its paths.
func (l *Locked) File() *File { return l.file }

// held returns ErrUnlocked, wrapped for what, once the lock is released.
// The caller holds l.op.
func (l *Locked) held(what string) error {
	if l.fd == nil {
		return fmt.Errorf("%s %s: %w", what, l.file.path, ErrUnlocked)
	}
	return nil
}

// Unlock releases the lock, after sealing the journal opened on it: its
// entries stay on disk for the next Load to fold in. Calling Unlock again
// does nothing and returns nil.
func (l *Locked) Unlock() error {
	l.op.Lock()
	defer l.op.Unlock()
	if l.fd == nil {
		return nil
	}
	var err error
	if j := l.takeJournal(); j != nil {
		err = j.seal(fmt.Errorf("%w: the state lock was released", ErrJournalClosed))
	}
	// Remove the info and the lock file while still holding the lock, or
	// it could delete those of whoever takes the lock next. Whoever waits
	// on the removed file finds it gone once it has it, and opens LockPath
	// again (Lock).
	for _, p := range []string{l.file.LockInfoPath(), l.file.LockPath()} {
		if rerr := os.Remove(p); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
			err = rerr
		}
	}
	if ferr := flock(l.fd, unix.LOCK_UN); ferr != nil && err == nil {
		err = ferr
	}
	if cerr := l.fd.Close(); cerr != nil && err == nil {
		err = cerr
	}
	l.fd = nil
	if err != nil {
		return fmt.Errorf("unlocking state: %w", err)
	}
	return nil
}

func flock(fd *os.File, how int) error {
	for {
		err := unix.Flock(int(fd.Fd()), how)
		if err != unix.EINTR {
			return err
		}
	}
}

// lockedError describes the current holder. waited is reported only when
// the caller asked to wait.
func (f *File) lockedError(waited, timeout time.Duration) *LockedError {
	e := &LockedError{Path: f.path, Info: f.readLockInfo()}
	if timeout > 0 {
		e.Waited = waited.Round(time.Millisecond)
	}
	return e
}

func (f *File) readLockInfo() *LockInfo {
	data, err := os.ReadFile(f.LockInfoPath())
	if err != nil {
		return nil
	}
	var i LockInfo
	if err := json.Unmarshal(data, &i); err != nil {
		return nil
	}
	return &i
}

// writeLockInfo replaces the info file atomically, so whoever is locked
// out never reads half of it.
func (f *File) writeLockInfo(i *LockInfo) error {
	data, err := json.MarshalIndent(i, "", "  ")
	if err != nil {
		return err
	}
	path := f.LockInfoPath()
	tmp, err := writeTemp(filepath.Dir(path), f.tempPattern(path), append(data, '\n'))
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func whoAmI() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = "uid" + strconv.Itoa(os.Getuid())
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return name + "@" + host
}
