package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// base is a fixed instant with nanoseconds, in a zone that is not UTC.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("MSK", 3*60*60))

// mustOpen opens a journal file in a fresh temp dir and closes it at the
// end of the test.
func mustOpen(tb testing.TB) *DB {
	tb.Helper()
	return mustOpenPath(tb, filepath.Join(tb.TempDir(), "journal.db"))
}

func mustOpenPath(tb testing.TB, path string) *DB {
	tb.Helper()
	db, err := Open(path)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

// newPayment is a payment as the flow first records it.
func newPayment(id, checkID string, amount int64, created time.Time) *plugin.Payment {
	return &plugin.Payment{
		ID:             id,
		CheckID:        checkID,
		OrderNo:        "T1-" + id,
		Amount:         amount,
		Mode:           plugin.ModeScreen,
		State:          plugin.StateCreating,
		IdempotencyKey: "key-" + id,
		ExpiresAt:      created.Add(5 * time.Minute),
		CreatedAt:      created,
		UpdatedAt:      created,
	}
}

func created(p *plugin.Payment) plugin.Event {
	return plugin.Event{Kind: plugin.EvCreated, At: p.CreatedAt, Actor: "till"}
}

func mustCreate(tb testing.TB, j *Journal, p *plugin.Payment) {
	tb.Helper()
	if err := j.Create(context.Background(), p, created(p)); err != nil {
		tb.Fatalf("Create(%s): %v", p.ID, err)
	}
}

func mustUpdate(tb testing.TB, j *Journal, p *plugin.Payment, ev plugin.Event) {
	tb.Helper()
	if err := j.Update(context.Background(), p, ev); err != nil {
		tb.Fatalf("Update(%s, %s): %v", p.ID, ev.Kind, err)
	}
}

func mustGet(tb testing.TB, j *Journal, id string) *plugin.Payment {
	tb.Helper()
	p, err := j.Get(context.Background(), id)
	if err != nil {
		tb.Fatalf("Get(%s): %v", id, err)
	}
	return p
}

func mustEvents(tb testing.TB, j *Journal, id string) []plugin.Event {
	tb.Helper()
	evs, err := j.Events(context.Background(), id)
	if err != nil {
		tb.Fatalf("Events(%s): %v", id, err)
	}
	return evs
}

// ids lists the ids of ps in order.
func ids(ps []*plugin.Payment) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// wantCode fails unless err carries a *plugin.Error with code.
func wantCode(tb testing.TB, err error, code string) *plugin.Error {
	tb.Helper()
	var pe *plugin.Error
	if !errors.As(err, &pe) || pe.Code != code {
		tb.Fatalf("err = %v (%T), want *plugin.Error with code %q", err, err, code)
	}
	return pe
}

func countRows(tb testing.TB, db *DB, table string) int {
	tb.Helper()
	var n int
	// table is a constant chosen by the test, never input.
	if err := db.read.QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM %s", table)).Scan(&n); err != nil {
		tb.Fatalf("count %s: %v", table, err)
	}
	return n
}
