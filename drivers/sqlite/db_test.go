package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

func TestOpen_Pragmas(t *testing.T) {
	db := mustOpen(t)
	tests := []struct {
		pool   string
		pragma string
		want   string
	}{
		{"write", "journal_mode", "wal"},
		{"write", "synchronous", "2"}, // FULL
		{"write", "foreign_keys", "1"},
		{"write", "busy_timeout", "5000"},
		{"write", "query_only", "0"},
		{"read", "journal_mode", "wal"},
		{"read", "synchronous", "2"},
		{"read", "foreign_keys", "1"},
		{"read", "busy_timeout", "5000"},
		{"read", "query_only", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.pool+"/"+tt.pragma, func(t *testing.T) {
			pool := db.write
			if tt.pool == "read" {
				pool = db.read
			}
			var got string
			if err := pool.QueryRow("PRAGMA " + tt.pragma).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: %v", tt.pragma, err)
			}
			if got != tt.want {
				t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
			}
		})
	}
}

func TestOpen_ReadPoolCannotWrite(t *testing.T) {
	db := mustOpen(t)
	_, err := db.read.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'x', 0)")
	if err == nil {
		t.Fatal("insert through the read pool succeeded, want query_only to refuse it")
	}
}

// appliedMigrations returns schema_migrations as "version name applied_at".
func appliedMigrations(tb testing.TB, db *DB) []string {
	tb.Helper()
	rows, err := db.read.Query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v int
		var name string
		var at int64
		if err := rows.Scan(&v, &name, &at); err != nil {
			tb.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d %s %d", v, name, at))
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestOpen_MigrationsApplyOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	known, err := loadMigrations(migrationFS())
	if err != nil {
		t.Fatal(err)
	}

	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	first := appliedMigrations(t, db)
	if len(first) != len(known) {
		t.Fatalf("schema_migrations = %q, want %d rows", first, len(known))
	}
	for i, m := range known {
		if !strings.HasPrefix(first[i], fmt.Sprintf("%d %s ", m.version, m.name)) {
			t.Errorf("row %d = %q, want version %d %s", i, first[i], m.version, m.name)
		}
	}
	for _, table := range []string{"payments", "events", "schema_migrations"} {
		var n int
		if err := db.read.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s: count %d, err %v", table, n, err)
		}
	}
	mustCreate(t, db.Journal(), newPayment("p1", "c1", 100, base))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	for i := range 2 {
		db := mustOpenPath(t, path)
		if again := appliedMigrations(t, db); strings.Join(again, "\n") != strings.Join(first, "\n") {
			t.Errorf("reopen %d: schema_migrations = %q, want unchanged %q", i+1, again, first)
		}
		mustGet(t, db.Journal(), "p1")
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpen_RefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	db := mustOpenPath(t, path)
	if _, err := db.write.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db2, err := Open(path)
	if err == nil {
		db2.Close()
		t.Fatal("Open succeeded on a schema from the future")
	}
	if !errors.Is(err, plugin.ErrJournalNewer) {
		t.Errorf("err = %v, want plugin.ErrJournalNewer", err)
	}
	for _, want := range []string{path, "9999", "newer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to mention %q", err, want)
		}
	}
}

func TestOpen_Errors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("this is not a database\n", 200)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want []string
	}{
		{"empty path", "", []string{"empty path"}},
		{"in memory", ":memory:", []string{":memory:", "must be a file"}},
		{"missing directory", filepath.Join(dir, "no", "such", "dir", "journal.db"), []string{filepath.Join(dir, "no", "such", "dir", "journal.db"), "unable to open"}},
		{"not a database", garbage, []string{garbage, "not a database"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(tt.path)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded", tt.path)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestOpen_PathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a?b#c%41 d")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "journal?mode=memory.db")
	db := mustOpenPath(t, path)
	mustCreate(t, db.Journal(), newPayment("p1", "c1", 100, base))
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("journal not at the exact path: %v", err)
	}
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
}

func TestOpen_RelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	db := mustOpenPath(t, "journal.db")
	mustCreate(t, db.Journal(), newPayment("p1", "c1", 100, base))
	if _, err := os.Stat(filepath.Join(dir, "journal.db")); err != nil {
		t.Fatalf("journal not in the working directory: %v", err)
	}
}

func TestOpen_ConcurrentFirstOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	const n = 4
	dbs := make([]*DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = Open(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		defer dbs[i].Close()
	}
	if t.Failed() {
		return
	}
	known, _ := loadMigrations(migrationFS())
	if got := appliedMigrations(t, dbs[0]); len(got) != len(known) {
		t.Errorf("schema_migrations = %q, want each of %d versions once", got, len(known))
	}
}

func TestOpen_TwoHandlesWriteConcurrently(t *testing.T) {
	// A technician's tool may hold the same file open while sbpd writes.
	path := filepath.Join(t.TempDir(), "journal.db")
	a, b := mustOpenPath(t, path), mustOpenPath(t, path)
	const perHandle = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*perHandle)
	for h, db := range []*DB{a, b} {
		wg.Go(func() {
			for i := range perHandle {
				p := newPayment(fmt.Sprintf("h%d-%d", h, i), "c", 100, base.Add(time.Duration(i)))
				if err := db.Journal().Create(context.Background(), p, created(p)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := countRows(t, a, "payments"); got != 2*perHandle {
		t.Errorf("payments = %d, want %d", got, 2*perHandle)
	}
}

func TestDB_Close(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := db.Close(); err != nil {
			t.Errorf("Close #%d: %v", i+1, err)
		}
	}
	if _, err := db.Journal().Get(context.Background(), "x"); err == nil || plugin.ErrorCode(err) == plugin.ENotFound {
		t.Errorf("Get after Close = %v, want a closed-database error", err)
	}
	if err := db.Check(context.Background()); err == nil {
		t.Error("Check after Close succeeded")
	}
}

func TestDB_Ping(t *testing.T) {
	db := mustOpen(t)
	if err := db.Ping(context.Background()); err != nil {
		t.Fatalf("Ping of an empty journal: %v", err)
	}
	mustCreate(t, db.Journal(), newPayment("p1", "c1", 100, base))
	if err := db.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	// A transaction holding the writer makes Ping wait: it fails when its
	// context ends, as the watchdog's bounded check would.
	conn, err := db.write.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := db.Ping(ctx); err == nil {
		t.Error("Ping answered while the writer's only connection was taken")
	}
	conn.Close()
	if err := db.Ping(context.Background()); err != nil {
		t.Fatalf("Ping after the writer is free: %v", err)
	}
	db.Close()
	if err := db.Ping(context.Background()); err == nil {
		t.Error("Ping of a closed journal")
	}
}

func TestDB_Check(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		db := mustOpen(t)
		mustCreate(t, db.Journal(), newPayment("p1", "c1", 100, base))
		if err := db.Check(context.Background()); err != nil {
			t.Fatalf("Check: %v", err)
		}
	})
	t.Run("Corrupt", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "journal.db")
		db := mustOpenPath(t, path)
		for i := range 300 {
			p := newPayment(fmt.Sprintf("p%04d", i), fmt.Sprintf("check-%04d", i), int64(i), base.Add(time.Duration(i)*time.Second))
			p.QRPayload = strings.Repeat("q", 200)
			mustCreate(t, db.Journal(), p)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		corruptIndexPage(t, path)
		db2, err := Open(path) // the schema pages are intact
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer db2.Close()
		err = db2.Check(context.Background())
		if err == nil {
			t.Fatal("Check passed on a damaged file")
		}
		for _, want := range []string{path, "payments_check_id"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("err = %q, want it to mention %s", err, want)
			}
		}
	})
}

// corruptIndexPage overwrites the root page of the payments_check_id index,
// leaving the table pages and the schema readable.
func corruptIndexPage(tb testing.TB, path string) {
	tb.Helper()
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		tb.Fatal(err)
	}
	var root, pageSize int64
	if err := raw.QueryRow("SELECT rootpage FROM sqlite_master WHERE name = 'payments_check_id'").Scan(&root); err != nil {
		tb.Fatal(err)
	}
	if err := raw.QueryRow("PRAGMA page_size").Scan(&pageSize); err != nil {
		tb.Fatal(err)
	}
	raw.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	junk := []byte(strings.Repeat("\xff", int(pageSize)))
	if _, err := f.WriteAt(junk, (root-1)*pageSize); err != nil {
		tb.Fatal(err)
	}
}

func TestDB_DataSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	p := newPayment("p1", "c1", 25990, base)
	mustCreate(t, db.Journal(), p)
	p.State, p.PayMasterID = plugin.StateAwaitingPayment, "pm-1"
	p.UpdatedAt = base.Add(time.Second)
	mustUpdate(t, db.Journal(), p, plugin.Event{Kind: plugin.EvRemoteCreated, At: p.UpdatedAt, Actor: "sbpd"})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = mustOpenPath(t, path)
	got := mustGet(t, db.Journal(), "p1")
	assertSamePayment(t, got, p)
	evs := mustEvents(t, db.Journal(), "p1")
	if len(evs) != 2 || evs[0].Kind != plugin.EvCreated || evs[1].Kind != plugin.EvRemoteCreated {
		t.Errorf("events after reopen = %+v", evs)
	}
}

func TestMigrate_FailedMigrationRollsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	raw, err := sql.Open("sqlite3", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	ctx := context.Background()
	now := func() time.Time { return base }

	broken := fstest.MapFS{
		"0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER); INSERT INTO a VALUES (1); CREATE TABLE oops (;")},
	}
	err = migrate(ctx, raw, broken, now)
	if err == nil || !strings.Contains(err.Error(), "0002_b.sql") {
		t.Fatalf("migrate = %v, want an error naming 0002_b.sql", err)
	}
	if v, _ := schemaVersion(ctx, raw); v != 1 {
		t.Errorf("version after failed 0002 = %d, want 1", v)
	}
	var n int
	raw.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'").Scan(&n)
	if n != 0 {
		t.Error("table b of the failed migration exists")
	}
	raw.QueryRow("SELECT COUNT(*) FROM a").Scan(&n)
	if n != 0 {
		t.Errorf("a has %d rows from the failed migration", n)
	}

	fixed := fstest.MapFS{
		"0001_a.sql": broken["0001_a.sql"],
		"0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER);")},
	}
	if err := migrate(ctx, raw, fixed, now); err != nil {
		t.Fatalf("migrate after fix: %v", err)
	}
	if v, _ := schemaVersion(ctx, raw); v != 2 {
		t.Errorf("version = %d, want 2", v)
	}
}

func TestLoadMigrations(t *testing.T) {
	file := &fstest.MapFile{Data: []byte("SELECT 1;")}
	tests := []struct {
		name    string
		fs      fstest.MapFS
		want    []int
		wantErr string
	}{
		{"sorted", fstest.MapFS{"0002_b.sql": file, "0001_a.sql": file, "README.md": file}, []int{1, 2}, ""},
		{"none", fstest.MapFS{"README.md": file}, nil, "no migrations"},
		{"gap", fstest.MapFS{"0001_a.sql": file, "0003_c.sql": file}, nil, "want 2"},
		{"duplicate", fstest.MapFS{"0001_a.sql": file, "0001_b.sql": file}, nil, "want 2"},
		{"no number", fstest.MapFS{"init.sql": file}, nil, "0001_init.sql"},
		{"short number", fstest.MapFS{"1_init.sql": file}, nil, "0001_init.sql"},
		{"zero", fstest.MapFS{"0000_init.sql": file}, nil, "0001_init.sql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := loadMigrations(tt.fs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.version)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("versions = %v, want %v", got, tt.want)
			}
		})
	}
}

// OpenExisting opens a journal that is there and never makes one.
func TestOpenExisting(t *testing.T) {
	dir := t.TempDir()
	journal := filepath.Join(dir, "journal.db")
	db, err := Open(journal)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		path    string
		opened  bool
		refused string
	}{
		"journal":      {path: journal, opened: true},
		"no file":      {path: filepath.Join(dir, "none.db")},
		"no directory": {path: filepath.Join(dir, "none", "sbpd.db")},
		"empty file":   {path: empty},
		"a directory":  {path: dir, refused: "is a directory, not a database file"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			db, err := OpenExisting(c.path)
			if db != nil {
				defer db.Close()
			}
			if c.refused != "" {
				if err == nil || !strings.Contains(err.Error(), c.refused) {
					t.Fatalf("want %q: %v", c.refused, err)
				}
				return
			}
			if err != nil || (db != nil) != c.opened {
				t.Fatalf("db %v, err %v", db != nil, err)
			}
			if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
				t.Fatalf("the empty file was made a journal: %v %v", fi.Size(), err)
			}
			if _, err := os.Stat(filepath.Join(dir, "none.db")); err == nil {
				t.Fatal("a journal was made")
			}
		})
	}
}

// TestDirError_IsTheShared: a journal directory that cannot be written is
// plugin.ErrJournalDirNotWritable, as a diagnosis tells it apart.
func TestDirError_IsTheShared(t *testing.T) {
	err := fmt.Errorf("unable to open database file; %w", &dirError{dir: "/var/lib/sbpd", cause: errors.New("read-only file system")})
	if !errors.Is(err, plugin.ErrJournalDirNotWritable) || errors.Is(err, plugin.ErrJournalNewer) {
		t.Fatalf("%v", err)
	}
}
