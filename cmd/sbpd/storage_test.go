package main

// Storage faults (issue 7, item 4): a journal that cannot be written (made
// immutable while the daemon runs), a full disk (a 1 MB tmpfs as data_dir),
// a corrupt journal and a journal locked by another process. sbpd must
// refuse new payments with a clear 503, keep reporting a payment in
// progress, lose nothing, and work again once the fault is gone.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/plugin"
)

// wantJournalUnavailable asserts a till API answer is the journal's 503.
func wantJournalUnavailable(t *testing.T, status int, body []byte) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	json.Unmarshal(body, &e)
	if status != http.StatusServiceUnavailable || e.Error.Code != "journal_unavailable" ||
		!strings.Contains(e.Error.Message, "journal") {
		t.Fatalf("HTTP %d %s, want 503 journal_unavailable with a message", status, body)
	}
}

// immutable sets or clears chattr +i on paths; it reports false when the
// file system or the user cannot.
func immutable(t *testing.T, on bool, paths ...string) bool {
	t.Helper()
	flag := "-i"
	if on {
		flag = "+i"
	}
	if _, err := exec.LookPath("chattr"); err != nil {
		return false
	}
	out, err := exec.Command("chattr", append([]string{flag}, paths...)...).CombinedOutput()
	if err != nil {
		if on {
			t.Logf("chattr +i: %v: %s", err, out)
		}
		return false
	}
	return true
}

// TestStorage_JournalReadOnly makes the journal's directory, file and WAL
// immutable (chattr +i: root ignores chmod) while a payment is in progress.
// The payment keeps being reported through the till API; its paid status
// is not lost but committed once the journal is writable again; a new
// payment is refused with 503 journal_unavailable while the fault lasts.
// The shared-memory index (sbpd.db-shm) is left writable: SQLite maps it,
// and an immutable mapped file would be a SIGBUS, not a storage fault.
func TestStorage_JournalReadOnly(t *testing.T) {
	h := newE2E(t)
	a := h.start("RO-1", 25990, false)
	if a.State != plugin.StateAwaitingPayment {
		t.Fatalf("state %s", a.State)
	}
	files := []string{h.dataDir, h.dbPath(), h.dbPath() + "-wal"}
	if !immutable(t, true, files...) {
		t.Skip("chattr +i is not available here (needs root and a file system with attributes)")
	}
	t.Cleanup(func() { immutable(t, false, files...) })

	// The payment in progress is still reported, and still pollable.
	if got := h.get(a.ID); got.State != plugin.StateAwaitingPayment || got.QRPayload == "" {
		t.Fatalf("payment in progress reported as %s", got.State)
	}
	h.sb.Pay(a.PayMasterID)
	gets := h.sb.PaymentCalls(a.PayMasterID, sandbox.KindGet)
	// The runner learns it is paid but cannot commit it: the till keeps
	// seeing the last committed state, never a state that is not on disk.
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		h.clock.BlockUntilContext(ctx, 1)
		cancel()
		h.clock.Advance(poll)
		if got := h.get(a.ID); got.State != plugin.StateAwaitingPayment {
			t.Fatalf("state %s reported while the journal cannot record it", got.State)
		}
	}
	if n := h.sb.PaymentCalls(a.PayMasterID, sandbox.KindGet); n == gets {
		t.Fatal("sbpd did not poll PayMaster while the journal was read-only")
	}
	st, b := h.do("GET", "/healthz", "")
	if st == 0 || len(b) == 0 {
		t.Fatalf("healthz: %d", st)
	}

	// Writable again: the paid status is committed, nothing was lost.
	if !immutable(t, false, files...) {
		t.Fatal("chattr -i failed")
	}
	h.until(a.ID, plugin.StatePaid, poll, 5)

	// Read-only with the kiosk free: a new payment is refused clearly,
	// and nothing reaches PayMaster.
	if !immutable(t, true, files...) {
		t.Fatal("chattr +i failed the second time")
	}
	before := len(h.sb.Payments())
	st, b = h.do("POST", "/api/v1/payments", `{"check_id":"RO-2","amount":100}`)
	wantJournalUnavailable(t, st, b)
	if n := len(h.sb.Payments()); n != before {
		t.Fatalf("a refused payment reached PayMaster: %d payments, was %d", n, before)
	}
	if got := h.get(a.ID); got.State != plugin.StatePaid {
		t.Fatalf("paid payment reads as %s", got.State)
	}
	immutable(t, false, files...)
	b2 := h.start("RO-2", 100, false)
	if b2.State != plugin.StateAwaitingPayment {
		t.Fatalf("after the fault: %s", b2.State)
	}
	if kinds := h.events(a.ID); len(kinds) == 0 || kinds[0] != plugin.EvCreated {
		t.Fatalf("events of the paid payment: %v", kinds)
	}
}

// TestStorage_DiskFull runs the daemon on a 1 MB tmpfs, fills it, and
// asks for a payment: a clear 503, no crash, the paid payment before it
// still there; with space again payments work. Needs root (mount).
func TestStorage_DiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m,mode=0750", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", mnt, err, out)
		}
	})
	h := newE2E(t, func(c *config.Config) { c.DataDir = mnt })
	h.dataDir = mnt
	a := h.start("FULL-1", 25990, false)
	h.sb.Pay(a.PayMasterID)
	h.until(a.ID, plugin.StatePaid, poll, 2)

	filler := filepath.Join(mnt, "filler")
	fill(t, filler)
	before := len(h.sb.Payments())
	st, b := h.do("POST", "/api/v1/payments", `{"check_id":"FULL-2","amount":100}`)
	if st == http.StatusCreated {
		// SQLite reused WAL space it already had: the payment is on disk,
		// which is fine; the next write must fail or succeed the same way.
		t.Logf("the journal still had room in its WAL: %s", b)
	} else {
		wantJournalUnavailable(t, st, b)
		if n := len(h.sb.Payments()); n != before {
			t.Fatalf("a refused payment reached PayMaster")
		}
	}
	if got := h.get(a.ID); got.State != plugin.StatePaid {
		t.Fatalf("paid payment reads as %s on a full disk", got.State)
	}
	if st, _ := h.do("GET", "/healthz", ""); st == 0 {
		t.Fatal("no health answer")
	}
	os.Remove(filler)
	if st != http.StatusCreated {
		c := h.start("FULL-2", 100, false)
		if c.State != plugin.StateAwaitingPayment {
			t.Fatalf("after freeing space: %s", c.State)
		}
	}
	h.restart() // the journal reopens: everything recorded is there
	if got := h.get(a.ID); got.State != plugin.StatePaid {
		t.Fatalf("after restart the paid payment is %s", got.State)
	}
	if err := h.d.DB.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// fill writes zeros to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for i := 0; i < 1<<20; i++ {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill: %v", err)
			}
			return
		}
	}
	t.Fatal("the file system never filled up")
}

// TestStorage_CorruptJournalServe: `sbpd serve` on a file that is not a
// database refuses to start with one line naming the file. `sbpd doctor`
// on the same fault is TestDoctor_CorruptJournal (doctor_test.go).
func TestStorage_CorruptJournalServe(t *testing.T) {
	sb := newSandbox(t)
	path := writeConfig(t, sb, "")
	dataDir := filepath.Join(filepath.Dir(path), "data")
	os.MkdirAll(dataDir, 0o750)
	db := filepath.Join(dataDir, "sbpd.db")
	garbage := []byte(strings.Repeat("this is not an SQLite database\n", 200))
	if err := os.WriteFile(db, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, done := runCLI(context.Background(), "serve", "--config", path)
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("serve started on a corrupt journal")
	}
	if err == nil || !strings.Contains(err.Error(), db) || !strings.Contains(err.Error(), "not a database") ||
		strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %q, want one line naming %s and the problem", err, db)
	}
	if strings.Contains(stderr.String(), "sbpd ready") {
		t.Fatal("serve said it was ready")
	}
	if b, _ := os.ReadFile(db); string(b) != string(garbage) {
		t.Fatal("serve changed the damaged journal")
	}
}

// TestStorage_LockedJournal: another process holds the journal's write
// lock (BEGIN EXCLUSIVE on its own connection). A new payment fails within
// the busy timeout (sqlite.BusyTimeout, 5 s) with 503; reads still work;
// once the lock is released the same request succeeds.
func TestStorage_LockedJournal(t *testing.T) {
	h := newE2E(t)
	a := h.start("LOCK-0", 100, false)
	h.sb.Pay(a.PayMasterID)
	h.until(a.ID, plugin.StatePaid, poll, 2)

	other, err := sql.Open("sqlite3", "file:"+h.dbPath()+"?_busy_timeout=0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	locked := true
	defer func() {
		if locked {
			conn.ExecContext(ctx, "ROLLBACK")
		}
	}()

	start := time.Now()
	st, b := h.do("POST", "/api/v1/payments", `{"check_id":"LOCK-1","amount":100}`)
	took := time.Since(start)
	wantJournalUnavailable(t, st, b)
	if took < sqlite.BusyTimeout/2 || took > sqlite.BusyTimeout+5*time.Second {
		t.Fatalf("refused after %v, want about the busy timeout %v", took, sqlite.BusyTimeout)
	}
	if len(h.sb.Payments()) != 1 {
		t.Fatal("a refused payment reached PayMaster")
	}
	if got := h.get(a.ID); got.State != plugin.StatePaid { // reads are not blocked (WAL)
		t.Fatalf("paid payment reads as %s", got.State)
	}

	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	locked = false
	p := h.start("LOCK-1", 100, false)
	if p.State != plugin.StateAwaitingPayment {
		t.Fatalf("after the lock: %s", p.State)
	}
}

// TestStorage_ReadOnlyDataDirAtStart: the journal exists but its directory
// cannot be written (chattr +i; root ignores chmod). serve refuses to start
// with one line naming the directory and the fix, and doctor fails the
// Journal check with the same cause; the journal is left as it was.
func TestStorage_ReadOnlyDataDirAtStart(t *testing.T) {
	k := newDoctorKiosk(t, nil)
	os.MkdirAll(k.dataDir, 0o750)
	db, err := sqlite.Open(filepath.Join(k.dataDir, "sbpd.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, _ := os.ReadFile(filepath.Join(k.dataDir, "sbpd.db"))
	if !immutable(t, true, k.dataDir) {
		t.Skip("chattr +i is not available here (needs root and a file system with attributes)")
	}
	t.Cleanup(func() { immutable(t, false, k.dataDir) })

	_, stderr, done := runCLI(context.Background(), "serve", "--config", k.write(t))
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("serve started on a read-only data directory")
	}
	if err == nil || !strings.Contains(err.Error(), "the directory "+k.dataDir+" is not writable") ||
		!strings.Contains(err.Error(), "make it writable by the user sbpd runs as") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("serve: %v; want one line naming %s as not writable, with the fix", err, k.dataDir)
	}
	if strings.Contains(stderr.String(), "sbpd ready") {
		t.Fatal("serve said it was ready")
	}

	out, r := k.doctorJSON(t)
	wantDoctorFailed(t, r, "Journal")
	out.wantCheck(t, "Journal", statusFail, "the journal's directory "+k.dataDir+" is not writable", "chown -R sbpd:sbpd "+k.dataDir)
	if after, _ := os.ReadFile(filepath.Join(k.dataDir, "sbpd.db")); string(after) != string(before) {
		t.Error("the journal changed")
	}
}

// TestStorage_JournalPrivateUnderUmask: under umask 022 the daemon used to
// create sbpd.db (the journal and the till settings, secrets included) and
// its -wal and -shm 0644, readable by every user of the kiosk. They are
// 0600 whatever the umask, and a journal made readable by others (a copy,
// a restore) is tightened at the next start. umask is the process's: this
// test must not run in parallel.
func TestStorage_JournalPrivateUnderUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	h := newE2E(t)
	os.Chmod(h.dataDir, 0o755) // a data_dir other users may enter
	if p := h.start("UM-1", 100, false); p.State != plugin.StateAwaitingPayment {
		t.Fatalf("state %s", p.State)
	}
	files := []string{h.dbPath(), h.dbPath() + "-wal", h.dbPath() + "-shm"}
	wantMode := func(when string) {
		t.Helper()
		for i, p := range files {
			fi, err := os.Stat(p)
			if err != nil {
				if i == 0 || !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s: %v", when, err)
				}
			} else if fi.Mode().Perm() != sqlite.FileMode {
				t.Errorf("%s: %s has mode %04o, want %04o", when, filepath.Base(p), fi.Mode().Perm(), sqlite.FileMode)
			}
		}
	}
	wantMode("created")
	for _, p := range files {
		os.Chmod(p, 0o644)
	}
	h.restart()
	wantMode("after a restart")
	if fixes := h.d.DB.ModeFixes(); len(fixes) == 0 || fixes[0].Path != h.dbPath() || fixes[0].Old != 0o644 {
		t.Errorf("ModeFixes %v", fixes)
	}
}
