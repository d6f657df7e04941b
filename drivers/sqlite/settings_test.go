package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

func mustVersion(tb testing.TB, s *Settings) int64 {
	tb.Helper()
	v, err := s.Version(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func mustTill(tb testing.TB, s *Settings) map[string]string {
	tb.Helper()
	m, err := s.TillSettings(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestSettings_SetUnsetVersion(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	db.Now = func() time.Time { return base }
	s := db.Settings()
	if m := mustTill(t, s); len(m) != 0 {
		t.Fatalf("new file has settings %v", m)
	}
	v0 := mustVersion(t, s)

	if err := s.Set(ctx, "sbp.qr_mode", "2", "alice via sbpd settings set"); err != nil {
		t.Fatal(err)
	}
	v1 := mustVersion(t, s)
	if v1 == v0 {
		t.Fatal("Version unchanged by an insert")
	}
	if err := s.Set(ctx, "sbp.qr_mode", "2", "bob"); err != nil {
		t.Fatal(err)
	}
	if v := mustVersion(t, s); v != v1 {
		t.Fatalf("writing the same value changed Version %d -> %d", v1, v)
	}
	if err := s.Set(ctx, "sbp.qr_mode", "0", "bob"); err != nil {
		t.Fatal(err)
	}
	v2 := mustVersion(t, s)
	if v2 == v1 {
		t.Fatal("Version unchanged by an update")
	}
	all, err := s.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Key != "sbp.qr_mode" || all[0].Value != "0" || all[0].UpdatedBy != "bob" || !all[0].UpdatedAt.Equal(base) {
		t.Fatalf("%+v", all)
	}

	if ok, err := s.Unset(ctx, "sbp.qr_mode"); err != nil || !ok {
		t.Fatalf("Unset = %v, %v", ok, err)
	}
	v3 := mustVersion(t, s)
	if v3 == v2 {
		t.Fatal("Version unchanged by a delete")
	}
	if ok, err := s.Unset(ctx, "sbp.qr_mode"); err != nil || ok {
		t.Fatalf("second Unset = %v, %v", ok, err)
	}
	if v := mustVersion(t, s); v != v3 {
		t.Fatal("Version changed by unsetting a key that was not set")
	}
	if err := s.Set(ctx, "", "x", "t"); err == nil {
		t.Fatal("empty key accepted")
	}
}

func TestSettings_ApplyAllOrNothing(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	s := db.Settings()
	if err := s.Apply(ctx, map[string]string{"till.id": "K07", "printer.port": "/dev/ttyS0"}, nil, "t"); err != nil {
		t.Fatal(err)
	}
	before, v := mustTill(t, s), mustVersion(t, s)

	// A trigger that fails the third write stands in for a full disk.
	if _, err := db.write.Exec(`CREATE TEMP TRIGGER fail BEFORE INSERT ON settings WHEN NEW.key = 'z.fail'
		BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}
	err := s.Apply(ctx, map[string]string{"a.first": "1", "till.id": "K08", "z.fail": "x"}, []string{"printer.port"}, "t")
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Apply = %v, want the trigger's error", err)
	}
	if after := mustTill(t, s); !maps.Equal(after, before) {
		t.Fatalf("after a failed Apply: %v, want %v", after, before)
	}
	if mustVersion(t, s) != v {
		t.Fatal("Version changed by a failed Apply")
	}
	if _, err := db.write.Exec("DROP TRIGGER temp.fail"); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, map[string]string{"till.id": "K08", "sbp.qr_mode": "0"}, []string{"printer.port"}, "t"); err != nil {
		t.Fatal(err)
	}
	if got := mustTill(t, s); !maps.Equal(got, map[string]string{"till.id": "K08", "sbp.qr_mode": "0"}) {
		t.Fatalf("%v", got)
	}
}

// TestSettings_ApplyIf: a change checked against rows that another writer
// has changed since is refused and writes nothing; checked against the
// rows as they are, it is written.
func TestSettings_ApplyIf(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	s := db.Settings()
	if err := s.ApplyIf(ctx, nil, map[string]string{"paymaster.sticker_id": "a1b2c3d4e5f6"}, nil, "t"); err != nil {
		t.Fatalf("ApplyIf from no rows on an empty table: %v", err)
	}
	checked := mustTill(t, s)
	// Someone else removes the sticker between our check and our write.
	if err := s.Apply(ctx, nil, []string{"paymaster.sticker_id"}, "other"); err != nil {
		t.Fatal(err)
	}
	v := mustVersion(t, s)
	err := s.ApplyIf(ctx, checked, map[string]string{"sbp.qr_mode": "2"}, nil, "t")
	if plugin.ErrorReason(err) != plugin.RefusedSettingsChanged || plugin.ErrorCode(err) != plugin.EConflict {
		t.Fatalf("ApplyIf on changed rows = %v, want %s", err, plugin.RefusedSettingsChanged)
	}
	if got := mustTill(t, s); len(got) != 0 || mustVersion(t, s) != v {
		t.Fatalf("a refused ApplyIf wrote: %v", got)
	}
	if err := s.ApplyIf(ctx, mustTill(t, s), map[string]string{"sbp.qr_mode": "1"}, nil, "t"); err != nil {
		t.Fatalf("ApplyIf on the rows as they are: %v", err)
	}
	if got := mustTill(t, s); !maps.Equal(got, map[string]string{"sbp.qr_mode": "1"}) {
		t.Fatalf("%v", got)
	}
}

// TestSettings_TwoHandles is `sbpd settings set` while the daemon runs:
// two processes with the file open, each seeing the other's writes.
func TestSettings_TwoHandles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sbpd.db")
	daemon := mustOpenPath(t, path)
	cli := mustOpenPath(t, path)
	v := mustVersion(t, daemon.Settings())

	// The daemon is writing the journal at the same time.
	done := make(chan error, 1)
	go func() {
		for i := range 20 {
			id := string(rune('a' + i))
			if err := daemon.Journal().Create(ctx, newPayment(id, "c"+id, 100, base), created(newPayment(id, "c"+id, 100, base))); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i := range 20 {
		if err := cli.Settings().Set(ctx, "notify.max_attempts", string(rune('1'+i%9)), "t"); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := cli.Settings().Set(ctx, "sbp.qr_mode", "2", "t"); err != nil {
		t.Fatal(err)
	}
	if got := mustTill(t, daemon.Settings()); got["sbp.qr_mode"] != "2" {
		t.Fatalf("the daemon's handle sees %v", got)
	}
	if nv := mustVersion(t, daemon.Settings()); nv <= v {
		t.Fatalf("the daemon's handle sees Version %d, was %d", nv, v)
	}
	if n := countRows(t, daemon, "payments"); n != 20 {
		t.Fatalf("%d payments", n)
	}
}

// TestSettings_MigratesJournalFrom0001: a journal written before the
// settings existed gets them on the next Open and keeps its payments.
func TestSettings_MigratesJournalFrom0001(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sbpd.db")
	first, err := fs.ReadFile(migrationFS(), "0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	if err := migrate(ctx, raw, fstest.MapFS{"0001_init.sql": {Data: first}}, func() time.Time { return base }); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO payments (id, check_id, order_no, amount, mode, state, created_at, updated_at)
		VALUES ('p1', 'c1', 'K07-c1-1', 25990, 1, 'paid', 1, 1)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db := mustOpenPath(t, path)
	if v, _ := schemaVersion(ctx, db.write); v < 2 {
		t.Fatalf("schema version %d after Open", v)
	}
	if p := mustGet(t, db.Journal(), "p1"); p.Amount != 25990 {
		t.Fatalf("%+v", p)
	}
	if err := db.Settings().Set(ctx, "till.id", "K07", "t"); err != nil {
		t.Fatal(err)
	}
	if got := mustTill(t, db.Settings()); got["till.id"] != "K07" {
		t.Fatalf("%v", got)
	}
}

func TestHistory(t *testing.T) {
	at := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	h := History([]Setting{{Key: "sbp.qr_mode", Value: "2", UpdatedAt: at, UpdatedBy: "ivan via sbpd settings set"}})
	if got, by, ok := h("sbp.qr_mode"); !ok || !got.Equal(at) || by != "ivan via sbpd settings set" {
		t.Fatalf("%v %q %v", got, by, ok)
	}
	if _, _, ok := h("till.id"); ok {
		t.Fatal("a key not in the rows")
	}
}

// TestSettings_TillHistory: who last wrote each till setting and when, as
// the settings commands show it, read from the database.
func TestSettings_TillHistory(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	db.Now = func() time.Time { return base }
	s := db.Settings()
	if err := s.Set(ctx, "sbp.qr_mode", "2", "ivan via sbpd settings set"); err != nil {
		t.Fatal(err)
	}
	h, err := s.TillHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if at, by, ok := h("sbp.qr_mode"); !ok || !at.Equal(base) || by != "ivan via sbpd settings set" {
		t.Fatalf("%v %q %v", at, by, ok)
	}
	if _, _, ok := h("till.id"); ok {
		t.Fatal("a key not in the database")
	}
}
