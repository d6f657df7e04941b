package sqlite

// The journal holds the till settings, which may hold secrets: its file and
// the -wal and -shm files SQLite makes beside it are the owner's alone,
// whatever the umask (issue 12). umask is the process's: these tests never
// run in parallel with others.

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// journalFiles are the journal's file and the -wal and -shm beside it.
func journalFiles(path string) []string {
	return []string{path, path + "-wal", path + "-shm"}
}

// withUmask runs f with the process's umask set to mask.
func withUmask(t *testing.T, mask int, f func()) {
	t.Helper()
	old := syscall.Umask(mask)
	defer syscall.Umask(old)
	f()
}

func wantModes(t *testing.T, want os.FileMode, paths ...string) {
	t.Helper()
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
			continue
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s has mode %04o, want %04o", filepath.Base(p), got, want)
		}
	}
}

// TestOpen_NewJournalIsPrivate: under umask 022 sbpd.db used to be created
// 0644, readable by every user of the kiosk.
func TestOpen_NewJournalIsPrivate(t *testing.T) {
	for _, mask := range []int{0o022, 0o002, 0o000, 0o077} {
		withUmask(t, mask, func() {
			dir := t.TempDir()
			os.Chmod(dir, 0o755)
			path := filepath.Join(dir, "sbpd.db")
			db := mustOpenPath(t, path)
			mustCreate(t, db.Journal(), newPayment("p1", "c1", 100, base))
			// Open, the journal has its -wal and -shm.
			t.Logf("umask %04o", mask)
			wantModes(t, 0o600, journalFiles(path)...)
		})
	}
}

// TestOpen_TightensLooseModes: a journal made readable by others (a copy,
// a restore or an older sbpd under umask 022) is tightened when it is
// opened, -wal and -shm included, and ModeFixes says so.
func TestOpen_TightensLooseModes(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	path := filepath.Join(dir, "sbpd.db")
	daemon := mustOpenPath(t, path) // holds the -wal and -shm open
	mustCreate(t, daemon.Journal(), newPayment("p1", "c1", 100, base))
	for _, p := range journalFiles(path) {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(path+"-shm", 0o666)
	db := mustOpenPath(t, path)
	wantModes(t, 0o600, journalFiles(path)...)
	fixes := db.ModeFixes()
	want := []ModeFix{{Path: path, Old: 0o644, New: 0o600}, {Path: path + "-wal", Old: 0o644, New: 0o600}, {Path: path + "-shm", Old: 0o666, New: 0o600}}
	if len(fixes) != len(want) {
		t.Fatalf("ModeFixes = %v, want %v", fixes, want)
	}
	for i := range want {
		if fixes[i] != want[i] {
			t.Errorf("fix %d = %+v, want %+v", i, fixes[i], want[i])
		}
	}
	if got := fixes[0].String(); got != path+" had mode 0644 (other users could read it); now 0600" {
		t.Errorf("%q", got)
	}
	if got := fixes[2].String(); got != path+"-shm had mode 0666 (other users could change it); now 0600" {
		t.Errorf("%q", got)
	}
	// The journal still works, through both handles.
	mustCreate(t, db.Journal(), newPayment("p2", "c2", 100, base))
	if _, err := daemon.Journal().Get(t.Context(), "p2"); err != nil {
		t.Fatal(err)
	}
	// Opened again: nothing to do.
	if again := mustOpenPath(t, path); again.ModeFixes() != nil {
		t.Errorf("ModeFixes after tightening: %v", again.ModeFixes())
	}
}

// TestOpen_PackageGroup: in a directory that lets only its owner and group
// in (the package's /var/lib/sbpd, sbpd:sbpd 0750), the directory's group
// may read the journal: a 0640 journal there, as the unit's UMask=0027
// made them, is left alone; group write is not allowed. Elsewhere 0640 is
// tightened to 0600.
func TestOpen_PackageGroup(t *testing.T) {
	cases := []struct {
		dirMode, fileMode, want os.FileMode
	}{
		{0o750, 0o640, 0o640},
		{0o750, 0o660, 0o640},
		{0o750, 0o644, 0o640},
		{0o700, 0o640, 0o640},
		{0o755, 0o640, 0o600},
		{0o751, 0o640, 0o600},
		{0o750, 0o700, 0o600},
	}
	for _, c := range cases {
		dir := t.TempDir()
		path := filepath.Join(dir, "sbpd.db")
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		os.Chmod(path, c.fileMode)
		os.Chmod(dir, c.dirMode)
		db = mustOpenPath(t, path)
		wantModes(t, c.want, path)
		if fixed := db.ModeFixes() != nil; fixed != (c.want != c.fileMode) {
			t.Errorf("dir %04o file %04o: ModeFixes %v", c.dirMode, c.fileMode, db.ModeFixes())
		}
	}
}

// TestOpen_CannotTighten: a mode Open cannot change (a file of another
// owner, a read-only mount) is reported with the reason; the journal
// still opens.
func TestOpen_CannotTighten(t *testing.T) {
	saved := chmod
	t.Cleanup(func() { chmod = saved })
	chmod = func(string, os.FileMode) error { return &os.PathError{Op: "chmod", Path: "x", Err: syscall.EPERM} }
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	path := filepath.Join(dir, "sbpd.db")
	db := mustOpenPath(t, path)
	db.Close()
	os.Chmod(path, 0o604)
	db = mustOpenPath(t, path)
	fixes := db.ModeFixes()
	if len(fixes) != 1 || fixes[0].Err == nil || fixes[0].New != 0o600 {
		t.Fatalf("%+v", fixes)
	}
	if got := fixes[0].String(); got != path+" had mode 0604 (other users could read it) and could not be changed to 0600: chmod x: operation not permitted" {
		t.Errorf("%q", got)
	}
}

// TestCreate: Create makes a missing data directory (DirMode) and the
// journal in it; an existing one is opened as it is.
func TestCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "var", "lib", "sbpd")
	withUmask(t, 0o022, func() {
		db, err := Create(filepath.Join(dir, "sbpd.db"))
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
	})
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != DirMode {
		t.Fatalf("data dir: %v %v", st, err)
	}
	db, err := Create(filepath.Join(dir, "sbpd.db"))
	if err != nil {
		t.Fatalf("again: %v", err)
	}
	db.Close()
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o600)
	if _, err := Create(filepath.Join(file, "sbpd.db")); err == nil || !strings.Contains(err.Error(), "data_dir") {
		t.Errorf("a file as data_dir: %v", err)
	}
}
