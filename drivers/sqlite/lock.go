package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/sbpd/sbpd/plugin"
)

// LockFile is the name of the lock file beside the journal, in data_dir:
// the daemon that runs on the journal holds an exclusive lock on it.
const LockFile = "sbpd.lock"

// maxPID bounds the pid read from a lock file (Linux's pid_max is at most
// 2^22); anything else there is no pid.
const maxPID = 1 << 22

// Claim is one process's exclusive hold on a journal: an advisory lock
// (flock) on LockFile in the journal's directory. Two daemons on one
// journal would both reconcile and drive its unfinished payments (two
// cancels of one payment, two payments active on one kiosk), so the daemon
// claims the journal before it opens it. The kernel drops the lock when
// the process ends however it ends (SIGKILL, a power cut), so no stale
// lock is left to remove. Readers (the CLI's journal and settings
// commands, doctor) do not claim it.
type Claim struct {
	path string
	once sync.Once
	f    *os.File
	err  error
}

// InUseError is a journal another process has claimed: the lock file and
// the pid it holds (0 when it holds none that reads as a pid). It is
// plugin.ErrJournalInUse.
type InUseError struct {
	Journal string
	Lock    string
	PID     int
}

func (e *InUseError) Error() string {
	who := "pid unknown"
	if e.PID > 0 {
		who = "pid " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("the journal %s is in use by another sbpd (%s, which holds the lock on %s): two daemons on one journal would both work its payments, so this one does not start; stop that one first (systemctl stop sbpd, or Ctrl+C where sbpd serve or sbpd demo runs), or give this one another data_dir",
		e.Journal, who, e.Lock)
}

func (e *InUseError) Is(target error) bool { return target == plugin.ErrJournalInUse }

// ClaimJournal claims the journal at path for this process: it opens (or
// creates, mode FileMode) LockFile in the journal's directory, which must
// exist, and takes an exclusive lock on it without waiting. While another
// open of that file holds the lock, in this process or another, it
// returns an *InUseError naming the holder's pid and changes nothing. It
// then writes its own pid into the file for that message, and tightens a
// looser mode to FileMode. Release, or the end of the process, lets go.
func ClaimJournal(path string) (*Claim, error) {
	lock := filepath.Join(filepath.Dir(path), LockFile)
	f, err := openLockFile(lock)
	if err != nil {
		return nil, err
	}
	if err := flock(f); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &InUseError{Journal: path, Lock: lock, PID: readPID(f)}
		}
		return nil, fmt.Errorf("sqlite: lock %s: %w", lock, err)
	}
	if err := ownLockFile(f, lock); err != nil {
		f.Close() // lets the lock go
		return nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&^FileMode != 0 {
		f.Chmod(FileMode) // a pid is no secret: a lock that stays looser still locks
	}
	// The pid is only for the message of a refused claim: a full disk
	// that keeps it out must not keep the daemon from starting.
	pid := strconv.Itoa(os.Getpid()) + "\n"
	if n, err := f.WriteAt([]byte(pid), 0); err == nil {
		f.Truncate(int64(n))
	}
	return &Claim{path: lock, f: f}, nil
}

// openLockFile opens the lock file, creating it when it does not exist;
// never through a symbolic link, never a FIFO or device (O_NONBLOCK: no
// open waits for a writer), never anything but a regular file. A
// directory where it cannot be made is plugin.ErrJournalDirNotWritable,
// as for the journal itself.
func openLockFile(lock string) (*os.File, error) {
	f, err := os.OpenFile(lock, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, FileMode)
	switch {
	case errors.Is(err, syscall.ELOOP):
		return nil, fmt.Errorf("sqlite: lock %s: it is a symbolic link, which sbpd does not follow: remove it (rm %s) and start sbpd again", lock, lock)
	case err != nil && !fileExists(lock) && (errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)):
		return nil, fmt.Errorf("sqlite: lock %s: %w", lock, &dirError{dir: filepath.Dir(lock), cause: errors.Unwrap(err)})
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("sqlite: lock %s: %w: it belongs to another user (sbpd run as root?): give it to the user sbpd runs as (chown sbpd:sbpd %s)", lock, errors.Unwrap(err), lock)
	case err != nil:
		return nil, fmt.Errorf("sqlite: lock %s: %w", lock, err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("sqlite: lock %s: not a regular file: remove it and start sbpd again", lock)
	}
	return f, nil
}

// maxLockBytes is the most a lock file of sbpd's holds: a pid and a
// newline, with room to spare.
const maxLockBytes = 32

// ownLockFile refuses a lock file that is not sbpd's to overwrite: one
// that is also another file (a second hard link, to the journal say) or
// holds more than a pid. Writing the pid over it would wipe that.
func ownLockFile(f *os.File, lock string) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("sqlite: lock %s: %w", lock, err)
	}
	names := uint64(1)
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		names = uint64(st.Nlink)
	}
	if names != 1 || fi.Size() > maxLockBytes {
		return fmt.Errorf("sqlite: lock %s: not sbpd's lock file (%d names, %d bytes; sbpd's has one name and holds a pid): move it away (mv %s %s.old) and start sbpd again", lock, names, fi.Size(), lock, lock)
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// flock takes the exclusive lock on f without waiting: EWOULDBLOCK when
// another open file description holds it.
func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// readPID reads the holder's pid from the lock file: at most a few bytes,
// a decimal number and a newline; anything else is 0, unknown.
func readPID(f *os.File) int {
	var b [16]byte
	n, _ := f.ReadAt(b[:], 0)
	s, ok := strings.CutSuffix(string(b[:n]), "\n")
	pid, err := strconv.Atoi(s)
	if !ok || err != nil || pid <= 0 || pid > maxPID {
		return 0
	}
	return pid
}

// Path is the lock file.
func (c *Claim) Path() string { return c.path }

// Release lets the journal go. The lock file stays: a process that has
// just opened it must find its lock on the file at the path, not on one
// removed under it. Calling Release again does nothing.
func (c *Claim) Release() error {
	c.once.Do(func() {
		if err := c.f.Close(); err != nil {
			c.err = fmt.Errorf("sqlite: release %s: %w", c.path, err)
		}
	})
	return c.err
}

// CreateExclusive is Create for the daemon, the one process that works the
// journal's payments: it makes the journal's directory when it does not
// exist, claims the journal (ClaimJournal) before it opens or creates
// anything in it, and then opens it. Close releases the claim once the
// file is closed. While another process holds the journal it returns that
// process's *InUseError.
func CreateExclusive(path string) (*DB, error) {
	if err := makeDir(path); err != nil {
		return nil, err
	}
	c, err := ClaimJournal(path)
	if err != nil {
		return nil, err
	}
	db, err := Open(path)
	if err != nil {
		c.Release()
		return nil, err
	}
	db.claim = c
	return db, nil
}
