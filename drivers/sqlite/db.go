package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3" // also registers the "sqlite3" database/sql driver

	"github.com/sbpd/sbpd/plugin"
)

// BusyTimeout is how long a statement waits for another process's lock on
// the file before it fails with SQLITE_BUSY.
const BusyTimeout = 5 * time.Second

// readConns is the size of the read-only connection pool.
const readConns = 4

// DB is an open journal file.
type DB struct {
	// Now gives the time for events and rows recorded without one. It
	// defaults to time.Now; set it right after Open, before any use.
	Now func() time.Time

	path    string
	write   *sql.DB // one connection: every write transaction queues here
	read    *sql.DB // read-only connections
	journal *Journal

	modeFixes []ModeFix
	claim     *Claim // CreateExclusive's: released by Close

	mu     sync.Mutex
	closed bool
}

// Open opens the journal at path, creating the file if it does not exist,
// and brings its schema up to date. The directory must exist. A file whose
// schema version is newer than this binary knows is refused with an error
// wrapping plugin.ErrJournalNewer.
//
// The journal and its -wal and -shm files hold the till settings, which may
// hold secrets: Open creates the file with FileMode (0600) whatever the
// umask (SQLite gives the -wal and -shm it creates the database file's
// mode), and tightens a looser mode it finds on any of the three; ModeFixes
// says what it found and did.
func Open(path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: open: empty path")
	}
	if path == ":memory:" {
		return nil, errors.New("sqlite: open :memory:: the journal must be a file")
	}
	db := &DB{Now: time.Now, path: path}
	db.journal = &Journal{db: db}
	db.modeFixes = secureFiles(path)

	ctx := context.Background()
	write, err := db.openWriter(ctx)
	if err != nil {
		return nil, err
	}

	// The read pool opens after the writer has switched the file to WAL.
	read, err := sql.Open("sqlite3", dsn(path, true))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(readConns)
	read.SetMaxIdleConns(readConns)
	if err := read.PingContext(ctx); err != nil {
		read.Close()
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s for reading: %w", path, explainOpen(path, err))
	}
	db.read = read
	return db, nil
}

// busyTries and busyWait bound the retries of a writer's first open that
// SQLite refuses as busy (busySleep waits; tests may replace it).
const (
	busyWait  = 20 * time.Millisecond
	busyTries = int(BusyTimeout / busyWait)
)

var busySleep = time.Sleep

// openWriter opens the one writing connection, checks WAL and migrates.
// Two processes opening a new journal at once (the daemon's first start,
// a first till setting) race to switch it to WAL, and SQLite refuses the
// loser as busy at once, without its busy timeout: that open is tried
// again, for up to BusyTimeout.
func (db *DB) openWriter(ctx context.Context) (*sql.DB, error) {
	for try := 1; ; try++ {
		write, err := db.tryWriter(ctx)
		var se sqlite3.Error
		if err == nil || try >= busyTries || !errors.As(err, &se) || se.Code != sqlite3.ErrBusy {
			return write, err
		}
		busySleep(busyWait)
	}
}

// tryWriter is one try of openWriter; db.write is set when it succeeds.
func (db *DB) tryWriter(ctx context.Context) (*sql.DB, error) {
	write, err := sql.Open("sqlite3", dsn(db.path, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", db.path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	db.write = write
	if err := db.checkWAL(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", db.path, explainOpen(db.path, err))
	}
	if err := migrate(ctx, write, migrationFS(), db.now); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", db.path, err)
	}
	return write, nil
}

// DirMode is the mode Create gives a data directory it makes: the owner's,
// and the group's to read (the Debian package's /var/lib/sbpd).
const DirMode fs.FileMode = 0o750

// Create opens the journal at path, making its directory (DirMode) and the
// journal itself when they do not exist yet: sbpd serve's first start, and
// the first till setting written.
func Create(path string) (*DB, error) {
	if err := makeDir(path); err != nil {
		return nil, err
	}
	return Open(path)
}

// makeDir makes the directory of the journal at path (DirMode) when it
// does not exist yet.
func makeDir(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return fmt.Errorf("data_dir %s: %w", dir, err)
	}
	return nil
}

// OpenExisting opens the journal at path when there is one, and never
// makes one: no file, or an empty file (created but never written, which
// opening would turn into a journal), is no journal yet: nil, nil.
func OpenExisting(path string) (*DB, error) {
	switch st, err := os.Stat(path); {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("journal %s: %w", path, err)
	case st.IsDir():
		return nil, fmt.Errorf("journal %s is a directory, not a database file", path)
	case st.Size() == 0:
		return nil, nil
	}
	return Open(path)
}

// FileMode is the mode of the journal and its -wal and -shm files: the
// owner's alone. A file whose group is its directory's group, in a
// directory that lets nobody else in (the Debian package's /var/lib/sbpd is
// sbpd:sbpd 0750, and its unit's UMask=0027 made journals 0640 before), may
// also be read by that group: GroupFileMode. Nothing else is allowed.
const (
	FileMode      fs.FileMode = 0o600
	GroupFileMode fs.FileMode = 0o640
)

// ModeFix is a journal file Open found with a mode looser than allowed.
type ModeFix = plugin.ModeFix

// ModeFixes lists the journal files whose mode Open found looser than
// allowed (FileMode, or GroupFileMode for the directory's own group), each
// tightened or with the reason it could not be; nil when all were right.
// serve logs them and doctor reports them.
func (db *DB) ModeFixes() []ModeFix { return append([]ModeFix(nil), db.modeFixes...) }

// chmod changes a file's mode; tests make it fail.
var chmod = os.Chmod

// secureFiles creates the journal file with FileMode if it does not exist
// yet, so that SQLite, which gives its -wal and -shm files the database
// file's mode, makes them private too; and tightens whichever of the three
// exists with a looser mode. Errors creating the file are left for SQLite
// to report.
func secureFiles(path string) []ModeFix {
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, FileMode); err == nil {
		f.Chmod(FileMode) // the umask may have taken the owner's bits too
		f.Close()
	}
	dir, _ := os.Stat(filepath.Dir(path))
	var fixes []ModeFix
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		old := fi.Mode().Perm()
		allowed := FileMode
		if sameGroupPrivateDir(fi, dir) {
			allowed = GroupFileMode
		}
		if old&^allowed == 0 {
			continue
		}
		fix := ModeFix{Path: p, Old: old, New: old & allowed}
		fix.Err = chmod(p, fix.New)
		fixes = append(fixes, fix)
	}
	return fixes
}

// sameGroupPrivateDir reports whether the file fi belongs to the group of
// its directory dir, and that directory lets nobody but its owner and group
// in: then the group was chosen for it (the package's sbpd group) and may
// read the journal.
func sameGroupPrivateDir(fi, dir fs.FileInfo) bool {
	if dir == nil || dir.Mode().Perm()&0o007 != 0 {
		return false
	}
	f, ok1 := fi.Sys().(*syscall.Stat_t)
	d, ok2 := dir.Sys().(*syscall.Stat_t)
	return ok1 && ok2 && f.Gid == d.Gid
}

// dirError says which directory cannot be written, and why: SQLite needs
// to create the -wal and -shm files there. It is
// plugin.ErrJournalDirNotWritable.
type dirError struct {
	dir   string
	cause error
}

func (e *dirError) Error() string {
	return fmt.Sprintf("the directory %s is not writable (%v): sbpd writes the journal and its -wal and -shm files there, so make it writable by the user sbpd runs as and check the file system is not read-only", e.dir, e.cause)
}

func (e *dirError) Is(target error) bool { return target == plugin.ErrJournalDirNotWritable }

// explainOpen adds the likely cause to SQLite's "unable to open database
// file", which does not say that the journal's directory is missing or
// cannot be written.
func explainOpen(path string, err error) error {
	dir := filepath.Dir(path)
	st, serr := os.Stat(dir)
	switch {
	case serr != nil:
		return fmt.Errorf("%w; the directory %s cannot be used: %v", err, dir, serr)
	case !st.IsDir():
		return fmt.Errorf("%w; %s is not a directory", err, dir)
	}
	probe, perr := os.CreateTemp(dir, ".sbpd-write-probe-*")
	if perr != nil {
		cause := errors.Unwrap(perr)
		if cause == nil {
			cause = perr
		}
		return fmt.Errorf("%w; %w", err, &dirError{dir: dir, cause: cause})
	}
	probe.Close()
	os.Remove(probe.Name())
	return err
}

// dsn builds a go-sqlite3 data source name. The path goes in as a file: URI
// so that '?', '#' and '%' in a file name cannot be taken for parameters.
// Every connection gets the same pragmas; writers take the write lock at
// BEGIN (BEGIN IMMEDIATE), so a transaction never fails half-way because
// another process started writing first.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(BusyTimeout.Milliseconds()))
	q.Set("_foreign_keys", "on")
	q.Set("_stmt_cache_size", "32") // the journal runs the same few statements all day
	q.Set("_synchronous", "FULL")
	if readOnly {
		q.Set("_query_only", "on")
	} else {
		q.Set("_journal_mode", "WAL")
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: filepath.Clean(path)}).EscapedPath() + "?" + q.Encode()
}

// checkWAL makes sure the file really is in WAL mode: SQLite silently keeps
// the old mode where WAL is impossible (some network file systems).
func (db *DB) checkWAL(ctx context.Context) error {
	var mode string
	if err := db.write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal_mode is %q, not wal: is the file on a local file system?", mode)
	}
	return nil
}

// Path returns the file name the journal was opened with.
func (db *DB) Path() string { return db.path }

// Journal returns the payment journal stored in db.
func (db *DB) Journal() *Journal { return db.journal }

// Ping reads one row through the writer's connection: cheap enough for a
// watchdog every few seconds, whatever the journal's size, and it blocks
// while a transaction holds the writer, so a wedged writer shows as a hung
// Ping. Check reads the whole file.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	err := db.write.QueryRowContext(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM payments LIMIT 1)").Scan(&n)
	if err != nil {
		return fmt.Errorf("sqlite: ping %s: %w", db.path, err)
	}
	return nil
}

// Check runs SQLite's quick integrity check for a health check. It returns
// nil when the file is sound.
func (db *DB) Check(ctx context.Context) error {
	rows, err := db.read.QueryContext(ctx, "PRAGMA quick_check")
	if err != nil {
		return fmt.Errorf("sqlite: check %s: %w", db.path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return fmt.Errorf("sqlite: check %s: %w", db.path, err)
		}
		problems = append(problems, s)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: check %s: %w", db.path, err)
	}
	if len(problems) == 1 && problems[0] == "ok" {
		return nil
	}
	return fmt.Errorf("sqlite: check %s: integrity problems: %s", db.path, strings.Join(problems, "; "))
}

// Close closes the file, and then releases the claim of CreateExclusive.
// Calling it again does nothing and returns nil.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return nil
	}
	db.closed = true
	var errs []error
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	errs = append(errs, db.write.Close())
	err := errors.Join(errs...)
	if err != nil {
		err = fmt.Errorf("sqlite: close %s: %w", db.path, err)
	}
	if db.claim != nil {
		err = errors.Join(err, db.claim.Release()) // the last: no other daemon opens the file before it is closed
	}
	return err
}

func (db *DB) now() time.Time {
	if db.Now != nil {
		return db.Now()
	}
	return time.Now()
}
